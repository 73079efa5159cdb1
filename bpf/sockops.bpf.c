// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sockops: for sockets connect4 balanced, count the endpoint's active
 * connections (least-request needs them) and its local-origin failures
 * (outlier ejection needs them). A refused connect is only visible if the
 * state callback is on before the SYN leaves, so it is switched on in
 * TCP_CONNECT_CB, for balanced sockets only: then SYN_SENT -> CLOSE
 * arrives, or SYN_SENT -> ESTABLISHED (the count goes up) and later the
 * move out of ESTABLISHED (it goes down), after which the callback is
 * switched off again: the rest of the close costs no BPF. The counting
 * rules are in lib/count.h.
 * The cluster's connectTimeout bounds the connect: TCP_USER_TIMEOUT from
 * TCP_CONNECT_CB fails a blackholed SYN with ETIMEDOUT after that time
 * (the SYN retries would take two minutes), a local-origin failure;
 * SYN_SENT -> ESTABLISHED puts it back to 0, or it would cut live
 * connections.
 * With capture on, captured sockets also publish connect4's record for
 * the agent (lib/capture.h). Such a socket connects to the agent, not to
 * the endpoint: it counts active for its life like any balanced socket,
 * but its connect succeeding or failing is not the endpoint's (a refused
 * 15001 means no agent); the agent charges the call's real outcome
 * (bpf/outcome.bpf.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "lib/config.h"
#include "lib/maps.h"
#include "lib/capture.h"
#include "lib/count.h"
#include "lib/outlier.h"

#define IM_SOL_TCP		6
#define IM_TCP_USER_TIMEOUT	18

/* Errors that make a failed connect a local-origin failure of the
 * endpoint; a connect the application abandons has sk_err 0. */
#define IM_ENETUNREACH	101
#define IM_ECONNRESET	104
#define IM_ETIMEDOUT	110
#define IM_ECONNREFUSED	111
#define IM_EHOSTUNREACH	113

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline bool im_local_origin(struct bpf_sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	int err;

	if (!tp)
		return false;
	err = tp->inet_conn.icsk_inet.sk.sk_err;
	return err == IM_ECONNREFUSED || err == IM_ETIMEDOUT ||
	       err == IM_EHOSTUNREACH || err == IM_ENETUNREACH ||
	       err == IM_ECONNRESET;
}

/* connectTimeout of the host's cluster, by its slot; 0 when none. */
static __always_inline __u32 im_connect_ms(const struct im_sock_info *si)
{
	__u32 slot = si->slot;
	struct im_host *h = bpf_map_lookup_elem(&im_host, &slot);

	return h ? h->connect_ms : 0;
}

static __always_inline void im_user_timeout(struct bpf_sock_ops *skops,
					    __u32 ms)
{
	int v = ms > 0x7fffffff ? 0x7fffffff : (int)ms;

	bpf_setsockopt(skops, IM_SOL_TCP, IM_TCP_USER_TIMEOUT, &v, sizeof(v));
}

/* Before the SYN leaves: the state callback on, and the connect bounded
 * by the cluster's connectTimeout. */
static __always_inline void im_connect(struct bpf_sock_ops *skops,
				       struct im_sock_info *si)
{
	__u32 ms = im_connect_ms(si);

	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
				  BPF_SOCK_OPS_STATE_CB_FLAG);
	if (!ms)
		return;
	im_user_timeout(skops, ms);
	__sync_fetch_and_or(&si->flags, IM_SOCK_CONNECT_TO);
}

/* SYN_SENT -> ESTABLISHED. While the agent recounts, only say so: the
 * recount counts every established socket once it is done.
 * A captured socket is up when it reaches the agent's 127.0.0.1:15001,
 * which says nothing of the endpoint: its outcome is the agent's to
 * charge (im_outcome), or every captured call would reset the failures
 * the agent counts. It still counts active while it lives: the caller's
 * socket is the call, wherever its bytes go. */
static __always_inline void im_conn_up(struct im_sock_info *si,
				       bool captured)
{
	struct im_ep_state *st = im_sock_state(si);

	if (!st) {
		im_flags_swap(&si->flags, 0, IM_SOCK_DONE, IM_SOCK_ESTAB, 0);
		return;
	}
	if (!captured)
		im_outlier_success(st);
	if (im_count_mode() == IM_COUNT_NORMAL)
		im_count_claim(si, st, 0);
	else
		im_flags_swap(&si->flags, 0, IM_SOCK_DONE, IM_SOCK_ESTAB, 0);
}

static __always_inline void im_state_change(struct bpf_sock_ops *skops,
					    struct bpf_sock *sk,
					    struct im_sock_info *si,
					    bool captured)
{
	__u32 from = skops->args[0], to = skops->args[1];

	if (from == BPF_TCP_SYN_SENT) {
		if (to == BPF_TCP_ESTABLISHED) {
			if (si->flags & IM_SOCK_CONNECT_TO)
				im_user_timeout(skops, 0);
			im_conn_up(si, captured);
		} else if (to == BPF_TCP_CLOSE && !captured &&
			   im_local_origin(sk))
			im_outlier_fail(si->slot, si->epoch);
		return;
	}
	if (from != BPF_TCP_ESTABLISHED)
		return;
	/* leaving ESTABLISHED ends the connection's claim on the endpoint;
	 * nothing later in its life concerns us */
	im_count_release(si, im_sock_state(si));
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags &
				  ~BPF_SOCK_OPS_STATE_CB_FLAG);
}

SEC("sockops")
int im_sockops(struct bpf_sock_ops *skops)
{
	__u32 op = skops->op;
	struct im_sock_info *si;
	bool captured = false;
	struct bpf_sock *sk;

	/* every other callback (RTO, window, ECN, ESTABLISHED_CB, passive
	 * sockets) is none of ours: return before looking the socket up */
	if (op != BPF_SOCK_OPS_TCP_CONNECT_CB && op != BPF_SOCK_OPS_STATE_CB)
		return 1;
	sk = skops->sk;
	if (!sk)
		return 1;
	if (im_capture)
		captured = im_capture_sockops(skops, sk, op);
	si = bpf_sk_storage_get(&im_sock_st, sk, 0, 0);
	if (!si)
		return 1;	/* not balanced by connect4 */
	if (op == BPF_SOCK_OPS_TCP_CONNECT_CB)
		im_connect(skops, si);
	else
		im_state_change(skops, sk, si, captured);
	return 1;
}
