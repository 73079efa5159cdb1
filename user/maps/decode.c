// SPDX-License-Identifier: Apache-2.0
/* Pure decoders of the dataplane maps' entries into named JSON rows. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Stable names: scripts and dashboards key on them. One per reason, and
 * the build fails when the ABI grows a reason without a name here. */
static const char *const drop_names[] = {
	[IM_DROP_NONE] = "none",
	[IM_DROP_MALFORMED] = "malformed",
	[IM_DROP_STRICT_PLAINTEXT] = "strict_plaintext",
	[IM_DROP_POLICY_DENY] = "policy_deny",
	[IM_DROP_POLICY_NO_ALLOW] = "policy_no_allow",
	[IM_DROP_XDP_DENIED_SRC] = "xdp_denied_source",
	[IM_DROP_NO_HEALTHY] = "no_healthy_endpoint",
	[IM_DROP_NO_RECORD] = "no_socket_record",
	[IM_DROP_CAPTURE_FULL] = "capture_table_full",
	[IM_DROP_L7_PLAINTEXT] = "l7_plaintext",
};
_Static_assert(ARRAY_LEN(drop_names) == IM_DROP_MAX,
	       "every enum im_drop_reason needs a stable name");

static const char *const lb_names[] = {
	[IM_LB_LEAST_REQUEST] = "LEAST_REQUEST",
	[IM_LB_ROUND_ROBIN] = "ROUND_ROBIN",
	[IM_LB_RANDOM] = "RANDOM",
};

static const char *const mode_names[] = {
	[IM_MODE_PERMISSIVE] = "PERMISSIVE",
	[IM_MODE_STRICT] = "STRICT",
	[IM_MODE_DISABLE] = "DISABLE",
};

static const char *const action_names[] = {
	[IM_ACT_ALLOW] = "ALLOW",
	[IM_ACT_DENY] = "DENY",
};

#define NAME_OF(tab, i) \
	((size_t)(i) < ARRAY_LEN(tab) && (tab)[i] ? (tab)[i] : "unknown")

const char *dec_drop_reason(uint32_t reason)
{
	return NAME_OF(drop_names, reason);
}

const char *dec_lb(uint8_t lb)
{
	return NAME_OF(lb_names, lb);
}

const char *dec_mode(uint8_t mode)
{
	return NAME_OF(mode_names, mode);
}

const char *dec_action(uint8_t action)
{
	return NAME_OF(action_names, action);
}

const char *dec_field(uint8_t field)
{
	switch (field) {
	case IM_F_PRINC: return "principals";
	case IM_F_NOTPRINC: return "notPrincipals";
	case IM_F_NS: return "namespaces";
	case IM_F_NOTNS: return "notNamespaces";
	case IM_F_IPB: return "ipBlocks";
	case IM_F_NOTIPB: return "notIpBlocks";
	case IM_F_PORTS: return "ports";
	case IM_F_NOTPORTS: return "notPorts";
	case IM_K_DIP: return "destinationIp";
	case IM_K_NOTDIP: return "notDestinationIp";
	}
	return "unknown";
}

const char *dec_ip(uint32_t be_ip, char *buf)
{
	return inet_ntop(AF_INET, &be_ip, buf, INET_ADDRSTRLEN);
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

/* A name from the sidecar, or JSON null. */
static json_t *jname(const struct dec_ctx *c, enum names_kind k, uint64_t id)
{
	const char *s = names_get(c->names, k, id);

	return s ? json_string(s) : json_null();
}

static json_t *jip(uint32_t be_ip)
{
	char b[INET_ADDRSTRLEN];

	return json_string(dec_ip(be_ip, b));
}

json_t *dec_svc(const struct dec_ctx *c, const struct im_svc_key *k,
		const struct im_svc *v)
{
	if (k->gen != c->gen)
		return NULL;
	return json_pack("{s:o, s:I, s:o, s:I, s:I}",
			 "vip", jip(k->vip), "port", (json_int_t)ntohs(k->port),
			 "service", jname(c, NAMES_SERVICE, v->svc_id),
			 "svc_id", (json_int_t)v->svc_id,
			 "route", (json_int_t)v->route);
}

static json_t *route_dsts(const struct dec_ctx *c, const struct im_route *v)
{
	uint32_t i, n = v->n_dst < IM_ROUTE_DSTS ? v->n_dst : IM_ROUTE_DSTS;
	json_t *a = json_array();
	uint64_t total = 0;

	for (i = 0; i < n; i++)
		total += v->dst[i].weight;
	for (i = 0; i < n; i++) {
		const struct im_route_dst *d = &v->dst[i];

		json_array_append_new(a, json_pack(
			"{s:I, s:o, s:I, s:f}", "subset", (json_int_t)d->subset,
			"name", jname(c, NAMES_SUBSET, d->subset),
			"weight", (json_int_t)d->weight, "percent",
			total ? 100.0 * d->weight / (double)total : 0.0));
	}
	return a;
}

json_t *dec_route(const struct dec_ctx *c, uint32_t idx,
		  const struct im_route *v)
{
	uint32_t r = idx % IM_MAX_ROUTES;

	if (idx / IM_MAX_ROUTES != c->gen || all_zero(v, sizeof(*v)))
		return NULL;
	return json_pack("{s:I, s:o, s:o}", "route", (json_int_t)r,
			 "name", jname(c, NAMES_ROUTE, r),
			 "destinations", route_dsts(c, v));
}

static json_t *outlier(const struct im_subset *v)
{
	if (!(v->flags & IM_SUB_OUTLIER))
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I}",
			 "consecutive_local_origin_failures",
			 (json_int_t)v->consec_fail,
			 "base_ejection_ms", (json_int_t)v->base_eject_ms,
			 "interval_ms", (json_int_t)v->interval_ms,
			 "max_ejection_percent", (json_int_t)v->max_eject_pct);
}

