// SPDX-License-Identifier: Apache-2.0
/* DestinationRule loadBalancer, after Istio's validateLoadBalancer and
 * agent.ValidateLocalityLbSetting, plus the CRD's warmup bounds. */
#include "networking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Envoy's (and so Istio's) primality test for the Maglev table size */
static bool is_prime(uint64_t v)
{
	uint64_t f;

	if (v != 0 && v < 4)
		return true;
	if (!(v & 1))
		return false;
	for (f = 3; f <= v / f; f += 2)
		if (!(v % f))
			return false;
	return true;
}

static int64_t raw_int(const struct ynode *m, const char *key)
{
	int64_t v = 0;

	return ynode_as_int(ynode_get(m, key), &v) ? v : 0;
}

static void maglev(const struct vctx *x, const struct ynode *ml,
		   const char *path)
{
	int64_t ts = raw_int(ml, "tableSize");
	char p[VP_LEN];

	vp(p, "%s.maglev.tableSize", path);
	if (ts == 0)
		v_error(x->c, x->o, ml, p, "Set tableSize, e.g. 65537.",
			"tableSize must be set for maglev");
	if (ts >= 5000011)
		v_error(x->c, x->o, vnode(ml, "tableSize"), p, "Use a prime "
			"below 5000011, e.g. 65537.", "tableSize must be less "
			"than 5000011 for maglev");
	if (ts < 0 || !is_prime((uint64_t)ts))
		v_error(x->c, x->o, vnode(ml, "tableSize"), p, "Use a prime "
			"number, e.g. 65537.", "tableSize must be a prime "
			"number for maglev");
}

/* Envoy refuses a ring larger than 8M entries (NACK: no cluster at all). */
static void ring_size(const struct vctx *x, const struct ynode *at,
		      int64_t size, const char *path)
{
	if (size > 8388608)
		diag_add(&x->c->diag, "IM1350", SEV_WARNING, x->o, at, path,
			 "Use a minimumRingSize of at most 8388608 (the "
			 "default is 1024).", "minimumRingSize %lld is above "
			 "Envoy's limit of 8388608: Envoy rejects the cluster "
			 "and the service gets no route", (long long)size);
}

static void consistent_hash(const struct vctx *x,
			    const struct consistent_hash *ch, const char *path)
{
	int keys = !!ch->http_header_name + !!ch->http_cookie.at +
		   ch->use_source_ip.set + !!ch->http_query_parameter_name;
	char p[VP_LEN];

	if (keys > 1)
		v_error(x->c, x->o, ch->at, path, "Hash on one key only.",
			"only one of httpHeaderName, httpCookie, useSourceIp or "
			"httpQueryParameterName can be set");
	if (ch->http_cookie.at && (!ch->http_cookie.name ||
				   !*ch->http_cookie.name))
		v_error(x->c, x->o, ch->http_cookie.at, vp(p, "%s.httpCookie",
			path), "Name the cookie.", "name required for HttpCookie");
	if (ch->minimum_ring_size.v) {
		vp(p, "%s.minimumRingSize", path);
		v_warn(x->c, x->o, vnode(ch->at, "minimumRingSize"), p,
		       "Use ringHash: {minimumRingSize: N}.", "consistent hash "
		       "MinimumRingSize is deprecated, use ConsistentHashLB's "
		       "RingHash configuration instead");
		if (ch->ring_hash || ch->maglev)
			v_error(x->c, x->o, vnode(ch->at, "minimumRingSize"), p,
				"Keep ringHash or maglev only.", "only one of "
				"MinimumRingSize or Maglev/Ringhash can be "
				"specified");
		ring_size(x, vnode(ch->at, "minimumRingSize"),
			  ch->minimum_ring_size.v, p);
	}
	if (ch->ring_hash && ch->maglev)
		v_error(x->c, x->o, ch->at, path, "Keep ringHash or maglev.",
			"only one of ringHash or maglev can be set");
	if (ch->maglev)
		maglev(x, ch->maglev, path);
	if (ch->ring_hash)
		ring_size(x, vnode(ch->ring_hash, "minimumRingSize"),
			  raw_int(ch->ring_hash, "minimumRingSize"),
			  vp(p, "%s.ringHash.minimumRingSize", path));
}

/* One locality "region/zone/subzone" already seen; "*" = all below. */
struct loc { char r[128], z[128], s[128]; };

static const char *overlap(const struct loc *v, size_t n, const struct loc *l,
			   int level)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(v[i].r, "*"))
			return "overlap with previous specified ones";
		if (strcmp(v[i].r, l->r))
			continue;
		if (level == 0 || !strcmp(v[i].z, "*"))
			return "overlap with previous specified ones";
		if (strcmp(v[i].z, l->z))
			continue;
		if (level == 1 || !strcmp(v[i].s, "*") || !strcmp(v[i].s, l->s))
			return "overlap with previous specified ones";
	}
	return NULL;
}

