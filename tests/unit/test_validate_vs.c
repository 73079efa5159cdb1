// SPDX-License-Identifier: Apache-2.0
/* VirtualService validation: for each of Istio's webhook rules a document
 * Istio accepts and one it rejects (or warns about), checked for code,
 * line, field path and wording (table runner: vcase.h); then the
 * unreachable-rule analysis (IST0130 / IST0131) against Istio's own
 * expectations, the seed configs, and hostile values. */
#include <stdio.h>

#include "config/kinds.h"
#include "harness.h"
#include "vcase.h"

#define VS "apiVersion: networking.istio.io/v1\nkind: VirtualService\n" \
	   "metadata: {name: x, namespace: ns}\nspec:\n"
/* lines 5..8: a host and one plain route */
#define ROUTE "  hosts: [a]\n  http:\n  - route:\n    - destination: {host: a}\n"
#define HTTP1 "  hosts: [a]\n  http:\n  - route: [{destination: {host: a}}]\n"
#define OK NULL, 0, NULL, NULL
#define E "IST0106"
#define W "IST0133"

static const struct vcase vs_top_cases[] = {
	{ "vs minimal", VS ROUTE, OK },
	{ "vs no routes", VS "  hosts: [a]\n", E, 5, "spec",
	  "http, tcp or tls must be provided in virtual service" },
	{ "vs * host on mesh", VS "  hosts: [\"*\"]\n  http:\n"
	  "  - route: [{destination: {host: a}}]\n", E, 5, "spec.hosts[0]",
	  "wildcard host * is not allowed for virtual services bound to the "
	  "mesh gateway" },
	{ "vs * host on a gateway", VS "  hosts: [\"*\"]\n  gateways: [ns/gw]\n"
	  "  http:\n  - route: [{destination: {host: a}}]\n", OK },
	{ "vs * host on mesh and a gateway", VS "  hosts: [\"*\"]\n"
	  "  gateways: [ns/gw, mesh]\n  http:\n"
	  "  - route: [{destination: {host: a}}]\n", E, 5, "spec.hosts[0]",
	  "wildcard host *" },
	{ "vs bad host", VS "  hosts: [a..b]\n  http:\n"
	  "  - route: [{destination: {host: a}}]\n", E, 5, "spec.hosts[0]",
	  "domain name \"a..b\" invalid" },
	{ "vs ip host", VS "  hosts: [10.0.0.1]\n  http:\n"
	  "  - route: [{destination: {host: a}}]\n", OK },
	{ "vs duplicate hosts", VS "  hosts: [a.com, \"*.com\"]\n  http:\n"
	  "  - route: [{destination: {host: a}}]\n", E, 5, "spec.hosts[1]",
	  "duplicate hosts in virtual service: a.com & *.com" },
	{ "vs distinct hosts", VS "  hosts: [a.com, b.com]\n  http:\n"
	  "  - route: [{destination: {host: a}}]\n", OK },
	{ "vs delegate with http", VS "  http:\n"
	  "  - route: [{destination: {host: a}}]\n", OK },
	{ "vs delegate with tcp", VS "  tcp:\n"
	  "  - route: [{destination: {host: a}}]\n", E, 6, "spec.tcp",
	  "delegate virtual service must have no tcp route specified" },
	{ "vs delegate with gateways", VS "  gateways: [ns/gw]\n  http:\n"
	  "  - route: [{destination: {host: a}}]\n", E, 5, "spec.gateways",
	  "delegate virtual service must have no gateways specified" },
	{ "vs gateway name", VS "  hosts: [a.com]\n  gateways: [ns/gw]\n"
	  "  http:\n  - route: [{destination: {host: a}}]\n", OK },
	{ "vs bad gateway name", VS "  hosts: [a.com]\n  gateways: [ns/Bad_gw]\n"
	  "  http:\n  - route: [{destination: {host: a}}]\n", E, 6,
	  "spec.gateways[0]", "invalid value for gateway name: \"Bad_gw\"" },
	{ "vs legacy gateway name", VS "  hosts: [a.com]\n  gateways: [gw.ns]\n"
	  "  http:\n  - route: [{destination: {host: a}}]\n", W, 6,
	  "spec.gateways[0]", "using legacy gatewayName format \"gw.ns\"; "
	  "prefer the <namespace>/<name> format: \"ns/gw\"" },
	{ "vs jwt claim routing on mesh", VS "  hosts: [a]\n  http:\n"
	  "  - match:\n    - headers:\n        \"@request.auth.claims.group\":\n"
	  "          exact: eng\n    route: [{destination: {host: a}}]\n",
	  E, 9, "spec.http[0].match[0]", "JWT claim based routing (key: "
	  "@request.auth.claims.group) is only supported for gateway" },
	{ "vs jwt claim routing on a gateway", VS "  hosts: [a.com]\n"
	  "  gateways: [ns/gw]\n  http:\n"
	  "  - match:\n    - headers:\n        \"@request.auth.claims.group\":\n"
	  "          exact: eng\n    route: [{destination: {host: a}}]\n", OK },
};

static void vs_top_rules(void)
{
	vcase_run(K_VIRTUAL_SERVICE, vs_top_cases,
		  sizeof(vs_top_cases) / sizeof(vs_top_cases[0]));
}