json_t *dec_subset(const struct dec_ctx *c, uint32_t idx,
		   const struct im_subset *v)
{
	uint32_t s = idx % IM_MAX_SUBSETS;

	if (idx / IM_MAX_SUBSETS != c->gen || all_zero(v, sizeof(*v)))
		return NULL;
	return json_pack("{s:I, s:o, s:o, s:I, s:s, s:I, s:I, s:I, s:o}",
			 "subset", (json_int_t)s,
			 "name", jname(c, NAMES_SUBSET, s),
			 "service", jname(c, NAMES_SERVICE, v->svc_id),
			 "svc_id", (json_int_t)v->svc_id, "lb", dec_lb(v->lb),
			 "first_ep", (json_int_t)v->first_ep,
			 "endpoints", (json_int_t)v->n_ep,
			 "min_health_percent", (json_int_t)v->min_health_pct,
			 "outlier", outlier(v));
}

/* Adds workload, locality and labels of <ip> from the sidecar to <row>. */
static void add_workload(const struct dec_ctx *c, json_t *row, uint32_t ip)
{
	json_t *e = (json_t *)names_endpoint(c->names, ip), *w, *l, *lab;

	w = e ? json_object_get(e, "workload") : NULL;
	l = e ? json_object_get(e, "locality") : NULL;
	lab = e ? json_object_get(e, "labels") : NULL;
	json_object_set_new(row, "workload",
			    json_is_string(w) ? json_incref(w) : json_null());
	json_object_set_new(row, "locality",
			    json_is_string(l) ? json_incref(l) : json_null());
	json_object_set_new(row, "labels", json_is_object(lab) ?
			    json_deep_copy(lab) : json_object());
}

/* Runtime state: counters, and ejection as "for how much longer". */
static void add_state(const struct dec_ctx *c, json_t *row,
		      const struct im_ep_state *st)
{
	static const struct im_ep_state none;
	bool ej;

	if (!st)
		st = &none;
	ej = c->now_ns < st->ejected_until;
	json_object_set_new(row, "active", json_integer(st->active));
	json_object_set_new(row, "ejected", json_boolean(ej));
	json_object_set_new(row, "ejected_ms_left", json_integer(
		ej ? (json_int_t)((st->ejected_until - c->now_ns + 999999) /
				  1000000) : 0));
	json_object_set_new(row, "ejections", json_integer(st->ejections));
	json_object_set_new(row, "consecutive_failures",
			    json_integer(st->consec_fail));
	json_object_set_new(row, "failures", json_integer((json_int_t)st->fails));
	json_object_set_new(row, "connections",
			    json_integer((json_int_t)st->conns));
}

static json_t *ep_addr(uint32_t ip, uint16_t be_port)
{
	char b[INET_ADDRSTRLEN + 8], a[INET_ADDRSTRLEN];

	snprintf(b, sizeof(b), "%s:%u", dec_ip(ip, a), ntohs(be_port));
	return json_string(b);
}

json_t *dec_ep(const struct dec_ctx *c, uint32_t idx, uint32_t subset,
	       const struct im_ep *v, const struct im_ep_state *st)
{
	json_t *row;

	if (idx / IM_MAX_ENDPOINTS != c->gen)
		return NULL;
	row = json_pack("{s:o, s:I, s:o, s:I, s:I, s:I, s:I, s:I}",
			"endpoint", ep_addr(v->ip, v->port),
			"subset", (json_int_t)subset,
			"subset_name", jname(c, NAMES_SUBSET, subset),
			"slot", (json_int_t)(idx % IM_MAX_ENDPOINTS),
			"state_slot", (json_int_t)v->slot,
			"weight", (json_int_t)v->weight,
			"priority", (json_int_t)v->prio,
			"locality_index", (json_int_t)v->loc);
	if (!row)
		return NULL;
	add_workload(c, row, v->ip);
	add_state(c, row, st);
	return row;
}