/* getLocalityParam: up to 3 '/'-separated parts, none empty */
static int split_locality(const char *s, struct loc *l)
{
	char *dst[3] = { l->r, l->z, l->s };
	int k = 0;

	strcpy(l->z, "*");
	strcpy(l->s, "*");
	for (;; k++) {
		size_t n = k < 2 ? strcspn(s, "/") : strlen(s);

		if (!n)
			return -1;
		snprintf(dst[k], 128, "%.*s", (int)n, s);
		if (!s[n] || k == 2)
			return k;
		s += n + 1;
	}
}

/* validateLocalities: the first problem, in <buf>, or NULL */
static const char *localities(const char *const *v, size_t n, char *buf,
			      size_t len)
{
	struct loc *seen = calloc(n + 1, sizeof(*seen));
	const char *why = NULL;
	size_t i;

	if (!seen)
		abort();
	for (i = 0; i < n && !why; i++) {
		const char *s = v[i] ? v[i] : "", *star = strchr(s, '*');
		int level;

		if (star && (strchr(star + 1, '*') || star[1]))
			why = "wildcard '*' number can not exceed 1 and must be "
			      "in the end";
		else if ((level = split_locality(s, &seen[i])) < 0)
			why = "must not contain empty region/zone/subzone info";
		else
			why = overlap(seen, i, &seen[i], level);
		if (why)
			snprintf(buf, len, "locality %s %s", s, why);
	}
	free(seen);
	return why ? buf : NULL;
}

static bool topology_label(const char *l)
{
	return !strcmp(l, "topology.kubernetes.io/region") ||
	       !strcmp(l, "topology.kubernetes.io/zone") ||
	       !strcmp(l, "topology.istio.io/subzone");
}

/* distribute[]: weights 1..100 summing to exactly 100 per entry */
static bool distribute(const struct vctx *x, const struct locality_lb *ll,
		       const char *path)
{
	char p[VP_LEN], why[600];
	const char **src = calloc(ll->distribute.n + 1, sizeof(*src));
	bool ok = true;
	size_t i, j;

	if (!src)
		abort();
	for (i = 0; ok && i < ll->distribute.n; i++) {
		const struct locality_distribute *d = &ll->distribute.v[i];
		const char **dst = calloc(d->to.n + 1, sizeof(*dst));
		uint64_t total = 0;

		if (!dst)
			abort();
		vp(p, "%s.distribute[%zu]", path, i);
		src[i] = d->from;
		for (j = 0; ok && j < d->to.n; j++) {
			int64_t w = d->to.v[j].weight.v;

			dst[j] = d->to.v[j].key;
			total += (uint64_t)w;
			ok = w > 0 && w <= 100;
			if (!ok)
				v_error(x->c, x->o, d->to.v[j].at, p,
					"Use weights from 1 to 100.", "locality "
					"weight must be in range [1, 100]");
		}
		if (ok && total != 100) {
			ok = false;
			v_error(x->c, x->o, vnode(d->at, "to"), p,
				"Make the weights of this entry add up to 100.",
				"total locality weight %llu != 100",
				(unsigned long long)total);
		}
		if (ok && localities(dst, d->to.n, why, sizeof(why)))
			v_error(x->c, x->o, vnode(d->at, "to"), p, "List each "
				"locality once; '*' only as a last segment.",
				"%s", why);
		free(dst);
	}
	if (ok && localities(src, ll->distribute.n, why, sizeof(why)))
		v_error(x->c, x->o, vnode(ll->at, "distribute"), path, "List "
			"each locality once; '*' only as a last segment.", "%s",
			why);
	free(src);
	return ok;
}

static void failover(const struct vctx *x, const struct locality_lb *ll,
		     const char *path)
{
	static const char *fix = "Name two different regions, without '/' "
				 "or '*'.";
	char p[VP_LEN];
	size_t i;

	for (i = 0; i < ll->failover.n; i++) {
		const struct locality_failover *f = &ll->failover.v[i];
		const char *from = f->from ? f->from : "", *to = f->to ? f->to : "";

		vp(p, "%s.failover[%zu]", path, i);
		if (!strcmp(from, to))
			v_error(x->c, x->o, f->at, p, fix, "locality lb failover "
				"settings must specify different regions");
		if (strchr(from, '/') || strchr(to, '/'))
			v_error(x->c, x->o, f->at, p, fix,
				"locality lb failover only specify region");
		if (strchr(from, '*') || strchr(to, '*'))
			v_error(x->c, x->o, f->at, p, fix, "locality lb failover "
				"region should not contain '*' wildcard");
	}
}

