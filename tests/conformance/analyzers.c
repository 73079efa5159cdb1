// SPDX-License-Identifier: Apache-2.0
/* Istio's analyzer test grid (../shared/fixtures/istio/analyzers/EXPECTED.tsv,
 * see the corpus README): each case loads its input files together (and
 * its mesh config), validates, runs only the named analyzer, as Istio's
 * harness does, and must produce exactly the expected multiset of
 * (code, resource). Cases about ingress Gateway resources are out of scope
 * for a sidecarless mesh dataplane and are skipped loudly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyze.h"
#include "harness.h"

#define DIR "../shared/fixtures/istio/analyzers/"
#define MAX_ROWS 512
#define MAX_CASES 128

/* The analyzer that reports what validation itself found. */
#define VS_VALIDATION \
	"schemaValidation.CollectionValidationAnalyzer(collections.VirtualService)"

/* Out of scope: findings about ingress Gateway resources, which infermesh
 * does not program. Matched on the expected code or the analyzer. */
static const struct { const char *code, *analyzer, *why; } skips[] = {
	{ "IST0132", NULL, "VirtualServiceHostNotFoundInGateway: ingress Gateway hosts" },
	{ "IST0165", NULL, "ReferencedInternalGateway: ingress Gateway references" },
	{ "IST0140", NULL, "IngressRouteRulesNotAffected: ingress Gateway routes" },
	{ NULL, "virtualservice.GatewayAnalyzer", "VirtualService gateway references" },
};

struct row {
	char *test, *files, *code, *resource, *analyzer, *mesh;
};

struct kase {
	const char *test, *files, *analyzer, *mesh;
	struct row *rows[MAX_ROWS];
	size_t n_rows; /* expected messages (rows with "-" excluded) */
	const char *skip;
};

static struct row rows[MAX_ROWS];
static size_t n_rows;
static struct kase cases[MAX_CASES];
static size_t n_cases;

static char *field(char **p)
{
	char *s = *p, *tab = strchr(s, '\t');

	if (tab) {
		*tab = 0;
		*p = tab + 1;
	} else {
		*p = s + strlen(s);
	}
	return strdup(s);
}

static int read_expected(void)
{
	FILE *f = fopen(DIR "EXPECTED.tsv", "r");
	char line[2048];

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) { /* header */
		fclose(f);
		return -1;
	}
	while (n_rows < MAX_ROWS && fgets(line, sizeof(line), f)) {
		struct row *r = &rows[n_rows];
		char *p = line;

		line[strcspn(line, "\r\n")] = 0;
		if (!*line)
			continue;
		r->test = field(&p);
		r->files = field(&p);
		free(field(&p)); /* message name */
		r->resource = field(&p);
		r->code = field(&p);
		free(field(&p)); /* level */
		r->analyzer = field(&p);
		r->mesh = field(&p);
		n_rows++;
	}
	fclose(f);
	return 0;
}

static const char *skip_reason(const struct row *r)
{
	size_t i;

	for (i = 0; i < sizeof(skips) / sizeof(skips[0]); i++)
		if ((skips[i].code && !strcmp(skips[i].code, r->code)) ||
		    (skips[i].analyzer && !strcmp(skips[i].analyzer, r->analyzer)))
			return skips[i].why;
	return NULL;
}

/* Cases keyed on test name + input files (names repeat). */
static void group(void)
{
	size_t i, j;

	for (i = 0; i < n_rows; i++) {
		struct row *r = &rows[i];
		struct kase *k = NULL;

		for (j = 0; j < n_cases && !k; j++)
			if (!strcmp(cases[j].test, r->test) &&
			    !strcmp(cases[j].files, r->files))
				k = &cases[j];
		if (!k) {
			if (n_cases == MAX_CASES)
				continue;
			k = &cases[n_cases++];
			k->test = r->test;
			k->files = r->files;
			k->analyzer = r->analyzer;
			k->mesh = r->mesh;
		}
		if (!k->skip)
			k->skip = skip_reason(r);
		if (strcmp(r->code, "-"))
			k->rows[k->n_rows++] = r;
	}
}

/* What Istio's harness adds to every case (AddDefaultResources): the
 * default ingress gateway pod and service in istio-system. */
