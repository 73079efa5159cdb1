// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cgroup/connect4 and cgroup/getpeername4: a TCP connect() to a service
 * address goes straight to the endpoint chosen here (route -> subset ->
 * endpoint), or fails at once: EPERM when the destination's L4 policy would
 * refuse the caller, ECONNREFUSED when no endpoint may be chosen.
 * getpeername() still answers with the service address.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lib/config.h"
#include "lib/ident.h"
#include "lib/maps.h"
#include "lib/lb.h"
#include "lib/policy.h"

#define IM_ENOMEM 12
#define IM_ECONNREFUSED 111
#define IM_SOCK_STREAM 1

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Where the connection goes. */
struct im_dest {
	__be32 ip;
	__be16 port;
	__u16 pad;
	__u32 subset;		/* absolute im_subset index, if balanced */
	__u32 slot;		/* the host's im_ep_state slot ... */
	__u32 epoch;		/* ... and its owner when chosen */
};

/*
 * Route, subset, endpoint for service <svc>. Returns IM_DROP_NONE and
 * fills <d>, or IM_DROP_NO_HEALTHY.
 */
static __always_inline __u32 im_balance(__u32 gen, const struct im_svc *svc,
					struct im_dest *d)
{
	__u32 idx = gen * IM_MAX_ROUTES + svc->route;
	struct im_ep_state *st;
	struct im_subset *sub;
	struct im_route *rt;
	struct im_ep *ep;
	__s64 e;
	int s;

	rt = svc->route < IM_MAX_ROUTES ?
		bpf_map_lookup_elem(&im_route_v2, &idx) : 0;
	s = rt ? im_route_pick(rt) : -1;
	if (s < 0 || s >= IM_MAX_SUBSETS)
		return IM_DROP_NO_HEALTHY;
	d->subset = gen * IM_MAX_SUBSETS + s;
	sub = bpf_map_lookup_elem(&im_subset_v2, &d->subset);
	e = sub ? im_lb_choose(gen, d->subset, sub) : -1;
	if (e < 0)
		return IM_DROP_NO_HEALTHY;
	idx = e;
	ep = bpf_map_lookup_elem(&im_ep_v3, &idx);
	if (!ep)
		return IM_DROP_NO_HEALTHY;
	d->ip = ep->ip;
	d->port = ep->port;
	d->slot = ep->slot;
	st = im_slot_state(ep->slot);
	d->epoch = st ? st->epoch : 0;
	return IM_DROP_NONE;
}

/*
 * The destination's verdict on the calling workload, decided here so a
 * call it would drop fails at once. Only mesh workloads (a process at or
 * below a workload's cgroup) are judged here: anything else is judged by
 * the destination's guard.
 * The destination sees the caller's identity only over mTLS.
 */
static __always_inline __u32 im_source_verdict(__u32 gen,
					       const struct im_dest *d)
{
	struct im_peer peer = {};
	struct im_ident *id;
	struct im_wlport *wp;
	bool exact, mtls;

	id = im_ident_of_caller(gen);
	if (!id)
		return IM_DROP_NONE;
	wp = im_wlport_find(gen, d->ip, d->port, &exact);
	if (!wp)
		return IM_DROP_NONE;
	mtls = im_mtls && wp->mode != IM_MODE_DISABLE;
	if (!mtls && wp->mode == IM_MODE_STRICT)
		return IM_DROP_STRICT_PLAINTEXT;
	if (mtls) {
		peer.principal = id->principal;
		peer.ns = id->ns;
	}
	peer.ip = id->ip;
	/* destination.ip: the endpoint chosen, the address the call reaches */
	return im_policy_verdict(gen, wp->polset, &peer, d->ip,
				 bpf_ntohs(d->port));
}

/* Remembers the service address and the endpoint for getpeername4 and
 * sockops, in the socket's own storage. Without memory for it the
 * connect is refused: a balanced socket that could not be counted would
 * make least-request and ejection blind to it. Returns 0 or a reason. */
static __always_inline __u32 im_remember(struct bpf_sock_addr *ctx,
					 const struct im_svc *svc,
					 const struct im_dest *d)
{
	struct im_sock_info *si;
	struct bpf_sock *sk = ctx->sk;

	if (!sk)
		return IM_DROP_NO_RECORD;
	si = bpf_sk_storage_get(&im_sock_st, sk, 0,
				BPF_SK_STORAGE_GET_F_CREATE);
	if (!si)
		return IM_DROP_NO_RECORD;
	*si = (struct im_sock_info){
		.vip = ctx->user_ip4, .vport = ctx->user_port,
		.ep_ip = d->ip, .ep_port = d->port, .subset = d->subset,
		.svc_id = svc->svc_id, .slot = d->slot, .epoch = d->epoch,
	};
	return IM_DROP_NONE;
}

static __always_inline int im_refuse(__u32 reason)
{
	im_count_drop(reason);
	if (reason == IM_DROP_NO_HEALTHY)
		bpf_set_retval(-IM_ECONNREFUSED);
	else if (reason == IM_DROP_NO_RECORD)
		bpf_set_retval(-IM_ENOMEM);
	return 0;	/* EPERM unless set otherwise above */
}

SEC("cgroup/connect4")
int im_connect4(struct bpf_sock_addr *ctx)
{
	struct im_svc_key k = {
		.vip = ctx->user_ip4, .port = ctx->user_port,
	};
	struct im_dest d = { .ip = ctx->user_ip4, .port = ctx->user_port };
	struct im_svc *svc;
	__u32 reason;

	if (ctx->type != IM_SOCK_STREAM)
		return 1;
	k.gen = im_live_gen();
	svc = bpf_map_lookup_elem(&im_svc, &k);
	if (svc) {
		reason = im_balance(k.gen, svc, &d);
		if (reason)
			return im_refuse(reason);
	}
	reason = im_source_verdict(k.gen, &d);
	if (reason)
		return im_refuse(reason);
	if (!svc)
		return 1;
	reason = im_remember(ctx, svc, &d);
	if (reason)
		return im_refuse(reason);
	ctx->user_ip4 = d.ip;
	ctx->user_port = d.port;
	return 1;
}

SEC("cgroup/getpeername4")
int im_getpeername4(struct bpf_sock_addr *ctx)
{
	struct im_sock_info *si = NULL;

	if (ctx->sk)
		si = bpf_sk_storage_get(&im_sock_st, ctx->sk, 0, 0);
	if (si && si->vip) {
		ctx->user_ip4 = si->vip;
		ctx->user_port = si->vport;
	}
	return 1;
}
