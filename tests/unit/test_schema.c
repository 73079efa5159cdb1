// SPDX-License-Identifier: Apache-2.0
/* The generic schema decoder, on a test schema holding one field of every
 * F_* kind: good and bad values of each, explicit null, unknown fields, and
 * the positions and field paths of nested list and map elements. */
#include "config/schema.h"
#include "harness.h"

struct t_inner { const struct ynode *at; const char *name; struct opt_i64 n; };
struct t_elem { const struct ynode *at; const char *key; struct opt_i64 v; };
struct t_num { const struct ynode *at; const char *key; struct opt_i64 num; };

struct t_all {
	const struct ynode *at;
	const char *s, *is;
	struct opt_i64 i, u;
	struct opt_f64 d;
	struct opt_bool b;
	struct opt_dur dur;
	struct opt_enum e;
	struct t_inner obj;
	LIST(struct t_inner) list;
	struct strs strs;
	struct kvs kvs;
	LIST(struct t_elem) map;
	LIST(struct t_num) nums;
	const struct ynode *any;
};

static const char *const t_enum_names[] = { "UNSET", "DISABLE", "PERMISSIVE",
					    "STRICT", NULL };

static const struct field f_inner[] = {
	FLD(struct t_inner, "name", F_STR, name),
	FLD(struct t_inner, "n", F_INT, n),
};
static SCHEMA(s_inner, struct t_inner, f_inner);
static const struct field f_elem[] = {
	FLD(struct t_elem, "v", F_INT, v),
};
static SCHEMA(s_elem, struct t_elem, f_elem);
static const struct field f_num[] = {
	{ "", F_UINT, offsetof(struct t_num, num), NULL, NULL },
};
static SCHEMA(s_num, struct t_num, f_num);
static const struct field f_all[] = {
	FLD(struct t_all, "str", F_STR, s),
	FLD(struct t_all, "int", F_INT, i),
	FLD(struct t_all, "uint", F_UINT, u),
	FLD(struct t_all, "double", F_DOUBLE, d),
	FLD(struct t_all, "bool", F_BOOL, b),
	FLD(struct t_all, "dur", F_DUR, dur),
	FENUM(struct t_all, "enum", e, t_enum_names),
	FLD(struct t_all, "intstr", F_INTSTR, is),
	FSUB(struct t_all, "obj", F_OBJ, obj, s_inner),
	FSUB(struct t_all, "list", F_LIST, list, s_inner),
	FLD(struct t_all, "strs", F_STRS, strs),
	FLD(struct t_all, "kvs", F_KVS, kvs),
	FSUB(struct t_all, "map", F_MAP, map, s_elem),
	FSUB(struct t_all, "nums", F_MAP, nums, s_num),
	FLD(struct t_all, "any", F_ANY, any),
};
static SCHEMA(s_all, struct t_all, f_all);
static SCHEMA_OPEN(s_all_open, struct t_all, f_all);

static struct config *cfg;
static struct t_all got;
static int errs;

/* Decodes <yaml> (a map) into <got> with path "spec"; the findings are in
 * cfg->diag until done(). */
static void decode_with(const struct schema *s, const char *yaml)
{
	struct ydocs docs = { 0 };
	struct decode_ctx dc;

	cfg = malloc(sizeof(*cfg));
	config_init(cfg);
	dc = (struct decode_ctx){ &cfg->arena, &cfg->diag, NULL };
	CU_ASSERT_EQUAL_FATAL(ydoc_parse(&cfg->arena, &cfg->diag, "t.yaml", yaml,
					 strlen(yaml), &docs), 0);
	CU_ASSERT_EQUAL_FATAL(docs.n, 1);
	memset(&got, 0, sizeof(got));
	errs = schema_decode(&dc, s, docs.docs[0], &got, "spec");
	free(docs.docs);
	/* the count returned is the number of errors added */
	CU_ASSERT_EQUAL(errs, (int)cfg->diag.n_err);
}

static void decode(const char *yaml)
{
	decode_with(&s_all, yaml);
}

static void done(void)
{
	unit_free(cfg);
	cfg = NULL;
}

