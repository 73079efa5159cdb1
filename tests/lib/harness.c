// SPDX-License-Identifier: Apache-2.0
#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

#define MAX_SUITES 128

static struct { const char *name; unit_fill_fn fill; } suites[MAX_SUITES];
static size_t n_suites;

void unit_add_suite(const char *name, unit_fill_fn fill)
{
	if (n_suites < MAX_SUITES)
		suites[n_suites++] = (typeof(suites[0])){ name, fill };
}

struct config *unit_load(const char *yaml)
{
	struct config *c = malloc(sizeof(*c));

	config_init(c);
	config_load_buffer(c, "test.yaml", yaml, strlen(yaml));
	config_validate(c);
	return c;
}

void unit_free(struct config *c)
{
	config_free(c);
	free(c);
}

size_t unit_count_code(const struct config *c, const char *code)
{
	size_t i, n = 0;

	for (i = 0; i < c->diag.n; i++)
		n += !strcmp(c->diag.v[i].code, code);
	return n;
}

const struct finding *unit_find_code(const struct config *c, const char *code)
{
	size_t i;

	for (i = 0; i < c->diag.n; i++)
		if (!strcmp(c->diag.v[i].code, code))
			return &c->diag.v[i];
	return NULL;
}

struct object *unit_obj(const struct config *c, enum kind k, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->objs[i]->kind == k && c->objs[i]->meta.name &&
		    !strcmp(c->objs[i]->meta.name, name))
			return c->objs[i];
	return NULL;
}

void unit_dump(const struct config *c)
{
	diag_print_text(&c->diag, stderr);
}

int main(int argc, char **argv)
{
	unsigned fails;
	size_t i;

	/* Tests talk to children and sockets that may already be gone; a
	 * write to them must fail with EPIPE, not kill the whole program
	 * silently (seen: tests/bpf died with status 141 now and then). */
	signal(SIGPIPE, SIG_IGN);
#ifdef IM_LANE
	/* in the kTLS lane (tools/ktls-lane.sh) the argument is the lane's
	 * MiB, not a suite: run them all */
	argc = 1;
#endif
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (i = 0; i < n_suites; i++) {
		/* optional filter: run only suites named on the command line */
		int j, want = argc < 2;

		for (j = 1; j < argc; j++)
			want |= !strcmp(argv[j], suites[i].name);
		if (want)
			suites[i].fill(CU_add_suite(suites[i].name, NULL, NULL));
	}
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
#ifdef IM_LANE
	/* the line the lane's verdict reads */
	printf("LANE RESULT passed=%u failed=%u\n",
	       CU_get_number_of_tests_run() - CU_get_number_of_tests_failed(),
	       CU_get_number_of_tests_failed());
#endif
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
