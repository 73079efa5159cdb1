/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the feature probe: one function per feature, and the steps they
 * share. Each probe returns the state and writes one line in <why>. */
#ifndef IM_KERNEL_FEAT_PROBES_H
#define IM_KERNEL_FEAT_PROBES_H

#include <stddef.h>

#include "bpf_load.h"
#include "features.h"
#include "kconfig.h"

struct probe_ctx {
	const struct kconfig *kc;
	char cgroot[256];	/* cgroup2 mount, "" when there is none */
	char tmp_prefix[32];	/* name prefix of throwaway cgroups */
};

typedef enum feat_state (*probe_fn)(struct probe_ctx *c, char *why,
				    size_t n);

/* feat_sys.c: no programs involved */
enum feat_state probe_bpf_syscall(struct probe_ctx *c, char *why, size_t n);
enum feat_state probe_btf(struct probe_ctx *c, char *why, size_t n);
enum feat_state probe_bpffs(struct probe_ctx *c, char *why, size_t n);
enum feat_state probe_cgroup2(struct probe_ctx *c, char *why, size_t n);
enum feat_state probe_ktls(struct probe_ctx *c, char *why, size_t n);
/* feat_sock.c: socket and cgroup hooks */
enum feat_state probe_connect4(struct probe_ctx *c, char *why, size_t n);
enum feat_state probe_sockops(struct probe_ctx *c, char *why, size_t n);
enum feat_state probe_sockhash(struct probe_ctx *c, char *why, size_t n);
/* feat_pkt.c: packet hooks and the helpers tried through test runs */
enum feat_state probe_tc(struct probe_ctx *c, char *why, size_t n);
enum feat_state probe_tcx(struct probe_ctx *c, char *why, size_t n);
enum feat_state probe_xdp(struct probe_ctx *c, char *why, size_t n);
enum feat_state probe_ringbuf(struct probe_ctx *c, char *why, size_t n);
enum feat_state probe_timer(struct probe_ctx *c, char *why, size_t n);

/* Writes the printf-style message to <why> and returns <st>. */
enum feat_state feat_say(char *why, size_t n, enum feat_state st,
			 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* probe_load() for <w>; on failure says why (EPERM: unknown, anything
 * else: absent, the kernel refused) into <why> and <*st>. */
struct probe_bpf *feat_load(const struct probe_want *w, char *why, size_t n,
			    enum feat_state *st);

/* The one program of <s> that was loaded (the probes load one each). */
struct bpf_program *feat_loaded_prog(struct probe_bpf *s);

#endif
