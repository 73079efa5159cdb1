/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading, attaching and filling the L4 dataplane programs
 * (bpf/{connect,sockops,tc_guard,xdp_guard,recount,outcome}.bpf.c). No
 * policy of its own: the agent decides what goes into the maps, this
 * writes it.
 *
 * Every function returns 0 or a negative errno. Not thread safe: one
 * caller owns a struct dp (dp_outcome, which needs no struct dp, is).
 */
#ifndef IM_USER_DATAPLANE_H
#define IM_USER_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "infermesh/dataplane.h"

struct connect_bpf;
struct sockops_bpf;
struct tc_guard_bpf;
struct xdp_guard_bpf;
struct recount_bpf;
struct outcome_bpf;
struct bpf_link;

/* Load-time configuration (the programs' rodata). */
struct dp_opts {
	uint32_t node_id;
	uint64_t max_eject_ns;	/* Envoy's max_ejection_time; 0 = 300 s */
	bool mtls;		/* mesh calls are tunnelled through mTLS */
	uint32_t agent_mark;	/* skb mark of the agent's own leg; 0 = none */
	/* The agent proxies mesh calls (bpf/lib/config.h, im_capture):
	 * mTLS-bound connects go to its in-pod 127.0.0.1:15001 and the
	 * guard lets :15008 in. Off: nothing is captured. On implies
	 * <mtls>: the calls captured are the mTLS ones. */
	bool capture;
	/* Pin every map as <pin_root>/<map name>: maps already pinned there
	 * are adopted with their contents, the others are created and
	 * pinned. NULL = nothing pinned. The directory must exist. */
	const char *pin_root;
};

#define DP_MAX_LINKS 6

struct dp {
	struct connect_bpf *connect;
	struct sockops_bpf *sockops;
	struct tc_guard_bpf *tc;
	struct xdp_guard_bpf *xdp;
	struct recount_bpf *recount;	/* user/dataplane/reconcile.c */
	struct outcome_bpf *outcome;	/* user/dataplane/outcome.c */
	struct bpf_link *links[DP_MAX_LINKS];	/* cgroup attachments */
	int n_links;
};

/* Opens and loads all six objects sharing one set of maps. On failure
 * nothing stays loaded. */
int dp_load(struct dp *dp, const struct dp_opts *o);
/* Whether the loaded programs capture mesh calls (their rodata, i.e.
 * what they do, not what was asked). */
bool dp_capture_on(const struct dp *dp);
/* Detaches and unloads everything dp_load and dp_attach_cgroup made. */
void dp_destroy(struct dp *dp);
/* Attaches connect4, getpeername4, sockops, connect6 and getpeername6 to
 * the cgroup <cgroup_fd>. */
int dp_attach_cgroup(struct dp *dp, int cgroup_fd);
/* The fd of map <name> (e.g. "im_drops_v2"), or -ENOENT. */
int dp_map_fd(const struct dp *dp, const char *name);
/* Program fds for BPF_PROG_TEST_RUN and for attaching elsewhere. */
int dp_tc_prog_fd(const struct dp *dp);
int dp_xdp_prog_fd(const struct dp *dp);
/* im_outcome (bpf/outcome.bpf.c), for dp_outcome(). */
int dp_outcome_prog_fd(const struct dp *dp);

/* Charges a captured call's outcome <result> (enum im_outcome_result) to
 * the host in slot <slot> if it is still owned by <epoch>, by running
 * im_outcome <prog_fd>: sockops' own rules, in the kernel. Callable from
 * any thread (the proxy's workers). Returns enum im_outcome_ret or
 * -errno. */
int dp_outcome(int prog_fd, uint32_t slot, uint32_t epoch, uint32_t result);

/*
 * Table writers. <gen> is the generation being built (0 or 1); nothing
 * written there is seen until dp_set_gen() makes it live. Addresses and
 * ports are in network order, as in the ABI structs.
 */
int dp_set_gen(const struct dp *dp, unsigned int gen);
int dp_put_service(const struct dp *dp, unsigned int gen, uint32_t vip,
		   uint16_t port, const struct im_svc *svc);
int dp_put_route(const struct dp *dp, unsigned int gen, uint32_t route,
		 const struct im_route *rt);
