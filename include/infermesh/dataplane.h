/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The L4 dataplane ABI: every map key and value, enum, drop reason and
 * limit shared by bpf/{connect,sockops,tc_guard,xdp_guard}.bpf.c and user/.
 *
 * WARNING: these structs are the layout of BPF maps that outlive the agent
 * (pinned). Changing a field, its size or its order changes the format:
 * give the map a new name (suffix _v2) instead of reusing the old one, and
 * never renumber an enum value that has shipped (retire it, add a new one).
 *
 * Byte order is part of the type: __be16/__be32 hold network order, every
 * other integer host order. Padding is spelled out so that clang -target bpf
 * and the host compiler agree on every offset (asserted below).
 *
 * Map names start with "im_" and stay within the 15 characters the kernel
 * keeps. The feature probe's maps use "im_probe_", which none of these do.
 *
 * One-step table switch: every table compiled from the configuration is
 * indexed by a generation, 0 or 1 (arrays: gen * IM_MAX_X + id; hashes and
 * LPM tries: a gen byte in the key). The programs read the live generation
 * from im_cfg once per connection or packet, so the agent writes a complete
 * new table set under the idle generation and then flips im_cfg.gen with a
 * single map update: no program ever sees half of a configuration. Runtime
 * state (im_ep_state, im_host, im_cl_ej, im_sock_st, im_rr, im_drops_v2)
 * carries no generation: it belongs to endpoints, clusters and sockets,
 * which survive a table switch.
 */
#ifndef IM_DATAPLANE_H
#define IM_DATAPLANE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>	/* BPF programs get these from vmlinux.h */
#endif

/* Limits: sizes of the maps, per generation. */
#define IM_GENS			2U	/* live + the one being built */
#define IM_MAX_SERVICES		16384U	/* VIP:port entries (im_svc) */
#define IM_MAX_ROUTES		16384U	/* im_route */
#define IM_ROUTE_DSTS		64U	/* weighted destinations per route */
#define IM_MAX_SUBSETS		16384U	/* im_subset (Envoy: cluster) */
#define IM_MAX_ENDPOINTS	65536U	/* im_ep_v3 */
#define IM_SUBSET_EPS		4096U	/* endpoints per subset */
#define IM_LB_STEPS		13U	/* binary search steps: 2^13 > IM_SUBSET_EPS */
#define IM_MAX_PRIO		8U	/* locality priorities P0..P7 */
#define IM_MAX_IDENTS		16384U	/* cgroups with a workload identity */
#define IM_IDENT_LEVELS		8U	/* cgroup levels workloads may sit at */
#define IM_MAX_WLPORTS		65536U	/* workload ports (im_wlport) */
#define IM_MAX_LOCAL		65536U	/* this node's workloads (im_local) */
#define IM_MAX_POLSETS		4096U	/* policy sets (im_polset) */
#define IM_MAX_CLAUSES		16384U	/* im_clause */
#define IM_POLSET_CLAUSES	4096U	/* clauses one policy set may hold */
#define IM_MAX_MEMBERS		262144U	/* im_member */
#define IM_MAX_XDENY		16384U	/* im_xdeny */
#define IM_MAX_EP_STATE		131072U	/* im_ep_state slots */
#define IM_MAX_CLUSTERS		(IM_GENS * IM_MAX_SUBSETS)	/* im_cl_ej */
#define IM_CL_EJECT		32U	/* hosts of one cluster ejected at once */

_Static_assert((1U << IM_LB_STEPS) > IM_SUBSET_EPS, "IM_LB_STEPS");

/* Value of im_cfg (ARRAY, one entry, key 0). */
struct im_cfg {
	__u32 gen;		/* live generation: 0 or 1 */
	__u32 pad;
};
_Static_assert(sizeof(struct im_cfg) == 8, "im_cfg layout");

