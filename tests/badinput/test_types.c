// SPDX-License-Identifier: Apache-2.0
/* Values of the wrong type at many places in many kinds: each is one
 * IST0106 finding at the value, with the field path and the expected type,
 * and the object is kept out of the model. Also the fuzzer's finds. */
#include "analyze/analyze.h"
#include "files.h"

struct wrong {
	const char *kind_head; /* apiVersion + kind lines */
	const char *spec;      /* spec body, indented by 2 */
	const char *path;
	const char *expect;    /* text the message must hold */
};

#define VS "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
#define DR "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
#define SE "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
#define PA "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
#define AP "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
#define TE "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\n"
#define SV "apiVersion: v1\nkind: Service\n"

static const struct wrong cases[] = {
	/* string for int */
	{ VS, "hosts: [a]\n  http:\n  - route:\n    - destination: {host: a}\n"
	      "      weight: ten\n", "spec.http[0].route[0].weight",
	  "Expected: integer, given: string" },
	/* list for map */
	{ DR, "host: a\n  trafficPolicy: [1, 2]\n", "spec.trafficPolicy",
	  "Expected: object, given: array" },
	/* map for list */
	{ VS, "hosts: {a: b}\n", "spec.hosts", "Expected: array, given: object" },
	{ SE, "hosts: [a]\n  ports: {number: 80}\n", "spec.ports",
	  "Expected: array, given: object" },
	/* bool for string */
	{ DR, "host: true\n", "spec.host", "Expected: string, given: boolean" },
	/* int for string */
	{ SE, "hosts: [a, 80]\n", "spec.hosts[1]", "Expected: string, given: integer" },
	/* number for duration */
	{ VS, "hosts: [a]\n  http:\n  - timeout: 5\n    route:\n"
	      "    - destination: {host: a}\n", "spec.http[0].timeout",
	  "invalid duration" },
	/* map for duration */
	{ DR, "host: a\n  trafficPolicy:\n    outlierDetection:\n"
	      "      interval: {s: 1}\n", "spec.trafficPolicy.outlierDetection.interval",
	  "Expected: duration string, given: object" },
	/* string for bool */
	{ DR, "host: a\n  trafficPolicy:\n    loadBalancer:\n"
	      "      localityLbSetting: {enabled: yes}\n",
	  "spec.trafficPolicy.loadBalancer.localityLbSetting.enabled",
	  "Expected: boolean, given: string" },
	/* list for enum */
	{ PA, "mtls: {mode: [STRICT]}\n", "spec.mtls.mode",
	  "Expected: string, given: array" },
	/* unknown enum value */
	{ AP, "action: ALOW\n", "spec.action", "Unsupported value: \"ALOW\"" },
	/* negative for unsigned */
	{ SV, "ports:\n  - port: -80\n", "spec.ports[0].port",
	  "greater than or equal to 0" },
	/* map for string-to-string map value */
	{ SV, "selector: {app: {name: x}}\n", "spec.selector[app]",
	  "Expected: string, given: object" },
	/* scalar for map of objects */
	{ PA, "portLevelMtls: 8080\n", "spec.portLevelMtls",
	  "Expected: object, given: integer" },
	/* float for int */
	{ SE, "hosts: [a]\n  ports:\n  - {number: 80.5, name: h, protocol: HTTP}\n",
	  "spec.ports[0].number", "Expected: integer, given: number" },
	/* string for number */
	{ TE, "tracing:\n  - randomSamplingPercentage: lots\n",
	  "spec.tracing[0].randomSamplingPercentage",
	  "Expected: number, given: string" },
	/* spec itself of the wrong type */
	{ VS, "", "spec", "Expected: object, given: array" },
};

static void check_wrong(const struct wrong *w)
{
	char text[1024];
	struct config *c;
	const struct finding *f;
	size_t i;

	snprintf(text, sizeof(text), "%smetadata: {name: w, namespace: n}\n"
		 "spec:%s%s", w->kind_head, *w->spec ? "\n  " : " []\n", w->spec);
	c = unit_load(text);
	f = unit_find_code(c, "IST0106");
	if (!f || !f->path || strcmp(f->path, w->path) || !strstr(f->msg, w->expect)) {
		fprintf(stderr, "\nwanted %s: %s\n", w->path, w->expect);
		unit_dump(c);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->path);
	CU_ASSERT_STRING_EQUAL(f->path, w->path);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, w->expect));
	CU_ASSERT_EQUAL(f->sev, SEV_ERROR);
	CU_ASSERT(f->line >= 4);
	CU_ASSERT_PTR_NOT_NULL(f->resource);
	/* the object is known but kept out of the model */
	CU_ASSERT_EQUAL_FATAL(c->n, 1);
	CU_ASSERT_TRUE(c->objs[0]->invalid);
	for (i = 0; i < c->diag.n; i++)
		CU_ASSERT(c->diag.v[i].sev != SEV_ERROR || c->diag.v[i].line >= 1);
	unit_free(c);
}

