/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation of im_ep_state slots: one per Envoy host, i.e. per (cluster,
 * address, port), kept across reloads and, through the pinned im_ep_slot
 * map, across agent restarts. A slot the live tables no longer use is
 * freed once no connection counts on it (active 0): its state is reset
 * and its epoch bumped, so a socket still holding the old epoch charges
 * nothing when the slot has a new owner.
 */
#ifndef IM_DATAPLANE_EPSLOT_H
#define IM_DATAPLANE_EPSLOT_H

#include <stdbool.h>
#include <stdint.h>

#include "../compile/compile.h"

#include "dataplane.h"

/* What the live tables use, for the collector: one per agent. */
struct epslot;

/*
 * Gives every endpoint of <t> its slot in <eps> (a copy of t->eps):
 * the one the host already has, else the lowest free one, recorded in
 * im_ep_slot. Returns 0, -ENOSPC when the slots run out, or -errno.
 */
int epslot_assign(const struct dp *dp, const struct tables *t,
		  struct im_ep *eps);
/* A collector with nothing committed yet; NULL when out of memory. */
struct epslot *epslot_new(void);
/* <eps> (n of them) are live now: slots outside them become collectable. */
void epslot_commit(struct epslot *s, const struct im_ep *eps, size_t n);
/* Frees the slots no live endpoint uses and no connection counts on.
 * Does nothing before the first commit or when nothing is waiting.
 * Returns how many it freed, or -errno. */
int epslot_gc(const struct dp *dp, struct epslot *s);
/* Slots wait for their connections to close: collect again later. */
bool epslot_waiting(const struct epslot *s);
void epslot_free(struct epslot *s);

#endif