static const struct vcase vs_action_cases[] = {
	{ "vs route and redirect", VS ROUTE "    redirect: {uri: /b}\n", E, 7,
	  "spec.http[0]", "HTTP route cannot contain both route and redirect" },
	{ "vs redirect alone", VS "  hosts: [a]\n  http:\n"
	  "  - redirect: {uri: /b}\n", OK },
	{ "vs route and directResponse", VS ROUTE
	  "    directResponse: {status: 503}\n", E, 7, "spec.http[0]",
	  "HTTP route cannot contain both route and direct_response" },
	{ "vs directResponse alone", VS "  hosts: [a]\n  http:\n"
	  "  - directResponse: {status: 503, body: {string: down}}\n", OK },
	{ "vs no action", VS "  hosts: [a]\n  http:\n  - timeout: 1s\n", E, 7,
	  "spec.http[0]", "HTTP route, redirect or direct_response is required" },
	{ "vs rewrite and redirect", VS "  hosts: [a]\n  http:\n"
	  "  - redirect: {uri: /b}\n    rewrite: {uri: /c}\n", E, 7,
	  "spec.http[0]", "HTTP route rule cannot contain both rewrite and "
	  "redirect" },
	{ "vs fault and directResponse", VS "  hosts: [a]\n  http:\n"
	  "  - directResponse: {status: 503}\n    fault:\n"
	  "      abort: {httpStatus: 500, percentage: {value: 1}}\n", E, 7,
	  "spec.http[0]", "HTTP route cannot contain both fault and "
	  "direct_response" },
	{ "vs redirect and directResponse", VS "  hosts: [a]\n  http:\n"
	  "  - redirect: {uri: /b}\n    directResponse: {status: 503}\n", E, 7,
	  "spec.http[0]", "cannot contain both direct_response and redirect" },
	{ "vs mirror and mirrors", VS ROUTE "    mirror: {host: m}\n"
	  "    mirrors: [{destination: {host: n}}]\n", E, 9, "spec.http[0]",
	  "HTTP route cannot contain both mirror and mirrors" },
	{ "vs mirrors alone", VS ROUTE
	  "    mirrors: [{destination: {host: n}, percentage: {value: 5}}]\n", OK },
	{ "vs mirrors without destination", VS ROUTE
	  "    mirrors: [{percentage: {value: 5}}]\n", E, 9, "spec.http[0].mirrors[0]",
	  "destination is required for mirrors" },
	{ "vs root route with route", VS "  hosts: [a]\n  http:\n"
	  "  - name: r\n    delegate: {name: d, namespace: ns}\n"
	  "    route: [{destination: {host: a}}]\n", E, 9, "spec.http[0]",
	  "root HTTP route r must not specify route" },
	{ "vs root route alone", VS "  hosts: [a]\n  http:\n"
	  "  - delegate: {name: d, namespace: ns}\n", OK },
	{ "vs delegate route with delegate", VS "  http:\n"
	  "  - delegate: {name: d}\n    route: [{destination: {host: a}}]\n",
	  E, 6, "spec.http[0]", "delegate HTTP route cannot contain delegate" },
};

static void vs_action_rules(void)
{
	vcase_run(K_VIRTUAL_SERVICE, vs_action_cases,
		  sizeof(vs_action_cases) / sizeof(vs_action_cases[0]));
}

#define TWO(w1, w2) "  hosts: [a]\n  http:\n  - route:\n" \
	"    - destination: {host: a, subset: v1}\n      weight: " w1 "\n" \
	"    - destination: {host: a, subset: v2}\n      weight: " w2 "\n"

static const struct vcase vs_dest_cases[] = {
	{ "vs weights 30/30 (relative)", VS TWO("30", "30"), OK },
	{ "vs one destination weight 0", VS ROUTE "      weight: 0\n", OK },
	{ "vs all weights 0", VS TWO("0", "0"), E, 8, "spec.http[0].route",
	  "total destination weight = 0" },
	{ "vs unset weights", VS "  hosts: [a]\n  http:\n  - route:\n"
	  "    - destination: {host: a}\n    - destination: {host: b}\n",
	  E, 8, "spec.http[0].route", "total destination weight = 0" },
	{ "vs negative weight", VS TWO("-1", "10"), E, 9,
	  "spec.http[0].route[0].weight", "weight -1 < 0" },
	{ "vs weight beyond int32", VS TWO("3000000000", "1"), E, 9,
	  "spec.http[0].route[0].weight", "out of range for int32" },
	{ "vs weights summing to 2^32 (int32 wrap)", VS "  hosts: [a]\n"
	  "  http:\n  - route:\n"
	  "    - {destination: {host: a}, weight: 2147483647}\n"
	  "    - {destination: {host: b}, weight: 2147483647}\n"
	  "    - {destination: {host: c}, weight: 2}\n", E, 8,
	  "spec.http[0].route", "total destination weight = 0" },
	{ "vs tcp all weights 0", VS "  hosts: [a]\n  tcp:\n  - route:\n"
	  "    - {destination: {host: a}, weight: 0}\n"
	  "    - {destination: {host: b}, weight: 0}\n", E, 8,
	  "spec.tcp[0].route", "total destination weight = 0" },
	{ "vs destination host *", VS "  hosts: [a]\n  http:\n"
	  "  - route: [{destination: {host: \"*\"}}]\n", E, 7,
	  "spec.http[0].route[0].destination.host",
	  "invalid destination host *" },
	{ "vs destination without host", VS "  hosts: [a]\n  http:\n"
	  "  - route: [{destination: {subset: v1}}]\n", E, 7,
	  "spec.http[0].route[0].destination.host",
	  "empty domain name not allowed" },
	{ "vs route without destination", VS "  hosts: [a]\n  http:\n"
	  "  - route: [{weight: 1}]\n", E, 7, "spec.http[0].route[0]",
	  "destination is required" },
	{ "vs bad subset name", VS "  hosts: [a]\n  http:\n"
	  "  - route: [{destination: {host: a, subset: Bad_1}}]\n", E, 7,
	  "spec.http[0].route[0].destination.subset",
	  "subset name is invalid: Bad_1" },
	{ "vs destination port 0", VS "  hosts: [a]\n  http:\n"
	  "  - route: [{destination: {host: a, port: {number: 0}}}]\n", E, 7,
	  "spec.http[0].route[0].destination.port.number",
	  "port number 0 must be in the range 1..65535" },
	{ "vs destination port 8080", VS "  hosts: [a]\n  http:\n"
	  "  - route: [{destination: {host: a, port: {number: 8080}}}]\n", OK },
	{ "vs mirror host *", VS ROUTE "    mirror: {host: \"*\"}\n", E, 9,
	  "spec.http[0].mirror.host", "invalid destination host *" },
	{ "vs mirrorPercentage 150", VS ROUTE "    mirror: {host: m}\n"
	  "    mirrorPercentage: {value: 150}\n", E, 10,
	  "spec.http[0].mirrorPercentage",
	  "mirror_percentage must have a max value of 100 (it has 150.000000)" },
	{ "vs mirrorPercentage 50", VS ROUTE "    mirror: {host: m}\n"
	  "    mirrorPercentage: {value: 50}\n", OK },
	{ "vs mirrorPercent deprecated", VS ROUTE "    mirror: {host: m}\n"
	  "    mirrorPercent: 5\n", W, 10, "spec.http[0].mirrorPercent",
	  "using deprecated setting \"mirrorPercent\"" },
	{ "vs timeout 0s", VS ROUTE "    timeout: 0s\n", E, 9,
	  "spec.http[0].timeout", "duration must be greater than 1ms" },
	{ "vs timeout in microseconds", VS ROUTE "    timeout: 1500us\n", E, 9,
	  "spec.http[0].timeout", "only durations to ms precision are supported" },
	{ "vs timeout 1ms", VS ROUTE "    timeout: 1ms\n", OK },
	{ "vs absurd timeout", VS ROUTE "    timeout: 2000000h\n", OK },
};