static void wrong_types(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_wrong(&cases[i]);
}

/* The position is the value's, so an editor can jump to it. */
static void wrong_type_position(void)
{
	struct config *c = unit_load(SE "metadata: {name: w, namespace: n}\n"
				     "spec:\n  hosts: [a]\n  ports:\n"
				     "  - number: 80\n    name: http\n"
				     "  - number: \"eighty\"\n    name: h2\n");
	const struct finding *f = unit_find_code(c, "IST0106");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->line, 9);
	CU_ASSERT_EQUAL(f->col, 13);
	CU_ASSERT_STRING_EQUAL(f->path, "spec.ports[1].number");
	unit_free(c);
}

/* metadata of the wrong shape: the object cannot be named. */
static void wrong_metadata(void)
{
	struct config *c = unit_load("apiVersion: v1\nkind: Pod\nmetadata: [a]\n"
				     "---\napiVersion: v1\nkind: Pod\n"
				     "metadata: {name: [a]}\n");

	CU_ASSERT_EQUAL(unit_count_code(c, "IST0106"), 2);
	CU_ASSERT_EQUAL(expect_code(c, "IST0106", 3, 11)->sev, SEV_ERROR);
	CU_ASSERT_STRING_EQUAL(expect_code(c, "IST0106", 7, 18)->path, "metadata.name");
	unit_free(c);
}

/* Inputs the fuzzer found (tests/fuzz), reduced. Each crashed or was
 * undefined behaviour before its fix. */
static void fuzz_regressions(void)
{
	static const char *const numbers[] = {
		/* float-to-int64 cast overflow in decode_int (UBSan) */
		"805555555555555555555555555555555555555555555555555",
		"8888888888888888888888888888049", "1e300", "-1e300",
		"9.3e18", "-9.3e18",
	};
	static const char *const durations[] = {
		/* strtod took NaN ("nans": undefined cast), exponents and
		 * hex floats, which Go's ParseDuration refuses */
		"nans", "infs", "1e3s", "0x1p3s", "1.5e1m",
		"99999999999999999999999999999999999999999h",
	};
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		struct config *c;

		snprintf(text, sizeof(text), DR "metadata: {name: r, namespace: n}\n"
			 "spec:\n  host: r\n  trafficPolicy:\n    connectionPool:\n"
			 "      tcp: {maxConnections: %s}\n", numbers[i]);
		c = unit_load(text);
		CU_ASSERT_STRING_EQUAL(expect_code(c, "IST0106", 8, 29)->path,
				       "spec.trafficPolicy.connectionPool.tcp.maxConnections");
		unit_free(c);
	}
	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		struct config *c;

		snprintf(text, sizeof(text), DR "metadata: {name: r, namespace: n}\n"
			 "spec:\n  host: r\n  trafficPolicy:\n    connectionPool:\n"
			 "      tcp: {connectTimeout: %s}\n", durations[i]);
		c = unit_load(text);
		CU_ASSERT_PTR_NOT_NULL(strstr(expect_code(c, "IST0106", 8, 29)->msg,
					      "invalid duration"));
		unit_free(c);
	}
}

/* Loads, validates and runs every analyzer, as the fuzzer does. */
static struct config *analyze_text(const char *text)
{
	struct config *c = unit_load(text);

	analyze_all(c);
	return c;
}

/* Found by the fuzzer in the analyzers, fixed in the loader: a string list
 * element of the wrong type was left NULL (analyzers read invalid objects
 * too), and an IstioOperator without meshConfig loaded as a spec-less
 * PeerAuthentication (kind 0). */