/* Asserts exactly one error, at <path> and line:col, whose message holds
 * <text>; returns it. */
static const struct finding *one_error(const char *path, unsigned line,
				       unsigned col, const char *text)
{
	const struct finding *f = unit_find_code(cfg, "IST0106");

	if (!f || cfg->diag.n_err != 1 || strcmp(f->path, path) ||
	    f->line != line || f->col != col || !strstr(f->msg, text)) {
		fprintf(stderr, "\nwanted %s at %u:%u with \"%s\"; got:\n", path,
			line, col, text);
		unit_dump(cfg);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(errs, 1);
	CU_ASSERT_EQUAL(f->sev, SEV_ERROR);
	CU_ASSERT_STRING_EQUAL(f->path, path);
	CU_ASSERT_EQUAL(f->line, line);
	CU_ASSERT_EQUAL(f->col, col);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, text));
	return f;
}

/* One value of one field: decodes "<field>: <value>" and expects an error
 * of <text> at column len(field)+3, or none when <text> is NULL. */
static void bad(const char *field, const char *value, const char *text)
{
	char yaml[256], path[64];

	snprintf(yaml, sizeof(yaml), "%s: %s\n", field, value);
	snprintf(path, sizeof(path), "spec.%s", field);
	decode(yaml);
	one_error(path, 1, (unsigned)strlen(field) + 3, text);
	done();
}

static void strings(void)
{
	decode("str: plain\n");
	CU_ASSERT_STRING_EQUAL(got.s, "plain");
	CU_ASSERT_EQUAL(errs, 0);
	done();
	/* quoted, any content is a string; YAML 1.2: yes/on are strings */
	decode("str: \"123\"\n");
	CU_ASSERT_STRING_EQUAL(got.s, "123");
	done();
	decode("str: yes\n");
	CU_ASSERT_STRING_EQUAL(got.s, "yes");
	CU_ASSERT_EQUAL(errs, 0);
	done();
	bad("str", "123", "Expected: string, given: integer");
	bad("str", "1.5", "Expected: string, given: number");
	bad("str", "true", "Expected: string, given: boolean");
	bad("str", "{a: b}", "Expected: string, given: object");
	bad("str", "[a]", "Expected: string, given: array");
}

static void integers(void)
{
	static const struct { const char *text; int64_t v; } ok[] = {
		{ "42", 42 }, { "-7", -7 }, { "0", 0 }, { "+3", 3 },
		/* hex and 0o octal are YAML 1.2 integers; a leading zero is
		 * decimal in 1.2 (YAML 1.1 would read 010 as 8) */
		{ "0x10", 16 }, { "0o17", 15 }, { "010", 10 },
		/* integral JSON numbers, as Kubernetes reads them */
		{ "5.0", 5 }, { "1e3", 1000 },
		{ "9223372036854775807", INT64_MAX },
	};
	size_t i;
	char yaml[64];

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(yaml, sizeof(yaml), "int: %s\n", ok[i].text);
		decode(yaml);
		CU_ASSERT_TRUE(got.i.set);
		CU_ASSERT_EQUAL(got.i.v, ok[i].v);
		CU_ASSERT_EQUAL(errs, 0);
		done();
	}
	bad("int", "5.5", "Expected: integer, given: number");
	bad("int", "\"42\"", "Expected: integer, given: string");
	bad("int", "ten", "Expected: integer, given: string");
	bad("int", "true", "Expected: integer, given: boolean");
	bad("int", "0x", "Expected: integer, given: string");
	bad("int", "0x 5", "Expected: integer, given: string");
	bad("int", "0x-5", "Expected: integer, given: string");
	bad("int", "0o8", "Expected: integer, given: string");
	bad("int", "0x1p3", "Expected: integer, given: string");
	bad("int", "9223372036854775808", "Expected: integer");
	bad("int", "1e300", "Expected: integer");
	bad("int", "[1]", "Expected: integer, given: array");
}