/* Writes the subset and its sub->n_ep endpoints <eps> at sub->first_ep,
 * with the search index dp_lb_index() derives (so <eps> must be sorted by
 * priority, then locality), and each endpoint's slot's cluster and outlier
 * settings (im_host). A subset with outlier detection gets its cluster's
 * ejection list (im_cl_ej) if it has none; when the map is full it is
 * written without (its hosts are never ejected): dp_cl_ej_sync() after
 * the switch makes room and counts what still has none. */
int dp_put_subset(const struct dp *dp, unsigned int gen, uint32_t subset,
		  const struct im_subset *sub, const struct im_ep *eps);
/* An empty ejection list for <cluster> unless it has one. Returns 0,
 * -ENOSPC when im_cl_ej is full, or -errno. */
int dp_cl_ej_add(const struct dp *dp, uint64_t cluster);
/* The live tables are <subs> (n): deletes the ejection lists of every
 * other cluster and makes the missing ones of <subs>' clusters with
 * outlier detection. *<full> counts those that found no room (their hosts
 * are never ejected). Returns how many lists were deleted, or -errno. */
int dp_cl_ej_sync(const struct dp *dp, const struct im_subset *subs,
		  size_t n, unsigned int *full);
/* Pure: fills sub->prio_end and each endpoint's cum, loc_lo and loc_hi
 * (see struct im_ep) from their order and weights. -EINVAL when <eps> are
 * not sorted by (prio, loc), -ERANGE for a priority or size out of range. */
int dp_lb_index(struct im_subset *sub, struct im_ep *eps);
int dp_put_ident(const struct dp *dp, unsigned int gen, uint64_t cgroup,
		 const struct im_ident *id);
/* The cgroup levels of the workloads of <gen>, deepest first (connect4
 * looks for the caller's identity at those levels only). */
int dp_put_idlvl(const struct dp *dp, unsigned int gen,
		 const struct im_idlvl *lv);
/* This node's mesh workloads (im_local, no generation, live at once):
 * <n> addresses <ips> (network order) with their defaults <v>. With
 * <prune>, addresses not listed are removed; without, only added or
 * updated. -E2BIG beyond IM_MAX_LOCAL. */
int dp_sync_local(const struct dp *dp, const uint32_t *ips,
		  const struct im_local *v, size_t n, bool prune);
int dp_put_wlport(const struct dp *dp, unsigned int gen, uint32_t ip,
		  uint16_t port, const struct im_wlport *wp);
int dp_put_polset(const struct dp *dp, unsigned int gen, uint32_t set,
		  const struct im_polset *ps);
int dp_put_clause(const struct dp *dp, unsigned int gen, uint32_t clause,
		  const struct im_clause *c);
/* <value> joins <field> of the clause: a principal or namespace id, or a
 * port in host order. */
int dp_put_member(const struct dp *dp, unsigned int gen, uint32_t clause,
		  uint8_t field, uint32_t value);
/* Network <ip>/<plen> (network order, 0 <= plen <= 32) joins address
 * field <field> (enum im_field or im_kind) of the clause; the clause's
 * plens bit for <plen> must be set for the programs to look it up. */
int dp_put_cidr(const struct dp *dp, unsigned int gen, uint32_t clause,
		uint8_t field, uint32_t ip, unsigned int plen);
int dp_put_xdeny(const struct dp *dp, unsigned int gen, uint32_t ip,
		 unsigned int plen, uint32_t rule_id);

/* im_ep_key.cluster of an Envoy cluster name "outbound|port|subset|host":
 * its 64-bit FNV-1a hash. */
uint64_t dp_cluster_id(const char *name);
/* Runtime state of im_ep_state slot <slot> (struct im_ep.slot). Writing
 * is for the agent's slot allocator only: the programs own the fields. */
int dp_get_ep_state(const struct dp *dp, uint32_t slot,
		    struct im_ep_state *st);
int dp_put_ep_state(const struct dp *dp, uint32_t slot,
		    const struct im_ep_state *st);

/* Readers. */
/* Drop counters by reason, summed over CPUs. */
int dp_get_drops(const struct dp *dp, uint64_t out[IM_DROP_MAX]);

#endif