static void vs_destination_rules(void)
{
	vcase_run(K_VIRTUAL_SERVICE, vs_dest_cases,
		  sizeof(vs_dest_cases) / sizeof(vs_dest_cases[0]));
}

static const struct vcase vs_retry_cases[] = {
	{ "vs retries attempts 0 alone", VS ROUTE
	  "    retries: {attempts: 0}\n", OK },
	{ "vs retries attempts 0 with perTryTimeout", VS ROUTE
	  "    retries: {attempts: 0, perTryTimeout: 2s}\n", E, 9,
	  "spec.http[0].retries", "http retry policy configured when attempts "
	  "are set to 0 (disabled)" },
	{ "vs retries perTryTimeout without attempts", VS ROUTE
	  "    retries: {perTryTimeout: 2s}\n", E, 9, "spec.http[0].retries",
	  "attempts are set to 0" },
	{ "vs retries negative attempts", VS ROUTE "    retries:\n"
	  "      attempts: -1\n", E, 10, "spec.http[0].retries.attempts",
	  "attempts cannot be negative" },
	{ "vs retryOn with space", VS ROUTE "    retries:\n      attempts: 2\n"
	  "      retryOn: 5xx, reset\n", E, 11, "spec.http[0].retries.retryOn",
	  "\" reset\" is not a valid retryOn policy" },
	{ "vs retryOn status codes and policies", VS ROUTE
	  "    retries: {attempts: 2, retryOn: \"503,reset,retriable-status-codes\"}\n",
	  OK },
	{ "vs retryOn unknown status code", VS ROUTE
	  "    retries: {attempts: 2, retryOn: \"599\"}\n", E, 9,
	  "spec.http[0].retries.retryOn", "\"599\" is not a valid retryOn policy" },
	{ "vs retryOn trailing comma", VS ROUTE
	  "    retries: {attempts: 2, retryOn: \"5xx,\"}\n", E, 9,
	  "spec.http[0].retries.retryOn", "\"\" is not a valid retryOn policy" },
	{ "vs retryOn grpc policies", VS ROUTE "    retries: {attempts: 2, "
	  "retryOn: \"unavailable,resource-exhausted,cancelled\"}\n", OK },
	{ "vs perTryTimeout below 1ms", VS ROUTE
	  "    retries: {attempts: 1, perTryTimeout: 100us}\n", E, 9,
	  "spec.http[0].retries.perTryTimeout", "duration must be greater than 1ms" },
	{ "vs retries attempts beyond int32", VS ROUTE
	  "    retries: {attempts: 99999999999}\n", E, 9,
	  "spec.http[0].retries.attempts", "out of range for int32" },
};

static void vs_retry_rules(void)
{
	vcase_run(K_VIRTUAL_SERVICE, vs_retry_cases,
		  sizeof(vs_retry_cases) / sizeof(vs_retry_cases[0]));
}