/* Key of im_svc (HASH): a service address as the application dials it. */
struct im_svc_key {
	__be32 vip;		/* service (cluster) IP */
	__be16 port;		/* service port */
	__u8 gen;		/* generation of the table this entry is in */
	__u8 pad;
};
_Static_assert(sizeof(struct im_svc_key) == 8, "im_svc_key layout");

/* Value of im_svc. */
struct im_svc {
	__u32 svc_id;		/* the agent's service number (for names) */
	__u32 route;		/* index into im_route (within gen) */
	__u32 flags;		/* none defined yet: written as 0 */
	__u32 pad;
};
_Static_assert(sizeof(struct im_svc) == 16, "im_svc layout");

/* One weighted destination of a route: a subset (Envoy cluster). */
struct im_route_dst {
	__u32 subset;		/* index into im_subset_v2 (within gen) */
	__u32 weight;		/* the destination's share; 0 = never chosen.
				   connect4 sums them in 64 bits */
};

/*
 * Value of im_route_v2 (ARRAY, index gen * IM_MAX_ROUTES + route): the
 * weighted destinations of a VirtualService tcp route, or of an http route
 * without match conditions; a service without a VirtualService has one
 * destination. (im_route held 8 destinations.)
 */
struct im_route {
	__u32 n_dst;		/* entries used in dst[] */
	__u32 pad;
	struct im_route_dst dst[IM_ROUTE_DSTS];
};
_Static_assert(sizeof(struct im_route) == 520, "im_route layout");

/* Load-balancer policy of a subset (DestinationRule loadBalancer.simple). */
enum im_lb {
	IM_LB_LEAST_REQUEST = 0,	/* Istio's default: P2C over active conns */
	IM_LB_ROUND_ROBIN = 1,		/* weighted round robin */
	IM_LB_RANDOM = 2,		/* weighted random */
};

/* im_subset.flags */
#define IM_SUB_OUTLIER	0x01	/* outlierDetection set: eject, and panic */

/*
 * Value of im_subset_v2 (ARRAY, index gen * IM_MAX_SUBSETS + subset): one
 * Envoy cluster (host, subset, port) with its effective traffic policy.
 * Its endpoints are im_ep_v3[gen * IM_MAX_ENDPOINTS + first_ep + i] for
 * i < n_ep, sorted by priority (P0 first) and by locality within one;
 * priority p holds endpoints [prio_end[p - 1], prio_end[p]) (from 0 for
 * P0). dp_put_subset() derives prio_end and the endpoints' cum, loc_lo
 * and loc_hi from that order. (im_subset held at most 255 endpoints.)
 */
struct im_subset {
	__u32 first_ep;		/* first endpoint, index within gen */
	__u16 n_ep;		/* endpoints, at most IM_SUBSET_EPS */
	__u8 lb;		/* enum im_lb */
	__u8 flags;		/* IM_SUB_* */
	__u8 min_health_pct;	/* minHealthPercent: 0 = never panic */
	__u8 max_eject_pct;	/* maxEjectionPercent (Istio default 10) */
	__u8 pad[2];
	__u32 consec_fail;	/* consecutiveLocalOriginFailures; 0 = off */
	__u32 base_eject_ms;	/* baseEjectionTime */
	__u32 interval_ms;	/* interval: one back-off step decays per tick */
	__u32 svc_id;		/* the service it belongs to (for names) */
	__u32 connect_ms;	/* connectionPool.tcp.connectTimeout (Istio
				   default 10 s): bounds the SYN retries */
	__u64 cluster;		/* im_cluster_id() of its Envoy cluster name:
				   the key of its runtime state (im_cl_ej) */
	__u16 prio_end[IM_MAX_PRIO];
};
_Static_assert(sizeof(struct im_subset) == 56, "im_subset layout");

