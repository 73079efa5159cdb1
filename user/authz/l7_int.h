/* SPDX-License-Identifier: Apache-2.0 */
/* One L7 generation, as l7_gen.c builds it and l7_eval.c reads it: the
 * local workloads' policies copied out of the model (which dies after the
 * reload) into the generation's own arena, strings pre-classified. */
#ifndef IM_AUTHZ_L7_INT_H
#define IM_AUTHZ_L7_INT_H

#include "../util/arena.h"
#include "l7.h"

/* Istio's string match: "abc" exact, "abc*" prefix, "*abc" suffix, "*"
 * any non-empty value; paths also {*} / {**} templates. */
enum l7_pkind { PK_EXACT, PK_PREFIX, PK_SUFFIX, PK_ANY, PK_TEMPLATE };

struct l7_pat {
	const char *s;		/* without the '*' */
	size_t len;
	enum l7_pkind kind;
};

struct l7_pats {
	struct l7_pat *v;
	size_t n;
};

/* IPv4 networks; <set>: the field was written (an IPv6-only list then
 * holds no address an IPv4 connection has). */
struct l7_nets {
	struct { uint32_t ip, mask; } *v;	/* network order */
	size_t n;
	bool set;
};

struct l7_src {
	struct l7_pats princ, notprinc;	/* "td/ns/NS/sa/SA" */
	struct l7_pats sa, notsa;	/* "NS/SA", exact */
	struct l7_pats td, nottd;	/* exact */
	struct l7_pats ns, notns;
	struct l7_pats reqp, notreqp;	/* request.auth.principal */
	struct l7_nets ip, notip, rip, notrip;
};

struct l7_op {
	struct l7_pats hosts, nothosts;	/* case-insensitive */
	struct l7_pats ports, notports;	/* exact, decimal */
	struct l7_pats methods, notmethods;
	struct l7_pats paths, notpaths;
};

enum l7_ckey {
	CK_HEADER,	/* request.headers[name] */
	CK_SRC_IP, CK_REMOTE_IP, CK_DST_IP,
	CK_SRC_NS, CK_SRC_PRINC, CK_DST_PORT,
	CK_ABSENT,	/* connection.sni, request.auth.*: never present */
	CK_UNKNOWN,	/* anything else: cannot be judged */
};

struct l7_cond {
	enum l7_ckey key;
	const char *hdr;	/* CK_HEADER: the name */
	size_t hdr_len;
	struct l7_pats vals, notvals;
	struct l7_nets nets, notnets;	/* the address keys */
};

struct l7_rule {
	struct l7_src *from;
	size_t n_from;
	struct l7_op *to;
	size_t n_to;
	struct l7_cond *when;
	size_t n_when;
	const char *name;	/* "ns/policy[N]" */
};

struct l7_pol {
	enum ap_action action;	/* CUSTOM, DENY or ALLOW */
	struct l7_rule *rules;
	size_t n_rules;
};

struct l7_wport {
	uint16_t port;
	enum l7_proto proto;
};

struct l7_wl {
	uint32_t ip;		/* network order */
	struct l7_pol *pols;	/* in evaluation order */
	size_t n_pols;
	bool has_allow;		/* an enforced ALLOW applies: default deny */
	struct l7_wport *ports;	/* judged per request */
	size_t n_ports;
};

struct l7_gen {
	unsigned long refs;	/* atomic */
	struct l7_wl *wls;	/* sorted by ip */
	size_t n_wls;
	enum path_norm norm;
	struct arena arena;
};

const struct l7_wl *l7_wl_find(const struct l7_gen *g, uint32_t ip);

/* Istio's string match of <p> on <s> (<n> bytes); <icase> for hosts. */
bool l7_pat_match(const struct l7_pat *p, const char *s, size_t n,
		  bool icase);
/* Any of <ps> matches (an absent value, s == NULL, matches none). */
bool l7_pats_any(const struct l7_pats *ps, const char *s, size_t n,
		 bool icase);
/* Envoy's header matcher as Istio writes it: on the value as received,
 * or on one of the comma-separated elements of it. */
bool l7_hdr_match(const struct l7_pat *p, const char *s, size_t n);
/* Path template ({*}, {**}) <t> of <tn> bytes against path <s>. */
bool l7_template_match(const char *t, size_t tn, const char *s, size_t n);

#endif
