/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Switching table sets (see include/infermesh/dataplane.h, "One-step table
 * switch"): the idle generation is emptied, filled completely, and only
 * then made live by one update of im_cfg. The caller does the three steps
 * so that it can act between them (the agent writes the names
 * `infermesh maps` shows before the flip).
 */
#ifndef IM_DATAPLANE_GEN_H
#define IM_DATAPLANE_GEN_H

#include "../compile/compile.h"
#include "dataplane.h"

/* The live generation in im_cfg (0 or 1). Returns 0 or -errno. */
int dp_gen_live(const struct dp *dp, unsigned int *gen);
/* Deletes every hash entry of generation <gen>. Arrays need no emptying:
 * their slots are only reached through entries that are rewritten. */
int dp_gen_clear(const struct dp *dp, unsigned int gen);
/* Empties generation <gen> and writes <t> into it, with <eps> (t->eps
 * with their state slots) as the endpoints. Nothing is seen until
 * dp_set_gen(<gen>). On error <gen> may be half written: clear it. */
int dp_gen_write(const struct dp *dp, unsigned int gen,
		 const struct tables *t, const struct im_ep *eps);

#endif