/*
 * Value of im_ep_v3 (ARRAY, index gen * IM_MAX_ENDPOINTS + ep): one backend
 * of a subset. <loc> numbers the endpoint's locality inside its subset so
 * that a locality is chosen by weight first and a host inside it second,
 * as Envoy's locality-weighted balancing does; the agent spreads each
 * locality's `distribute` weight over its endpoints. <slot> is the
 * endpoint's runtime state in im_ep_state, which the agent allocates per
 * (cluster, address, port): one Envoy host of one cluster.
 *
 * <cum> makes a weighted draw a binary search (O(log n), IM_LB_STEPS
 * lookups) instead of a walk: the weights of the subset's endpoints up to
 * and including this one, summed in 64 bits so no set of u32 weights
 * overflows. [loc_lo, loc_hi) are the endpoints (within the subset) of
 * this one's priority and locality, where LEAST_REQUEST draws its second
 * host. (im_ep_v2 had neither.)
 */
struct im_ep {
	__be32 ip;
	__be16 port;		/* workload (target) port */
	__u8 prio;		/* locality priority, < IM_MAX_PRIO */
	__u8 loc;		/* locality number within the subset */
	__u32 weight;		/* 0 = never chosen */
	__u32 slot;		/* index into im_ep_state */
	__u64 cum;		/* summed weights of endpoints 0..this one */
	__u16 loc_lo;		/* first endpoint of its locality */
	__u16 loc_hi;		/* one past its last */
	__u32 pad;
};
_Static_assert(sizeof(struct im_ep) == 32, "im_ep layout");

/*
 * Value of im_host (ARRAY, index = im_ep_state slot): which cluster a slot's
 * host belongs to and that cluster's outlier settings, written by the agent
 * with each subset. sockops reads it when a connect fails: the settings
 * come by the host's stable slot, never by an im_subset_v2 index that a
 * table switch may have given to another cluster.
 */
struct im_host {
	__u64 cluster;		/* im_subset.cluster */
	__u32 consec_fail;	/* as im_subset */
	__u32 base_eject_ms;
	__u32 interval_ms;
	__u16 n_ep;		/* hosts in the cluster */
	__u8 prio;		/* the host's priority in it */
	__u8 max_eject_pct;
	__u8 flags;		/* IM_SUB_* */
	__u8 pad[3];
	__u32 connect_ms;	/* im_subset.connect_ms; 0 = the kernel's */
};
_Static_assert(sizeof(struct im_host) == 32, "im_host layout");

/* One ejected host in its cluster's list: ejected while now < until. */
struct im_ej {
	__u64 until;		/* ns, as im_ep_state.ejected_until; 0 free */
	__u32 slot;
	__u8 prio;		/* its priority when ejected */
	__u8 pad[3];
};

/*
 * Value of im_cl_ej (HASH, key: im_subset.cluster): the cluster's hosts
 * ejected now, so that connect4 knows each priority's healthy hosts in
 * IM_CL_EJECT steps whatever the cluster's size, and sockops applies
 * maxEjectionPercent without scanning the cluster. The agent creates the
 * entry for each cluster with outlier detection; the programs fill it.
 * A cluster has at most IM_CL_EJECT hosts ejected at once: beyond that a
 * failing host stays in rotation, as when maxEjectionPercent is reached.
 */
struct im_cl_ej {
	__u64 until_max;	/* nothing ejected once now >= this */
	struct im_ej e[IM_CL_EJECT];
};
_Static_assert(sizeof(struct im_cl_ej) == 8 + 16 * IM_CL_EJECT,
	       "im_cl_ej layout");

/*
 * Key of im_ep_slot (HASH, value __u32 slot): the agent's allocation of
 * im_ep_state slots, pinned so that a restarted agent keeps every host's
 * slot and thus its state. <cluster> is the 64-bit FNV-1a hash of the
 * Envoy cluster name "outbound|port|subset|host". An entry stays while
 * the live tables use it or sockets still count on its slot.
 */
struct im_ep_key {
	__u64 cluster;
	__be32 ip;
	__be16 port;
	__u16 pad;
};
_Static_assert(sizeof(struct im_ep_key) == 16, "im_ep_key layout");

