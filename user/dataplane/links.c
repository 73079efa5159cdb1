// SPDX-License-Identifier: Apache-2.0
/*
 * The guard follower (links.h): a table of the namespace's links kept in
 * step with rtnetlink, the rule that says which hooks each one wants, and
 * the step that brings the attached hooks in line with the wanted ones.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/grow.h"
#include "links.h"
#include "rtnl.h"

#define BIT(h) (1u << (h))

struct link_ent {
	int ifindex;
	char name[IF_NAMESIZE];
	bool loopback;
	bool seen;		/* in the last dump (overrun recovery) */
	/* BIT(DP_GUARD_*): wanted by rules (a) and (b), by rule (c), attached,
	 * and failed to attach (logged once) */
	unsigned int by_name, by_route, on, failed;
	const char *why[DP_GUARD_N_KINDS];	/* the listed name or pattern */
	uint32_t via;		/* rule (c): a workload address routed here */
};

struct links {
	struct links_opts o;
	struct rtnl *nl;
	struct link_ent *v;
	size_t n, cap;
	uint32_t *ips;		/* rule (c): the local workloads */
	size_t n_ips, cap_ips;
	bool settled;		/* a workload set is known: may detach */
	bool reconciled;	/* an earlier agent's leftovers looked at */
	struct links_stats st;
};

static const char *const hook_names[DP_GUARD_N_KINDS] = {
	[DP_GUARD_TC_INGRESS] = "tc ingress",
	[DP_GUARD_TC_EGRESS] = "tc egress",
	[DP_GUARD_XDP] = "xdp",
};

const char *dp_guard_kind_name(enum dp_guard_kind h)
{
	return h < DP_GUARD_N_KINDS ? hook_names[h] : "?";
}

static void logf_(const struct links *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logf_(const struct links *l, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!l->o.ops.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	l->o.ops.log(l->o.ops.log_ctx, line);
}

/* ---- the table ---- */

static struct link_ent *find(struct links *l, int ifindex)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].ifindex == ifindex)
			return &l->v[i];
	return NULL;
}

static struct link_ent *add(struct links *l, int ifindex)
{
	struct link_ent *e = GROW_PUSH(l->v, l->n, l->cap);

	if (e)
		e->ifindex = ifindex;
	return e;
}

/* The kernel removed the interface and every filter on it. */
static void forget(struct links *l, struct link_ent *e)
{
	if (e->on) {
		l->st.vanished++;
		logf_(l, "%s (ifindex %d) is gone, and its guards with it",
		      e->name, e->ifindex);
	}
	*e = l->v[--l->n];
}

static void want_by_name(const struct links *l, struct link_ent *e);

static void on_link(void *ctx, const struct rtnl_link *rl)
{
	struct links *l = ctx;
	struct link_ent *e = find(l, rl->ifindex);

	if (rl->removed) {
		if (e)
			forget(l, e);
		return;
	}
	if (!e)
		e = add(l, rl->ifindex);
	if (!e)
		return;		/* no memory: the next dump retries */
	memcpy(e->name, rl->name, sizeof(e->name));	/* a rename too */
	e->loopback = rl->flags & IFF_LOOPBACK;
	e->seen = true;
	want_by_name(l, e);
}

/* Dumps every link; the ones the dump no longer shows are forgotten. */
static int dump(struct links *l)
{
	size_t i;
	int err;

	for (i = 0; i < l->n; i++)
		l->v[i].seen = false;
	err = rtnl_dump_links(l->nl, on_link, l);
	if (err)
		return err;
	for (i = l->n; i-- > 0;)
		if (!l->v[i].seen)
			forget(l, &l->v[i]);
	return 0;
}

/* ---- the rule ---- */

/* Rules (a) and (b): they depend on the name only. */
static void want_by_name(const struct links *l, struct link_ent *e)
{
	size_t i;

	e->by_name = 0;
	memset(e->why, 0, sizeof(e->why));
	for (i = 0; i < l->o.n_wants; i++) {
		const struct links_want *w = &l->o.wants[i];
		bool hit = w->pattern ? !fnmatch(w->name, e->name, 0)
				      : !strcmp(w->name, e->name);

		if (hit && !(e->by_name & BIT(w->hook))) {
			e->by_name |= BIT(w->hook);
			e->why[w->hook] = w->name;
		}
	}
}

