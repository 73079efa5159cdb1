/* SPDX-License-Identifier: Apache-2.0 */
/* Analyzers: findings about how objects combine (Istio's IST codes where
 * Istio has one, infermesh's IM1xxx otherwise). */
#ifndef IM_ANALYZE_H
#define IM_ANALYZE_H

#include "../config/object.h"

struct analyzer {
	const char *name;   /* Istio's analyzer name where there is one */
	void (*run)(struct config *c);
};

/* Every analyzer, in a stable order. */
extern const struct analyzer analyzers[];
extern const size_t n_analyzers;

/* infermesh's own findings (user/analyze/pitfalls*.c) */
void analyze_pitfalls(struct config *c);

/* Runs them all; findings go to c->diag. */
void analyze_all(struct config *c);
/* Runs one by name; returns -1 if there is no such analyzer. */
int analyze_one(struct config *c, const char *name);

#endif