static const struct vcase vs_fault_cases[] = {
	{ "vs fault delay and abort", VS ROUTE "    fault:\n"
	  "      delay: {fixedDelay: 5s, percentage: {value: 10}}\n"
	  "      abort: {httpStatus: 503, percentage: {value: 0.5}}\n", OK },
	{ "vs fault empty", VS ROUTE "    fault: {}\n", E, 9, "spec.http[0].fault",
	  "HTTP fault injection must have an abort and/or a delay" },
	{ "vs fault percentage 150", VS ROUTE "    fault:\n"
	  "      delay: {fixedDelay: 5s, percentage: {value: 150}}\n", E, 10,
	  "spec.http[0].fault.delay",
	  "percentage 150 is neither 0.0, nor in range [0.0001, 100.0]" },
	{ "vs fault tiny percentage", VS ROUTE "    fault:\n"
	  "      abort: {httpStatus: 500, percentage: {value: 0.00001}}\n", E, 10,
	  "spec.http[0].fault.abort", "percentage 1e-05 is neither 0.0" },
	{ "vs fault abort status 700", VS ROUTE "    fault:\n"
	  "      abort: {httpStatus: 700}\n", E, 10, "spec.http[0].fault.abort",
	  "HTTP status 700 is not in range 200-599" },
	{ "vs fault grpc status", VS ROUTE "    fault:\n"
	  "      abort: {grpcStatus: UNAVAILABLE}\n", OK },
	{ "vs fault bad grpc status", VS ROUTE "    fault:\n"
	  "      abort: {grpcStatus: NOPE}\n", E, 10, "spec.http[0].fault.abort",
	  "gRPC status \"NOPE\" is not supported" },
	{ "vs fault http2 error", VS ROUTE "    fault:\n"
	  "      abort: {http2Error: x}\n", E, 10, "spec.http[0].fault.abort",
	  "HTTP/2 abort fault injection not supported yet" },
	{ "vs fault abort without type", VS ROUTE "    fault:\n"
	  "      abort: {percentage: {value: 5}}\n", W, 10,
	  "spec.http[0].fault.abort", "abort configured, but error type not set" },
	{ "vs fault exponential delay", VS ROUTE "    fault:\n"
	  "      delay: {exponentialDelay: 1s}\n", E, 10,
	  "spec.http[0].fault.delay.exponentialDelay",
	  "exponentialDelay not supported yet" },
	{ "vs fault delay 0s", VS ROUTE "    fault:\n"
	  "      delay: {fixedDelay: 0s}\n", E, 10,
	  "spec.http[0].fault.delay.fixedDelay", "duration must be greater than 1ms" },
};

static void vs_fault_rules(void)
{
	vcase_run(K_VIRTUAL_SERVICE, vs_fault_cases,
		  sizeof(vs_fault_cases) / sizeof(vs_fault_cases[0]));
}

/* a rule with one match (lines 7-8), then its route (line 9) */
#define M(match) "  hosts: [a]\n  http:\n  - match:\n    - " match "\n" \
	"    route: [{destination: {host: a}}]\n"

static const struct vcase vs_match_cases[] = {
	{ "vs empty uri prefix", VS M("uri: {prefix: \"\"}"), OK },
	{ "vs empty method prefix", VS M("method: {prefix: \"\"}"), E, 8,
	  "spec.http[0].match[0].method",
	  "\"method\": prefix string match should not be empty" },
	{ "vs empty header prefix", VS M("headers: {x-a: {prefix: \"\"}}"), E, 8,
	  "spec.http[0].match[0].headers[x-a]",
	  "\"headers\": prefix string match should not be empty" },
	{ "vs empty uri regex", VS M("uri: {regex: \"\"}"), E, 8,
	  "spec.http[0].match[0].uri",
	  "\"uri\": regex string match should not be empty" },
	{ "vs RE2 regex", VS M("uri: {regex: \"(?i)^/api/v\\\\d+/(?:a|b)*?$\"}"), OK },
	{ "vs unbalanced regex", VS M("uri: {regex: \"(abc\"}"), E, 8,
	  "spec.http[0].match[0].uri", "\"uri\": error parsing regexp: "
	  "missing closing ): `(abc`; Istio uses RE2" },
	{ "vs regex back-reference", VS M("authority: {regex: \"(a)\\\\1\"}"), E, 8,
	  "spec.http[0].match[0].authority", "invalid escape sequence: `\\1`" },
	{ "vs regex nested repetition", VS M("uri: {regex: \"a**\"}"), E, 8,
	  "spec.http[0].match[0].uri", "invalid nested repetition operator" },
	{ "vs RE2 literal and classes",
	  VS M("uri: {regex: \"\\\\Q.*\\\\E[[:alpha:]\\\\d]{2,5}\"}"), OK },
	{ "vs regex inverted range", VS M("uri: {regex: \"[z-a]\"}"), E, 8,
	  "spec.http[0].match[0].uri", "\"uri\": error parsing regexp" },
	{ "vs header regex *", VS M("headers: {x-a: {regex: \"*\"}}"), E, 8,
	  "spec.http[0].match[0].headers[x-a]",
	  "missing argument to repetition operator: `*`" },
	{ "vs withoutHeaders regex * (presence)",
	  VS M("withoutHeaders: {x-a: {regex: \"*\"}}"), OK },
	{ "vs exact and prefix", VS M("uri: {exact: /a, prefix: /b}"), E, 8,
	  "spec.http[0].match[0].uri",
	  "\"uri\": only one of exact, prefix or regex can be set" },
	{ "vs bad header name", VS M("headers: {\"bad header\": {exact: v}}"),
	  E, 8, "spec.http[0].match[0].headers[bad header]",
	  "header name bad header is not a valid header name" },
	{ "vs pseudo header name", VS M("headers: {\":path\": {exact: /}}"), OK },
	{ "vs match port 70000", VS M("port: 70000"), E, 8,
	  "spec.http[0].match[0].port",
	  "port number 70000 must be in the range 1..65535" },
	{ "vs match port 8080", VS M("port: 8080"), OK },
	{ "vs bad sourceNamespace", VS M("sourceNamespace: Bad_ns"), E, 8,
	  "spec.http[0].match[0].sourceNamespace",
	  "sourceNamespace match Bad_ns is invalid" },
	{ "vs bad sourceLabels key", VS M("sourceLabels: {\"a b\": x}"), E, 8,
	  "spec.http[0].match[0].sourceLabels[a b]", "invalid tag key: \"a b\"" },
	{ "vs sourceLabels", VS M("sourceLabels: {app: web}"), OK },
	{ "vs query param empty prefix", VS M("queryParams: {q: {prefix: \"\"}}"),
	  E, 8, "spec.http[0].match[0].queryParams[q]",
	  "\"queryParams\": prefix string match should not be empty" },
};

