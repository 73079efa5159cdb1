/* SPDX-License-Identifier: Apache-2.0 */
/* Checks shared by the networking.istio.io validators (VirtualService and
 * DestinationRule), after Istio's pkg/config/validation/{validation.go,
 * virtualservice.go,agent/validation.go}. Each reports through v_error /
 * v_warn (IST0106 / IST0133) with Istio's own wording, so a user who also
 * runs `kubectl apply` sees the same sentence from the webhook. */
#ifndef IM_VALIDATE_NETWORKING_H
#define IM_VALIDATE_NETWORKING_H

#include "common.h"

#define VP_LEN 256 /* field path buffers */

/* What every check needs: where findings go and about which object. */
struct vctx {
	struct config *c;
	const struct object *o;
};

/* printf into a path buffer of VP_LEN bytes; returns buf. */
const char *vp(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The node of <key> in map <parent>, else <parent>: findings point at the
 * offending value when it was written, at its parent otherwise. */
const struct ynode *vnode(const struct ynode *parent, const char *key);
/* Go's %q for plain strings: "x" with \" and \\ escaped, into <buf>. */
const char *goq(const char *s, char *buf, size_t n);

/* agent.ValidateDuration: >= 1ms and whole milliseconds. */
void v_duration(const struct vctx *x, const struct ynode *parent,
		const char *key, const struct opt_dur *d, const char *path);
/* int32 / uint32 protobuf fields: Istio cannot decode larger values. */
bool v_int32(const struct vctx *x, const struct ynode *parent,
	     const char *key, const struct opt_i64 *v, const char *path);
bool v_uint32(const struct vctx *x, const struct ynode *parent,
	      const char *key, const struct opt_i64 *v, const char *path);
/* ValidatePercent (int 0..100) and validatePercentage (Percent message) */
void v_percent_int(const struct vctx *x, const struct ynode *parent,
		   const char *key, const struct opt_i64 *v, const char *path);
void v_percentage(const struct vctx *x, const struct percent *p,
		  const char *path);
/* validateSubsetName: returns false (after reporting) when invalid. */
/* validateHTTPStatus: 200..600 (Istio's bound, although it says 599) */
bool v_http_status(int64_t s);
/* RFC 7230 token: the characters a header name may use */
bool v_header_token(const char *s);
bool v_subset_name(const struct vctx *x, const char *name,
		   const struct ynode *at, const char *path);
/* validateDestination (VS routes, mirrors) */
void v_destination(const struct vctx *x, const struct destination *d,
		   const char *path);
/* labels.Instance.Validate on sourceLabels / subset labels */
void v_labels(const struct vctx *x, const struct kvs *l, const char *path);
/* RE2 syntax check approximated with POSIX ERE (see networking.c); NULL if
 * the expression is accepted, else Istio's reason. <where> is the field. */
const char *v_regex(const char *re, const char *where, char *buf, size_t n);

/* ValidateWildcardDomainForVirtualServiceBoundToGateway: as
 * v_wildcard_domain, and with <sni> the outbound_.<PORT>_._.<HOST> names
 * of AUTO_PASSTHROUGH are accepted too. */
const char *v_gateway_host(bool sni, const char *h, char *buf, size_t n);
/* Istio's host.Name Matches / SubsetOf (wildcard-aware) */
bool host_matches(const char *a, const char *b);
bool host_subset_of(const char *a, const char *b);

/* VirtualService parts, one file each */
void vs_http_route(const struct vctx *x, const struct http_route *r,
		   bool delegate_vs, const char *path);
void vs_http_match(const struct vctx *x, const struct http_match *m,
		   const char *path);
void vs_tls_route(const struct vctx *x, const struct vs_spec *vs,
		  const struct l4_route *r, const char *path);
void vs_tcp_route(const struct vctx *x, const struct l4_route *r,
		  const char *path);
void vs_gateway_names(const struct vctx *x, const struct strs *g,
		      const char *path);
bool vs_applies_to_gateway(const struct vs_spec *vs);
/* jwt.ToRoutingClaim: "@request.auth.claims.x" or "@request.auth.claims[x]" */
bool v_jwt_claim_key(const char *k);
/* validateWeight, summing into <total> with Go's int32 wrap-around, and
 * the "total destination weight = 0" rule for >= 2 destinations */
/* One weighted destination of an http, tcp or tls route at <path>
 * ("...route[i]"): destination required and valid, weight in range and added
 * to *total; *sum turns false when a weight could not be read. */
void vs_route_dest(const struct vctx *x, const struct ynode *at,
		   const struct destination *dst, const struct opt_i64 *weight,
		   const char *path, uint32_t *total, bool *sum);
bool vs_weight(const struct vctx *x, const struct ynode *dest_at,
	       const struct opt_i64 *w, const char *path, uint32_t *total);
void vs_weight_total(const struct vctx *x, size_t n, uint32_t total,
		     const struct ynode *at, const char *path);
/* HTTP route policies (vs_http_policy.c) */
void vs_retries(const struct vctx *x, const struct retries *r, const char *path);
void vs_fault(const struct vctx *x, const struct fault *f, const char *path);
void vs_redirect(const struct vctx *x, const struct http_redirect *r,
		 const char *path);
void vs_direct_response(const struct vctx *x,
			const struct http_direct_response *d, const char *path);
void vs_rewrite(const struct vctx *x, const struct http_route *r,
		const char *path);
void vs_cors(const struct vctx *x, const struct ynode *cors, const char *path);
/* IST0130 / IST0131 */
void vs_unreachable(const struct vctx *x, const struct vs_spec *vs);

/* DestinationRule traffic policy (dr_policy.c) */
void dr_traffic_policy(const struct vctx *x, const struct traffic_policy *tp,
		       const char *path);
/* validateLoadBalancer (dr_lb.c); <od> is the outlier detection of the
 * same policy level, which locality failover needs. */
void dr_load_balancer(const struct vctx *x, const struct load_balancer *lb,
		      const struct outlier_detection *od, const char *path);

#endif
