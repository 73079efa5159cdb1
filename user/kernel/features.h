/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What this kernel can do for the dataplane, found by trying each feature
 * (loading, attaching, running a tiny program) rather than by reading
 * version numbers. The kernel config, when readable, only explains an
 * absence. Everything a probe creates (cgroups, namespaces, links, maps) is
 * gone when features_probe returns, also on failure.
 */
#ifndef IM_KERNEL_FEATURES_H
#define IM_KERNEL_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

enum feat_id {
	FEAT_BPF_SYSCALL,	/* bpf(2) creates a map */
	FEAT_BTF,		/* vmlinux BTF for CO-RE */
	FEAT_BPFFS,		/* bpffs mounted at /sys/fs/bpf (pinning) */
	FEAT_CGROUP2,		/* a cgroup v2 hierarchy is mounted */
	FEAT_CONNECT4,		/* cgroup/connect4 loads and attaches */
	FEAT_SOCKOPS,		/* sockops loads and attaches */
	FEAT_SOCKHASH,		/* SOCKHASH + sk_skb verdict on a real socket */
	FEAT_TC,		/* tc clsact hook + classifier sees a packet */
	FEAT_TCX,		/* tcx link (kernel 6.6+) sees a packet */
	FEAT_XDP,		/* XDP loads and test-runs */
	FEAT_RINGBUF,		/* ring buffer delivers a record */
	FEAT_TIMER,		/* bpf_timer fires */
	FEAT_KTLS,		/* TCP_ULP "tls" (kernel TLS) */
	FEAT__COUNT
};

enum feat_state {
	FEAT_UNKNOWN = 0,	/* could not be decided: needs root, setup failed */
	FEAT_PRESENT,
	FEAT_ABSENT,
};

struct feat_result {
	enum feat_state state;
	char detail[256];	/* why, in one line */
	char kconfig[64];	/* "CONFIG_TLS=n", or "" when unknown */
};

struct features {
	struct feat_result r[FEAT__COUNT];
	char release[65];	/* uname -r */
	char config_src[128];	/* where the kernel config came from, or "" */
	bool root;		/* probed with euid 0 */
};

/* Probes every feature into <f>. Needs root for most: without it those are
 * FEAT_UNKNOWN with detail "needs root". Not thread-safe: it forks, and
 * sets libbpf's print callback only through bpf_log_init (the caller's). */
void features_probe(struct features *f);
/* Only the features whose bit (1u << id) is in <mask>; the others stay
 * FEAT_UNKNOWN, "not probed". */
void features_probe_some(struct features *f, uint32_t mask);
#define FEAT_BIT(id) (1u << (id))
_Static_assert(FEAT__COUNT <= 32, "a feature mask is 32 bits");

/* Stable key ("ktls"), used in JSON. */
const char *feat_name(enum feat_id id);
/* Words for people ("kernel TLS (TCP_ULP tls)"). */
const char *feat_title(enum feat_id id);
const char *feat_state_name(enum feat_state s);

#endif