/* Rule (c) for one address. Returns false when the kernel could not be
 * asked: the caller must then keep what is attached. */
static bool want_by_route(struct links *l, uint32_t ip)
{
	char a[INET_ADDRSTRLEN];
	struct rtnl_route rt;
	struct link_ent *e;
	int err = rtnl_route_get(l->nl, ip, &rt);

	if (err == -ENETUNREACH || err == -EHOSTUNREACH || err == -EINVAL ||
	    err == -ENETDOWN)
		return true;	/* no route: no interface of its own yet */
	if (err) {
		inet_ntop(AF_INET, &ip, a, sizeof(a));
		logf_(l, "the route to workload %s: %s", a, strerror(-err));
		return false;
	}
	if (rt.type != RTN_UNICAST || rt.gateway)
		return true;	/* on this host, or behind a next hop */
	e = find(l, rt.oif);
	if (!e && !dump(l))	/* its link event is still queued */
		e = find(l, rt.oif);
	if (!e || e->loopback)
		return true;
	e->by_route |= BIT(DP_GUARD_TC_EGRESS);
	e->via = ip;
	return true;
}

/* Sets every entry's <by_route>; false when rule (c) is unsure. */
static bool decide(struct links *l)
{
	bool sure = true;
	size_t i;

	for (i = 0; i < l->n; i++)
		l->v[i].by_route = 0;
	for (i = 0; l->o.routes && i < l->n_ips; i++)
		sure &= want_by_route(l, l->ips[i]);
	if (!sure)
		logf_(l, "a route lookup failed: the guards attached stay");
	return sure;
}

/* ---- acting on it ---- */

static void why_text(const struct link_ent *e, enum dp_guard_kind h, char *buf,
		     size_t n)
{
	char ip[INET_ADDRSTRLEN];

	if (e->why[h]) {
		snprintf(buf, n, "rule %s", e->why[h]);
		return;
	}
	inet_ntop(AF_INET, &e->via, ip, sizeof(ip));
	snprintf(buf, n, "route to workload %s", ip);
}

static void attach(struct links *l, struct link_ent *e, enum dp_guard_kind h)
{
	int err = l->o.ops.attach(l->o.ops.ctx, e->ifindex, h);
	char why[64];

	why_text(e, h, why, sizeof(why));
	if (!err) {
		e->on |= BIT(h);
		e->failed &= ~BIT(h);
		l->st.attached++;
		logf_(l, "guard %s attached to %s (ifindex %d): %s",
		      hook_names[h], e->name, e->ifindex, why);
		return;
	}
	l->st.failed++;
	if (!(e->failed & BIT(h)))	/* once, not at every event */
		logf_(l, "guard %s on %s (ifindex %d) failed: %s (%s)",
		      hook_names[h], e->name, e->ifindex, strerror(-err), why);
	e->failed |= BIT(h);
}

/* The clsact qdisc goes with the last tc filter on it, ours or not: an
 * interface we stop guarding is left as we found it. */
static void clsact_tidy(struct links *l, struct link_ent *e)
{
	int in, eg;

	if (!l->o.ops.clsact_remove ||
	    (e->on & (BIT(DP_GUARD_TC_INGRESS) | BIT(DP_GUARD_TC_EGRESS))))
		return;
	in = rtnl_tc_filters(l->nl, e->ifindex,
			     TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
	eg = rtnl_tc_filters(l->nl, e->ifindex,
			     TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS));
	if (in || eg)	/* filters of others, or the kernel did not say */
		return;
	if (!l->o.ops.clsact_remove(l->o.ops.ctx, e->ifindex))
		logf_(l, "clsact qdisc removed from %s (ifindex %d): no "
		      "filter left on it", e->name, e->ifindex);
}

static void detach(struct links *l, struct link_ent *e, enum dp_guard_kind h,
		   const char *why)
{
	int err = l->o.ops.detach(l->o.ops.ctx, e->ifindex, h);

	e->on &= ~BIT(h);
	if (err) {
		l->st.failed++;
		logf_(l, "removing guard %s from %s (ifindex %d) failed: %s",
		      hook_names[h], e->name, e->ifindex, strerror(-err));
		return;
	}
	l->st.detached++;
	logf_(l, "guard %s removed from %s (ifindex %d): %s", hook_names[h],
	      e->name, e->ifindex, why);
	if (h != DP_GUARD_XDP)
		clsact_tidy(l, e);
}

