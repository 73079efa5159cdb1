// SPDX-License-Identifier: Apache-2.0
/* Broken YAML: every case ends as a finding at a real line:column, never as
 * a crash, a hang or a leak, and documents before the break still load. */
#include "analyze/analyze.h"
#include "files.h"

#define VS_OK "apiVersion: networking.istio.io/v1\nkind: VirtualService\n" \
	      "metadata: {name: ok, namespace: n}\nspec:\n  hosts: [ok]\n" \
	      "  http:\n  - route:\n    - destination: {host: ok}\n"

/* Loads <text> as file <name> through the CLI path in a temp dir. */
static struct config *load_text(const char *name, const char *text, int *rc)
{
	const char *dir = tmp_new();
	struct config *c = load_file_cli(tmp_puts(dir, name, text), rc);

	tmp_rm(dir);
	return c;
}

static void check_syntax(const char *text, const char *code, unsigned line,
			 unsigned col)
{
	int rc;
	struct config *c = load_text("bad.yaml", text, &rc);

	expect_code(c, code, line, col);
	CU_ASSERT_EQUAL(rc, -1); /* nothing usable: the CLI exits 2 */
	CU_ASSERT_EQUAL(c->n, 0);
	unit_free(c);
}

static void unclosed_flow(void)
{
	check_syntax("a: {b: 1\n", "IM0002", 2, 1);
	check_syntax("a: [1, 2\n\n\n", "IM0002", 4, 1);
	check_syntax("a: \"never closed\n", "IM0002", 2, 1);
	check_syntax("a: 'never closed\nb: 1\n", "IM0002", 3, 1);
}

static void bad_indentation(void)
{
	check_syntax("a:\n  b: 1\n c: 2\n", "IM0002", 3, 2);
	check_syntax("a:\n  - 1\n - 2\n", "IM0002", 3, 2);
	check_syntax("- a\nb: 1\n", "IM0002", 2, 1);
}

static void tabs(void)
{
	check_syntax("a:\n\tb: 1\n", "IM0002", 2, 1);
	check_syntax("spec:\n  hosts:\n\t- a\n", "IM0002", 3, 1);
}

/* ydoc_parse keeps the documents before a syntax error (they are already
 * complete objects); the broken one and everything after it are dropped. */
