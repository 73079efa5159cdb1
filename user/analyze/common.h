/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the analyzers that reproduce istioctl's: the same host
 * lookup, selector printing and quoting, so that every analyzer agrees with
 * Istio's wording and with each other. */
#ifndef IM_ANALYZE_COMMON_H
#define IM_ANALYZE_COMMON_H

#include "analyze.h"
#include "../model/registry.h"

/* The analyzers, one per Istio analyzer (see analyze.c for the names). */
void analyze_vs_destination_hosts(struct config *c);
void analyze_vs_destination_rules(struct config *c);
void analyze_vs_conflicting_mesh_hosts(struct config *c);
void analyze_vs_jwt_claim_route(struct config *c);
void analyze_authz_policies(struct config *c);
void analyze_dr_ca_certificates(struct config *c);
void analyze_dr_pods(struct config *c);
void analyze_se_addresses(struct config *c);
void analyze_se_conflicting_protocol(struct config *c);
void analyze_telemetry_providers(struct config *c);
void analyze_telemetry_selectors(struct config *c);
void analyze_telemetry_default_selectors(struct config *c);
void analyze_telemetry_lightstep(struct config *c);

/* Every object of kind <K> that decoded, valid or not: istioctl analyzes
 * what the user wrote, even objects its webhook would reject. */
#define for_each_any(c, o, K) \
	for (size_t _a_##o = 0; _a_##o < (c)->n; _a_##o++) \
		for (struct object *o = (c)->objs[_a_##o]; o; o = NULL) \
			if (o->kind == (K) && o->spec)

/* Go's %q of <s> ("" for NULL). */
const char *an_quote(struct arena *a, const char *s);
/* "ns/name", or "name" when the object gave no namespace (Istio's
 * resource.FullName). */
const char *an_full_name(struct config *c, const struct object *o);
/* Kubernetes' printing of a label selector: "a=1,b=2", keys sorted. */
const char *an_selector_string(struct arena *a, const struct kvs *sel);
/* <v> sorted (in place), joined with <sep>; repeats dropped if <dedup>. */
const char *an_join_sorted(struct arena *a, const char **v, size_t n,
			   const char *sep, bool dedup);
/* Node of element <i> of a string list, else the list itself. */
const struct ynode *an_item(const struct strs *s, size_t i);
/* Node of metadata.name, for findings about the object as a whole. */
const struct ynode *an_meta_name(const struct object *o);

/* Istio's host.Name.Matches: equal, or equal once wildcards expand. */
bool an_hosts_overlap(const char *a, const char *b);
/* The service a resource in <ns> exported to <export_to> (VS/DR exportTo)
 * reaches by <host>, honouring the service's own exportTo and wildcard
 * ServiceEntry hosts (Istio's util.GetDestinationHost); NULL if none. */
const struct service *an_visible_service(struct config *c,
					 const struct registry *r,
					 const char *ns,
					 const struct strs *export_to,
					 const char *host);
/* Whether the inputs describe workloads at all (Pods or WorkloadEntries):
 * without them "selects nothing" cannot be told from "not given". */
bool an_workloads_known(const struct config *c);
/* Whether the inputs hold Kubernetes Services: without any, a missing
 * cluster-local host says more about what was loaded than about the
 * config, so analyzers only judge those hosts when Services were given. */
bool an_services_known(const struct config *c);
/* A host that names a Kubernetes Service: a short name, or one under
 * .svc.cluster.local. */
bool an_k8s_host(const char *host);
/* An object of another kind (Gateway...) by kind name, namespace, name. */
const struct object *an_find(const struct config *c, const char *kind_name,
			     const char *ns, const char *name);

/* One destination of a VirtualService, in Istio's order: tcp, tls and
 * http routes, then http mirrors. */
struct an_dest {
	const struct destination *d;
	const struct ynode *at;  /* destination.host, or what is there */
	const char *path;        /* "spec.http[0].route[1].destination" */
	bool mirror;
};
typedef void (*an_dest_fn)(struct config *c, struct object *vs,
			   const struct an_dest *d, void *ctx);
void an_each_destination(struct config *c, struct object *vs, an_dest_fn fn,
			 void *ctx);

#endif
