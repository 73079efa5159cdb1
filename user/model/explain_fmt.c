// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain_fmt.h"

/* A growing string: open_memstream, then copied into the arena. */
struct sbuf {
	FILE *f;
	char *buf;
	size_t len;
	const char *sep; /* printed before the next item */
};

static void sb_open(struct sbuf *b)
{
	memset(b, 0, sizeof(*b));
	b->f = open_memstream(&b->buf, &b->len);
	if (!b->f)
		abort();
}

static char *sb_done(struct sbuf *b, struct arena *a)
{
	char *s;

	fclose(b->f);
	s = arena_strdup(a, b->buf ? b->buf : "");
	free(b->buf);
	return s;
}

/* Starts a new item: the separator goes before every item but the first. */
static void sb_item(struct sbuf *b, const char *sep)
{
	if (b->sep)
		fputs(b->sep, b->f);
	b->sep = sep;
}

static void sb_strs(struct sbuf *b, const char *name, const struct strs *s)
{
	size_t i;

	if (!s->n)
		return;
	sb_item(b, " ");
	fprintf(b->f, "%s [", name);
	for (i = 0; i < s->n; i++)
		fprintf(b->f, "%s%s", i ? ", " : "", s->v[i]);
	fputc(']', b->f);
}

char *ex_dur(struct arena *a, int64_t ns)
{
	int64_t s = ns / 1000000000LL;

	if (ns % 1000000000LL)
		return ns % 1000000LL ? arena_printf(a, "%lldns", (long long)ns) :
		       arena_printf(a, "%lldms", (long long)(ns / 1000000));
	if (s && s % 3600 == 0)
		return arena_printf(a, "%lldh", (long long)(s / 3600));
	if (s >= 60 && s % 60 == 0)
		return arena_printf(a, "%lldm", (long long)(s / 60));
	return arena_printf(a, "%llds", (long long)s);
}

char *ex_limit(struct arena *a, uint32_t v)
{
	return v == POOL_UNLIMITED ? arena_strdup(a, "unlimited") :
				     arena_printf(a, "%u", v);
}

char *ex_where(struct arena *a, const struct ynode *at)
{
	if (!at || !at->file)
		return NULL;
	return arena_printf(a, "%s:%u:%u", at->file, at->line, at->col);
}

char *ex_obj(struct arena *a, const struct object *o, const struct ynode *at)
{
	char *w = ex_where(a, at ? at : o->doc);

	return w ? arena_printf(a, "%s (%s)", o->resource, w) :
		   arena_strdup(a, o->resource);
}

static void sb_sm(struct sbuf *b, const char *name,
		  const struct string_match *m)
{
	if (!m->at)
		return;
	sb_item(b, ", ");
	if (m->exact)
		fprintf(b->f, "%s exact \"%s\"", name, m->exact);
	else if (m->prefix)
		fprintf(b->f, "%s prefix \"%s\"", name, m->prefix);
	else if (m->regex)
		fprintf(b->f, "%s regex \"%s\"", name, m->regex);
	else
		fprintf(b->f, "%s present", name);
}

static void sb_sm_list(struct sbuf *b, const char *what,
		       const struct string_match *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char name[256];

		snprintf(name, sizeof(name), "%s[%s]", what,
			 v[i].key ? v[i].key : "");
		sb_sm(b, name, &v[i]);
	}
}

static void sb_kvs(struct sbuf *b, const char *name, const struct kvs *k)
{
	size_t i;

	if (!k->n)
		return;
	sb_item(b, ", ");
	fprintf(b->f, "%s {", name);
	for (i = 0; i < k->n; i++)
		fprintf(b->f, "%s%s: %s", i ? ", " : "", k->v[i].key,
			k->v[i].val);
	fputc('}', b->f);
}

char *ex_http_match(struct arena *a, const struct http_match *m)
{
	struct sbuf b;

	sb_open(&b);
	sb_sm(&b, "uri", &m->uri);
	sb_sm(&b, "method", &m->method);
	sb_sm(&b, "authority", &m->authority);
	sb_sm(&b, "scheme", &m->scheme);
	sb_sm_list(&b, "headers", m->headers.v, m->headers.n);
	sb_sm_list(&b, "withoutHeaders", m->without_headers.v,
		   m->without_headers.n);
	sb_sm_list(&b, "queryParams", m->query_params.v, m->query_params.n);
	if (m->port.set) {
		sb_item(&b, ", ");
		fprintf(b.f, "port %lld", (long long)m->port.v);
	}
	if (m->ignore_uri_case.set && m->ignore_uri_case.v) {
		sb_item(&b, ", ");
		fputs("ignoring uri case", b.f);
	}
	sb_kvs(&b, "from clients labelled", &m->source_labels);
	if (m->source_namespace) {
		sb_item(&b, ", ");
		fprintf(b.f, "from namespace %s", m->source_namespace);
	}
	if (!b.sep)
		fputs("any request", b.f);
	return sb_done(&b, a);
}

