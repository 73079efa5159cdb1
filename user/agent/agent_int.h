/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to user/agent: logging and the reload step. */
#ifndef IM_AGENT_INT_H
#define IM_AGENT_INT_H

#include "state.h"

void agent_log(const struct agent *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Loads, validates, compiles and applies the config dir. 0, or a negative
 * errno with the tables in force unchanged (and the reason logged). */
int agent_reload(struct agent *a);

#endif