static void documents_before_error_load(void)
{
	int rc;
	struct config *c = load_text("two.yaml",
				     VS_OK "---\nkind: [unclosed\n---\n" VS_OK,
				     &rc);
	struct object *o = unit_obj(c, K_VIRTUAL_SERVICE, "ok");

	expect_code(c, "IM0002", 11, 1);
	CU_ASSERT_EQUAL(rc, 0); /* something was read */
	CU_ASSERT_EQUAL(c->n, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_FALSE(o->invalid);
	CU_ASSERT_EQUAL(o->doc->line, 1);
	unit_free(c);
}

static void duplicate_keys(void)
{
	int rc;
	struct config *c = load_text("dup.yaml",
				     VS_OK "---\napiVersion: v1\nkind: Pod\n"
				     "metadata:\n  name: p\n  name: q\n", &rc);

	expect_code(c, "IM0006", 14, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(unit_find_code(c, "IM0006")->msg, "\"name\""));
	/* the document with the duplicate is refused, the one before kept */
	CU_ASSERT_EQUAL(c->n, 1);
	CU_ASSERT_PTR_NULL(unit_obj(c, K_POD, "p"));
	CU_ASSERT_PTR_NULL(unit_obj(c, K_POD, "q"));
	unit_free(c);
	/* three times the same key: the second and third are reported */
	c = load_text("dup3.yaml", "a: 1\nb: 1\na: 2\na: 3\n", &rc);
	CU_ASSERT_EQUAL(unit_count_code(c, "IM0006"), 2);
	expect_code(c, "IM0006", 3, 1);
	expect_code(c, "IM0006", 4, 1);
	unit_free(c);
}

static void non_scalar_key(void)
{
	check_syntax("? [a, b]\n: 1\n", "IM0005", 1, 3);
	check_syntax("{a: 1}: 2\n", "IM0005", 1, 1);
}

/* "billion laughs": 9 levels of 9 references is 9^9 = 387 million nodes if
 * expanded; the expansion limit refuses it while parsing. */
static void billion_laughs(void)
{
	char *s = malloc(4096), *p = s;
	int lvl, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	p += sprintf(p, "a0: &a0 [lol]\n");
	for (lvl = 1; lvl <= 9; lvl++) {
		p += sprintf(p, "a%d: &a%d [", lvl, lvl);
		for (i = 0; i < 9; i++)
			p += sprintf(p, "%s*a%d", i ? ", " : "", lvl - 1);
		p += sprintf(p, "]\n");
	}
	check_syntax(s, "IM0004", 0, 0);
	free(s);
}

/* A wide but legal use of aliases (below the limit) still loads. */
static void many_aliases_below_limit(void)
{
	int rc;
	struct config *c = load_text("alias.yaml",
				     "apiVersion: v1\nkind: Service\n"
				     "metadata: {name: s, labels: &l {app: s}}\n"
				     "spec:\n  selector: *l\n"
				     "  ports: [&p {port: 80}, *p, *p]\n", &rc);
	struct object *o = unit_obj(c, K_SERVICE, "s");

	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(obj_svc(o)->ports.n, 3);
	CU_ASSERT_STRING_EQUAL(kvs_get(&obj_svc(o)->selector, "app"), "s");
	unit_free(c);
}

/* 100,000 anchors and as many aliases: a linear search per alias took
 * minutes. An alias in the next document has nothing to name. */
static void many_anchors(void)
{
	char *s = malloc(100000 * 24 + 64), *p = s;
	struct config *c;
	int i, rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	p += sprintf(p, "l:\n");
	for (i = 0; i < 100000; i++)
		p += sprintf(p, "- &a%d v%d\n", i, i);
	for (i = 0; i < 100000; i++)
		p += sprintf(p, "- *a%d\n", i % 7);
	p += sprintf(p, "---\nq: *a0\n");
	c = load_text("anchors.yaml", s, &rc);
	free(s);
	expect_code(c, "IM0008", 200003, 4);
	CU_ASSERT_EQUAL(unit_count_code(c, "IM0008"), 1);
	unit_free(c);
}

/* An alias is its anchor's node; a name defined again means its latest
 * definition. */
static void alias_resolution(void)
{
	static const char t[] = "l: [&a x, &b y, *b, *a]\nr: [&x 1, &x 2, *x]\n";
	struct arena a = { 0 };
	struct ydocs docs = { 0 };
	const struct ynode *l;
	struct diag d;

	diag_init(&d, &a);
	CU_ASSERT_EQUAL(ydoc_parse(&a, &d, "t.yaml", t, strlen(t), &docs), 0);
	CU_ASSERT_EQUAL_FATAL(docs.n, 1);
	l = ynode_get(docs.docs[0], "l");
	CU_ASSERT_EQUAL_FATAL(l->n, 4);
	CU_ASSERT_PTR_EQUAL(l->items[2], l->items[1]);
	CU_ASSERT_PTR_EQUAL(l->items[3], l->items[0]);
	l = ynode_get(docs.docs[0], "r");
	CU_ASSERT_STRING_EQUAL(l->items[2]->str, "2");
	free(docs.docs);
	diag_free(&d);
	arena_free(&a);
}

static void undefined_alias(void)
{
	check_syntax("a: 1\nb: *nowhere\n", "IM0008", 2, 4);
	/* an alias cannot name the collection it sits in (no cycles) */
	check_syntax("a: &x [1, *x]\n", "IM0008", 1, 11);
}

static void deep_flow_nesting(void)
{
	char *s = repeat("a: ", "[", 10000, "");

	/* the root map is level 1: the 256th '[' is level 257 */
	check_syntax(s, "IM0003", 1, 3 + 256);
	free(s);
	s = repeat("a: ", "{a: ", 10000, "");
	check_syntax(s, "IM0003", 0, 0);
	free(s);
}

static void deep_block_nesting(void)
{
	char *s = repeat("", "- ", 10000, "x\n"), *p;
	size_t i;

	/* compact block sequences: each "- " opens a level on one line */
	check_syntax(s, "IM0003", 1, 2 * 256 + 1);
	free(s);
	/* block mappings, one level per line, one more space each */
	s = malloc(300 * 302);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (p = s, i = 0; i < 300; i++)
		p += sprintf(p, "%*sk:\n", (int)i, "");
	check_syntax(s, "IM0003", 257, 257);
	free(s);
}

/* Random bytes from fixed seeds: whatever libyaml makes of them, the result
 * is a finding with a position and no object. */
static void binary_junk(void)
{
	static uint8_t buf[65536];
	uint64_t seed;

	for (seed = 1; seed <= 16; seed++) {
		int rc;
		const char *dir = tmp_new();
		struct config *c;
		size_t i;

		junk_bytes(buf, sizeof(buf), seed * 0x9e3779b97f4a7c15ull);
		c = load_file_cli(tmp_write(dir, "junk.yaml", buf, sizeof(buf)), &rc);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_EQUAL(c->n, 0);
		CU_ASSERT(c->diag.n_err >= 1);
		/* mesh-wide analyzer notes have no file; the rest point
		 * into the junk */
		for (i = 0; i < c->diag.n; i++) {
			const struct finding *f = &c->diag.v[i];

			if (f->sev == SEV_ERROR)
				CU_ASSERT_EQUAL(strncmp(f->code, "IM00", 4), 0);
			if (f->file)
				CU_ASSERT(f->line >= 1 && f->col >= 1);
		}
		unit_free(c);
		tmp_rm(dir);
	}
}

/* Random text over YAML's own indicator characters reaches much further
 * into the parser and the loader than random bytes. */
static void yaml_shaped_junk(void)
{
	static const char set[] = " \n\n  :::--[]{},&*!|>'\"#?%@`ab0.~";
	static uint8_t buf[8192];
	uint64_t seed;
	size_t i;

	for (seed = 1; seed <= 200; seed++) {
		struct config *c;

		junk_bytes(buf, sizeof(buf), seed);
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)set[buf[i] % (sizeof(set) - 1)];
		c = malloc(sizeof(*c));
		config_init(c);
		config_load_buffer(c, "junk.yaml", (const char *)buf, sizeof(buf));
		config_validate(c);
		analyze_all(c);
		for (i = 0; i < c->diag.n; i++)
			if (c->diag.v[i].file)
				CU_ASSERT(c->diag.v[i].line >= 1);
		unit_free(c);
	}
}

