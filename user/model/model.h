/* SPDX-License-Identifier: Apache-2.0 */
/* The resolved model: what the loaded Istio objects mean for each workload
 * and each service once every precedence, inheritance, merge and replacement
 * rule has been applied, with Istio's defaults filled in. The kernel maps,
 * the agent and `analyze --explain` are all compiled from this one view, so
 * no consumer re-implements a rule. Building it is a pure function of the
 * valid objects of a `struct config`; everything lives in the model's arena.
 * Each resolved value keeps the object and YAML node that decided it (NULL
 * when an Istio default decided), so explain can point at the line. */
#ifndef IM_MODEL_H
#define IM_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "registry.h"

/* ---- PeerAuthentication (semantics section 1) ---- */

enum pa_level { PA_DEFAULT, PA_MESH, PA_NAMESPACE, PA_WORKLOAD };
extern const char *const pa_level_names[];

struct port_mtls_eff {
	uint32_t port;          /* workload (target) port */
	enum mtls_mode mode;    /* never MTLS_UNSET */
	bool inherited;         /* written UNSET: took the workload's mode */
	const struct ynode *at;
};

struct mtls_eff {
	enum mtls_mode mode;    /* never MTLS_UNSET; PERMISSIVE by default */
	enum pa_level level;    /* the level whose mode won */
	const struct object *decided_by; /* NULL: Istio's default */
	/* the policy in force at each level (the oldest), or NULL */
	const struct object *mesh, *ns, *workload;
	struct port_mtls_eff *ports;
	size_t n_ports;
	/* same-level policies that lost to an older one, and root-namespace
	 * selector policies matching this workload (Istio ignores both) */
	const struct object **ignored;
	size_t n_ignored;
};

/* ---- AuthorizationPolicy (section 2) ---- */

/* What a rule becomes on a TCP (non-HTTP) port. */
enum l4_fate {
	L4_AS_WRITTEN, /* no HTTP-only field */
	L4_DROPPED,    /* ALLOW rule with an HTTP-only field: never matches */
	L4_STRIPPED,   /* DENY/AUDIT/CUSTOM: HTTP-only fields removed, wider */
};
extern const char *const l4_fate_names[];

struct ap_rule_eff {
	const struct ap_rule *rule; /* as written (for HTTP ports) */
	size_t index;               /* spec.rules[index] */
	enum l4_fate fate;
	const char *http_fields;    /* "methods, paths", NULL when none */
	/* A from/to entry held only HTTP-only fields and became a wildcard:
	 * the sidecar then matches every TCP connection on that side;
	 * ztunnel skips such a clause instead. */
	bool widened_to_all;
	struct ap_rule l4;          /* TCP form; unused when L4_DROPPED */
};

struct ap_eff {
	const struct object *obj;
	const struct ap_spec *spec;
	enum ap_action action;
	bool dry_run;        /* istio.io/dry-run: evaluated, not enforced */
	bool mesh_wide;      /* lives in the root namespace */
	bool by_target_ref;  /* bound through targetRefs (waypoint scope) */
	bool allow_nothing;  /* ALLOW without rules: matches nothing */
	struct ap_rule_eff *rules;
	size_t n_rules;
};

/* Policies in evaluation order: CUSTOM, DENY, ALLOW, AUDIT; within one
 * action in load (creation) order. */
struct authz_eff {
	struct ap_eff *v;
	size_t n;
	size_t n_action[4]; /* by enum ap_action */
	bool has_allow;     /* an enforced ALLOW applies: default-deny */
};

/* ---- VirtualService (section 3) ---- */

struct dest_eff {
	const char *host;     /* FQDN */
	const char *subset;   /* NULL: the whole service */
	uint32_t port;        /* 0: not written */
	int64_t weight;       /* as written; -1 when unset */
	double share;         /* fraction of traffic, 0..1 */
	const struct ynode *at;
};

struct retry_eff {
	bool is_default;          /* retries not written: built-in policy */
	uint32_t attempts;        /* 0: retries disabled */
	const char *retry_on;     /* conditions, status codes taken out */
	uint32_t *codes;          /* retriable status codes */
	size_t n_codes;
	int64_t per_try_timeout_ns; /* 0: none (route timeout) */
	const struct ynode *at;
};

enum route_action { RA_ROUTE, RA_REDIRECT, RA_DIRECT_RESPONSE, RA_DELEGATE };
extern const char *const route_action_names[];

