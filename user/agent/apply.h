/* SPDX-License-Identifier: Apache-2.0 */
/* Putting compiled tables in force: endpoint slots, the names for
 * `infermesh maps`, the one-step generation switch, and freeing the
 * slots the old tables used once their connections are gone. */
#ifndef IM_AGENT_APPLY_H
#define IM_AGENT_APPLY_H

#include "context.h"

/* Registers the slot collection timer in the loop. Returns 0 or -errno. */
int apply_init(struct agent *a);
void apply_close(struct agent *a);
/* Writes <t> under the idle generation, then makes it live with one
 * update of im_cfg. On error the idle generation is cleared again and the
 * live tables are untouched. Returns 0 or -errno. */
int apply_tables(struct agent *a, const struct tables *t);
/* Makes the L7 policy of <m> for this node's workloads live (right after
 * apply_tables: the kernel's tables for those ports come from <m> too). */
void apply_l7(struct agent *a, const struct model *m);
/* Writes the names of <t> for `infermesh maps` into the state dir. */
int apply_names(struct agent *a, const struct tables *t, unsigned int gen);

#endif
