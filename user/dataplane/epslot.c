// SPDX-License-Identifier: Apache-2.0
/*
 * im_ep_state slot allocation (see epslot.h). The pinned im_ep_slot map is
 * the allocation itself, so nothing here needs saving: a restarted agent
 * finds every host's slot where the previous one left it. In memory there
 * is only what the live tables use, for the collector.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/grow.h"
#include "epslot.h"

#define WORDS (IM_MAX_EP_STATE / 64)

struct epslot {
	uint64_t live[WORDS];	/* bit s: a live endpoint has slot s */
	bool waiting;		/* slots may wait for their connections */
};

static bool bit_get(const uint64_t *b, uint32_t i)
{
	return (b[i / 64] >> (i % 64)) & 1;
}

static void bit_set(uint64_t *b, uint32_t i)
{
	b[i / 64] |= 1ULL << (i % 64);
}

/* Marks in <used> every slot im_ep_slot holds. */
static void used_slots(int fd, uint64_t *used)
{
	struct im_ep_key k, next;
	void *prev = NULL;
	uint32_t slot;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (!bpf_map_lookup_elem(fd, &k, &slot) &&
		    slot < IM_MAX_EP_STATE)
			bit_set(used, slot);
	}
}

/* The slot of host <k>: its own, else the lowest free one from <*cur>. */
static int slot_of(int fd, uint64_t *used, uint32_t *cur,
		   const struct im_ep_key *k, uint32_t *slot)
{
	if (!bpf_map_lookup_elem(fd, k, slot))
		return *slot < IM_MAX_EP_STATE ? 0 : -ERANGE;
	if (errno != ENOENT)
		return -errno;
	while (*cur < IM_MAX_EP_STATE && bit_get(used, *cur))
		(*cur)++;
	if (*cur >= IM_MAX_EP_STATE)
		return -ENOSPC;
	*slot = *cur;
	if (bpf_map_update_elem(fd, k, slot, BPF_NOEXIST))
		return -errno;
	bit_set(used, *slot);
	return 0;
}

/* Cluster names by subset index; a subset without one gets "". */
static const char **cluster_names(const struct tables *t)
{
	const char **n = calloc(t->n_subsets + 1, sizeof(*n));
	size_t i;

	for (i = 0; n && i < t->n_subset_names; i++)
		if (t->subset_names[i].id < t->n_subsets)
			n[t->subset_names[i].id] = t->subset_names[i].name;
	return n;
}

static int assign_subset(int fd, uint64_t *used, uint32_t *cur,
			 const struct im_subset *sub, const char *name,
			 struct im_ep *eps)
{
	struct im_ep_key k = { .cluster = dp_cluster_id(name ? name : "") };
	uint32_t i;
	int err = 0;

	for (i = 0; !err && i < sub->n_ep; i++) {
		k.ip = eps[sub->first_ep + i].ip;
		k.port = eps[sub->first_ep + i].port;
		err = slot_of(fd, used, cur, &k, &eps[sub->first_ep + i].slot);
	}
	return err;
}

int epslot_assign(const struct dp *dp, const struct tables *t,
		  struct im_ep *eps)
{
	int fd = dp_map_fd(dp, "im_ep_slot"), err = 0;
	uint64_t *used = calloc(WORDS, sizeof(*used));
	const char **names = cluster_names(t);
	uint32_t cur = 0;
	size_t i;

	if (fd < 0)
		err = fd;
	else if (!used || !names)
		err = -ENOMEM;
	else
		used_slots(fd, used);
	for (i = 0; !err && i < t->n_subsets; i++) {
		if (t->subsets[i].first_ep + t->subsets[i].n_ep > t->n_eps)
			err = -ERANGE;
		else
			err = assign_subset(fd, used, &cur, &t->subsets[i],
					    names[i], eps);
	}
	free(used);
	free(names);
	return err;
}

struct epslot *epslot_new(void)
{
	return calloc(1, sizeof(struct epslot));
}

void epslot_commit(struct epslot *s, const struct im_ep *eps, size_t n)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < n; i++)
		if (eps[i].slot < IM_MAX_EP_STATE)
			bit_set(s->live, eps[i].slot);
	s->waiting = true;	/* the old tables' slots, maybe */
}

struct dead {
	struct im_ep_key k;
	uint32_t slot;
};

/* The entries of im_ep_slot whose slot no live endpoint uses, collected
 * first: deleting while walking would restart the walk. */
static int dead_slots(int fd, const uint64_t *live, struct dead **out,
		      size_t *n)
{
	struct im_ep_key k, next;
	size_t cap = 0;
	void *prev = NULL;
	uint32_t slot;

	*out = NULL;
	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &slot) ||
		    (slot < IM_MAX_EP_STATE && bit_get(live, slot)))
			continue;
		if (*n == cap && grow((void **)out, &cap, sizeof(**out)))
			return -ENOMEM;
		(*out)[(*n)++] = (struct dead){ k, slot };
	}
	return 0;
}

/* Resets slot <d> for its next owner and releases it; 0 if connections
 * still count on it, 1 when freed. */
static int free_slot(const struct dp *dp, int fd, const struct dead *d)
{
	struct im_ep_state st;

	if (d->slot < IM_MAX_EP_STATE) {
		if (dp_get_ep_state(dp, d->slot, &st))
			return -errno;
		if (st.active)
			return 0;
		/* reset first: a crash before the delete only repeats this */
		st = (struct im_ep_state){ .epoch = st.epoch + 1 };
		if (dp_put_ep_state(dp, d->slot, &st))
			return -errno;
	}
	if (bpf_map_delete_elem(fd, &d->k) && errno != ENOENT)
		return -errno;
	return 1;
}

int epslot_gc(const struct dp *dp, struct epslot *s)
{
	int fd = dp_map_fd(dp, "im_ep_slot"), freed = 0, r = 0;
	struct dead *d;
	size_t n, i;

	if (!s || !s->waiting)
		return 0;
	if (fd < 0)
		return fd;
	r = dead_slots(fd, s->live, &d, &n);
	s->waiting = r < 0;	/* try again after an error */
	for (i = 0; r >= 0 && i < n; i++) {
		r = free_slot(dp, fd, &d[i]);
		if (r == 0)
			s->waiting = true;
		freed += r > 0;
	}
	free(d);
	return r < 0 ? r : freed;
}

bool epslot_waiting(const struct epslot *s)
{
	return s && s->waiting;
}

void epslot_free(struct epslot *s)
{
	free(s);
}
