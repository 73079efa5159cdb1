/* SPDX-License-Identifier: Apache-2.0 */
/* One reload of the config directory (see reload.c). */
#ifndef IM_AGENT_RELOAD_H
#define IM_AGENT_RELOAD_H

#include "context.h"

/* Loads, validates, compiles and applies the config dir. 0, or a negative
 * errno with the tables in force unchanged (and the reason logged). */
int agent_reload(struct agent *a);

#endif