static void vs_match_rules(void)
{
	vcase_run(K_VIRTUAL_SERVICE, vs_match_cases,
		  sizeof(vs_match_cases) / sizeof(vs_match_cases[0]));
}

static const struct vcase vs_policy_cases[] = {
	{ "vs redirect without target", VS "  hosts: [a]\n  http:\n"
	  "  - redirect: {redirectCode: 301}\n", E, 7, "spec.http[0].redirect",
	  "redirect must specify URI, authority, scheme, or port" },
	{ "vs redirect code 200", VS "  hosts: [a]\n  http:\n"
	  "  - redirect: {uri: /b, redirectCode: 200}\n", E, 7,
	  "spec.http[0].redirect", "200 is not a valid redirect code, must be 3xx" },
	{ "vs redirect scheme ftp", VS "  hosts: [a]\n  http:\n"
	  "  - redirect: {scheme: ftp}\n", E, 7, "spec.http[0].redirect",
	  "invalid redirect scheme, must be \"http\" or \"https\"" },
	{ "vs redirect derivePort", VS "  hosts: [a]\n  http:\n"
	  "  - redirect: {derivePort: FROM_REQUEST_PORT}\n", OK },
	{ "vs directResponse status 100", VS "  hosts: [a]\n  http:\n"
	  "  - directResponse: {status: 100}\n", E, 7,
	  "spec.http[0].directResponse", "HTTP status 100 is not in range 200-599" },
	{ "vs directResponse without status", VS "  hosts: [a]\n  http:\n"
	  "  - directResponse: {body: {string: x}}\n", E, 7,
	  "spec.http[0].directResponse", "HTTP status 0 is not in range" },
	{ "vs rewrite uri and regex", VS ROUTE "    rewrite:\n      uri: /x\n"
	  "      uriRegexRewrite: {match: a, rewrite: b}\n", E, 10,
	  "spec.http[0].rewrite",
	  "rewrite may only contain one of URI or UriRegexRewrite" },
	{ "vs rewrite empty", VS ROUTE "    rewrite: {}\n", E, 9,
	  "spec.http[0].rewrite", "rewrite must specify at least one of URI" },
	{ "vs rewrite regex without rewrite", VS ROUTE "    rewrite:\n"
	  "      uriRegexRewrite: {match: \"^/a\"}\n", E, 10,
	  "spec.http[0].rewrite", "UriRegexRewrite requires both Rewrite and "
	  "Match fields to be specified" },
	{ "vs rewrite regex", VS ROUTE "    rewrite:\n"
	  "      uriRegexRewrite: {match: \"^/a/(.*)\", rewrite: \"/\\\\1\"}\n", OK },
	{ "vs authority set twice", VS ROUTE "    rewrite: {authority: b}\n"
	  "    headers:\n      request:\n        set: {host: c}\n", E, 12,
	  "spec.http[0]", "authority header cannot be set multiple times: "
	  "have \"b\", attempting to set \"c\"" },
	{ "vs authority set once", VS ROUTE "    headers:\n      request:\n"
	  "        set: {host: c, x-a: \"%HOSTNAME%\", x-b: \"100%%\"}\n", OK },
	{ "vs response host header", VS ROUTE "    headers:\n      response:\n"
	  "        set: {Host: c}\n", E, 11, "spec.http[0].headers.response.set[Host]",
	  "invalid header \"Host\": cannot set Host header" },
	{ "vs request pseudo header", VS ROUTE "    headers:\n      request:\n"
	  "        remove: [\":path\"]\n", E, 11,
	  "spec.http[0].headers.request.remove[0]",
	  "invalid header \":path\": header cannot have \":\" prefix" },
	{ "vs single percent in header value", VS ROUTE "    headers:\n"
	  "      request:\n        add: {x-a: \"50%\"}\n", E, 11,
	  "spec.http[0].headers.request.add[x-a]", "single % not allowed" },
	{ "vs destination header host", VS "  hosts: [a]\n  http:\n  - route:\n"
	  "    - destination: {host: a}\n      headers:\n        response:\n"
	  "          remove: [host]\n", E, 11,
	  "spec.http[0].route[0].headers.response.remove[0]",
	  "invalid header \"host\": cannot set Host header" },
	{ "vs cors", VS ROUTE "    corsPolicy:\n"
	  "      allowOrigins: [{exact: \"https://a.com\"}, {regex: \".*\\\\.a\\\\.com\"}]\n"
	  "      allowMethods: [GET, POST]\n      allowHeaders: [x-a]\n"
	  "      maxAge: 24h\n", OK },
	{ "vs cors bad method", VS ROUTE "    corsPolicy:\n"
	  "      allowMethods: [FETCH]\n", E, 10, "spec.http[0].corsPolicy."
	  "allowMethods[0]", "\"FETCH\" is not a supported HTTP method" },
	{ "vs cors empty origin", VS ROUTE "    corsPolicy:\n"
	  "      allowOrigins: [{exact: \"\"}]\n", E, 10,
	  "spec.http[0].corsPolicy.allowOrigins[0]",
	  "'' is not a valid match type for CORS allow origins" },
	{ "vs cors maxAge with fraction", VS ROUTE "    corsPolicy:\n"
	  "      maxAge: 1500ms\n", E, 10, "spec.http[0].corsPolicy.maxAge",
	  "max_age duration is accurate only to seconds precision" },
};

