/* SPDX-License-Identifier: Apache-2.0 */
/* Objects by kind and namespace: "the AuthorizationPolicies of namespace X"
 * is a lookup instead of a scan of every object, which kept analyze and the
 * model build quadratic in the mesh size. The index is a cache in the
 * config's arena, built on first use and again after more objects load. */
#ifndef IM_OBJINDEX_H
#define IM_OBJINDEX_H

#include "../config/object.h"

/* Objects of kind <k> in namespace <ns> (o->ns), in load order, valid or
 * not: callers filter as for_each_obj or for_each_any would. Elements are
 * struct object *; NULL and *n == 0 when there are none. */
void *const *config_ns_objects(const struct config *c, enum kind k,
			       const char *ns, size_t *n);

/* Walks two lists of objects merged in load order (an object on both is
 * met once): the order a scan of every object would meet them in, for
 * code whose result depends on it. */
struct obj_iter {
	void *const *v[2];
	size_t n[2], i[2];
};

/* The objects of kind <k> in namespace <ns> or <ns2> (<ns2> may be NULL
 * or equal <ns>). */
void obj_iter_ns(struct obj_iter *it, const struct config *c, enum kind k,
		 const char *ns, const char *ns2);
/* The VirtualServices (K_VIRTUAL_SERVICE) or DestinationRules
 * (K_DESTINATION_RULE) that may name <fqdn>: those with a host that
 * resolves to it (registry_fqdn in their namespace) and those with a
 * wildcard host. Any other one cannot match <fqdn>. */
void obj_iter_host(struct obj_iter *it, const struct config *c, enum kind k,
		   const char *fqdn);
struct object *obj_iter_next(struct obj_iter *it);

#endif