#ifndef __VMLINUX_H__
/* im_ep_key.cluster and im_subset.cluster of an Envoy cluster name
 * "outbound|port|subset|host": its 64-bit FNV-1a hash. */
static inline __u64 im_cluster_id(const char *name)
{
	__u64 h = 0xcbf29ce484222325ULL;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 0x100000001b3ULL;
	}
	return h;
}
#endif

/* Value of im_ep_state (ARRAY, index = slot): written by the programs,
 * read by the agent and CLI. Times are bpf_ktime_get_ns(), i.e.
 * CLOCK_MONOTONIC. The agent resets a freed slot and bumps <epoch>, so a
 * socket that remembered the previous owner's epoch charges nothing. */
struct im_ep_state {
	__u32 active;		/* established connections chosen by connect4 */
	__u32 consec_fail;	/* consecutive local-origin failures */
	__u64 ejected_until;	/* ejected while now < this (ns) */
	__u32 eject_k;		/* back-off multiplier of the last ejection */
	__u32 ejections;	/* ejections so far */
	__u64 fails;		/* local-origin failures so far */
	__u64 conns;		/* connections established so far */
	__u32 epoch;		/* owner of the slot: bumped when freed */
	__u32 pad;
};
_Static_assert(sizeof(struct im_ep_state) == 48, "im_ep_state layout");

/*
 * im_sock_info.flags: whether the socket's connection counts in its slot's
 * im_ep_state.active. Changed only by compare-and-swap (sockops and the
 * agent's recount may race on it): whoever sets COUNTED adds the 1 first,
 * whoever clears it subtracts the 1 after, so active never drops below
 * the number of COUNTED sockets and never needs to go below zero.
 */
#define IM_SOCK_ESTAB		0x01	/* sockops saw the connection up */
#define IM_SOCK_COUNTED		0x02	/* its 1 is in im_ep_state.active */
#define IM_SOCK_DONE		0x04	/* left ESTABLISHED: never counts again */
#define IM_SOCK_CONNECT_TO	0x08	/* sockops set TCP_USER_TIMEOUT to the
					   cluster's connectTimeout (set by an
					   atomic or, not CAS: no count) */

/* Value of im_sock_st (SK_STORAGE: one per socket, created by connect4,
 * freed with the socket, never evicted): what connect4 decided for this
 * socket. getpeername4 answers with the VIP; sockops charges the
 * endpoint's slot if its epoch is still <epoch>. */
struct im_sock_info {
	__be32 vip;		/* address the application dialled */
	__be32 ep_ip;		/* endpoint chosen */
	__be16 vport;
	__be16 ep_port;
	__u32 subset;		/* gen * IM_MAX_SUBSETS + subset */
	__u32 svc_id;
	__u32 flags;		/* IM_SOCK_*, compare-and-swap only */
	__u32 slot;		/* im_ep_state slot of the endpoint */
	__u32 epoch;		/* its epoch when chosen */
};
_Static_assert(sizeof(struct im_sock_info) == 32, "im_sock_info layout");

/* im_count.mode: how sockops accounts a connection coming up. The agent
 * sets RECOUNT while it rebuilds the counts from the sockets that exist
 * (user/dataplane/reconcile.c); NORMAL otherwise. */
enum im_count_mode {
	IM_COUNT_NORMAL = 0,	/* up: COUNTED and active + 1 */
	IM_COUNT_RECOUNT = 1,	/* up: ESTAB only; the recount counts it */
};

/* Value of im_count (ARRAY, one entry, key 0). */
struct im_count {
	__u32 mode;		/* enum im_count_mode */
	__u32 pad;
};
_Static_assert(sizeof(struct im_count) == 8, "im_count layout");

/* Key of im_ident (HASH): a cgroup v2 id, which is the inode number of the
 * cgroup's directory and what bpf_get_current_cgroup_id() returns. */
