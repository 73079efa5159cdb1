/* SPDX-License-Identifier: Apache-2.0 */
/* Phrases the text and JSON forms of `analyze --explain` share, so both
 * say the same thing about a match, a rule or a duration. */
#ifndef IM_EXPLAIN_FMT_H
#define IM_EXPLAIN_FMT_H

#include "model.h"

/* "10s", "1h", "150ms", "1m30s" */
char *ex_dur(struct arena *a, int64_t ns);
/* "unlimited" for Istio's 2^32-1 default, else the number */
char *ex_limit(struct arena *a, uint32_t v);
/* "file:line:col", or NULL when the node is unknown */
char *ex_where(struct arena *a, const struct ynode *at);
/* "DestinationRule ns/name (file:line:col)" */
char *ex_obj(struct arena *a, const struct object *o, const struct ynode *at);
/* "uri prefix /v1, headers[x-a] exact \"b\"" ; "any request" when empty */
char *ex_http_match(struct arena *a, const struct http_match *m);
char *ex_l4_match(struct arena *a, const struct l4_match *m);
/* "from principals [a, b]; to methods [POST]; when ..." */
char *ex_ap_rule(struct arena *a, const struct ap_rule *r);
/* "subset v1 of host" style destination */
char *ex_dest(struct arena *a, const struct dest_eff *d);
/* Where a policy section came from, "default" when from Istio */
char *ex_src(struct arena *a, const struct tp_src *s);
/* "from us-east-1/zone-a: us-east-1/zone-a 80%, ..." for one distribute entry */
char *ex_distribute(struct arena *a, const struct locality_distribute *d);

#endif
