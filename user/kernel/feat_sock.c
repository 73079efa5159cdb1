// SPDX-License-Identifier: Apache-2.0
/* Socket-level hooks: cgroup programs and the sockhash splice. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cgroup.h"
#include "feat_probes.h"
#include "infermesh/abi.h"
#include "loopback.h"

/* Loads the program of <w> and attaches it to a throwaway child cgroup;
 * detaches and removes the cgroup before returning. */
static enum feat_state cgroup_hook(struct probe_ctx *c,
				   const struct probe_want *w, char *why,
				   size_t n)
{
	struct bpf_link *link;
	struct cgroup_tmp cg;
	struct probe_bpf *s;
	enum feat_state st;
	int err;

	if (!c->cgroot[0])
		return feat_say(why, n, FEAT_UNKNOWN,
				"no cgroup v2 mount to attach to");
	s = feat_load(w, why, n, &st);
	if (!s)
		return st;
	err = cgroup_tmp_create(&cg, c->cgroot, c->tmp_prefix);
	if (err) {
		st = feat_say(why, n, FEAT_UNKNOWN, "creating a cgroup in %s: %s",
			      c->cgroot, strerror(-err));
		goto out;
	}
	link = bpf_program__attach_cgroup(feat_loaded_prog(s), cg.fd);
	if (!link)
		st = feat_say(why, n, FEAT_ABSENT,
			      "attaching to a cgroup: %s", strerror(errno));
	else
		st = feat_say(why, n, FEAT_PRESENT,
			      "loaded and attached to a temporary cgroup");
	bpf_link__destroy(link);
	cgroup_tmp_remove(&cg);
out:
	probe_bpf__destroy(s);
	return st;
}

enum feat_state probe_connect4(struct probe_ctx *c, char *why, size_t n)
{
	return cgroup_hook(c, &(struct probe_want){ .connect4 = true }, why, n);
}

enum feat_state probe_sockops(struct probe_ctx *c, char *why, size_t n)
{
	return cgroup_hook(c, &(struct probe_want){ .sockops = true }, why, n);
}

/* Puts the server side of a loopback pair into the sockhash (whose map
 * has the verdict attached) and checks that a message still arrives and
 * went through the verdict program. */
static enum feat_state sockhash_try(struct probe_bpf *s, char *why, size_t n)
{
	int map = bpf_map__fd(s->maps.im_probe_sockh), fds[2], err;
	__u32 key = 0, val;
	char buf[4];

	err = loopback_pair(fds);
	if (err)
		return feat_say(why, n, FEAT_UNKNOWN,
				"no loopback TCP connection: %s", strerror(-err));
	val = fds[1];
	if (bpf_map_update_elem(map, &key, &val, BPF_ANY)) {
		err = errno;
		close(fds[0]);
		close(fds[1]);
		return feat_say(why, n, FEAT_ABSENT,
				"adding a TCP socket to a SOCKHASH: %s",
				strerror(err));
	}
	err = send(fds[0], "ping", 4, MSG_NOSIGNAL) != 4 ||
	      recv(fds[1], buf, 4, MSG_WAITALL) != 4;
	close(fds[0]);
	close(fds[1]);
	if (err || !bpf_array_u64(bpf_map__fd(s->maps.im_probe_cnt),
				  IM_PROBE_SK_VERDICT))
		return feat_say(why, n, FEAT_UNKNOWN,
				"socket added, but the verdict did not run");
	return feat_say(why, n, FEAT_PRESENT,
			"a socket in a SOCKHASH went through the verdict");
}

enum feat_state probe_sockhash(struct probe_ctx *c, char *why, size_t n)
{
	struct probe_bpf *s;
	enum feat_state st;

	s = feat_load(&(struct probe_want){ .verdict = true }, why, n, &st);
	if (!s)
		return st;
	if (bpf_prog_attach(bpf_program__fd(s->progs.probe_verdict),
			    bpf_map__fd(s->maps.im_probe_sockh),
			    BPF_SK_SKB_STREAM_VERDICT, 0))
		st = feat_say(why, n, FEAT_ABSENT,
			      "attaching a stream verdict to a SOCKHASH: %s",
			      strerror(errno));
	else
		st = sockhash_try(s, why, n);
	probe_bpf__destroy(s);
	return st;
}