static void locality(const struct vctx *x, const struct locality_lb *ll,
		     const struct outlier_detection *od, const char *path)
{
	size_t i;

	if (!ll->at)
		return;
	if (ll->distribute.n && ll->failover.n) {
		v_error(x->c, x->o, ll->at, path, "Keep distribute or failover.",
			"can not simultaneously specify 'distribute' and "
			"'failover'");
		return;
	}
	for (i = 0; ll->failover.n && i < ll->failover_priority.n; i++) {
		const char *l = ll->failover_priority.v[i];

		if (l && topology_label(l)) {
			v_error(x->c, x->o, vnode(ll->at, "failoverPriority"),
				path, "Drop failover, or the topology labels "
				"from failoverPriority.", "can not simultaneously "
				"set 'failover' and topology label '%s' in "
				"'failover_priority'", l);
			return;
		}
	}
	if (!distribute(x, ll, path))
		return;
	if ((ll->failover.n || ll->failover_priority.n) && !od->at)
		v_warn(x->c, x->o, ll->at, path, "Add outlierDetection to this "
		       "traffic policy; without it traffic never fails over.",
		       "outlier detection policy must be provided for failover");
	failover(x, ll, path);
}

static void warmup(const struct vctx *x, const struct load_balancer *lb,
		   const char *path)
{
	const struct warmup *w = &lb->warmup;
	char p[VP_LEN];

	if (!w->at)
		return;
	if (!w->duration.set)
		v_error(x->c, x->o, w->at, vp(p, "%s.duration", path),
			"Set duration, e.g. 60s.", "duration is required");
	v_duration(x, w->at, "duration", &w->duration,
		   vp(p, "%s.duration", path));
	vp(p, "%s.minimumPercent", path);
	if (w->minimum_percent.set && w->minimum_percent.v > 100)
		v_error(x->c, x->o, vnode(w->at, "minimumPercent"), p,
			"Use a percentage from 0 to 100.", "minimumPercent value "
			"should be less than or equal to 100");
	if (w->minimum_percent.set && w->minimum_percent.v < 0)
		v_error(x->c, x->o, vnode(w->at, "minimumPercent"), p,
			"Use a percentage from 0 to 100.", "minimumPercent value "
			"should be greater than or equal to 0");
	if (w->aggression.set && w->aggression.v < 1)
		v_error(x->c, x->o, vnode(w->at, "aggression"),
			vp(p, "%s.aggression", path), "Use 1 (linear) or more.",
			"aggression should be greater than or equal to 1");
}

/* Slow start exists only for ROUND_ROBIN and LEAST_REQUEST (the default);
 * Istio drops warmup silently for the others. */
static void warmup_ignored(const struct vctx *x, const struct load_balancer *lb,
			   const char *path)
{
	int s = lb->simple.v;

	if (!lb->warmup.at && !lb->warmup_duration_secs.set)
		return;
	if (!lb->consistent_hash.at && (!lb->simple.set || s == LB_ROUND_ROBIN ||
	    s == LB_LEAST_REQUEST || s == LB_LEAST_CONN || s == LB_UNSPECIFIED))
		return;
	diag_add(&x->c->diag, "IM1352", SEV_WARNING, x->o,
		 lb->warmup.at ? lb->warmup.at : vnode(lb->at, "warmupDurationSecs"),
		 path, "Use simple: ROUND_ROBIN or LEAST_REQUEST, or remove warmup.",
		 "warmup only applies to ROUND_ROBIN and LEAST_REQUEST load "
		 "balancing: with %s new endpoints get full traffic at once",
		 lb->consistent_hash.at ? "consistentHash" :
		 lb_simple_names[s]);
}

void dr_load_balancer(const struct vctx *x, const struct load_balancer *lb,
		      const struct outlier_detection *od, const char *path)
{
	char p[VP_LEN];

	if (!lb->at)
		return;
	if (lb->simple.set && lb->consistent_hash.at)
		v_error(x->c, x->o, lb->at, path, "Keep simple or consistentHash.",
			"only one of simple or consistentHash can be set");
	if (lb->consistent_hash.at)
		consistent_hash(x, &lb->consistent_hash,
				vp(p, "%s.consistentHash", path));
	locality(x, &lb->locality_lb_setting, od,
		 vp(p, "%s.localityLbSetting", path));
	warmup(x, lb, vp(p, "%s.warmup", path));
	warmup_ignored(x, lb, path);
}