static void not_utf8(void)
{
	struct config *c;
	int rc;

	/* Latin-1 "é" in a value: pointed at, and named in the message */
	c = load_text("latin1.yaml",
		      "apiVersion: v1\nkind: Pod\nmetadata: {name: caf\xe9s}\n", &rc);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(expect_code(c, "IM0011", 3, 21)->msg,
				      "byte 0xE9 at offset 45"));
	unit_free(c);
	/* an overlong encoding of '/' */
	check_syntax("a: b\npath: /x\xc0\xafy\n", "IM0011", 2, 0);
	/* a lone continuation byte */
	check_syntax("a: \x80\n", "IM0011", 1, 4);
	/* UTF-16 with a BOM and an odd byte at the end */
	check_syntax("\xff\xfe" "a", "IM0011", 0, 0);
	/* the message names the byte */
	c = unit_load("a: \x80\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(expect_code(c, "IM0011", 1, 4)->msg, "0x80"));
	unit_free(c);
}

/* libyaml decodes UTF-16 with a BOM, as kubectl's YAML reader does: such a
 * file is a usable file, not an error. */
static void utf16_with_bom_loads(void)
{
	const char *u8 = "apiVersion: v1\nkind: Pod\nmetadata: {name: p16}\n";
	char u16[256];
	size_t i, n = strlen(u8);
	int rc;
	const char *dir = tmp_new();
	struct config *c;

	u16[0] = (char)0xff;
	u16[1] = (char)0xfe;
	for (i = 0; i < n; i++) {
		u16[2 + 2 * i] = u8[i];
		u16[3 + 2 * i] = 0;
	}
	c = load_file_cli(tmp_write(dir, "u16.yaml", u16, 2 + 2 * n), &rc);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(unit_obj(c, K_POD, "p16"));
	unit_free(c);
	tmp_rm(dir);
}

static void nul_bytes(void)
{
	static const char raw[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: a\0b}\n";
	int rc;
	const char *dir = tmp_new();
	struct config *c = load_file_cli(tmp_write(dir, "nul.yaml", raw,
						   sizeof(raw) - 1), &rc);

	expect_code(c, "IM0011", 3, 19);
	CU_ASSERT_EQUAL(c->n, 0);
	unit_free(c);
	tmp_rm(dir);
	/* an escaped NUL inside a double-quoted scalar */
	check_syntax("apiVersion: v1\nkind: Pod\nmetadata: {name: \"a\\0b\"}\n",
		     "IM0007", 3, 18);
}

UNIT_SUITE(badinput_syntax)
{
	UNIT_TEST(s, unclosed_flow);
	UNIT_TEST(s, bad_indentation);
	UNIT_TEST(s, tabs);
	UNIT_TEST(s, documents_before_error_load);
	UNIT_TEST(s, duplicate_keys);
	UNIT_TEST(s, non_scalar_key);
	UNIT_TEST(s, billion_laughs);
	UNIT_TEST(s, many_aliases_below_limit);
	UNIT_TEST(s, many_anchors);
	UNIT_TEST(s, alias_resolution);
	UNIT_TEST(s, undefined_alias);
	UNIT_TEST(s, deep_flow_nesting);
	UNIT_TEST(s, deep_block_nesting);
	UNIT_TEST(s, binary_junk);
	UNIT_TEST(s, yaml_shaped_junk);
	UNIT_TEST(s, not_utf8);
	UNIT_TEST(s, utf16_with_bom_loads);
	UNIT_TEST(s, nul_bytes);
}