static void unsigned_integers(void)
{
	const struct finding *f;

	decode("uint: 0\n");
	CU_ASSERT_TRUE(got.u.set);
	CU_ASSERT_EQUAL(got.u.v, 0);
	done();
	decode("uint: -1\n");
	f = one_error("spec.uint", 1, 7, "must be greater than or equal to 0");
	CU_ASSERT_PTR_NOT_NULL(f->fix);
	CU_ASSERT_FALSE(got.u.set);
	done();
	bad("uint", "-0x10", "Expected: integer");
}

static void doubles(void)
{
	static const struct { const char *text; double v; } ok[] = {
		{ "1.5", 1.5 }, { "2", 2 }, { ".5", 0.5 }, { "-0.25", -0.25 },
		{ "1e2", 100 }, { "+1.5E-1", 0.15 },
	};
	size_t i;
	char yaml[64];

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(yaml, sizeof(yaml), "double: %s\n", ok[i].text);
		decode(yaml);
		CU_ASSERT_TRUE(got.d.set);
		CU_ASSERT_DOUBLE_EQUAL(got.d.v, ok[i].v, 1e-12);
		CU_ASSERT_EQUAL(errs, 0);
		done();
	}
	/* Kubernetes refuses non-finite numbers; strtod's extras are not
	 * YAML numbers */
	bad("double", ".inf", "Expected: number, given: string");
	bad("double", ".nan", "Expected: number, given: string");
	bad("double", "infinity", "Expected: number, given: string");
	bad("double", "nan", "Expected: number, given: string");
	bad("double", "0x1p3", "Expected: number, given: string");
	bad("double", "1e999", "Expected: number");
	bad("double", "\"1.5\"", "Expected: number, given: string");
	bad("double", "true", "Expected: number, given: boolean");
}

static void booleans(void)
{
	static const char *const t[] = { "true", "True", "TRUE" };
	static const char *const f[] = { "false", "False", "FALSE" };
	char yaml[64];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(yaml, sizeof(yaml), "bool: %s\n", t[i]);
		decode(yaml);
		CU_ASSERT_TRUE(got.b.set && got.b.v);
		done();
		snprintf(yaml, sizeof(yaml), "bool: %s\n", f[i]);
		decode(yaml);
		CU_ASSERT_TRUE(got.b.set);
		CU_ASSERT_FALSE(got.b.v);
		done();
	}
	bad("bool", "yes", "Expected: boolean, given: string");
	bad("bool", "on", "Expected: boolean, given: string");
	bad("bool", "\"true\"", "Expected: boolean, given: string");
	bad("bool", "1", "Expected: boolean, given: integer");
}

static void durations(void)
{
	static const struct { const char *text; int64_t ns; } ok[] = {
		{ "1h2m3.5s", 3723500000000LL }, { "100ms", 100000000LL },
		{ "0s", 0 }, { "0", 0 }, { "1.5us", 1500 }, { "2\xc2\xb5s", 2000 },
		{ "300ns", 300 }, { ".5s", 500000000LL }, { "5.s", 5000000000LL },
		{ "1m30s", 90000000000LL }, { "2562047h", 2562047LL * 3600000000000LL },
	};
	static const char *const no[] = {
		"-1s", "+1s", "5", "1d", "s", ".s", "1h 2m", " 1s", "1e3s", "2562048h",
		"0x1p3s", "nans", "infs", "1..5s", "3000000h",
	};
	char yaml[64];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(yaml, sizeof(yaml), "dur: \"%s\"\n", ok[i].text);
		decode(yaml);
		CU_ASSERT_TRUE(got.dur.set);
		CU_ASSERT_EQUAL(got.dur.ns, ok[i].ns);
		CU_ASSERT_EQUAL(parse_duration(ok[i].text), ok[i].ns);
		done();
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		const struct finding *f;

		CU_ASSERT_EQUAL(parse_duration(no[i]), -1);
		snprintf(yaml, sizeof(yaml), "dur: \"%s\"\n", no[i]);
		decode(yaml);
		f = one_error("spec.dur", 1, 6, "invalid duration");
		CU_ASSERT_PTR_NOT_NULL(strstr(f->fix, "100ms"));
		CU_ASSERT_FALSE(got.dur.set);
		done();
	}
	CU_ASSERT_EQUAL(parse_duration(""), -1);
	CU_ASSERT_EQUAL(parse_duration(NULL), -1);
	/* a number is not a duration, even an integer */
	bad("dur", "5", "invalid duration");
	bad("dur", "{s: 1}", "Expected: duration string, given: object");
}

