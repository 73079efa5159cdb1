/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * L4 AuthorizationPolicy evaluation, shared by connect4 (source side, with
 * the identity the destination will see) and the tc guard (destination
 * side, plaintext: no identity). Istio's order: a matching DENY denies; no
 * ALLOW policy allows; a matching ALLOW allows; otherwise deny. The agent
 * stores DENY clauses before ALLOW clauses, so the first match decides.
 */
#ifndef IM_BPF_POLICY_H
#define IM_BPF_POLICY_H

/* The agent compiles this same code for its inbound (HBONE) path with
 * user/authz/policy_user.h, which supplies the maps and helpers below
 * from the tables it keeps: one evaluation, two callers. */
#ifndef IM_POLICY_USER
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lib/maps.h"
#endif

/* Who is calling, as the destination would see it. */
struct im_peer {
	__u32 principal;	/* 0 = no authenticated identity (plaintext) */
	__u32 ns;		/* 0 = no authenticated identity */
	__be32 ip;		/* source address, for ipBlocks */
};

/* Mode and policy set of a local workload's port: the port's own entry,
 * else the workload's default (port 0). <*exact> says which one it was. */
static __always_inline struct im_wlport *
im_wlport_find(__u32 gen, __be32 ip, __be16 port, bool *exact)
{
	struct im_wlport_key k = { .ip = ip, .port = port, .gen = gen };
	struct im_wlport *wp = bpf_map_lookup_elem(&im_wlport, &k);

	*exact = wp != NULL;
	if (wp)
		return wp;
	k.port = 0;
	return bpf_map_lookup_elem(&im_wlport, &k);
}

static __always_inline bool im_member_has(__u32 clause, __u8 field,
					  __u32 value)
{
	struct im_member_key k = {
		.clause = clause, .value = value, .field = field,
	};

	return bpf_map_lookup_elem(&im_member_v2, &k) != NULL;
}

/* Index of the lowest set bit of <m> (not 0), by halving: BPF has no
 * count-trailing-zeros instruction. */
static __always_inline __u32 im_low_bit(__u64 m)
{
	__u32 n = 0;

	if (!(m & 0xffffffffULL)) {
		n += 32;
		m >>= 32;
	}
	if (!(m & 0xffff)) {
		n += 16;
		m >>= 16;
	}
	if (!(m & 0xff)) {
		n += 8;
		m >>= 8;
	}
	if (!(m & 0xf)) {
		n += 4;
		m >>= 4;
	}
	if (!(m & 0x3)) {
		n += 2;
		m >>= 2;
	}
	return n + !(m & 1);
}

/* <ip> is in a network of address field <kind> of clause <c>, whose
 * lengths are the bits of <plens>: one hash lookup per length. A global
 * function, so the verifier checks its loop once, not on every path of
 * the programs that call it (connect4 would exceed its limit). */
__noinline int im_addr_in(__u32 c, __u32 kind, __u64 plens, __u32 ip);

__noinline int im_addr_in(__u32 c, __u32 kind, __u64 plens, __u32 ip)
{
	struct im_member_key k = { .clause = c, .field = (__u8)kind };
	__u64 m = plens & IM_PLEN_ALL;
	__u32 i, n;

	for (i = 0; i < IM_PLEN_BITS && m; i++) {
		n = im_low_bit(m);
		m &= m - 1;
		k.plen = (__u8)n;
		k.value = n ? ip & bpf_htonl(0xffffffffU << (32 - n)) : 0;
		if (bpf_map_lookup_elem(&im_member_v2, &k))
			return 1;
	}
	return 0;
}

/* An address field (<yes>) and its not-form (<no>) for address <ip>; bit
 * 0 of <test> is about <yes>, bit 1 about <no>, and <p> holds their
 * lengths (im_clause.plens[yes], [no]). */
static __always_inline bool im_addr_ok(__u32 c, __u16 test, const __u64 *p,
				       __u8 yes, __u8 no, __be32 ip)
{
	if (test & 1 && !im_addr_in(c, yes, p[0], ip))
		return false;
	if (test & 2 && im_addr_in(c, no, p[1], ip))
		return false;
	return true;
}

/* principals/namespaces (<yes>) and their not-forms (<no>) for identity
 * <id>: without an identity the first never matches, the second always
 * does, as Istio treats a plaintext peer. */