struct http_route_eff {
	const struct http_route *r; /* as written; NULL for the implicit route */
	size_t index;
	enum route_action action;
	struct dest_eff *dests;
	size_t n_dests;
	size_t n_dropped;           /* weight-0/unset destinations dropped */
	int64_t timeout_ns;         /* 0: disabled */
	struct retry_eff retries;
};

struct l4_route_eff {
	const struct l4_route *r;   /* NULL for the implicit route */
	size_t index;
	struct dest_eff *dests;
	size_t n_dests;
	size_t n_dropped;
};

/* ---- DestinationRule (section 4) ---- */

enum tp_origin { TPO_DEFAULT, TPO_DR, TPO_DR_PORT, TPO_SUBSET, TPO_SUBSET_PORT };
extern const char *const tp_origin_names[];

struct tp_src {
	enum tp_origin from;
	const struct object *dr;
	const struct ynode *at; /* the section as written; NULL: default */
};

#define POOL_UNLIMITED 4294967295u /* Istio's 2^32-1 circuit-breaker default */

struct lb_eff {
	struct tp_src src;
	enum lb_simple simple; /* LEAST_REQUEST when unset (and for LEAST_CONN) */
	const struct consistent_hash *hash; /* set instead of simple */
	const struct load_balancer *lb;     /* as written, NULL: default */
};

struct locality_eff {
	bool enabled;
	const struct locality_lb *setting; /* NULL: the mesh default */
	/* failover/failoverPriority only take effect with outlierDetection */
	bool failover_active;
};

struct pool_eff {
	struct tp_src src;
	uint32_t max_connections;
	int64_t connect_timeout_ns, tcp_idle_timeout_ns, max_conn_duration_ns;
	uint32_t http1_max_pending, http2_max_requests;
	uint32_t max_requests_per_connection; /* 0: unlimited */
	uint32_t max_retries;
	int64_t http_idle_timeout_ns;
	enum h2_upgrade h2_upgrade;           /* DEFAULT resolved */
	bool use_client_protocol;
	const struct connection_pool *cp;     /* as written, NULL: default */
};

struct outlier_eff {
	struct tp_src src;
	bool enabled;               /* an outlierDetection section applies */
	uint32_t consecutive_5xx;   /* 0: off */
	uint32_t consecutive_gateway; /* 0: off */
	uint32_t consecutive_local_origin;
	bool split_local_origin;
	int64_t interval_ns, base_ejection_ns;
	uint32_t max_ejection_percent, min_health_percent;
};

struct tls_eff {
	struct tp_src src;
	bool set;                   /* a tls section applies */
	enum tls_mode mode;         /* when set */
	bool auto_mtls;             /* unset: auto-mTLS decides */
	const struct client_tls *tls;
};

struct policy_eff {
	uint32_t port;              /* 0: every port not listed separately */
	struct lb_eff lb;
	struct locality_eff locality;
	struct pool_eff pool;
	struct outlier_eff outlier;
	struct tls_eff tls;
	const struct tunnel *tunnel;
	const struct proxy_protocol *proxy_protocol;
	const struct retry_budget *retry_budget;
};

struct endpoint_eff {
	const struct workload *wl;
	const char *address;
	const char *locality;       /* may be NULL */
	uint32_t weight;            /* 1 unless written */
};

struct subset_eff {
	const char *name;           /* NULL: the service as a whole */
	const struct subset *subset;
	const struct object *dr;    /* DR the subset comes from */
	struct policy_eff *policies; /* one per port */
	size_t n_policies;
	struct endpoint_eff *eps;
	size_t n_eps;
};

/* ---- the model ---- */

struct model_workload {
	const struct workload *wl;
	const char *identity;       /* spiffe://<td>/ns/<ns>/sa/<sa> */
	struct mtls_eff mtls;
	struct authz_eff authz;
};

/* What a workload without labels in this namespace would get: the
 * namespace's defaults, shown even when no workload is loaded. */
struct model_namespace {
	const char *ns;
	struct mtls_eff mtls;
	struct authz_eff authz;
};