static void enums(void)
{
	const struct finding *f;

	decode("enum: STRICT\n");
	CU_ASSERT_TRUE(got.e.set);
	CU_ASSERT_EQUAL(got.e.v, 3);
	done();
	decode("enum: \"UNSET\"\n");
	CU_ASSERT_TRUE(got.e.set);
	CU_ASSERT_EQUAL(got.e.v, 0);
	done();
	/* unknown value: the fix lists every allowed value */
	decode("enum: strict\n");
	f = one_error("spec.enum", 1, 7, "Unsupported value: \"strict\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->fix);
	CU_ASSERT_STRING_EQUAL(f->fix, "use one of UNSET, DISABLE, PERMISSIVE, STRICT");
	CU_ASSERT_FALSE(got.e.set);
	done();
	bad("enum", "3", "Unsupported value: \"3\"");
	bad("enum", "[STRICT]", "Expected: string, given: array");
	CU_ASSERT_EQUAL(enum_index(t_enum_names, "DISABLE"), 1);
	CU_ASSERT_EQUAL(enum_index(t_enum_names, "disable"), -1);
	CU_ASSERT_EQUAL(enum_index(NULL, "x"), -1);
}

static void int_or_string(void)
{
	decode("intstr: 8080\n");
	CU_ASSERT_STRING_EQUAL(got.is, "8080");
	done();
	decode("intstr: http-port\n");
	CU_ASSERT_STRING_EQUAL(got.is, "http-port");
	done();
	bad("intstr", "true", "Expected: integer or string, given: boolean");
	bad("intstr", "1.5", "Expected: integer or string, given: number");
	bad("intstr", "{a: 1}", "Expected: integer or string, given: object");
}

static void objects_and_lists(void)
{
	decode("obj: {name: a, n: 1}\nlist: []\n");
	CU_ASSERT_PTR_NOT_NULL(got.obj.at);
	CU_ASSERT_STRING_EQUAL(got.obj.name, "a");
	CU_ASSERT_EQUAL(got.obj.n.v, 1);
	/* [] is written: v is set, n is 0 */
	CU_ASSERT_PTR_NOT_NULL(got.list.v);
	CU_ASSERT_EQUAL(got.list.n, 0);
	done();
	decode("list:\n- name: a\n- ~\n- {}\n");
	CU_ASSERT_EQUAL_FATAL(got.list.n, 3);
	CU_ASSERT_STRING_EQUAL(got.list.v[0].name, "a");
	/* a null element is there, with its position */
	CU_ASSERT_PTR_NOT_NULL(got.list.v[1].at);
	CU_ASSERT_EQUAL(got.list.v[1].at->line, 3);
	CU_ASSERT_PTR_NULL(got.list.v[1].name);
	CU_ASSERT_PTR_NOT_NULL(got.list.v[2].at);
	CU_ASSERT_EQUAL(errs, 0);
	done();
	bad("obj", "[a]", "Expected: object, given: array");
	bad("obj", "text", "Expected: object, given: string");
	bad("list", "{a: 1}", "Expected: array, given: object");
	bad("list", "a", "Expected: array, given: string");
	decode("list: [1]\n");
	one_error("spec.list[0]", 1, 8, "Expected: object, given: integer");
	done();
}

static void string_lists_and_maps(void)
{
	decode("strs: [a, \"b\", '']\nkvs: {x: \"1\", y: z}\n");
	CU_ASSERT_EQUAL_FATAL(got.strs.n, 3);
	CU_ASSERT_STRING_EQUAL(got.strs.v[2], "");
	CU_ASSERT_PTR_NOT_NULL(got.strs.at);
	CU_ASSERT_EQUAL_FATAL(got.kvs.n, 2);
	CU_ASSERT_STRING_EQUAL(got.kvs.v[0].key, "x");
	CU_ASSERT_STRING_EQUAL(got.kvs.v[0].val, "1");
	CU_ASSERT_EQUAL(got.kvs.v[1].at->line, 2);
	CU_ASSERT_EQUAL(got.kvs.v[1].at->col, 15);
	CU_ASSERT_STRING_EQUAL(kvs_get(&got.kvs, "y"), "z");
	CU_ASSERT_PTR_NULL(kvs_get(&got.kvs, "w"));
	done();
	decode("strs: []\n");
	CU_ASSERT_PTR_NOT_NULL(got.strs.at);
	CU_ASSERT_EQUAL(got.strs.n, 0);
	done();
	bad("strs", "a", "Expected: array, given: string");
	bad("kvs", "[a]", "Expected: object, given: array");
	/* a label value must be a string: `version: 1` is refused */
	decode("kvs:\n  app: web\n  version: 1\n");
	one_error("spec.kvs[version]", 3, 12, "Expected: string, given: integer");
	CU_ASSERT_STRING_EQUAL(got.kvs.v[1].val, "1"); /* never NULL */
	done();
	decode("strs:\n- a\n- {b: c}\n");
	one_error("spec.strs[1]", 3, 3, "Expected: string, given: object");
	CU_ASSERT_STRING_EQUAL(got.strs.v[1], ""); /* never NULL */
	done();
}

static void maps_of_objects(void)
{
	decode("map:\n  k1: {v: 1}\n  k2:\n    v: 2\n  k3: ~\n"
	       "nums: {http: 80, \"8443\": 443}\n");
	CU_ASSERT_EQUAL_FATAL(got.map.n, 3);
	CU_ASSERT_STRING_EQUAL(got.map.v[1].key, "k2");
	CU_ASSERT_EQUAL(got.map.v[1].v.v, 2);
	/* an element's position is its key's */
	CU_ASSERT_EQUAL(got.map.v[1].at->line, 3);
	CU_ASSERT_EQUAL(got.map.v[1].at->col, 3);
	CU_ASSERT_STRING_EQUAL(got.map.v[2].key, "k3");
	CU_ASSERT_FALSE(got.map.v[2].v.set);
	CU_ASSERT_EQUAL_FATAL(got.nums.n, 2);
	CU_ASSERT_STRING_EQUAL(got.nums.v[1].key, "8443");
	CU_ASSERT_EQUAL(got.nums.v[1].num.v, 443);
	CU_ASSERT_EQUAL(errs, 0);
	done();
	bad("map", "[a]", "Expected: object, given: array");
	decode("nums: {http: -1}\n");
	one_error("spec.nums[http]", 1, 14, "greater than or equal to 0");
	done();
	decode("nums: {http: web}\n");
	one_error("spec.nums[http]", 1, 14, "Expected: integer, given: string");
	done();
}

/* Field paths and positions of errors deep in lists and maps. */
static void nested_paths(void)
{
	decode("list:\n- name: a\n- name: b\n  n: x\n"
	       "map:\n  first: {v: 1}\n  second:\n    v: [2]\n");
	CU_ASSERT_EQUAL(errs, 2);
	CU_ASSERT_EQUAL(cfg->diag.n, 2);
	CU_ASSERT_STRING_EQUAL(cfg->diag.v[0].path, "spec.list[1].n");
	CU_ASSERT_EQUAL(cfg->diag.v[0].line, 4);
	CU_ASSERT_EQUAL(cfg->diag.v[0].col, 6);
	CU_ASSERT_STRING_EQUAL(cfg->diag.v[1].path, "spec.map[second].v");
	CU_ASSERT_EQUAL(cfg->diag.v[1].line, 8);
	CU_ASSERT_EQUAL(cfg->diag.v[1].col, 8);
	/* the rest decoded */
	CU_ASSERT_STRING_EQUAL(got.list.v[1].name, "b");
	CU_ASSERT_EQUAL(got.map.v[0].v.v, 1);
	done();
}

/* Kubernetes' JSON decoding: a field set to null is a field left out. */
static void explicit_null_is_absent(void)
{
	decode("str: ~\nint: null\nuint: Null\ndouble: NULL\nbool:\n"
	       "dur: ~\nenum: ~\nintstr: ~\nobj: ~\nlist: ~\nstrs: ~\n"
	       "kvs: ~\nmap: ~\nnums: ~\nany: ~\n");
	CU_ASSERT_EQUAL(errs, 0);
	CU_ASSERT_EQUAL(cfg->diag.n, 0);
	CU_ASSERT_PTR_NULL(got.s);
	CU_ASSERT_FALSE(got.i.set || got.u.set || got.d.set || got.b.set ||
			got.dur.set || got.e.set);
	CU_ASSERT_PTR_NULL(got.is);
	CU_ASSERT_PTR_NULL(got.obj.at);
	CU_ASSERT_PTR_NULL(got.list.v);
	CU_ASSERT_PTR_NULL(got.strs.at);
	CU_ASSERT_PTR_NULL(got.kvs.at);
	CU_ASSERT_PTR_NULL(got.map.v);
	/* F_ANY takes the node as it is, null included */
	CU_ASSERT_PTR_NOT_NULL_FATAL(got.any);
	CU_ASSERT_TRUE(ynode_is_null(got.any));
	done();
	/* a quoted "null" is a string, not a null */
	decode("str: \"null\"\n");
	CU_ASSERT_STRING_EQUAL(got.s, "null");
	done();
}

static void unknown_fields(void)
{
	const struct finding *f;

	decode("strz: a\nzzzzzzzz: 1\nlist: [{nmae: x}]\n");
	CU_ASSERT_EQUAL(errs, 0);
	CU_ASSERT_EQUAL(unit_count_code(cfg, "IM0101"), 3);
	f = &cfg->diag.v[0];
	CU_ASSERT_STRING_EQUAL(f->code, "IM0101");
	CU_ASSERT_EQUAL(f->sev, SEV_WARNING);
	CU_ASSERT_STRING_EQUAL(f->path, "spec.strz");
	CU_ASSERT_EQUAL(f->line, 1);
	CU_ASSERT_EQUAL(f->col, 1);
	CU_ASSERT_STRING_EQUAL(f->fix, "did you mean \"str\"?");
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, "\"strz\""));
	/* nothing close: no guess */
	CU_ASSERT_PTR_NULL(strstr(cfg->diag.v[1].fix, "did you mean"));
	CU_ASSERT_STRING_EQUAL(cfg->diag.v[2].path, "spec.list[0].nmae");
	CU_ASSERT_STRING_EQUAL(cfg->diag.v[2].fix, "did you mean \"name\"?");
	CU_ASSERT_EQUAL(cfg->diag.v[2].col, 9);
	done();
	/* open schemas (Kubernetes kinds) do not warn */
	decode_with(&s_all_open, "strz: a\nstr: b\n");
	CU_ASSERT_EQUAL(cfg->diag.n, 0);
	CU_ASSERT_STRING_EQUAL(got.s, "b");
	done();
}

static void not_a_map(void)
{
	decode("[1, 2]\n");
	one_error("spec", 1, 1, "Expected: object, given: array");
	CU_ASSERT_PTR_NULL(got.at);
	done();
}

UNIT_SUITE(schema)
{
	UNIT_TEST(s, strings);
	UNIT_TEST(s, integers);
	UNIT_TEST(s, unsigned_integers);
	UNIT_TEST(s, doubles);
	UNIT_TEST(s, booleans);
	UNIT_TEST(s, durations);
	UNIT_TEST(s, enums);
	UNIT_TEST(s, int_or_string);
	UNIT_TEST(s, objects_and_lists);
	UNIT_TEST(s, string_lists_and_maps);
	UNIT_TEST(s, maps_of_objects);
	UNIT_TEST(s, nested_paths);
	UNIT_TEST(s, explicit_null_is_absent);
	UNIT_TEST(s, unknown_fields);
	UNIT_TEST(s, not_a_map);
}
