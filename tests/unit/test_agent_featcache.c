// SPDX-License-Identifier: Apache-2.0
/* Kernel features kept across agent restarts (user/agent/featcache.c):
 * what was stored is read back on this kernel and boot; a file of another
 * boot or kernel, a damaged one, unknown names and no file at all give
 * nothing known (the agent probes as on a first start). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/featcache.h"
#include "harness.h"
#include "kernel/features.h"

static char dir[64];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/im-featcache.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, FEATCACHE_FILE);
	unlink(p);
	rmdir(dir);
}

/* Writes the file by hand: <line1>, then <line2>. */
static void write_file(const char *line1, const char *line2)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, FEATCACHE_FILE);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "%s%s", line1, line2);
	fclose(f);
}

/* The first line of a stored file, this kernel's and boot's. */
static void first_line(char *out, size_t n)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, FEATCACHE_FILE);
	f = fopen(p, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(fgets(out, (int)n, f));
	fclose(f);
}

static void featcache_round_trip(void)
{
	uint32_t m = FEAT_BIT(FEAT_BPF_SYSCALL) | FEAT_BIT(FEAT_CONNECT4) |
		     FEAT_BIT(FEAT_TC);

	mkdir_tmp();
	CU_ASSERT_EQUAL(featcache_load(dir), 0);	/* no file */
	CU_ASSERT_EQUAL(featcache_store(dir, m), 0);
	CU_ASSERT_EQUAL(featcache_load(dir), m);
	CU_ASSERT_EQUAL(featcache_store(dir, 0), 0);
	CU_ASSERT_EQUAL(featcache_load(dir), 0);
	rm_tmp();
	CU_ASSERT_EQUAL(featcache_store("/nonexistent/dir", m), -ENOENT);
}

static void featcache_other_boot_or_damage(void)
{
	char head[256], other[300];

	mkdir_tmp();
	CU_ASSERT_EQUAL(featcache_store(dir, FEAT_BIT(FEAT_TC)), 0);
	first_line(head, sizeof(head));
	CU_ASSERT_EQUAL(strncmp(head, "kernel ", 7), 0);

	/* another boot: the same words but one */
	snprintf(other, sizeof(other), "%.*sx\n", (int)strcspn(head, "\n"),
		 head);
	write_file(other, "present tc_clsact\n");
	CU_ASSERT_EQUAL(featcache_load(dir), 0);
	write_file("kernel 1.2.3 boot 00000000\n", "present tc_clsact\n");
	CU_ASSERT_EQUAL(featcache_load(dir), 0);
	/* this boot, but names of another build, and a cut line */
	write_file(head, "present tc_clsact warp_drive\n");
	CU_ASSERT_EQUAL(featcache_load(dir), FEAT_BIT(FEAT_TC));
	write_file(head, "present tc_clsact");
	CU_ASSERT_EQUAL(featcache_load(dir), 0);
	write_file(head, "absent tc_clsact\n");
	CU_ASSERT_EQUAL(featcache_load(dir), 0);
	write_file("", "");
	CU_ASSERT_EQUAL(featcache_load(dir), 0);
	write_file("\n", "\n");
	CU_ASSERT_EQUAL(featcache_load(dir), 0);
	rm_tmp();
}

UNIT_SUITE(agent_featcache)
{
	UNIT_TEST(s, featcache_round_trip);
	UNIT_TEST(s, featcache_other_boot_or_damage);
}