struct model_service {
	const char *host;           /* FQDN */
	const char *ns;
	const struct service *svc;  /* NULL: host only named by a VS/DR */
	const struct object *vs;    /* winning VirtualService, or NULL */
	const struct object **vs_ignored; /* later VSs for the same host */
	size_t n_vs_ignored;
	/* without a VS: one implicit route to the host itself, HTTP when a
	 * port may carry HTTP, else TCP */
	struct http_route_eff *http;
	size_t n_http;
	struct l4_route_eff *tcp, *tls;
	size_t n_tcp, n_tls;
	const struct object **drs;  /* merged, in creation order */
	size_t n_drs;
	const struct object **drs_other; /* other namespaces: not merged */
	size_t n_drs_other;
	const struct object *tp_dr; /* DR whose top-level trafficPolicy won */
	const struct subset **subsets_dropped; /* duplicate names */
	size_t n_subsets_dropped;
	struct subset_eff *subsets; /* [0] is the whole service */
	size_t n_subsets;
};

struct model {
	struct arena arena;
	const struct config *c;
	struct registry reg;
	const char *trust_domain, *root_ns;
	struct model_workload *wls;
	size_t n_wls;
	struct model_namespace *nss;
	size_t n_nss;
	struct model_service *svcs;
	size_t n_svcs;
	struct hmap svc_by_host; /* host -> its model_service */
};

/* Builds the model from the valid objects of <c>. Returns 0. Free with
 * model_free(); <c> must outlive the model. */
int model_build(struct model *m, struct config *c);
void model_free(struct model *m);
const struct model_service *model_service(const struct model *m,
					  const char *host);
const struct model_workload *model_workload(const struct model *m,
					    const char *ns, const char *name);

/* ---- the rules, one pure function each (unit-tested on their own) ---- */

/* Istio's creation order: older creationTimestamp first, then load order
 * (objects without a timestamp are created when applied, i.e. last). */
bool model_older(const struct object *a, const struct object *b);

void resolve_mtls(const struct config *c, struct arena *a, const char *ns,
		  const struct kvs *labels, struct mtls_eff *out);

/* <w> (may be NULL) is used for targetRefs to Services/ServiceEntries. */
void resolve_authz(const struct config *c, const struct registry *r,
		   struct arena *a, const char *ns, const struct kvs *labels,
		   const struct workload *w, struct authz_eff *out);
/* The TCP form of one rule of a policy with <action>. */
void authz_reduce_rule(struct arena *a, const struct ap_rule *rule,
		       enum ap_action action, struct ap_rule_eff *out);

/* Winning VirtualService for <host> (mesh gateway), or NULL; later ones
 * go to <ignored> when non-NULL. */
const struct object *resolve_vs(const struct config *c,
				const struct registry *r, struct arena *a,
				const char *host, const struct object ***ignored,
				size_t *n_ignored);
void resolve_routes(const struct config *c, const struct registry *r,
		    struct arena *a, struct model_service *s);
/* Weights of one route: shares and the weight-0 dropping rule. */
void resolve_weights(struct dest_eff *d, size_t n, size_t *n_kept,
		     size_t *n_dropped);
void resolve_retries(const struct retries *in, struct arena *a,
		     struct retry_eff *out);

/* DR merge for <s> and the effective policy of every (subset, port). */
void resolve_policy(const struct config *c, const struct registry *r,
		    struct arena *a, struct model_service *s);
/* Replacement rules for one (subset, port): <dr> is the winning top-level
 * policy (may be NULL), <sub> the subset's (may be NULL). */
void resolve_traffic_policy(const struct config *c,
			    const struct object *dr_obj,
			    const struct traffic_policy *dr,
			    const struct object *sub_obj,
			    const struct traffic_policy *sub, uint32_t port,
			    struct policy_eff *out);

void resolve_endpoints(const struct registry *r, struct arena *a,
		       struct model_service *s);

/* ---- ports judged per HTTP request (l7_ports.c) ---- */

/* How a workload port speaks; the numbers of enum l7_proto (authz/l7.h). */
enum l7_family { L7F_NONE = 0, L7F_HTTP = 1, L7F_HTTP2 = 2 };

struct l7_port_eff {
	uint32_t port;		/* workload (target) port */
	enum l7_family family;
};

/* The ports of <mw> judged per request: the port speaks HTTP (Istio's
 * protocol selection over the services selecting <mw>) AND an enforced
 * policy of <mw> has an HTTP-only field in a rule that can apply to it.
 * The one decision both the L7 evaluator and the kernel's tables follow.
 * Fills up to <cap> entries of <out>; returns how many there are. */
size_t model_l7_ports(const struct model *m, const struct model_workload *mw,
		      struct l7_port_eff *out, size_t cap);
/* The entry of <port> among <v>, or L7F_NONE. */
enum l7_family l7_family_of(const struct l7_port_eff *v, size_t n,
			    uint32_t port);

#endif
