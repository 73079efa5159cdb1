/* SPDX-License-Identifier: Apache-2.0 */
/* Watching the config directory (see watch.c). */
#ifndef IM_AGENT_WATCH_H
#define IM_AGENT_WATCH_H

#include "context.h"

/* inotify on the config dir (and its subdirectories), and a timer that
 * reloads <debounce_ms> after the last change; both in the loop. Returns
 * 0 or -errno. */
int watch_init(struct agent *a);
void watch_close(struct agent *a);

#endif