json_t *dec_ep_state(const struct dec_ctx *c, const struct im_ep_key *k,
		     uint32_t slot, const struct im_ep_state *v)
{
	char hex[24];
	json_t *row;

	snprintf(hex, sizeof(hex), "#%016llx", (unsigned long long)k->cluster);
	row = json_pack("{s:o, s:s, s:I}",
			"endpoint", ep_addr(k->ip, k->port), "cluster", hex,
			"state_slot", (json_int_t)slot);
	if (!row)
		return NULL;
	add_workload(c, row, k->ip);
	add_state(c, row, v);
	return row;
}

/* A principal or namespace: its name, else "<kind>#<id>". */
static json_t *jid(const struct dec_ctx *c, enum names_kind k, uint32_t id,
		   const char *kind)
{
	const char *s = names_get(c->names, k, id);
	char b[40];

	if (s)
		return json_string(s);
	snprintf(b, sizeof(b), "%s#%u", kind, id);
	return json_string(b);
}

json_t *dec_ident(const struct dec_ctx *c, const struct im_ident_key *k,
		  const struct im_ident *v)
{
	if (k->gen != c->gen)
		return NULL;
	return json_pack("{s:I, s:o, s:o, s:I, s:o, s:I, s:o}",
			 "cgroup_id", (json_int_t)k->cgroup,
			 "cgroup", jname(c, NAMES_CGROUP, k->cgroup),
			 "principal", jid(c, NAMES_PRINCIPAL, v->principal,
					  "principal"),
			 "principal_id", (json_int_t)v->principal,
			 "namespace", jid(c, NAMES_NAMESPACE, v->ns, "namespace"),
			 "namespace_id", (json_int_t)v->ns,
			 "address", jip(v->ip));
}

/* The workload at address <ip> as "ns/name" when the sidecar knows it
 * (it names the endpoints of services), else JSON null. */
static json_t *jworkload(const struct dec_ctx *c, uint32_t ip)
{
	json_t *e = (json_t *)names_endpoint(c->names, ip);
	json_t *w = e ? json_object_get(e, "workload") : NULL;

	return json_is_string(w) ? json_incref(w) : json_null();
}

json_t *dec_wlport(const struct dec_ctx *c, const struct im_wlport_key *k,
		   const struct im_wlport *v)
{
	json_t *row;

	if (k->gen != c->gen)
		return NULL;
	/* port 0: the workload's ports without an entry of their own */
	row = json_pack("{s:o, s:I, s:b, s:s, s:I, s:o}",
			"address", jip(k->ip), "port", (json_int_t)ntohs(k->port),
			"any_port", !k->port, "mode", dec_mode(v->mode),
			"polset", (json_int_t)v->polset,
			"policy", v->polset ? jname(c, NAMES_POLSET, v->polset) :
			json_null());
	if (row)
		json_object_set_new(row, "workload", jworkload(c, k->ip));
	return row;
}

json_t *dec_polset(const struct dec_ctx *c, uint32_t idx,
		   const struct im_polset *v)
{
	uint32_t s = idx % IM_MAX_POLSETS;

	if (idx / IM_MAX_POLSETS != c->gen || all_zero(v, sizeof(*v)))
		return NULL;
	/* Istio: with an ALLOW policy present, what no clause allows is
	 * denied; without one, what no DENY clause matches is allowed. */
	return json_pack("{s:I, s:o, s:I, s:I, s:b, s:s}",
			 "polset", (json_int_t)s,
			 "name", jname(c, NAMES_POLSET, s),
			 "first_clause", (json_int_t)v->first,
			 "clauses", (json_int_t)v->n,
			 "has_allow", v->has_allow,
			 "otherwise", v->has_allow ? "DENY" : "ALLOW");
}

static json_t *field_list(uint8_t fields, uint16_t ext)
{
	json_t *a = json_array();
	unsigned int b;

	for (b = 1; b <= 0x80; b <<= 1)
		if (fields & b)
			json_array_append_new(a, json_string(dec_field(b)));
	if (ext & IM_X_DIP)
		json_array_append_new(a, json_string(dec_field(IM_K_DIP)));
	if (ext & IM_X_NOTDIP)
		json_array_append_new(a, json_string(dec_field(IM_K_NOTDIP)));
	return a;
}

