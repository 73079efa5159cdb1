// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cgroup/connect4 and cgroup/getpeername4, and their AF_INET6 twins for
 * v4-mapped addresses (connect6, getpeername6): a TCP connect() to a service
 * address goes straight to the endpoint chosen here (route -> subset ->
 * endpoint), or fails at once: EPERM when the destination's L4 policy would
 * refuse the caller, ECONNREFUSED when no endpoint may be chosen.
 * getpeername() still answers with the service address. With capture on
 * (lib/config.h), calls that must be mTLS go to the agent instead.
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
 * The steps of a connect are global functions (__noinline, not
 * static): the verifier checks each one once per program, on its own,
 * instead of once per path of its caller. Inlined, the
 * balancer's paths times the policy's paths cost connect4 alone about
 * 988,000 of the 1,000,000 instructions the verifier allows, and connect6
 * could not load at all. Their pointer arguments may be NULL as far as
 * the verifier knows: each refuses then.
 */

/*
 * Route, subset, endpoint for service <svc>. Returns IM_DROP_NONE and
 * fills <d>, or IM_DROP_NO_HEALTHY.
 */
__noinline __u32 im_balance(__u32 gen, const struct im_svc *svc,
			    struct im_dest *d)
{
	struct im_ep_state *st;
	struct im_subset *sub;
	struct im_route *rt;
	struct im_ep *ep;
	__u32 idx;
	__s64 e;
	int s;