static void vs_policy_rules(void)
{
	vcase_run(K_VIRTUAL_SERVICE, vs_policy_cases,
		  sizeof(vs_policy_cases) / sizeof(vs_policy_cases[0]));
}

#define TLS(host, sni) "  hosts: [" host "]\n  tls:\n  - match:\n" \
	"    - sniHosts: [" sni "]\n    route: [{destination: {host: a}}]\n"

static const struct vcase vs_l4_cases[] = {
	{ "vs tls sni within hosts", VS TLS("\"*.a.com\"", "x.a.com"), OK },
	{ "vs tls sni outside hosts", VS TLS("a.com", "b.com"), E, 8,
	  "spec.tls[0].match[0].sniHosts[0]", "SNI host \"b.com\" is not a "
	  "compatible subset of any of the virtual service hosts: [a.com]" },
	{ "vs tls sni ip", VS TLS("a.com", "10.0.0.1"), W, 8,
	  "spec.tls[0].match[0].sniHosts[0]", "using an IP address (\"10.0.0.1\") "
	  "goes against SNI spec" },
	{ "vs tls match without sniHosts", VS "  hosts: [a.com]\n  tls:\n"
	  "  - match:\n    - port: 443\n    route: [{destination: {host: a}}]\n",
	  E, 8, "spec.tls[0].match[0]", "TLS match must have at least one SNI host" },
	{ "vs tls without match", VS "  hosts: [a.com]\n  tls:\n"
	  "  - route: [{destination: {host: a}}]\n", E, 7, "spec.tls[0]",
	  "TLS route must have at least one match condition" },
	{ "vs tls without route", VS "  hosts: [a.com]\n  tls:\n"
	  "  - match: [{sniHosts: [a.com]}]\n", E, 7, "spec.tls[0]",
	  "TLS route is required" },
	{ "vs tcp", VS "  hosts: [a]\n  tcp:\n  - match: [{port: 3306}]\n"
	  "    route: [{destination: {host: a}}]\n", OK },
	{ "vs tcp without route", VS "  hosts: [a]\n  tcp:\n"
	  "  - match: [{port: 3306}]\n", E, 7, "spec.tcp[0]",
	  "TCP route is required" },
	{ "vs tcp bad subnet", VS "  hosts: [a]\n  tcp:\n"
	  "  - match: [{destinationSubnets: [10.0.0.0/33]}]\n"
	  "    route: [{destination: {host: a}}]\n", E, 7,
	  "spec.tcp[0].match[0].destinationSubnets[0]", "10.0.0.0/33" },
	{ "vs tcp subnet", VS "  hosts: [a]\n  tcp:\n"
	  "  - match: [{destinationSubnets: [10.0.0.0/8, \"::1\"]}]\n"
	  "    route: [{destination: {host: a}}]\n", OK },
	{ "vs tcp match port 0 means unset", VS "  hosts: [a]\n  tcp:\n"
	  "  - match: [{port: 0}]\n    route: [{destination: {host: a}}]\n", OK },
};

static void vs_l4_rules(void)
{
	vcase_run(K_VIRTUAL_SERVICE, vs_l4_cases,
		  sizeof(vs_l4_cases) / sizeof(vs_l4_cases[0]));
}

/* ---- IST0130 / IST0131: advisory, the object stays valid ---- */

static const struct finding *nth_code(const struct config *c, const char *code,
				      size_t k)
{
	size_t i;

	for (i = 0; i < c->diag.n; i++)
		if (!strcmp(c->diag.v[i].code, code) && !k--)
			return &c->diag.v[i];
	return NULL;
}

static void check_finding(const struct config *c, const char *label,
			  const char *code, size_t k, enum severity sev,
			  unsigned line, const char *path, const char *msg)
{
	const struct finding *f = nth_code(c, code, k);
	bool ok = f && f->sev == sev && f->line == line &&
		  f->path && !strcmp(f->path, path) && !strcmp(f->msg, msg);

	if (!ok) {
		fprintf(stderr, "\ncase \"%s\": want %s #%zu line %u %s \"%s\"\n",
			label, code, k, line, path, msg);
		unit_dump(c);
	}
	CU_assertImplementation(ok, __LINE__, label, __FILE__, "", CU_FALSE);
}

static void rule_after_catch_all(void)
{
	struct config *c = unit_load(VS "  hosts: [a]\n  http:\n"
		"  - route: [{destination: {host: a}}]\n"
		"  - route: [{destination: {host: b}}]\n"
		"  - match: [{uri: {prefix: /x}}, {uri: {prefix: /y}}]\n"
		"    route: [{destination: {host: c}}]\n");

	check_finding(c, "second catch-all", "IST0130", 0, SEV_WARNING, 8,
		      "spec.http[1]", "VirtualService rule #1 not used (only the "
		      "last rule can have no matches).");
	/* Istio reports a rule after a catch-all once per match */
	check_finding(c, "rule after catch-all", "IST0130", 1, SEV_WARNING, 9,
		      "spec.http[2]", "VirtualService rule #2 not used (route "
		      "without matches defined before).");
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0130"), 3);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0131"), 0);
	CU_ASSERT_FALSE(unit_obj(c, K_VIRTUAL_SERVICE, "x")->invalid);
	unit_free(c);
}