json_t *dec_clause(const struct dec_ctx *c, uint32_t idx,
		   const struct im_clause *v)
{
	uint32_t cl = idx % IM_MAX_CLAUSES;

	if (idx / IM_MAX_CLAUSES != c->gen || all_zero(v, sizeof(*v)))
		return NULL;
	return json_pack("{s:I, s:s, s:o, s:I, s:o}", "clause", (json_int_t)cl,
			 "action", dec_action(v->action),
			 "rule", jname(c, NAMES_RULE, v->rule_id),
			 "rule_id", (json_int_t)v->rule_id,
			 "tests", field_list(v->fields, v->ext));
}

static bool addr_field(uint8_t field)
{
	return field == IM_F_IPB || field == IM_F_NOTIPB ||
	       field == IM_K_DIP || field == IM_K_NOTDIP;
}

static json_t *member_value(const struct dec_ctx *c, uint8_t field,
			    uint32_t value)
{
	switch (field) {
	case IM_F_PRINC:
	case IM_F_NOTPRINC:
		return jid(c, NAMES_PRINCIPAL, value, "principal");
	case IM_F_NS:
	case IM_F_NOTNS:
		return jid(c, NAMES_NAMESPACE, value, "namespace");
	}
	return json_integer(value);	/* ports, host order */
}

static json_t *jcidr(uint32_t be_ip, uint32_t plen)
{
	char b[INET_ADDRSTRLEN + 4], a[INET_ADDRSTRLEN];

	snprintf(b, sizeof(b), "%s/%u", dec_ip(be_ip, a), plen);
	return json_string(b);
}

/* An exact address (/32) reads as "value": the address; a shorter network
 * as "cidr": "a.b.c.d/n" (dec_is_cidr). */
json_t *dec_member(const struct dec_ctx *c, const struct im_member_key *k)
{
	bool addr = addr_field(k->field);
	bool net = addr && k->plen < 32;

	return json_pack("{s:I, s:I, s:s, s:o}",
			 "clause", (json_int_t)(k->clause % IM_MAX_CLAUSES),
			 "gen", (json_int_t)(k->clause / IM_MAX_CLAUSES),
			 "field", dec_field(k->field),
			 net ? "cidr" : "value",
			 net ? jcidr(k->value, k->plen) :
			 addr ? jip(k->value) :
			 member_value(c, k->field, k->value));
}

bool dec_is_cidr(const struct im_member_key *k)
{
	return addr_field(k->field) && k->plen < 32;
}

json_t *dec_xdeny(const struct dec_ctx *c, const struct im_xdeny_key *k,
		  uint32_t rule_id)
{
	uint32_t plen = k->prefixlen >= 32 ? k->prefixlen - 32 : 0;

	if (k->gen != c->gen)
		return NULL;
	return json_pack("{s:o, s:o, s:I}", "cidr",
			 jcidr(k->ip, plen > 32 ? 32 : plen),
			 "rule", jname(c, NAMES_RULE, rule_id),
			 "rule_id", (json_int_t)rule_id);
}

json_t *dec_drops(const struct dec_ctx *c, uint32_t reason,
		  const uint64_t *percpu, int ncpu)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < ncpu; i++)
		sum += percpu[i];
	/* the map has room for reasons to come: show only those known, and
	 * any unknown one that counted something */
	if (reason == IM_DROP_NONE || (reason >= IM_DROP_MAX && !sum))
		return NULL;
	return json_pack("{s:s, s:I, s:I}", "reason", dec_drop_reason(reason),
			 "id", (json_int_t)reason, "count", (json_int_t)sum);
}

json_t *dec_cfg(const struct im_cfg *v)
{
	return json_pack("{s:I}", "gen", (json_int_t)v->gen);
}

json_t *dec_idlvl(const struct dec_ctx *c, uint32_t gen,
		  const struct im_idlvl *v)
{
	json_t *levels;
	unsigned int i;

	if (gen != c->gen)
		return NULL;
	levels = json_array();
	for (i = 0; levels && i < v->n && i < IM_IDENT_LEVELS; i++)
		json_array_append_new(levels, json_integer(v->level[i]));
	/* more than the programs read: they stop at IM_IDENT_LEVELS */
	return json_pack("{s:I, s:o, s:b}", "gen", (json_int_t)gen,
			 "levels", levels, "overflow", v->n > IM_IDENT_LEVELS);
}

json_t *dec_local(const struct dec_ctx *c, uint32_t be_ip,
		  const struct im_local *v)
{
	return json_pack("{s:o, s:s, s:I, s:o}", "address", jip(be_ip),
			 "mode", dec_mode(v->mode), "mode_id",
			 (json_int_t)v->mode, "workload", jworkload(c, be_ip));
}
