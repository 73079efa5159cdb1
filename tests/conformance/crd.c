// SPDX-License-Identifier: Apache-2.0
/* Istio's validation corpus (../shared/fixtures/istio, see its README):
 * every document of crd-validation/ *-valid.yaml, validation-dataset/ and
 * bookinfo/ must be accepted, every document of *-invalid.yaml rejected,
 * and our rejection must say what the `_err` line says. The `_err` texts
 * come from the Kubernetes CRD/CEL validator while our messages follow
 * Istio's webhook, so agreement is literal (case-insensitive substring),
 * by field path ("spec.x: Invalid value" names the field we point at), or
 * through the small table below of documented equivalent wordings. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

#define CORPUS "../shared/fixtures/istio"

/* CRD/CEL wording -> the webhook wording our validators use */
static const struct { const char *crd, *ours; } equivalents[] = {
	{ "portLevelMtls requires selector",
	  "mesh/namespace peer authentication cannot have port level mTLS" },
	{ "portLevelMtls in body should have at least 1 properties",
	  "port level mTLS, if defined, must have at least one element" },
	{ "port must be between 1-65535", "must be in range 1..65535" },
	{ "port must be between 1-65535", "must be in the range 1..65535" },
	{ "only one of WorkloadSelector or Endpoints can be set",
	  "only one of WorkloadSelector or Endpoints is allowed" },
	{ "hostname cannot be wildcard", "invalid host *" },
	{ "Duplicate value", "service entry port name" },
	{ "port number cannot be duplicated", "already defined" },
	{ "NONE mode cannot set endpoints",
	  "no endpoints should be provided for resolution type none" },
	{ "DNS_ROUND_ROBIN mode cannot have multiple endpoints",
	  "there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN" },
	{ "UDS may not be a dir", "is not an absolute path to a file" },
	{ "UDS must be an absolute path or abstract socket",
	  "is not an absolute path to a file" },
	{ "UDS may not include ports", "must not include ports" },
	{ "name in body should be at least 1 chars long",
	  "providers.name may not be empty" },
	{ "customMetric in body should be at least 1 chars lon",
	  "customMetric may not be empty" },
	{ "value must not be set when operation is REMOVE",
	  "value may only be set when operation is UPSERT" },
};

/* Cases we knowingly cannot agree on, printed loudly: none so far. */
static const struct { const char *file, *name, *why; } exceptions[] = {
	{ NULL, NULL, NULL },
};

enum how { NO_MATCH, LITERAL, BY_PATH, BY_TABLE };

struct tally {
	unsigned valid, accepted, invalid, rejected;
	unsigned agree, literal, by_path, by_table, exceptions;
	unsigned failures;
};

static bool icontains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; hay && *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return true;
	return false;
}

/* "spec.a.b: Invalid value" / "...: Required value" -> "spec.a.b" */
static bool crd_field(const char *err, char *field, size_t n)
{
	const char *colon = strstr(err, ": ");

	if (strncmp(err, "spec", 4) || !colon || (size_t)(colon - err) >= n ||
	    (strcmp(colon + 2, "Invalid value") &&
	     strcmp(colon + 2, "Required value")))
		return false;
	memcpy(field, err, (size_t)(colon - err));
	field[colon - err] = 0;
	return true;
}

static enum how agreement(const struct config *c, const char *err)
{
	char field[256];
	bool by_field = crd_field(err, field, sizeof(field));
	enum how best = NO_MATCH;
	size_t i, j;

	for (i = 0; i < c->diag.n; i++) {
		const struct finding *f = &c->diag.v[i];

		if (f->sev != SEV_ERROR)
			continue;
		if (icontains(f->msg, err))
			return LITERAL;
		if (by_field && f->path && !strncmp(f->path, field, strlen(field)))
			best = BY_PATH;
		for (j = 0; best == NO_MATCH && j < sizeof(equivalents) /
			     sizeof(equivalents[0]); j++)
			if (icontains(err, equivalents[j].crd) &&
			    icontains(f->msg, equivalents[j].ours))
				best = BY_TABLE;
	}
	return best;
}

static const char *exception_for(const char *file, const char *name)
{
	size_t i;

	for (i = 0; exceptions[i].file; i++)
		if (strstr(file, exceptions[i].file) && name &&
		    !strcmp(name, exceptions[i].name))
			return exceptions[i].why;
	return NULL;
}

static bool rejected(const struct config *c)
{
	size_t i;

	if (c->diag.n_err)
		return true;
	for (i = 0; i < c->n; i++)
		if (c->objs[i]->invalid)
			return true;
	return false;
}

static const char *doc_name(const struct config *c)
{
	return c->n && c->objs[0]->meta.name ? c->objs[0]->meta.name : "?";
}

static void fail(struct tally *t, const struct config *c, const char *file,
		 unsigned line, const char *what)
{
	printf("  DISAGREE %s:%u (%s): %s\n", file, line, doc_name(c), what);
	diag_print_text(&c->diag, stdout);
	t->failures++;
}

/* The `_err` key is part of the test document, not of the object; the
 * loader reads only apiVersion/kind/metadata/spec/status, so nothing may
 * mention it. */
static void check_err_ignored(struct tally *t, const struct config *c,
			      const char *file, unsigned line)
{
	size_t i;

	for (i = 0; i < c->diag.n; i++)
		if (strstr(c->diag.v[i].msg, "_err"))
			fail(t, c, file, line, "the loader looked at `_err`");
}