static __always_inline bool im_id_ok(__u32 c, __u8 fields, __u8 yes, __u8 no,
				     __u32 id)
{
	if ((fields & yes) && (!id || !im_member_has(c, yes, id)))
		return false;
	if ((fields & no) && id && im_member_has(c, no, id))
		return false;
	return true;
}

/* The connection a policy walk judges. */
struct im_pol_conn {
	struct im_peer peer;
	__be32 dip;		/* destination address, for destination.ip */
	__u16 port;		/* destination port, host order */
	__u16 pad;
};

/* All fields of clause <c> (<cl>) hold: they are ANDed within one source
 * and operation; the values of one field are ORed (one set lookup). */
static __always_inline bool im_clause_match(__u32 c,
					    const struct im_clause *cl,
					    const struct im_pol_conn *k)
{
	const struct im_peer *p = &k->peer;
	__u16 x = cl->ext;
	__u8 f = cl->fields;

	if (!im_id_ok(c, f, IM_F_PRINC, IM_F_NOTPRINC, p->principal))
		return false;
	if (!im_id_ok(c, f, IM_F_NS, IM_F_NOTNS, p->ns))
		return false;
	if (!im_addr_ok(c, (f & (IM_F_IPB | IM_F_NOTIPB)) >> 4,
			&cl->plens[IM_A_IPB], IM_F_IPB, IM_F_NOTIPB, p->ip))
		return false;
	if (!im_addr_ok(c, x & (IM_X_DIP | IM_X_NOTDIP),
			&cl->plens[IM_A_DIP], IM_K_DIP, IM_K_NOTDIP, k->dip))
		return false;
	if ((f & IM_F_PORTS) && !im_member_has(c, IM_F_PORTS, k->port))
		return false;
	if ((f & IM_F_NOTPORTS) && im_member_has(c, IM_F_NOTPORTS, k->port))
		return false;
	return true;
}

/* State of one walk over a policy set's clauses (bpf_loop context). */
struct im_pol_walk {
	struct im_pol_conn conn;
	__u32 base;		/* gen * IM_MAX_CLAUSES + first clause */
	__u8 matched;		/* a clause matched: its action is in <action> */
	__u8 action;
};

static long im_pol_step(__u32 i, void *data)
{
	struct im_pol_walk *w = data;
	__u32 idx = w->base + i;
	struct im_clause *c = bpf_map_lookup_elem(&im_clause_v2, &idx);

	if (!c)
		return 1;
	if (!im_clause_match(idx, c, &w->conn))
		return 0;
	w->matched = 1;
	w->action = c->action;
	return 1;	/* DENY clauses come first: the first match decides */
}

/*
 * Verdict of policy set <set> (generation <gen>) for <peer> reaching
 * <dip>:<port> (port in host order): IM_DROP_NONE to allow, else the drop
 * reason.
 */
static __always_inline __u32 im_policy_verdict(__u32 gen, __u32 set,
					       const struct im_peer *peer,
					       __be32 dip, __u16 port)
{
	struct im_pol_walk w = {
		.conn = { .peer = *peer, .dip = dip, .port = port },
	};
	__u32 idx = gen * IM_MAX_POLSETS + set;
	struct im_polset *ps;
	__u32 n;

	if (!set)
		return IM_DROP_NONE;	/* no policy selects the workload */
	ps = set < IM_MAX_POLSETS ? bpf_map_lookup_elem(&im_polset, &idx) : 0;
	if (!ps)
		return IM_DROP_POLICY_NO_ALLOW;	/* fail closed */
	n = ps->n < IM_POLSET_CLAUSES ? ps->n : IM_POLSET_CLAUSES;
	if (ps->first > IM_MAX_CLAUSES - n)
		return IM_DROP_POLICY_NO_ALLOW;
	w.base = gen * IM_MAX_CLAUSES + ps->first;
	bpf_loop(n, im_pol_step, &w, 0);
	if (w.matched)
		return w.action == IM_ACT_DENY ? IM_DROP_POLICY_DENY
					       : IM_DROP_NONE;
	return ps->has_allow ? IM_DROP_POLICY_NO_ALLOW : IM_DROP_NONE;
}

#endif
