// SPDX-License-Identifier: Apache-2.0
/* `infermesh maps` on real pinned maps: the dataplane is loaded, its maps
 * pinned in a bpffs instance of the test's own (mounted on a temporary
 * directory, so nothing of the host's /sys/fs/bpf is touched) and filled
 * with the table writers, then unloaded (the agent is down) before the
 * views read the pins. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "dp_testlib.h"
#include "maps/view.h"

static const char *const pinned[] = {
	"im_cfg", "im_svc", "im_route_v2", "im_subset_v2", "im_ep_v3",
	"im_ep_state", "im_ep_slot", "im_host", "im_cl_ej",
	"im_ident", "im_wlport", "im_polset", "im_clause_v2", "im_member_v2",
	"im_xdeny", "im_drops_v2", "im_sock_st", "im_count", "im_idlvl",
	"im_local", "im_cap_st_v2", "im_cap_v2",
};
#define N_PINNED (sizeof(pinned) / sizeof(pinned[0]))

static void unpin_all(const char *dir)
{
	char p[256];
	size_t i;

	for (i = 0; i < N_PINNED; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, pinned[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/%s", dir, NAMES_MAP);
	unlink(p);
	rmdir(dir);
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* Identity: a workload's cgroup at level 3 (and some at 2) in generation
 * 1, a stale level list in 0; two local workloads, one with that
 * identity. */
static int fill_idents(struct dp *dp, struct im_names *n)
{
	struct im_ident id = { .principal = 1, .ns = 1,
			       .ip = ip("10.10.1.14") };
	struct im_idlvl lv1 = { .n = 2, .level = { 3, 2 } };
	struct im_idlvl lv0 = { .n = 1, .level = { 9 } };
	uint32_t local[2] = { ip("10.10.1.14"), ip("10.10.1.99") };
	struct im_local modes[2] = { { .mode = IM_MODE_STRICT },
				     { .mode = IM_MODE_PERMISSIVE } };

	return dp_put_ident(dp, 1, 4242, &id) ?: dp_put_idlvl(dp, 1, &lv1) ?:
	       dp_put_idlvl(dp, 0, &lv0) ?:
	       dp_sync_local(dp, local, modes, 2, true) ?:
	       names_set(n, NAMES_CGROUP, 4242, "kubepods/pod-ms-v1-a") ?:
	       names_set(n, NAMES_PRINCIPAL, 1, "spiffe://ai/sa/ms");
}

/* Tables as the agent would write them: generation 1, then made live. */
static int fill(struct dp *dp, const char *dir)
{
	struct im_svc svc = { .svc_id = 7, .route = 5 };
	struct im_route rt = { .n_dst = 2, .dst = { { 2, 90 }, { 3, 10 } } };
	struct im_subset s2 = { .first_ep = 0, .n_ep = 2, .svc_id = 7 };
	struct im_subset s3 = { .first_ep = 2, .n_ep = 1, .svc_id = 7 };
	struct im_ep eps[3] = {
		{ ip("10.10.1.14"), htons(8080), 0, 0, 1, 5, 0, 0, 0, 0 },
		{ ip("10.10.2.14"), htons(8080), 0, 0, 1, 6, 0, 0, 0, 0 },
		{ ip("10.10.1.15"), htons(8080), 0, 0, 1, 7, 0, 0, 0, 0 },
	};
	struct im_ep_key k = { dp_cluster_id("v1"), eps[0].ip, eps[0].port, 0 };
	struct im_ep_state st = { .active = 2, .conns = 9 };
	struct im_names *n = names_new(1, "node-t");
	int err;

	err = dp_put_service(dp, 1, ip("10.96.0.20"), htons(8080), &svc) ?:
	      dp_put_route(dp, 1, 5, &rt) ?:
	      dp_put_subset(dp, 1, 2, &s2, eps) ?:
	      dp_put_subset(dp, 1, 3, &s3, eps + 2) ?: dp_set_gen(dp, 1);
	if (!err && (dp_put_ep_state(dp, eps[0].slot, &st) ||
		     bpf_map_update_elem(dp_map_fd(dp, "im_ep_slot"), &k,
					 &eps[0].slot, 0)))
		err = -errno;
	if (!err)
		err = fill_idents(dp, n) ?: names_set(n, NAMES_SUBSET, 2, "v1") ?:
		      names_set(n, NAMES_SERVICE, 7, "model-server:8080") ?:
		      names_set_endpoint(n, eps[0].ip, "ai/ms-v1-a", NULL) ?:
		      names_save(n, dir);
	names_free(n);
	return err;
}

static json_t *rows_of(const struct view_ctx *c, const char *name)
{
	json_t *rows = json_array();

	CHECK_EQ(view_find(name)->build(c, rows), 0, "build view %s", name);
	return rows;
}

static const char *str(const json_t *row, const char *key)
{
	const char *v = json_string_value(json_object_get(row, key));

	return v ? v : "(none)";
}

/* The text table of <rows> has <want> in it. */
static void check_text(const struct view *v, const json_t *rows,
		       const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!CHECK_EQ(f != NULL, 1, "memstream"))
		return;
	view_text(f, v, rows);
	fclose(f);
	if (!CHECK_EQ(strstr(buf, want) != NULL, 1, "%s text has '%s'",
		      v->name, want))
		fprintf(stderr, "%s", buf);
	free(buf);
}

/* idlevels: the live generation's levels only; local: each address with
 * its mode by name, joined with its identity where it has one. */