	if (!svc || !d)
		return IM_DROP_NO_HEALTHY;
	idx = gen * IM_MAX_ROUTES + svc->route;
	rt = svc->route < IM_MAX_ROUTES ?
		bpf_map_lookup_elem(&im_route_v2, &idx) : 0;
	s = rt ? im_route_pick(rt) : -1;
	if (s < 0 || s >= IM_MAX_SUBSETS)
		return IM_DROP_NO_HEALTHY;
	/* the key on the stack: 6.1 takes no argument memory as a map key */
	idx = gen * IM_MAX_SUBSETS + s;
	d->subset = idx;
	sub = bpf_map_lookup_elem(&im_subset_v2, &idx);
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
__noinline __u32 im_source_verdict(__u32 gen, const struct im_dest *d)
{
	struct im_peer peer = {};
	struct im_ident *id;
	struct im_wlport *wp;
	bool exact, mtls;

	if (!d)
		return IM_DROP_NO_HEALTHY;
	id = im_ident_of_caller(gen);
	if (!id)
		return IM_DROP_NONE;
	wp = im_wlport_find(gen, d->ip, d->port, &exact);
	if (!wp)
		return IM_DROP_NONE;
	mtls = im_mtls && wp->mode != IM_MODE_DISABLE;
	if (!mtls && wp->mode == IM_MODE_STRICT)
		return IM_DROP_STRICT_PLAINTEXT;
	/* the destination's guard would drop it: fail at once */
	if (!mtls && (wp->flags & IM_WLPORT_L7))
		return IM_DROP_L7_PLAINTEXT;
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
					 const struct im_svc_key *k,
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
		.vip = k->vip, .vport = k->port,
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

/*
 * The decision for a TCP connect() to <vip>:<port> (AF_INET, or AF_INET6
 * to ::ffff:<vip>): 1 to let it go to <d> (which the caller writes back),
 * or 0 refused with the reason counted. Of <ctx> it reads only the
 * socket, never a family's address fields: one body serves both programs.
 * Inlined (small once its steps are global): each BPF-to-BPF call costs
 * a return thunk on kernels mitigating retbleed, about 30 ns measured.
 */
static __always_inline int im_connect(struct bpf_sock_addr *ctx, __be32 vip,
				      __be16 port, struct im_dest *d)
{
	struct im_svc_key k = { .vip = vip, .port = port };
	struct im_svc *svc;
	__u32 reason;

	if (!d)
		return im_refuse(IM_DROP_NO_HEALTHY);
	d->ip = vip;
	d->port = port;
	k.gen = im_live_gen();
	svc = bpf_map_lookup_elem(&im_svc, &k);
	if (svc) {
		reason = im_balance(k.gen, svc, d);
		if (reason)
			return im_refuse(reason);
	}
	reason = im_source_verdict(k.gen, d);
	if (reason)
		return im_refuse(reason);
	if (!svc)
		return 1;
	reason = im_remember(ctx, &k, svc, d);
	return reason ? im_refuse(reason) : 1;
}

/*
 * Outbound capture (dataplane.h; the sockops half is lib/capture.h): the
 * call to <d> must be mTLS when a mesh workload calls a mesh workload's
 * port whose mode is not DISABLE (auto-mTLS). Then 1, and <c> gets the
 * endpoint and the caller; else 0. The HBONE port is mTLS already.
 */
__noinline int im_capture_want(__u32 gen, const struct im_dest *d,
			       struct im_capture *c)
{
	struct im_ident *id;
	struct im_wlport *wp;
	__u64 wl = 0;
	bool exact;

	if (!d || !c || d->port == bpf_htons(IM_HBONE_PORT))
		return 0;
	id = im_ident_walk(gen, &wl);
	if (!id)
		return 0;
	wp = im_wlport_find(gen, d->ip, d->port, &exact);
	if (!wp || wp->mode == IM_MODE_DISABLE)
		return 0;
	c->ep_ip = d->ip;
	c->ep_port = d->port;
	c->src_ip = id->ip;
	c->principal = id->principal;
	c->ns = id->ns;
	c->cgroup = bpf_get_current_cgroup_id();
	c->wl_cgroup = wl;
	return 1;
}

/*
 * With capture on: a call that must be mTLS goes to the agent's listener
 * in the caller's own network namespace instead of <d>, with connect4's
 * decision in the socket's storage for sockops to publish. No memory for
 * that record refuses the connect: it never goes out in plaintext. When
 * the agent's listener is missing, loopback answers ECONNREFUSED.
 * Returns 1 (<d> is where the call goes) or 0 (refused, counted).
 */
static __always_inline int im_capture_redirect(struct bpf_sock_addr *ctx,
					       __be32 vip, __be16 vport,
					       struct im_dest *d)
{
	struct im_capture c = { .vip = vip, .vport = vport }, *st;
	struct bpf_sock *sk = ctx->sk;

	if (!im_capture_want(im_live_gen(), d, &c))
		return 1;
	st = sk ? bpf_sk_storage_get(&im_cap_st, sk, 0,
				     BPF_SK_STORAGE_GET_F_CREATE) : 0;
	if (!st)
		return im_refuse(IM_DROP_NO_RECORD);
	*st = c;
	d->ip = bpf_htonl(IM_CAPTURE_IP);
	d->port = bpf_htons(IM_CAPTURE_PORT);
	return 1;
}

/* getpeername of a captured socket that connect4 did not balance (a
 * workload's own address): the address the application dialled. */
static __always_inline struct im_capture *im_captured(struct bpf_sock *sk)
{
	return im_capture && sk ? bpf_sk_storage_get(&im_cap_st, sk, 0, 0) : 0;
}

SEC("cgroup/connect4")
int im_connect4(struct bpf_sock_addr *ctx)
{
	struct im_dest d = {};

	if (ctx->type != IM_SOCK_STREAM)
		return 1;
	if (!im_connect(ctx, ctx->user_ip4, ctx->user_port, &d))
		return 0;
	if (im_capture &&
	    !im_capture_redirect(ctx, ctx->user_ip4, ctx->user_port, &d))
		return 0;
	ctx->user_ip4 = d.ip;
	ctx->user_port = d.port;
	return 1;
}

/* ::ffff:a.b.c.d, in network order word by word. */
static __always_inline bool im_v4_mapped(const struct bpf_sock_addr *ctx)
{
	return !ctx->user_ip6[0] && !ctx->user_ip6[1] &&
	       ctx->user_ip6[2] == bpf_htonl(0xffff);
}

/*
 * An AF_INET6 socket dialling a v4-mapped address (Java's default) fires
 * connect6, never connect4: the same decision, and the endpoint written
 * back v4-mapped. Native IPv6 is not balanced or judged (README, Limits).
 */
SEC("cgroup/connect6")
int im_connect6(struct bpf_sock_addr *ctx)
{
	struct im_dest d = {};

	if (ctx->type != IM_SOCK_STREAM || !im_v4_mapped(ctx))
		return 1;
	if (!im_connect(ctx, ctx->user_ip6[3], ctx->user_port, &d))
		return 0;
	if (im_capture &&
	    !im_capture_redirect(ctx, ctx->user_ip6[3], ctx->user_port, &d))
		return 0;
	ctx->user_ip6[3] = d.ip;
	ctx->user_port = d.port;
	return 1;
}

SEC("cgroup/getpeername4")
int im_getpeername4(struct bpf_sock_addr *ctx)
{
	struct im_sock_info *si = NULL;
	struct im_capture *c;

	if (ctx->sk)
		si = bpf_sk_storage_get(&im_sock_st, ctx->sk, 0, 0);
	if (si && si->vip) {
		ctx->user_ip4 = si->vip;
		ctx->user_port = si->vport;
	} else if ((c = im_captured(ctx->sk))) {
		ctx->user_ip4 = c->vip;
		ctx->user_port = c->vport;
	}
	return 1;
}

SEC("cgroup/getpeername6")
int im_getpeername6(struct bpf_sock_addr *ctx)
{
	struct im_sock_info *si = NULL;
	struct im_capture *c;

	if (ctx->sk)
		si = bpf_sk_storage_get(&im_sock_st, ctx->sk, 0, 0);
	if (!im_v4_mapped(ctx))
		return 1;
	if (si && si->vip) {
		ctx->user_ip6[3] = si->vip;
		ctx->user_port = si->vport;
	} else if ((c = im_captured(ctx->sk))) {
		ctx->user_ip6[3] = c->vip;
		ctx->user_port = c->vport;
	}
	return 1;
}