struct im_ident_key {
	__u64 cgroup;
	__u8 gen;
	__u8 pad[7];
};
_Static_assert(sizeof(struct im_ident_key) == 16, "im_ident_key layout");

/* Value of im_ident: the workload identity of processes in that cgroup. */
struct im_ident {
	__u32 principal;	/* id of ns/NS/sa/SA; 0 never used */
	__u32 ns;		/* id of the namespace; 0 never used */
	__be32 ip;		/* the workload's address (source of its calls) */
	__u32 flags;		/* none defined yet */
};
_Static_assert(sizeof(struct im_ident) == 16, "im_ident layout");

/*
 * Value of im_idlvl (ARRAY, index gen): the cgroup v2 levels (depth below
 * the hierarchy's root, which is level 0) at which a workload's cgroup
 * sits, deepest first. A process is the workload of its nearest ancestor
 * cgroup with an im_ident entry: connect4 asks the kernel for the
 * caller's ancestor at each of these levels only, so a container's cgroup
 * below its pod's is the pod's workload and the walk costs one lookup per
 * distinct level, not one per level of the hierarchy.
 */
struct im_idlvl {
	__u8 n;			/* levels used, at most IM_IDENT_LEVELS */
	__u8 pad[7];
	__u8 level[IM_IDENT_LEVELS];	/* deepest first */
};
_Static_assert(sizeof(struct im_idlvl) == 16, "im_idlvl layout");

/* PeerAuthentication mode of a workload port. */
enum im_mode {
	IM_MODE_PERMISSIVE = 0,
	IM_MODE_STRICT = 1,
	IM_MODE_DISABLE = 2,
};

/*
 * Value of im_local (HASH, key: __be32 address): a mesh workload the
 * configuration places on this node, whatever became of its own objects.
 * No generation: the agent writes it on every reload before anything
 * else, even when the workload's objects are rejected or the tables do
 * not compile, so the guards never pass a local mesh workload unjudged.
 * A workload with live im_wlport entries is judged by those; one without
 * (a new pod, a rejected object) by <mode>, its namespace's (else the
 * mesh's) PeerAuthentication default. The XDP guard drops denied sources
 * only on their way to these addresses. Addresses not here are not mesh
 * workloads of this node and are never touched.
 */
struct im_local {
	__u8 mode;		/* enum im_mode: the namespace/mesh default */
	__u8 pad[3];
};
_Static_assert(sizeof(struct im_local) == 4, "im_local layout");

/* Key of im_wlport (HASH): a local workload's port; port 0 = the mode and
 * policy of the workload's ports without an entry of their own. */
struct im_wlport_key {
	__be32 ip;
	__be16 port;
	__u8 gen;
	__u8 pad;
};
_Static_assert(sizeof(struct im_wlport_key) == 8, "im_wlport_key layout");

/* im_wlport.flags. A former padding byte, always written 0 before: an
 * entry without flags means what it always did. */
#define IM_WLPORT_L7	1	/* judged per HTTP request by the agent:
				   plaintext never reaches it unjudged */

struct im_wlport {
	__u8 mode;		/* enum im_mode */
	__u8 flags;		/* IM_WLPORT_* */
	__u8 pad[2];
	__u32 polset;		/* index into im_polset; 0 = no policy */
};
_Static_assert(sizeof(struct im_wlport) == 8, "im_wlport layout");

/*
 * Value of im_polset (ARRAY, index gen * IM_MAX_POLSETS + set): the L4
 * AuthorizationPolicy clauses that select one workload, DENY clauses
 * first. A clause is one (from entry x to entry) of a rule, flattened by
 * the agent, so a clause matches when all of its fields match.
 */
struct im_polset {
	__u32 first;		/* first clause, index within gen */
	__u16 n;		/* clauses, at most IM_POLSET_CLAUSES */
	__u8 has_allow;		/* an ALLOW policy selects the workload */
	__u8 pad;
};
_Static_assert(sizeof(struct im_polset) == 8, "im_polset layout");

