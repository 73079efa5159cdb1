/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoders: one per map, pure functions from an entry's key and value
 * bytes (and the names sidecar) to a JSON row. The text output is rendered
 * from the same rows (view.c), so text and JSON never disagree.
 *
 * Every decoder returns a new reference, or NULL when the entry is an
 * unused slot or belongs to the other generation (<gen>).
 */
#ifndef IM_MAPS_DECODE_H
#define IM_MAPS_DECODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "infermesh/dataplane.h"
#include "names.h"

struct dec_ctx {
	const struct im_names *names;	/* may be NULL: ids print as numbers */
	unsigned int gen;		/* generation to show */
	uint64_t now_ns;		/* CLOCK_MONOTONIC, as bpf_ktime_get_ns */
};

/* Stable names of enum im_drop_reason, enum im_lb, enum im_mode,
 * enum im_action; "unknown" beyond the known range. */
const char *dec_drop_reason(uint32_t reason);
const char *dec_lb(uint8_t lb);
const char *dec_mode(uint8_t mode);
const char *dec_action(uint8_t action);

/* "10.10.1.14" from a network-order address into <buf> (16 bytes). */
const char *dec_ip(uint32_t be_ip, char *buf);

json_t *dec_svc(const struct dec_ctx *c, const struct im_svc_key *k,
		const struct im_svc *v);
/* <idx> is the array index (gen * IM_MAX_ROUTES + route). */
json_t *dec_route(const struct dec_ctx *c, uint32_t idx,
		  const struct im_route *v);
json_t *dec_subset(const struct dec_ctx *c, uint32_t idx,
		   const struct im_subset *v);
/* An endpoint slot <idx> (gen * IM_MAX_ENDPOINTS + ep) of subset
 * <subset> (within gen), joined with its runtime state <st> (NULL when it
 * has none yet). */
json_t *dec_ep(const struct dec_ctx *c, uint32_t idx, uint32_t subset,
	       const struct im_ep *v, const struct im_ep_state *st);
/* A host's state slot <slot> of im_ep_slot; "cluster" is its id as
 * "#<16 hex digits>" (the view puts the name in where it knows it). */
json_t *dec_ep_state(const struct dec_ctx *c, const struct im_ep_key *k,
		     uint32_t slot, const struct im_ep_state *v);
json_t *dec_ident(const struct dec_ctx *c, const struct im_ident_key *k,
		  const struct im_ident *v);
json_t *dec_wlport(const struct dec_ctx *c, const struct im_wlport_key *k,
		   const struct im_wlport *v);
json_t *dec_polset(const struct dec_ctx *c, uint32_t idx,
		   const struct im_polset *v);
json_t *dec_clause(const struct dec_ctx *c, uint32_t idx,
		   const struct im_clause *v);
/* The member <k> as {clause, field, value}; the value named (principal,
 * namespace), a port number or an address; a shorter network of an
 * address field as {clause, field, cidr}. Ignores <c>->gen: members carry the
 * generation inside the clause index. */
json_t *dec_member(const struct dec_ctx *c, const struct im_member_key *k);
/* The entry is a network shorter than /32 of an address field. */
bool dec_is_cidr(const struct im_member_key *k);
json_t *dec_xdeny(const struct dec_ctx *c, const struct im_xdeny_key *k,
		  uint32_t rule_id);
/* One drop reason: its per-CPU counters (<ncpu> __u64) summed. NULL for
 * IM_DROP_NONE. */
json_t *dec_drops(const struct dec_ctx *c, uint32_t reason,
		  const uint64_t *percpu, int ncpu);
/* im_idlvl entry <gen>: the cgroup levels connect4 looks for the
 * caller's workload at, deepest first. */
json_t *dec_idlvl(const struct dec_ctx *c, uint32_t gen,
		  const struct im_idlvl *v);
/* im_local: a mesh workload of this node (address, network order) and
 * the mode it is judged by while its own entries are not live. */
json_t *dec_local(const struct dec_ctx *c, uint32_t be_ip,
		  const struct im_local *v);
/* im_cfg: the live generation. */
json_t *dec_cfg(const struct im_cfg *v);

/* JSON key of a clause field (IM_F_* bit): "principals", "notPorts"... */
const char *dec_field(uint8_t field);

#endif