static const char default_resources[] =
	"apiVersion: v1\nkind: Pod\nmetadata:\n"
	"  name: istio-ingressgateway-dummypod\n  namespace: istio-system\n"
	"  labels: {istio: ingressgateway}\n"
	"spec:\n  containers:\n  - name: istio-proxy\n"
	"---\napiVersion: v1\nkind: Service\nmetadata:\n"
	"  name: istio-ingressgateway\n  namespace: istio-system\n"
	"spec:\n  selector: {istio: ingressgateway}\n  ports:\n"
	"  - {name: http2, port: 80, targetPort: 80, nodePort: 31380}\n"
	"  - {name: https, port: 443, targetPort: 443, nodePort: 31390}\n"
	"  - {name: tcp, port: 31400, targetPort: 31400, nodePort: 31400}\n"
	"  - {name: tls, port: 15443, targetPort: 15443, nodePort: 31447}\n";

static void load_case(struct config *c, const struct kase *k)
{
	char path[1024], *files = strdup(k->files), *save = NULL, *f;

	config_init(c);
	if (strcmp(k->mesh, "-")) {
		snprintf(path, sizeof(path), DIR "%s", k->mesh);
		CU_ASSERT_EQUAL(config_load_mesh_file(c, path), 0);
	}
	config_load_buffer(c, "istio-defaults.yaml", default_resources,
			   sizeof(default_resources) - 1);
	for (f = strtok_r(files, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		snprintf(path, sizeof(path), DIR "%s", f);
		CU_ASSERT_EQUAL(config_load_path(c, path), 0);
	}
	free(files);
	config_validate(c);
}

/* The findings the case's analyzer is judged on: from index <from>, or,
 * for the validation analyzer, what validation said about VirtualServices
 * in Istio's own codes. */
static bool judged(const struct kase *k, const struct finding *f)
{
	if (strcmp(k->analyzer, VS_VALIDATION))
		return true;
	return f->resource && !strncmp(f->resource, "VirtualService ", 15) &&
	       !strncmp(f->code, "IST", 3);
}

/* Removes each finding's (code, resource) from the expected multiset;
 * what is left over on either side is a disagreement. */
static int compare(const struct kase *k, const struct config *c, size_t from)
{
	bool used[MAX_ROWS] = { false };
	int bad = 0;
	size_t i, j;

	for (i = from; i < c->diag.n; i++) {
		const struct finding *f = &c->diag.v[i];

		if (!judged(k, f))
			continue;
		for (j = 0; j < k->n_rows; j++)
			if (!used[j] && !strcmp(k->rows[j]->code, f->code) &&
			    f->resource && !strcmp(k->rows[j]->resource, f->resource))
				break;
		if (j < k->n_rows) {
			used[j] = true;
			continue;
		}
		printf("    unexpected: %s %s: %s\n", f->code,
		       f->resource ? f->resource : "-", f->msg);
		bad++;
	}
	for (j = 0; j < k->n_rows; j++) {
		if (used[j])
			continue;
		printf("    missing:    %s %s\n", k->rows[j]->code,
		       k->rows[j]->resource);
		bad++;
	}
	return bad;
}

static int run_case(const struct kase *k)
{
	struct config c;
	size_t from;
	int bad;

	load_case(&c, k);
	from = c.diag.n;
	if (!strcmp(k->analyzer, VS_VALIDATION)) {
		from = 0;
	} else if (analyze_one(&c, k->analyzer)) {
		printf("    no analyzer named %s\n", k->analyzer);
		config_free(&c);
		return 1;
	}
	bad = compare(k, &c, from);
	config_free(&c);
	return bad;
}

static void free_rows(void)
{
	size_t i;

	for (i = 0; i < n_rows; i++) {
		free(rows[i].test);
		free(rows[i].files);
		free(rows[i].code);
		free(rows[i].resource);
		free(rows[i].analyzer);
		free(rows[i].mesh);
	}
	n_rows = n_cases = 0;
}

static void analyzer_grid(void)
{
	size_t i, agree = 0, skipped = 0, in_scope = 0;

	CU_ASSERT_EQUAL_FATAL(read_expected(), 0);
	group();
	CU_ASSERT_TRUE_FATAL(n_cases > 0);
	for (i = 0; i < n_cases; i++) {
		const struct kase *k = &cases[i];

		if (k->skip) {
			printf("  SKIPPED (out of scope): %s [%s]: %s\n", k->test,
			       k->files, k->skip);
			skipped++;
			continue;
		}
		in_scope++;
		printf("  case %s [%s] (%s)\n", k->test, k->files, k->analyzer);
		if (!run_case(k))
			agree++;
		else
			printf("  DISAGREE: %s [%s]\n", k->test, k->files);
	}
	printf("\nanalyzers: %zu/%zu cases agree (%zu skipped: gateway-only)\n",
	       agree, in_scope, skipped);
	CU_ASSERT_EQUAL(agree, in_scope);
	free_rows();
}

UNIT_SUITE(analyzers)
{
	UNIT_TEST(s, analyzer_grid);
}
