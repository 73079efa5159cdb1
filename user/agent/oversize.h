/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Objects the kernel tables cannot hold, rejected on their own: when a
 * compile reports an entry too big (struct ct_overflow), the objects that
 * are new or changed since their last good version and add to it are
 * given an IM1400 error, and the reload starts over, so that each keeps
 * its last good version (or stays absent) while every other change
 * applies. An entry still too big after that (its objects were all in
 * force already) fails closed and is logged.
 */
#ifndef IM_AGENT_OVERSIZE_H
#define IM_AGENT_OVERSIZE_H

#include <stddef.h>

#include "../compile/compile.h"
#include "lastgood.h"

/* One object to reject, by what findings match objects on. */
struct oversize_obj {
	char *resource;		/* "WorkloadEntry ns/name" */
	char *file;
	char *what;		/* the entry, its size and the limit */
};

struct oversize {
	struct oversize_obj *v;
	size_t n, cap;
};

/*
 * Adds to <s> the objects of t->overflows that <m> applies in a version
 * that is not their last good one. Returns how many it added, or -ENOMEM.
 */
int oversize_collect(struct oversize *s, const struct tables *t,
		     const struct lg_merge *m);
/* Gives every object of <c> that <s> names an IM1400 error naming the
 * entry and the limit. */
void oversize_mark(const struct oversize *s, struct config *c);
void oversize_free(struct oversize *s);

#endif