static void judge_invalid(struct tally *t, const struct config *c,
			  const char *file, unsigned line)
{
	const struct ynode *e = c->n ? ynode_get(c->objs[0]->doc, "_err") : NULL;
	const char *err = e && e->type == Y_SCALAR ? e->str : "";
	const char *why = exception_for(file, doc_name(c));
	enum how h;

	t->invalid++;
	if (!rejected(c)) {
		if (why) {
			printf("  !!! EXCEPTION %s:%u (%s): %s\n", file, line,
			       doc_name(c), why);
			t->exceptions++;
			return;
		}
		fail(t, c, file, line, "accepted, Istio rejects it");
		return;
	}
	t->rejected++;
	h = agreement(c, err);
	t->agree += h != NO_MATCH;
	t->literal += h == LITERAL;
	t->by_path += h == BY_PATH;
	t->by_table += h == BY_TABLE;
	if (h == NO_MATCH) {
		char what[512];

		snprintf(what, sizeof(what), "rejected, but no message says \"%s\"",
			 err);
		fail(t, c, file, line, what);
	}
}

static void judge(struct tally *t, const char *file, unsigned line,
		  const char *buf, size_t len, bool expect_valid)
{
	struct config c;

	config_init(&c);
	config_load_buffer(&c, file, buf, len);
	config_validate(&c);
	check_err_ignored(t, &c, file, line);
	if (expect_valid) {
		t->valid++;
		if (rejected(&c))
			fail(t, &c, file, line, "rejected, Istio accepts it");
		else
			t->accepted++;
	} else {
		judge_invalid(t, &c, file, line);
	}
	config_free(&c);
}

/* A document holds something besides blank lines and comments. */
static bool has_content(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t e = i;

		while (e < len && s[e] != '\n')
			e++;
		while (i < e && isspace((unsigned char)s[i]))
			i++;
		if (i < e && s[i] != '#')
			return true;
		i = e + 1;
	}
	return false;
}

static bool separator(const char *l, size_t len)
{
	return len >= 3 && !strncmp(l, "---", 3) &&
	       (len == 3 || isspace((unsigned char)l[3]) || l[3] == '#');
}

/* Loads each document alone, padded with newlines so that reported lines
 * are the lines of the original file. */
static void judge_doc(struct tally *t, const char *file, const char *text,
		      size_t start, size_t end, unsigned first_line,
		      bool expect_valid)
{
	size_t pad = first_line - 1, n = end - start;
	char *buf;

	if (!has_content(text + start, n))
		return;
	buf = malloc(pad + n + 1);
	memset(buf, '\n', pad);
	memcpy(buf + pad, text + start, n);
	buf[pad + n] = 0;
	judge(t, file, first_line, buf, pad + n, expect_valid);
	free(buf);
}

static void judge_text(struct tally *t, const char *file, const char *text,
		       size_t len, bool expect_valid)
{
	size_t i = 0, start = 0;
	unsigned line = 1, first = 1;

	while (i < len) {
		size_t e = i;

		while (e < len && text[e] != '\n')
			e++;
		if (separator(text + i, e - i)) {
			judge_doc(t, file, text, start, i, first, expect_valid);
			start = e < len ? e + 1 : e;
			first = line + 1;
		}
		i = e + 1;
		line++;
	}
	if (start < len)
		judge_doc(t, file, text, start, len, first, expect_valid);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = 0;
	fclose(f);
	return buf;
}

static int yaml_file(const struct dirent *d)
{
	size_t l = strlen(d->d_name);

	return l > 5 && !strcmp(d->d_name + l - 5, ".yaml");
}

static unsigned judge_dir(struct tally *t, const char *dir)
{
	struct dirent **ents;
	int i, n = scandir(dir, &ents, yaml_file, alphasort);
	unsigned files = 0;

	for (i = 0; i < n; i++) {
		char path[512];
		size_t len;
		char *text;

		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		text = slurp(path, &len);
		if (text) {
			judge_text(t, path, text, len,
				   !strstr(ents[i]->d_name, "-invalid."));
			files++;
		}
		free(text);
		free(ents[i]);
	}
	if (n > 0)
		free(ents);
	return files;
}

static void print_tally(const char *name, const struct tally *t)
{
	printf("%s: accepted %u/%u valid, rejected %u/%u invalid, message "
	       "agreement %u/%u (literal %u, by field path %u, by table %u)"
	       "%s\n", name, t->accepted, t->valid, t->rejected, t->invalid,
	       t->agree, t->invalid, t->literal, t->by_path, t->by_table,
	       t->exceptions ? ", WITH DOCUMENTED EXCEPTIONS" : "");
}

static void corpus(const char *sub, unsigned want_docs)
{
	struct tally t = { 0 };
	char dir[256];
	unsigned files;

	snprintf(dir, sizeof(dir), "%s/%s", CORPUS, sub);
	files = judge_dir(&t, dir);
	printf("\n");
	print_tally(sub, &t);
	CU_ASSERT(files > 0);
	CU_ASSERT_EQUAL(t.valid + t.invalid, want_docs);
	CU_ASSERT_EQUAL(t.failures, 0);
	CU_ASSERT_EQUAL(t.accepted, t.valid);
	CU_ASSERT_EQUAL(t.rejected + t.exceptions, t.invalid);
	CU_ASSERT_EQUAL(t.agree + t.exceptions, t.invalid);
}

/* Document counts at the pinned Istio commit (one `kind:` line each): a
 * split that loses or merges documents must not pass silently. */
static void crd_validation(void) { corpus("crd-validation", 55); }
static void validation_dataset(void) { corpus("validation-dataset", 18); }
static void bookinfo(void) { corpus("bookinfo", 48); }

UNIT_SUITE(crd)
{
	UNIT_TEST(s, crd_validation);
	UNIT_TEST(s, validation_dataset);
	UNIT_TEST(s, bookinfo);
}
