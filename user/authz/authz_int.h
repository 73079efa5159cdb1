/* SPDX-License-Identifier: Apache-2.0 */
/* One generation of the policy tables, as authz_gen.c builds it and
 * authz_eval.c reads it: the kernel's maps, in userspace. */
#ifndef IM_AUTHZ_INT_H
#define IM_AUTHZ_INT_H

#include "../util/arena.h"
#include "../util/hmap.h"
#include "authz.h"

/* Fixed-size keys to values (a BPF hash map's role): open addressing,
 * built once, then only read. */
struct kset {
	unsigned char *keys;	/* cap * ksz bytes */
	const void **vals;	/* NULL: free slot */
	size_t cap, ksz;	/* cap: a power of two */
};

const void *kset_get(const struct kset *s, const void *key);

struct authz_gen {
	unsigned long refs;	/* atomic */
	struct im_polset *polsets;	/* by policy set; [0] "no policy" */
	unsigned char *polset_ids;	/* per set: identity fields
					   (IM_F_PRINC..IM_F_NOTNS) any
					   clause tests */
	size_t n_polsets;
	struct im_clause *clauses;
	size_t n_clauses;
	struct ct_wlport *wlports;	/* values of <wlport> */
	struct kset wlport;	/* struct im_wlport_key (gen 0) */
	struct kset member;	/* struct im_member_key (gen 0) -> "1" */
	const char **rules;	/* name by rule id */
	size_t n_rules;
	struct hmap principals, namespaces;	/* string -> id */
	struct arena arena;	/* the strings above */
};

#endif
