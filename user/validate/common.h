/* SPDX-License-Identifier: Apache-2.0 */
/* Checks shared by the validators, written after the helpers Istio's webhook
 * uses (pkg/config/validation/agent, pkg/config/labels, pkg/config/security,
 * pkg/config/protocol), so that every kind accepts and rejects names,
 * addresses and ports the same way Istio does.
 *
 * Functions:
 *   v_error / v_warn        report IST0106 (rejection) / IST0133 (warning),
 *                           message "Schema validation error|warning: ..."
 *   v_dns1123_label         RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63
 *   v_fqdn                  agent.ValidateFQDN: NULL if valid, else the reason
 *   v_wildcard_domain       agent.ValidateWildcardDomain ("*.a.com", "*x" ok)
 *   v_partial_wildcard      true if host has a '*' other than a leading "*."
 *   v_ip                    netip.ParseAddr (IPv4 dotted quad, IPv6, zones)
 *   v_cidr                  netip.ParsePrefix ("10.0.0.0/8", "::/0")
 *   v_ip_subnet             agent.ValidateIPSubnet: IP or CIDR; NULL if valid
 *   v_port_ok               1..65535
 *   v_port_string           security.ValidatePorts: decimal 0..65535
 *   v_label_key/value       Kubernetes label syntax; v_label_map reports a map
 *   v_protocol              protocol.Parse: enum below, P_UNSUPPORTED if unknown
 *   v_workload_selector     matchLabels checks (empty key, '*', no labels)
 *   v_export_to             validateExportTo (duplicates, '.', '*', '~')
 *   v_target_refs           selector vs targetRef(s) exclusivity and each ref
 *   v_metadata              annotations every Istio kind is checked for
 *                           (istio.io/dry-run only on AuthorizationPolicy)
 */
#ifndef IM_VALIDATE_COMMON_H
#define IM_VALIDATE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../config/kinds.h"

void v_error(struct config *c, const struct object *o, const struct ynode *at,
	     const char *path, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void v_warn(struct config *c, const struct object *o, const struct ynode *at,
	    const char *path, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

bool v_dns1123_label(const char *s, size_t len);
/* Both return NULL when valid, else a reason in Istio's words, in <buf>. */
const char *v_fqdn(const char *s, char *buf, size_t n);
const char *v_wildcard_domain(const char *s, char *buf, size_t n);
bool v_partial_wildcard(const char *host);

bool v_ip(const char *s);
bool v_cidr(const char *s);
const char *v_ip_subnet(const char *s, char *buf, size_t n);

static inline bool v_port_ok(int64_t p) { return p >= 1 && p <= 65535; }
bool v_port_string(const char *s);

bool v_label_key(const char *k);
bool v_label_value(const char *v);

enum proto {
	P_UNSUPPORTED, P_TCP, P_UDP, P_GRPC, P_GRPC_WEB, P_HTTP, P_HTTP_PROXY,
	P_HTTP2, P_HTTPS, P_TLS, P_MONGO, P_REDIS, P_MYSQL,
};
enum proto v_protocol(const char *s);
bool v_proto_is_http(enum proto p);
bool v_proto_is_tls(enum proto p);
bool v_proto_is_tcp(enum proto p); /* Istio's IsTCP: TCP, TLS, HTTPS, DBs */

/* selector.matchLabels of PA/AP/RA/Telemetry/DR; <path> names the selector
 * ("spec.selector"). Wildcards and empty keys are errors; no labels at all
 * is a warning (Istio: "workload selector specified without labels"). */
void v_workload_selector(struct config *c, const struct object *o,
			 const struct kvs *labels, const struct ynode *at,
			 const char *path);
/* exportTo of VS/DR/SE; <is_se> allows "~". */
void v_export_to(struct config *c, const struct object *o,
		 const struct strs *e, bool is_se, const char *path);

/* selector / targetRef / targetRefs of AP, RA, Telemetry, WasmPlugin */
void v_target_refs(struct config *c, const struct object *o,
		   const struct selector *sel, const struct target_ref *ref,
		   const struct target_ref *refs, size_t n_refs);
/* labels.Instance.Validate: "invalid tag key|value" per bad label */
void v_label_map(struct config *c, const struct object *o,
	      const struct kvs *l, const char *path);
/* validateWorkloadEntry, for a WorkloadEntry (<se_ports> NULL: any port
 * names, FQDN addresses allowed) or a ServiceEntry endpoint (port names must
 * be the SE's; <allow_fqdn> false for STATIC). <path> names the entry. */
/* The infermesh.io/cgroup annotation of a WorkloadEntry (we_cgroup.c). */
void v_we_cgroup(struct config *c, const struct object *o);
void v_workload_entry(struct config *c, const struct object *o,
		      const struct we_spec *we, const char *path,
		      const struct se_spec *se_ports, bool allow_fqdn);
/* "spec: Required value" when the document has no spec (SE and WE CRDs
 * require one). Returns true when the spec is there. */
bool v_require_spec(struct config *c, const struct object *o,
		    const void *spec_at);

/* validateMetadata: the webhook's checks on metadata of any Istio kind */
void v_metadata(struct config *c, const struct object *o);

#endif
