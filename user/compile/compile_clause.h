/* SPDX-License-Identifier: Apache-2.0 */
/* Building one im_clause from a rule's from/to entries and conditions. */
#ifndef IM_COMPILE_CLAUSE_H
#define IM_COMPILE_CLAUSE_H

#include "compile_int.h"

/* Ids a field must (set: intersection) or must not (union) contain. */
struct vset {
	uint32_t *v;
	size_t n, cap;
	bool set;
};

/* IPv4 networks (host bits clear) a field must or must not contain. */
struct ct_net {
	uint32_t ip;		/* network order */
	uint8_t plen;
};

struct netset {
	struct ct_net *v;
	size_t n, cap;
	bool set;		/* a positive field was given: empty = nobody */
};

struct clause_b {
	const struct intern *principals, *namespaces;
	const char *pol_ns;
	struct vset princ, notprinc, ns, notns, ports, notports;
	struct netset src, notsrc;	/* source.ip (ipBlocks, remote.ip) */
	struct netset dst, notdst;	/* destination.ip */
	const char *never;	/* why no connection matches, or NULL */
	const char *unrep;	/* what could not be expressed, or NULL */
};

int cb_source(struct clause_b *cb, const struct ap_source *s);
int cb_operation(struct clause_b *cb, const struct ap_operation *o);
int cb_when(struct clause_b *cb, const struct ap_condition *w);
/* Appends the clause (action, rule) and its members to <t>. */
int cb_emit(struct clause_b *cb, struct tables *t, enum im_action action,
	    uint32_t rule_id);
void cb_free(struct clause_b *cb);

#endif
