// SPDX-License-Identifier: Apache-2.0
/*
 * Putting compiled tables in force (see apply.h): each host gets its
 * state slot, the idle generation is written (user/dataplane/gen.c), the
 * names for `infermesh maps` are saved, and one update of im_cfg makes it
 * live. Slots only the old tables used are freed once no connection
 * counts on them: now, or on a timer while some still do. The policy
 * tables switch for the agent's own inbound path at the same moment.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../dataplane/gen.h"
#include "apply.h"

/* How often slots of removed endpoints are looked at while connections
 * still hold them. */
#define EPSLOT_GC_MS 1000

/* Runs the collection timer while slots wait for their connections. */
static void gc_timer(struct agent *a)
{
	struct itimerspec t = { 0 };

	if (epslot_waiting(a->epslot)) {
		t.it_value.tv_sec = EPSLOT_GC_MS / 1000;
		t.it_value.tv_nsec = EPSLOT_GC_MS % 1000 * 1000000L;
		t.it_interval = t.it_value;
	}
	timerfd_settime(a->gc_fd, 0, &t, NULL);
}

static void collect(struct agent *a)
{
	int freed = epslot_gc(&a->dp, a->epslot);

	if (freed < 0)
		agent_log(a, "endpoint slots: collecting failed: %s",
			  strerror(-freed));
	else if (freed > 0)
		agent_log(a, "endpoint slots freed");
	gc_timer(a);
}

static void on_gc_timer(void *ctx, int fd)
{
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		collect(ctx);
}

int apply_init(struct agent *a)
{
	authz_live_init(&a->authz);
	l7_live_init(&a->l7);
	a->epslot = epslot_new();
	if (!a->epslot)
		return -ENOMEM;
	a->gc_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->gc_fd < 0)
		return -errno;
	return loop_add(&a->loop, a->gc_fd, on_gc_timer, a);
}

void apply_close(struct agent *a)
{
	if (a->gc_fd >= 0) {
		loop_del(&a->loop, a->gc_fd);
		close(a->gc_fd);
	}
	a->gc_fd = -1;
	epslot_free(a->epslot);
	a->epslot = NULL;
	authz_live_free(&a->authz);
	l7_live_free(&a->l7);
}

/* t->eps with every host's state slot, allocated where new. */
static struct im_ep *slotted_eps(struct agent *a, const struct tables *t,
				 int *err)
{
	struct im_ep *eps = malloc((t->n_eps + 1) * sizeof(*eps));

	if (!eps) {
		*err = -ENOMEM;
		return NULL;
	}
	if (t->n_eps)
		memcpy(eps, t->eps, t->n_eps * sizeof(*eps));
	*err = epslot_assign(&a->dp, t, eps);
	if (*err) {
		free(eps);
		return NULL;
	}
	return eps;
}

/* The live tables' clusters keep their ejection lists, removed ones lose
 * them; a cluster that finds im_cl_ej full is logged and counted (its
 * hosts are never ejected), never silent. */
static void sync_ejection_lists(struct agent *a, const struct tables *t)
{
	unsigned int full;
	int gone = dp_cl_ej_sync(&a->dp, t->subsets, t->n_subsets, &full);

	if (gone < 0)
		agent_log(a, "ejection lists: pruning failed: %s",
			  strerror(-gone));
	else if (gone > 0)
		agent_log(a, "ejection lists: %d of removed clusters deleted",
			  gone);
	if (full) {
		a->cl_ej_full += full;
		agent_log(a, "ejection lists: im_cl_ej full (%u): %u clusters "
			  "with outlier detection have none, their hosts are "
			  "never ejected", IM_MAX_CLUSTERS, full);
	}
}

/* The generation the kernel just made live, for authz_check. Without
 * memory for it, connections the agent terminates are refused (no_tables)
 * rather than judged by the tables before. */
static void switch_authz(struct agent *a, const struct tables *t)
{
	struct authz_gen *g = authz_gen_new(t, &a->principals, &a->namespaces);

	if (!g)
		agent_log(a, "inbound authorization: no memory for the new "
			  "tables: tunnelled connections are refused until the "
			  "next reload");
	authz_live_swap(&a->authz, g);
}

/* Without memory for the new generation, requests on L7 ports are
 * refused (no_tables) rather than judged by the old policies. */
void apply_l7(struct agent *a, const struct model *m)
{
	struct l7_gen *g = l7_gen_new(m, a->o.node);

	if (!g)
		agent_log(a, "inbound HTTP authorization: no memory for the new "
			  "policies: requests on HTTP ports judged per request "
			  "are refused until the next reload");
	l7_live_swap(&a->l7, g);
}

int apply_tables(struct agent *a, const struct tables *t)
{
	unsigned int live, idle;
	struct im_ep *eps = NULL;
	int err = dp_gen_live(&a->dp, &live);

	if (!err)
		eps = slotted_eps(a, t, &err);
	if (err)
		return err;
	idle = live ^ 1;
	err = dp_gen_write(&a->dp, idle, t, eps);
	if (!err)
		apply_names(a, t, idle);	/* before the flip: see names.h */
	err = err ?: dp_set_gen(&a->dp, idle);
	if (err) {
		dp_gen_clear(&a->dp, idle);	/* leave nothing half-written */
		free(eps);
		return err;
	}
	a->live_gen = idle;
	a->applies++;
	switch_authz(a, t);
	epslot_commit(a->epslot, eps, t->n_eps);
	collect(a);
	sync_ejection_lists(a, t);
	free(eps);
	return 0;
}