enum im_action {
	IM_ACT_ALLOW = 0,
	IM_ACT_DENY = 1,
};

/* Fields a clause tests (im_clause.fields) and kinds of im_member
 * entries. principals/namespaces never match a peer without identity
 * (plaintext); notPrincipals/notNamespaces always do.
 *
 * Address fields (ipBlocks, destination.ip and their not-forms) keep each
 * network, /32 or shorter, in im_member too, keyed by its length and its
 * address with the host bits clear; im_clause.plens says which lengths a
 * field of the clause uses. A field is tested by one hash lookup per
 * length it uses (usually 1-3), whatever the size of the tables: no trie,
 * whose depth would grow with every clause of every workload. */
enum im_field {
	IM_F_PRINC = 0x01,	/* member: principal id */
	IM_F_NOTPRINC = 0x02,
	IM_F_NS = 0x04,		/* member: namespace id */
	IM_F_NOTNS = 0x08,
	IM_F_IPB = 0x10,	/* address: source ipBlocks, source.ip */
	IM_F_NOTIPB = 0x20,
	IM_F_PORTS = 0x40,	/* member: destination (workload) port */
	IM_F_NOTPORTS = 0x80,
};

/* Kinds of im_member entries whose bit is in im_clause.ext (the fields
 * byte is full). No single bit: they never equal an im_field. */
enum im_kind {
	IM_K_DIP = 0x03,	/* address: destination.ip values */
	IM_K_NOTDIP = 0x0c,	/* address: destination.ip notValues */
};

/* im_clause.ext. */
enum im_ext {
	IM_X_DIP = 0x01,	/* the clause tests destination.ip */
	IM_X_NOTDIP = 0x02,	/* ... destination.ip notValues */
};

/* Index of an address field in im_clause.plens. */
enum im_addr {
	IM_A_IPB = 0,		/* IM_F_IPB */
	IM_A_NOTIPB = 1,	/* IM_F_NOTIPB */
	IM_A_DIP = 2,		/* IM_K_DIP */
	IM_A_NOTDIP = 3,	/* IM_K_NOTDIP */
	IM_A_N = 4,
};

/* Bits of an im_clause.plens word: bit n = a /n (n = 0..32). */
#define IM_PLEN_BITS		33U
#define IM_PLEN_ALL		((1ULL << IM_PLEN_BITS) - 1)

/* Value of im_clause (ARRAY, index gen * IM_MAX_CLAUSES + clause). */
struct im_clause {
	__u8 action;		/* enum im_action */
	__u8 fields;		/* enum im_field bits this clause tests */
	__u16 ext;		/* enum im_ext bits */
	__u32 rule_id;		/* the agent's (policy, rule) number for names */
	__u64 plens[IM_A_N];	/* per enum im_addr: bit n set = the field
				   has a /n network in im_member */
};
_Static_assert(sizeof(struct im_clause) == 40, "im_clause layout");

/* Key of im_member (HASH, value __u8 1): <value> is in <field> of the
 * clause. The clause index already includes the generation. */
struct im_member_key {
	__u32 clause;		/* gen * IM_MAX_CLAUSES + clause */
	__u32 value;		/* principal id, namespace id, port (host
				   order) or IPv4 network (network order,
				   host bits clear) */
	__u8 field;		/* enum im_field, or enum im_kind */
	__u8 plen;		/* address fields: the network's length
				   (0..32); 0 for the others */
	__u8 pad[2];
};
_Static_assert(sizeof(struct im_member_key) == 12, "im_member_key layout");

/* Key of im_xdeny (LPM_TRIE, value __u32 rule id): sources the XDP guard
 * drops on the node interface. prefixlen = 32 + CIDR length. */
struct im_xdeny_key {
	__u32 prefixlen;
	__u8 gen;
	__u8 pad[3];
	__be32 ip;
};
_Static_assert(sizeof(struct im_xdeny_key) == 12, "im_xdeny_key layout");