char *ex_l4_match(struct arena *a, const struct l4_match *m)
{
	struct sbuf b;

	sb_open(&b);
	if (m->port.set) {
		sb_item(&b, ", ");
		fprintf(b.f, "port %lld", (long long)m->port.v);
	}
	sb_strs(&b, "sniHosts", &m->sni_hosts);
	sb_strs(&b, "destinationSubnets", &m->destination_subnets);
	sb_kvs(&b, "from clients labelled", &m->source_labels);
	if (m->source_namespace) {
		sb_item(&b, ", ");
		fprintf(b.f, "from namespace %s", m->source_namespace);
	}
	if (!b.sep)
		fputs("any connection", b.f);
	return sb_done(&b, a);
}

static void sb_source(struct sbuf *b, const struct ap_source *s)
{
	sb_strs(b, "principals", &s->principals);
	sb_strs(b, "notPrincipals", &s->not_principals);
	sb_strs(b, "requestPrincipals", &s->request_principals);
	sb_strs(b, "notRequestPrincipals", &s->not_request_principals);
	sb_strs(b, "namespaces", &s->namespaces);
	sb_strs(b, "notNamespaces", &s->not_namespaces);
	sb_strs(b, "serviceAccounts", &s->service_accounts);
	sb_strs(b, "notServiceAccounts", &s->not_service_accounts);
	sb_strs(b, "ipBlocks", &s->ip_blocks);
	sb_strs(b, "notIpBlocks", &s->not_ip_blocks);
	sb_strs(b, "remoteIpBlocks", &s->remote_ip_blocks);
	sb_strs(b, "notRemoteIpBlocks", &s->not_remote_ip_blocks);
	sb_strs(b, "trustDomains", &s->trust_domains);
	sb_strs(b, "notTrustDomains", &s->not_trust_domains);
}

static void sb_operation(struct sbuf *b, const struct ap_operation *o)
{
	sb_strs(b, "hosts", &o->hosts);
	sb_strs(b, "notHosts", &o->not_hosts);
	sb_strs(b, "ports", &o->ports);
	sb_strs(b, "notPorts", &o->not_ports);
	sb_strs(b, "methods", &o->methods);
	sb_strs(b, "notMethods", &o->not_methods);
	sb_strs(b, "paths", &o->paths);
	sb_strs(b, "notPaths", &o->not_paths);
}

/* One clause list: entries ORed, shown as "(..) or (..)". */
#define SB_CLAUSES(b, label, list, field, fn) do { \
	size_t _i; \
	if (!(list).n) \
		break; \
	sb_item(b, "; "); \
	fputs(label, (b)->f); \
	for (_i = 0; _i < (list).n; _i++) { \
		(b)->sep = NULL; \
		fputs(_i ? " or (" : " (", (b)->f); \
		fn(b, &(list).v[_i].field); \
		if (!(b)->sep) \
			fputs("anything", (b)->f); \
		fputc(')', (b)->f); \
		(b)->sep = "; "; \
	} \
} while (0)

static void sb_when(struct sbuf *b, const struct ap_rule *r)
{
	size_t i;

	for (i = 0; i < r->when.n; i++) {
		const struct ap_condition *w = &r->when.v[i];

		sb_item(b, "; ");
		fprintf(b->f, "when %s", w->key ? w->key : "?");
		b->sep = NULL;
		sb_strs(b, "in", &w->values);
		sb_strs(b, "not in", &w->not_values);
		b->sep = "; ";
	}
}

char *ex_ap_rule(struct arena *a, const struct ap_rule *r)
{
	struct sbuf b;

	sb_open(&b);
	SB_CLAUSES(&b, "from", r->from, source, sb_source);
	SB_CLAUSES(&b, "to", r->to, operation, sb_operation);
	sb_when(&b, r);
	if (!b.sep)
		fputs("any request", b.f);
	return sb_done(&b, a);
}

char *ex_dest(struct arena *a, const struct dest_eff *d)
{
	const char *host = d->host ? d->host : "?";

	if (d->subset && d->port)
		return arena_printf(a, "%s subset %s port %u", host, d->subset,
				    d->port);
	if (d->subset)
		return arena_printf(a, "%s subset %s", host, d->subset);
	if (d->port)
		return arena_printf(a, "%s port %u", host, d->port);
	return arena_strdup(a, host);
}

char *ex_src(struct arena *a, const struct tp_src *s)
{
	char *w = ex_where(a, s->at);

	if (s->from == TPO_DEFAULT || !s->dr)
		return arena_strdup(a, "Istio default");
	if (!s->at) /* a port-level entry without this section */
		return arena_printf(a, "Istio default (the %s setting of %s "
				    "replaced it)", tp_origin_names[s->from],
				    s->dr->resource);
	return arena_printf(a, "%s of %s at %s", tp_origin_names[s->from],
			    s->dr->resource, w ? w : "?");
}

char *ex_distribute(struct arena *a, const struct locality_distribute *d)
{
	struct sbuf b;
	size_t i;

	sb_open(&b);
	fprintf(b.f, "from %s:", d->from ? d->from : "*");
	for (i = 0; i < d->to.n; i++)
		fprintf(b.f, "%s %s %lld%%", i ? "," : "",
			d->to.v[i].key ? d->to.v[i].key : "?",
			(long long)d->to.v[i].weight.v);
	return sb_done(&b, a);
}
