// SPDX-License-Identifier: Apache-2.0
/* The names sidecar (see names.h): a thin layer over one JSON object. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "names_int.h"

/* Member of the root object holding each kind's table. */
static const char *const kind_key[NAMES__COUNT] = {
	[NAMES_SERVICE] = "services",
	[NAMES_ROUTE] = "routes",
	[NAMES_SUBSET] = "subsets",
	[NAMES_PRINCIPAL] = "principals",
	[NAMES_NAMESPACE] = "namespaces",
	[NAMES_RULE] = "rules",
	[NAMES_POLSET] = "polsets",
	[NAMES_CGROUP] = "cgroups",
};

struct im_names *names_new(unsigned int gen, const char *node)
{
	struct im_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->root = json_pack("{s:I, s:I, s:s?}", "version", (json_int_t)NAMES_VERSION,
			    "gen", (json_int_t)gen, "node", node);
	if (!n->root) {
		free(n);
		return NULL;
	}
	return n;
}

void names_free(struct im_names *n)
{
	if (!n)
		return;
	json_decref(n->root);
	free(n);
}

/* The table object <key> of the root, created when <create>. */
static json_t *table(const struct im_names *n, const char *key, bool create)
{
	json_t *t = json_object_get(n->root, key);

	if (json_is_object(t) || !create)
		return json_is_object(t) ? t : NULL;
	t = json_object();
	if (json_object_set_new(n->root, key, t))
		return NULL;
	return t;
}

int names_set(struct im_names *n, enum names_kind kind, uint64_t id,
	      const char *name)
{
	json_t *t = table(n, kind_key[kind], true);
	char k[24];

	snprintf(k, sizeof(k), "%" PRIu64, id);
	if (!t || json_object_set_new(t, k, json_string(name)))
		return -ENOMEM;
	return 0;
}

static json_t *endpoint(struct im_names *n, uint32_t ip)
{
	json_t *t = table(n, "endpoints", true), *e;
	char k[INET_ADDRSTRLEN];

	if (!t)
		return NULL;
	inet_ntop(AF_INET, &ip, k, sizeof(k));
	e = json_object_get(t, k);
	if (json_is_object(e))
		return e;
	e = json_object();
	return json_object_set_new(t, k, e) ? NULL : e;
}

int names_set_endpoint(struct im_names *n, uint32_t ip, const char *workload,
		       const char *locality)
{
	json_t *e = endpoint(n, ip);

	if (!e || json_object_set_new(e, "workload", json_string(workload)))
		return -ENOMEM;
	if (locality &&
	    json_object_set_new(e, "locality", json_string(locality)))
		return -ENOMEM;
	return 0;
}

int names_add_label(struct im_names *n, uint32_t ip, const char *key,
		    const char *value)
{
	json_t *e = endpoint(n, ip), *l;

	if (!e)
		return -ENOMEM;
	l = json_object_get(e, "labels");
	if (!json_is_object(l)) {
		l = json_object();
		if (json_object_set_new(e, "labels", l))
			return -ENOMEM;
	}
	return json_object_set_new(l, key, json_string(value)) ? -ENOMEM : 0;
}

unsigned int names_gen(const struct im_names *n)
{
	return (unsigned int)json_integer_value(json_object_get(n->root, "gen"));
}

const char *names_get(const struct im_names *n, enum names_kind kind,
		      uint64_t id)
{
	char k[24];
	json_t *t;

	if (!n || kind >= NAMES__COUNT)
		return NULL;
	t = table(n, kind_key[kind], false);
	snprintf(k, sizeof(k), "%" PRIu64, id);
	return t ? json_string_value(json_object_get(t, k)) : NULL;
}

const void *names_endpoint(const struct im_names *n, uint32_t ip)
{
	char k[INET_ADDRSTRLEN];
	json_t *t, *e;

	if (!n)
		return NULL;
	t = table(n, "endpoints", false);
	inet_ntop(AF_INET, &ip, k, sizeof(k));
	e = t ? json_object_get(t, k) : NULL;
	return json_is_object(e) ? e : NULL;
}

const char *names_node(const struct im_names *n)
{
	return n ? json_string_value(json_object_get(n->root, "node")) : NULL;
}

struct im_names *names_parse(const char *text)
{
	json_t *root = json_loads(text, 0, NULL);

	return names_wrap(root);
}

struct im_names *names_wrap(json_t *root)
{
	struct im_names *n;

	if (!json_is_object(root)) {
		json_decref(root);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		json_decref(root);
		return NULL;
	}
	n->root = root;
	return n;
}
