// SPDX-License-Identifier: Apache-2.0
/*
 * Ejection lists (im_cl_ej) follow the live tables: a removed cluster's
 * list is deleted, a kept one keeps its live ejections, and a cluster
 * that finds the map full is written without a list and counted, never
 * failing the tables.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_testlib.h"

/* A subset of cluster <cl>, with outlier detection or not. */
static struct im_subset sub_of(uint64_t cl, bool outlier)
{
	return (struct im_subset){ .cluster = cl, .consec_fail = 2,
				   .max_eject_pct = 100,
				   .flags = outlier ? IM_SUB_OUTLIER : 0 };
}

static bool has_list(const struct dp *dp, uint64_t cl, struct im_cl_ej *l)
{
	struct im_cl_ej tmp;

	return !bpf_map_lookup_elem(dp_map_fd(dp, "im_cl_ej"), &cl,
				    l ? l : &tmp);
}

static void cl_ej_removed_deleted(void)
{
	struct im_subset s[3] = { sub_of(11, true), sub_of(12, true),
				  sub_of(13, false) };
	struct im_cl_ej l = { .until_max = 12345 };
	unsigned int full = 9;
	struct dp dp;
	int i;

	NEED_ROOT();
	if (dp_test_load(&dp, NULL))
		return;
	for (i = 0; i < 3; i++)
		CHECK_EQ(dp_put_subset(&dp, 0, i, &s[i], NULL), 0, "subset %d", i);
	CHECK_EQ(has_list(&dp, 11, NULL) && has_list(&dp, 12, NULL), 1,
		 "outlier clusters 11 and 12 have lists");
	CHECK_EQ(has_list(&dp, 13, NULL), 0, "13 (no outlier detection) none");
	CHECK_EQ(bpf_map_update_elem(dp_map_fd(&dp, "im_cl_ej"), &s[0].cluster,
				     &l, BPF_EXIST), 0, "an ejection in 11's");
	s[1] = s[0];		/* the live tables: 11 alone */
	CHECK_EQ(dp_cl_ej_sync(&dp, s, 2, &full), 1, "one list deleted");
	CHECK_EQ(full, 0, "nothing left without a list");
	CHECK_EQ(has_list(&dp, 12, NULL), 0, "removed cluster 12: gone");
	memset(&l, 0, sizeof(l));
	CHECK_EQ(has_list(&dp, 11, &l), 1, "kept cluster 11: there");
	CHECK_EQ(l.until_max, 12345, "its live ejection untouched");
	CHECK_EQ(dp_cl_ej_sync(&dp, s, 2, &full), 0, "again: nothing to do");
	CHECK_EQ(dp_cl_ej_sync(&dp, NULL, 0, &full), 1, "no tables: 11 goes");
	dp_destroy(&dp);
}

/* Fills im_cl_ej with clusters 1000.. (IM_MAX_CLUSTERS of them). */
static bool fill(const struct dp *dp)
{
	static const struct im_cl_ej empty;
	int fd = dp_map_fd(dp, "im_cl_ej");
	uint64_t cl;

	for (cl = 1000; cl < 1000 + IM_MAX_CLUSTERS; cl++)
		if (bpf_map_update_elem(fd, &cl, &empty, BPF_NOEXIST))
			return CHECK_EQ(-errno, 0, "list %llu",
					(unsigned long long)cl);
	return true;
}

static void cl_ej_full_counted(void)
{
	struct im_subset *s = calloc(IM_MAX_CLUSTERS + 1, sizeof(*s));
	struct im_subset one = sub_of(7, true);
	unsigned int full = 0;
	struct dp dp;
	uint32_t i;

	NEED_ROOT();
	if (!CHECK_EQ(s != NULL, 1, "memory") || dp_test_load(&dp, NULL)) {
		free(s);
		return;
	}
	if (!fill(&dp))
		goto out;
	CHECK_EQ(dp_cl_ej_add(&dp, 7), -ENOSPC, "the map is full");
	CHECK_EQ(dp_put_subset(&dp, 0, 0, &one, NULL), 0,
		 "a new outlier subset is still written");
	CHECK_EQ(has_list(&dp, 7, NULL), 0, "without a list");
	/* tables whose clusters outnumber the map: 1000.. and 7 */
	for (i = 0; i < IM_MAX_CLUSTERS; i++)
		s[i] = sub_of(1000 + i, true);
	s[IM_MAX_CLUSTERS] = one;
	CHECK_EQ(dp_cl_ej_sync(&dp, s, IM_MAX_CLUSTERS + 1, &full), 0,
		 "nothing to delete");
	CHECK_EQ(full, 1, "the one without room is counted");
	/* the live tables: 7 alone; the others' lists make room */
	CHECK_EQ(dp_cl_ej_sync(&dp, &one, 1, &full), (int)IM_MAX_CLUSTERS,
		 "the removed clusters' lists deleted");
	CHECK_EQ(full, 0, "none left without");
	CHECK_EQ(has_list(&dp, 7, NULL), 1, "7 has its list now");
out:
	dp_destroy(&dp);
	free(s);
}

UNIT_SUITE(dp_cl_ej)
{
	UNIT_TEST(s, cl_ej_removed_deleted);
	UNIT_TEST(s, cl_ej_full_counted);
}