static void check_ident_views(const struct view_ctx *c)
{
	json_t *rows = rows_of(c, "idlevels"), *r, *lv;

	CHECK_EQ(json_array_size(rows), 1, "idlevels: one row, the live gen");
	r = json_array_get(rows, 0);
	lv = json_object_get(r, "levels");
	CHECK_EQ(json_array_size(lv), 2, "idlevels: two levels");
	CHECK_EQ(json_integer_value(json_array_get(lv, 0)), 3, "deepest first");
	CHECK_EQ(json_integer_value(json_array_get(lv, 1)), 2, "then 2");
	json_decref(rows);
	rows = rows_of(c, "local");
	CHECK_EQ(json_array_size(rows), 2, "local workloads");
	r = json_array_get(rows, 0);
	CU_ASSERT_STRING_EQUAL(str(r, "address"), "10.10.1.14");
	CU_ASSERT_STRING_EQUAL(str(r, "mode"), "STRICT");
	CU_ASSERT_STRING_EQUAL(str(r, "workload"), "ai/ms-v1-a");
	CU_ASSERT_STRING_EQUAL(str(r, "principal"), "spiffe://ai/sa/ms");
	CU_ASSERT_STRING_EQUAL(str(r, "cgroup"), "kubepods/pod-ms-v1-a");
	r = json_array_get(rows, 1);
	CU_ASSERT_STRING_EQUAL(str(r, "address"), "10.10.1.99");
	CU_ASSERT_STRING_EQUAL(str(r, "mode"), "PERMISSIVE");
	CHECK_EQ(json_is_null(json_object_get(r, "cgroup")), 1,
		 "no identity: no cgroup");
	check_text(view_find("local"), rows, "10.10.1.99  PERMISSIVE");
	json_decref(rows);
}

static void check_views(const char *dir)
{
	struct map_src s;
	struct view_ctx c = { .src = &s };
	json_t *rows, *r;
	char **names;
	size_t i;

	if (!CHECK_EQ(src_pinned_open(&s, dir), 0, "open pins"))
		return;
	c.dec.gen = view_live_gen(&s, NULL);
	CHECK_EQ(c.dec.gen, 1, "live generation");
	c.dec.names = names_load(dir, c.dec.gen, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL(c.dec.names);
	rows = rows_of(&c, "services");
	CHECK_EQ(json_array_size(rows), 1, "services");
	r = json_array_get(rows, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "service")),
			       "model-server:8080");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
		json_array_get(json_object_get(r, "destinations"), 0), "name")),
		"v1");
	json_decref(rows);
	rows = rows_of(&c, "endpoints");
	CHECK_EQ(json_array_size(rows), 3, "endpoints");
	r = json_array_get(rows, 0);
	CHECK_EQ(json_integer_value(json_object_get(r, "active")), 2,
		 "active connections of the first endpoint");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "workload")),
			       "ai/ms-v1-a");
	json_decref(rows);
	rows = rows_of(&c, "epstate");
	CHECK_EQ(json_array_size(rows), 1, "allocated host slots");
	r = json_array_get(rows, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "cluster")),
			       "v1");
	CHECK_EQ(json_integer_value(json_object_get(r, "state_slot")), 5,
		 "its slot");
	CHECK_EQ(json_integer_value(json_object_get(r, "active")), 2,
		 "its active connections");
	json_decref(rows);
	check_ident_views(&c);
	rows = rows_of(&c, "drops");
	CHECK_EQ(json_array_size(rows), IM_DROP_MAX - 1, "drop reasons");
	json_decref(rows);
	names = src_pinned_names(&s);
	for (i = 0; names && names[i]; i++)
		;
	CHECK_EQ(i, N_PINNED + 1, "maps listed under the pin root (+ names)");
	src_pinned_free_names(names);
	names_free((struct im_names *)c.dec.names);
	src_pinned_close(&s);
}

static void pin_and_check(const char *dir)
{
	char p[128];
	struct dp dp;
	size_t i;
	int err = 0;

	if (dp_test_load(&dp, NULL))
		return;
	for (i = 0; i < N_PINNED && !err; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, pinned[i]);
		err = bpf_obj_pin(dp_map_fd(&dp, pinned[i]), p) ? -errno : 0;
		CHECK_EQ(err, 0, "pin %s", pinned[i]);
	}
	if (!err && !CHECK_EQ(fill(&dp, dir), 0, "fill the tables"))
		err = -EIO;
	dp_destroy(&dp);	/* the agent is gone; the pins remain */
	if (!err)
		check_views(dir);
	unpin_all(dir);
}

/* The bpffs is mounted in a mount namespace of the test's own, on top of
 * /sys/fs/bpf: the host's mounts never change, and a crash leaves nothing
 * behind. The namespace is left again at the end. */
static void maps_read_pins_while_agent_is_down(void)
{
	const char *dir = "/sys/fs/bpf/node-t";
	int host = -1;

	NEED_ROOT();
	host = open("/proc/self/ns/mnt", O_RDONLY);
	if (!CHECK_EQ(host >= 0 ? 0 : -errno, 0, "open mount namespace"))
		return;
	if (CHECK_EQ(unshare(CLONE_NEWNS) ? -errno : 0, 0, "unshare") &&
	    CHECK_EQ(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ?
		     -errno : 0, 0, "make / private") &&
	    CHECK_EQ(mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL) ? -errno : 0,
		     0, "mount a private bpffs") &&
	    CHECK_EQ(mkdir(dir, 0700) ? -errno : 0, 0, "mkdir %s", dir)) {
		pin_and_check(dir);
		rmdir(dir);
	}
	CHECK_EQ(setns(host, CLONE_NEWNS) ? -errno : 0, 0,
		 "back to the original mount namespace");
	close(host);
}

UNIT_SUITE(maps_cli)
{
	UNIT_TEST(s, maps_read_pins_while_agent_is_down);
}