/* Hooks an earlier agent left where nothing wants them now. */
static void reconcile(struct links *l, struct link_ent *e)
{
	unsigned int want = e->by_name | e->by_route;
	enum dp_guard_kind h;

	for (h = 0; h < DP_GUARD_N_KINDS; h++)
		if (!((want | e->on) & BIT(h)) &&
		    l->o.ops.owned(l->o.ops.ctx, e->ifindex, h))
			detach(l, e, h, "left by an earlier agent, "
			       "no rule matches");
}

static void apply(struct links *l, struct link_ent *e, bool may_detach)
{
	unsigned int want = e->by_name | e->by_route;
	enum dp_guard_kind h;

	for (h = 0; h < DP_GUARD_N_KINDS; h++) {
		if ((want & BIT(h)) && !(e->on & BIT(h)))
			attach(l, e, h);
		else if (may_detach && (e->on & BIT(h)) && !(want & BIT(h)))
			detach(l, e, h, "no rule matches any more");
	}
	if (may_detach && !l->reconciled && l->o.ops.owned)
		reconcile(l, e);
}

static void sync_hooks(struct links *l)
{
	bool sure = decide(l);
	size_t i;

	for (i = 0; i < l->n; i++)
		apply(l, &l->v[i], l->settled && sure);
	if (l->settled && sure)
		l->reconciled = true;
}

/* ---- the interface ---- */

int links_open(struct links **out, const struct links_opts *o)
{
	struct links *l = calloc(1, sizeof(*l));
	int err;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->o = *o;
	err = rtnl_open(&l->nl);
	err = err ?: dump(l);
	if (err) {
		links_close(l);
		return err;
	}
	sync_hooks(l);
	*out = l;
	return 0;
}

void links_close(struct links *l)
{
	if (!l)
		return;
	rtnl_close(l->nl);
	free(l->v);
	free(l->ips);
	free(l);
}

int links_fd(const struct links *l)
{
	return rtnl_fd(l->nl);
}

int links_on_events(struct links *l)
{
	int seen = rtnl_read(l->nl, on_link, l), err;

	if (seen < 0)
		return seen;
	if (seen & RTNL_EV_OVERRUN) {
		l->st.overruns++;
		err = dump(l);
		if (err)
			return err;
	}
	if (seen)
		sync_hooks(l);
	return 0;
}

int links_set_workloads(struct links *l, const uint32_t *ips, size_t n)
{
	uint32_t *v = NULL;

	if (n) {
		v = malloc(n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memcpy(v, ips, n * sizeof(*v));
	}
	free(l->ips);
	l->ips = v;
	l->n_ips = l->cap_ips = n;
	l->settled = true;
	sync_hooks(l);
	return 0;
}

static bool known(const struct links *l, uint32_t ip)
{
	size_t i;

	for (i = 0; i < l->n_ips; i++)
		if (l->ips[i] == ip)
			return true;
	return false;
}

int links_add_workloads(struct links *l, const uint32_t *ips, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (known(l, ips[i]))
			continue;
		if (l->n_ips == l->cap_ips &&
		    grow((void **)&l->ips, &l->cap_ips, sizeof(*l->ips)))
			return -ENOMEM;
		l->ips[l->n_ips++] = ips[i];
	}
	sync_hooks(l);
	return 0;
}

void links_detach_all(struct links *l)
{
	enum dp_guard_kind h;
	size_t i;

	for (i = 0; i < l->n; i++)
		for (h = 0; h < DP_GUARD_N_KINDS; h++)
			if (l->v[i].on & BIT(h))
				detach(l, &l->v[i], h, "stopping");
}

void links_get_stats(const struct links *l, struct links_stats *s)
{
	*s = l->st;
}

unsigned int links_hooks(const struct links *l, int ifindex)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].ifindex == ifindex)
			return l->v[i].on;
	return 0;
}

size_t links_count(const struct links *l)
{
	return l->n;
}
