/* SPDX-License-Identifier: Apache-2.0 */
/* infermesh's own findings IM1001..IM1099: configurations Istio accepts but
 * that do something other than they appear to (the seed's pitfalls among
 * them). One file per topic; this header holds what they share. */
#ifndef IM_PITFALLS_H
#define IM_PITFALLS_H

#include "../model/model.h"
#include "../model/objindex.h"
#include "analyze.h"

struct pit {
	struct config *c;
	struct registry reg;
	/* FQDNs a route with an inference path sends to (pitfalls.c) */
	struct hmap inference;
	/* FQDN -> the oldest mesh VirtualService for it (pitfalls_routes.c) */
	struct hmap vs_owners;
	/* (ns, fqdn) -> its DestinationRules, load order (pitfalls_policy.c) */
	struct hmap drs;
};

/* the topics, in the order they run */
void pit_routes(struct pit *p);   /* pitfalls_routes.c: IM1001..IM1007 */
void pit_authz(struct pit *p);    /* pitfalls_authz.c: IM1010..IM1029 */
void pit_mtls(struct pit *p);     /* pitfalls_mtls.c: IM1030..IM1039 */
void pit_policy(struct pit *p);   /* pitfalls_policy.c: IM1040..IM1069 */
void pit_egress(struct pit *p);   /* pitfalls_egress.c: IM1070..IM1079 */
void pit_mesh(struct pit *p);     /* pitfalls_mesh.c: IM1080..IM1099 */

/* Service named by <host> as written in an object of namespace <ns>. */
const struct service *pit_service(struct pit *p, const char *host,
				  const char *ns);
/* Endpoints of <s> whose labels also match <subset> (NULL: all). */
size_t pit_pool(const struct pit *p, const struct service *s,
		const struct kvs *subset);
/* Workloads of namespace <ns> that <sel> selects (empty: all of them). */
size_t pit_selected(const struct pit *p, const char *ns, const struct kvs *sel,
		    const struct workload **out, size_t max);

/* Request paths that reach a model: predict, infer, generate, stream,
 * completions. Such requests are expensive and not idempotent. */
bool pit_inference_path(const char *s);
/* Paths that answer with a long-lived stream: stream, generate. */
bool pit_streaming_path(const char *s);
/* Whether requests to <fqdn> include inference calls: a route with an
 * inference path targets it, or an ALLOW policy of its workloads names one. */
bool pit_inference_host(struct pit *p, const char *fqdn);

/* Whether AuthorizationPolicy <ap> selects the workloads of <fqdn> (the
 * app=<name> convention when none is loaded). */
bool pit_ap_selects_host(struct pit *p, const struct object *ap,
			 const char *fqdn);
/* Sets <it> to the AuthorizationPolicies that can select workloads of
 * <fqdn> (its namespace's and the root namespace's), in load order;
 * false when <fqdn> names no namespace, so that none can. */
bool pit_host_aps(struct pit *p, const char *fqdn, struct obj_iter *it);

/* "1.5s", "300s", "100ms" (arena) */
const char *pit_dur(struct pit *p, int64_t ns);
/* The node of key <key> in map <m>, else <m>: for fields whose typed form
 * (opt_i64, opt_dur...) keeps no position. */
const struct ynode *pit_at(const struct ynode *m, const char *key);
/* The i-th item of the sequence a `struct strs` came from. */
const struct ynode *pit_item(const struct strs *s, size_t i);

#endif