static void fuzz_analyzer_regressions(void)
{
	struct config *c;
	struct object *o;

	c = analyze_text(VS "metadata: {name: r, namespace: n}\nspec:\n"
			 "  hosts: [e: x.local, port: reviews]\n"
			 "  gateways: [mesh, rootNamespace: x]\n"
			 "  tcp: [{route: [{destination: {host: mysql}}]}]\n");
	o = unit_obj(c, K_VIRTUAL_SERVICE, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(o->invalid);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0106"), 3);
	CU_ASSERT_EQUAL_FATAL(obj_vs(o)->hosts.n, 2);
	CU_ASSERT_STRING_EQUAL(obj_vs(o)->hosts.v[0], "");
	CU_ASSERT_STRING_EQUAL(obj_vs(o)->gateways.v[0], "mesh");
	CU_ASSERT_STRING_EQUAL(obj_vs(o)->gateways.v[1], "");
	unit_free(c);
	c = analyze_text(SE "metadata: {name: e, namespace: n}\nspec:\n"
			 "  hosts: [a.example.com, name: x, 80]\n"
			 "  ports: [{number: 443, name: https, protocol: TLS}]\n"
			 "  endpoints: [{address: 1.2.3.4, labels: {app: [x]}}]\n");
	o = unit_obj(c, K_SERVICE_ENTRY, "e");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(obj_se(o)->hosts.v[1], "");
	CU_ASSERT_STRING_EQUAL(obj_se(o)->hosts.v[2], "80"); /* the text as written */
	CU_ASSERT_STRING_EQUAL(obj_se(o)->endpoints.v[0].labels.v[0].val, "");
	unit_free(c);
	c = analyze_text("apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n"
			 "metadata: {name: io, namespace: istio-system}\n"
			 "spec: {profile: demo}\n---\n"
			 "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n"
			 "metadata: {nmae: x}\n");
	CU_ASSERT_EQUAL_FATAL(c->n, 2);
	CU_ASSERT_EQUAL(c->objs[0]->kind, K_OTHER);
	CU_ASSERT_EQUAL(c->objs[1]->kind, K_OTHER);
	CU_ASSERT_PTR_NULL(obj_pa(c->objs[0]));
	unit_free(c);
}

/* A flow list holding an IPv6 address is re-read with the address quoted
 * (libyaml refuses "fe80::" there). The quotes went to the wrong byte when
 * a multi-byte character came earlier in the file. */
static void ipv6_after_utf8(void)
{
	struct config *c = unit_load("# caf\xc3\xa9 \xe2\x82\xac\xe2\x82\xac\n"
				     SE "metadata: {name: v6, namespace: n}\n"
				     "spec:\n  hosts: [v6.example]\n"
				     "  addresses: [fe80::, 10.0.0.1]\n"
				     "  ports: [{number: 80, name: http, protocol: HTTP}]\n"
				     "  resolution: STATIC\n"
				     "  endpoints: [{address: 10.0.0.1}]\n");
	struct object *o = unit_obj(c, K_SERVICE_ENTRY, "v6");

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL_FATAL(obj_se(o)->addresses.n, 2);
	CU_ASSERT_STRING_EQUAL(obj_se(o)->addresses.v[0], "fe80::");
	CU_ASSERT_STRING_EQUAL(obj_se(o)->addresses.v[1], "10.0.0.1");
	CU_ASSERT_EQUAL(unit_count_code(c, "IM0002"), 0);
	unit_free(c);
}

/* Broken YAML inside a ConfigMap's data.mesh is reported inside the file
 * that holds the ConfigMap, at the line of the embedded text. */
static void broken_embedded_mesh(void)
{
	struct config *c = unit_load("apiVersion: v1\nkind: ConfigMap\n"
				     "metadata: {name: istio, namespace: istio-system}\n"
				     "data:\n  mesh: |\n    rootNamespace: x\n"
				     "    outboundTrafficPolicy: {mode: [\n");
	const struct finding *f = expect_code(c, "IM0002", 0, 0);

	CU_ASSERT_STRING_EQUAL(f->file, "test.yaml");
	CU_ASSERT(f->line >= 7 && f->line <= 8);
	/* the defaults stay */
	CU_ASSERT_STRING_EQUAL(c->root_ns, "istio-system");
	unit_free(c);
}

UNIT_SUITE(badinput_types)
{
	UNIT_TEST(s, wrong_types);
	UNIT_TEST(s, wrong_type_position);
	UNIT_TEST(s, wrong_metadata);
	UNIT_TEST(s, fuzz_regressions);
	UNIT_TEST(s, fuzz_analyzer_regressions);
	UNIT_TEST(s, ipv6_after_utf8);
	UNIT_TEST(s, broken_embedded_mesh);
}