static void duplicate_named_match(void)
{
	struct config *c = unit_load(VS "  hosts: [a]\n  http:\n"
		"  - name: first\n    match: [{name: m1, uri: {exact: /a}}]\n"
		"    route: [{destination: {host: a}}]\n"
		"  - name: second\n    match:\n    - name: m2\n      uri: {exact: /a}\n"
		"    route: [{destination: {host: b}}]\n"
		"  - route: [{destination: {host: c}}]\n");

	/* the match names differ but take no part in the comparison */
	check_finding(c, "duplicate match", "IST0131", 0, SEV_INFO, 12,
		      "spec.http[1].match[0]", "VirtualService rule \"second\" "
		      "match \"m2\" is not used (duplicate/overlapping match in "
		      "rule \"first\").");
	check_finding(c, "all matches used", "IST0130", 0, SEV_WARNING, 10,
		      "spec.http[1]", "VirtualService rule \"second\" not used "
		      "(all matches used by prior rules).");
	CU_ASSERT_FALSE(unit_obj(c, K_VIRTUAL_SERVICE, "x")->invalid);
	unit_free(c);
}

static void overlapping_prefix(void)
{
	struct config *c = unit_load(VS "  hosts: [a]\n  http:\n"
		"  - match: [{uri: {prefix: /f}}]\n"
		"    route: [{destination: {host: a}}]\n"
		"  - match: [{uri: {prefix: /foo}}]\n"
		"    route: [{destination: {host: b}}]\n");

	check_finding(c, "covered prefix", "IST0131", 0, SEV_INFO, 9,
		      "spec.http[1].match[0]", "VirtualService rule #1 match #0 "
		      "of prefix /foo is not used (duplicate/overlapping match in "
		      "rule #0 of prefix /f on #0).");
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0130"), 0);
	unit_free(c);
}

static void no_overlap_when_narrower_first(void)
{
	struct config *c = unit_load(VS "  hosts: [a]\n  http:\n"
		"  - match: [{uri: {prefix: /foo}}]\n"
		"    route: [{destination: {host: a}}]\n"
		"  - match: [{uri: {prefix: /f}, method: {exact: GET}}]\n"
		"    route: [{destination: {host: b}}]\n"
		"  - match: [{uri: {prefix: /foo/bar}, method: {exact: POST}}]\n"
		"    route: [{destination: {host: b}}]\n"
		"  - match: [{uri: {prefix: /foo/baz}, headers: {x-a: {exact: v}}}]\n"
		"    route: [{destination: {host: b}}]\n"
		"  - match: [{uri: {exact: /foo}}]\n"
		"    route: [{destination: {host: c}}]\n"
		"  - match: [{headers: {x-v: {exact: \"\"}}}]\n"
		"    route: [{destination: {host: c}}]\n"
		"  - match: [{headers: {x-v: {exact: \"-\"}}}]\n"
		"    route: [{destination: {host: c}}]\n");

	CU_ASSERT_EQUAL(unit_count_code(c, "IST0131"), 0);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0130"), 0);
	if (unit_count_code(c, "IST0131"))
		unit_dump(c);
	unit_free(c);
}

static void tcp_and_tls_duplicates(void)
{
	struct config *c = unit_load(VS "  hosts: [a.com]\n  tls:\n"
		"  - match: [{sniHosts: [a.com], port: 443}]\n"
		"    route: [{destination: {host: a}}]\n"
		"  - match: [{sniHosts: [a.com], port: 443}, {sniHosts: [a.com]}]\n"
		"    route: [{destination: {host: b}}]\n"
		"  tcp:\n  - match: [{port: 1}]\n    route: [{destination: {host: a}}]\n"
		"  - match: [{port: 2}]\n    route: [{destination: {host: b}}]\n");

	check_finding(c, "tls duplicate", "IST0131", 0, SEV_INFO, 9,
		      "spec.tls[1].match[0]", "VirtualService rule #1 match #0 is "
		      "not used (duplicate/overlapping match in rule #0).");
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0131"), 1);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0130"), 0);
	unit_free(c);
}

/* ---- Istio's own expectation for these two files (EXPECTED.tsv) ---- */

#define FIX "../shared/fixtures/istio/analyzers/"

static struct config *load_files(const char *const *paths, size_t n)
{
	struct config *c = malloc(sizeof(*c));
	size_t i;

	config_init(c);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(config_load_path(c, paths[i]), 0);
	config_validate(c);
	return c;
}

/* Number of rows of test <test> with this code and resource. */
static size_t expected_rows(const char *test, const char *code,
			    const char *resource)
{
	FILE *f = fopen(FIX "EXPECTED.tsv", "r");
	char line[2048];
	size_t n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		char *col[8], *save = NULL, *t = strtok_r(line, "\t\n", &save);
		int k = 0;

		for (; t && k < 8; t = strtok_r(NULL, "\t\n", &save))
			col[k++] = t;
		n += k >= 5 && !strcmp(col[0], test) && !strcmp(col[4], code) &&
		     !strcmp(col[3], resource);
	}
	fclose(f);
	return n;
}

static size_t our_rows(const struct config *c, const char *code,
		       const char *resource)
{
	size_t i, n = 0;

	for (i = 0; i < c->diag.n; i++)
		n += !strcmp(c->diag.v[i].code, code) && c->diag.v[i].resource &&
		     !strcmp(c->diag.v[i].resource, resource);
	return n;
}