/*
 * Outbound capture (bpf/lib/capture.h), live only when the loader sets
 * the programs' im_capture: a connect() that must be mTLS (a mesh
 * workload calling a mesh destination whose port is not DISABLE) goes to
 * the agent's listener on 127.0.0.1:IM_CAPTURE_PORT inside the caller's
 * own network namespace, after connect4 chose the endpoint as for any
 * call. The agent finds what connect4 decided by the accepted peer's
 * address: sockops copies the socket's record into im_cap before the
 * SYN leaves (TCP_CONNECT_CB), so it is there before accept() can return.
 * IM_HBONE_PORT is the agent's inbound tunnel port on each local
 * workload's address, which the tc guard lets in (mTLS by construction).
 */
#define IM_CAPTURE_PORT		15001
#define IM_HBONE_PORT		15008
#define IM_CAPTURE_IP		0x7f000001U	/* 127.0.0.1, host order */
#define IM_MAX_CAPTURES		65536U	/* im_cap: captured connects not
					   yet accepted by the agent */

/* Value of im_cap_st (SK_STORAGE, made by connect4 for a captured socket)
 * and of im_cap (HASH): what the agent needs to carry the call. */
struct im_capture {
	__be32 vip;		/* address the application dialled */
	__be32 ep_ip;		/* endpoint connect4 chose */
	__be16 vport;
	__be16 ep_port;
	__be32 src_ip;		/* the calling workload's address */
	__u32 principal;	/* its identity (im_ident), for the SVID */
	__u32 ns;
	__u64 cgroup;		/* the caller's own cgroup id */
	__u64 wl_cgroup;	/* the workload's cgroup (an ancestor) */
};
_Static_assert(sizeof(struct im_capture) == 40, "im_capture layout");

/* Key of im_cap: the captured socket as the agent's listener sees it
 * after accept(): the listener's network namespace (SO_NETNS_COOKIE) and
 * the peer's address. Unique while the socket lives: every captured
 * socket of a namespace dials the same 127.0.0.1:IM_CAPTURE_PORT. */
struct im_cap_key {
	__u64 netns;		/* network namespace cookie */
	__be32 ip;		/* the caller's (local) address */
	__be16 port;		/* the caller's (local) port */
	__u16 pad;
};
_Static_assert(sizeof(struct im_cap_key) == 16, "im_cap_key layout");

/*
 * Why a packet was dropped or a connect() refused: the index into im_drops_v2
 * (PERCPU_ARRAY of __u64, IM_DROP_SLOTS entries: room for reasons to come
 * without another new map name). Stable: never renumber, append before
 * IM_DROP_MAX.
 */
#define IM_DROP_SLOTS		64U
enum im_drop_reason {
	IM_DROP_NONE = 0,		/* not a drop; never counted */
	IM_DROP_MALFORMED = 1,		/* IPv4/TCP header cut short or bad */
	IM_DROP_STRICT_PLAINTEXT = 2,	/* plaintext to a STRICT port */
	IM_DROP_POLICY_DENY = 3,	/* a DENY clause matched */
	IM_DROP_POLICY_NO_ALLOW = 4,	/* ALLOW policies apply, none matched */
	IM_DROP_XDP_DENIED_SRC = 5,	/* source in im_xdeny */
	IM_DROP_NO_HEALTHY = 6,		/* connect4: no endpoint to choose */
	IM_DROP_NO_RECORD = 7,		/* connect4: no memory for the
					   socket's record (im_sock_st) */
	IM_DROP_CAPTURE_FULL = 8,	/* sockops: im_cap full; the
					   agent refuses the connection */
	IM_DROP_L7_PLAINTEXT = 9,	/* plaintext to a port judged per
					   HTTP request (IM_WLPORT_L7), which
					   only the agent's leg may reach */
	IM_DROP_MAX			/* append above this line */
};
_Static_assert(IM_DROP_MAX <= IM_DROP_SLOTS, "im_drops_v2 too small");

#endif