static void istio_dupmatches_expectations(void)
{
	static const char *const files[] = { FIX "virtualservice_dupmatches.yaml",
		FIX "virtualservice_overlappingmatches.yaml" };
	static const char *const codes[] = { "IST0130", "IST0131" };
	struct config *c = load_files(files, 2);
	size_t i, k, total = 0;

	for (i = 0; i < c->n; i++) {
		const struct object *o = c->objs[i];

		for (k = 0; k < 2; k++) {
			size_t want = expected_rows("dupmatches", codes[k],
						    o->resource);
			size_t got = our_rows(c, codes[k], o->resource);

			if (want != got)
				fprintf(stderr, "\n%s %s: want %zu, got %zu\n",
					o->resource, codes[k], want, got);
			CU_ASSERT_EQUAL(want, got);
			total += got;
		}
		CU_ASSERT_FALSE(o->invalid);
	}
	CU_ASSERT_EQUAL(total, 15); /* the 15 rows of the case */
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0106"), 0);
	unit_free(c);
}

/* ---- the seed configs load with the findings Istio would give ---- */

static void seed_virtualservices(void)
{
	static const char *const files[] = {
		"../shared/fixtures/seed/04-virtualservice-ab.yaml",
		"../shared/fixtures/seed/07-virtualservice-streaming.yaml" };
	struct config *c = load_files(files, 2);

	/* streaming: `retries: {attempts: 0}` alone is legal */
	CU_ASSERT_PTR_NOT_NULL_FATAL(unit_obj(c, K_VIRTUAL_SERVICE,
					      "streaming-inference"));
	CU_ASSERT_FALSE(unit_obj(c, K_VIRTUAL_SERVICE, "streaming-inference")->invalid);
	CU_ASSERT_FALSE(unit_obj(c, K_VIRTUAL_SERVICE, "model-server")->invalid);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0106"), 0);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0133"), 0);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0130"), 0);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0131"), 0);
	unit_free(c);
}

/* ---- hostile values never crash ---- */

static char *many_routes(size_t n, bool same)
{
	size_t cap = n * 96 + 256, o = 0, i;
	char *s = malloc(cap);

	o += snprintf(s + o, cap - o, "%s  hosts: [a]\n  http:\n", VS);
	for (i = 0; i < n; i++)
		o += snprintf(s + o, cap - o, "  - match: [{uri: {exact: /p%zu}}]\n"
			      "    route: [{destination: {host: a}, weight: 1}]\n",
			      same ? (size_t)0 : i);
	return s;
}

static void ten_thousand_routes(void)
{
	char *y = many_routes(10000, false);
	struct config *c = unit_load(y);

	CU_ASSERT_FALSE(unit_obj(c, K_VIRTUAL_SERVICE, "x")->invalid);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0130"), 0);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0131"), 0);
	unit_free(c);
	free(y);
	y = many_routes(10000, true);
	c = unit_load(y);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0130"), 9999);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0131"), 9999);
	unit_free(c);
	free(y);
}

static void regex_length_limit(void)
{
	char re[1100], y[1400];
	struct config *c;
	const struct finding *f;

	memset(re, 'a', 1024);
	re[1024] = 0;
	snprintf(y, sizeof(y), VS M("uri: {regex: \"%s\"}"), re);
	c = unit_load(y);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0106"), 0); /* 1024: allowed */
	unit_free(c);
	strcat(re, "a");
	snprintf(y, sizeof(y), VS M("uri: {regex: \"%s\"}"), re);
	c = unit_load(y);
	f = unit_find_code(c, "IST0106");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->line, 8);
	CU_ASSERT_STRING_EQUAL(f->path, "spec.http[0].match[0].uri");
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, "\"uri\": regex is too large, "
				      "max length allowed is 1024"));
	unit_free(c);
}

static void hostile_values(void)
{
	struct config *c = unit_load(VS "  hosts: [a]\n  http:\n  - route:\n"
		"    - {destination: {host: a}, weight: 9223372036854775807}\n"
		"    - {destination: {host: b}, weight: -9223372036854775808}\n"
		"    timeout: 2000000h\n"
		"    retries: {attempts: -9223372036854775808, retryOn: \",,,\"}\n"
		"    mirrorPercentage: {value: 1e308}\n"
		"    fault: {delay: {fixedDelay: 1s, percentage: {value: -1e308}}}\n"
		"  - match: [{uri: {regex: \"((((((((((((((((((((((((((((\"}}]\n"
		"    route: [{destination: {host: a, port: {number: 4294967296}}}]\n");

	/* the schema accepts these numbers: the validator sees them all */
	CU_ASSERT_TRUE(unit_obj(c, K_VIRTUAL_SERVICE, "x")->invalid);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0106"), 7);
	if (unit_count_code(c, "IST0106") != 7)
		unit_dump(c);
	unit_free(c);
}

UNIT_SUITE(validate_vs)
{
	UNIT_TEST(s, vs_top_rules);
	UNIT_TEST(s, vs_action_rules);
	UNIT_TEST(s, vs_destination_rules);
	UNIT_TEST(s, vs_retry_rules);
	UNIT_TEST(s, vs_fault_rules);
	UNIT_TEST(s, vs_match_rules);
	UNIT_TEST(s, vs_policy_rules);
	UNIT_TEST(s, vs_l4_rules);
	UNIT_TEST(s, rule_after_catch_all);
	UNIT_TEST(s, duplicate_named_match);
	UNIT_TEST(s, overlapping_prefix);
	UNIT_TEST(s, no_overlap_when_narrower_first);
	UNIT_TEST(s, tcp_and_tls_duplicates);
	UNIT_TEST(s, istio_dupmatches_expectations);
	UNIT_TEST(s, seed_virtualservices);
	UNIT_TEST(s, ten_thousand_routes);
	UNIT_TEST(s, regex_length_limit);
	UNIT_TEST(s, hostile_values);
}
