// SPDX-License-Identifier: Apache-2.0
/*
 * The engine on a port judged per HTTP request (l7.h): B's app port is
 * an `http` Service port and an ALLOW policy names a method and a path.
 * A's plain HTTP/1.1 call to the VIP is captured and carried to B's
 * :15008, where the CONNECT is not judged but every request is: the
 * allowed one reaches B's app and its answer comes back; on the same
 * connection a refused one gets 403 "RBAC: access denied" and B's app
 * reads nothing more than an EOF; a smuggling attempt gets 400 and B's
 * app reads nothing at all. Each refusal is counted by its reason.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine_fix.h"

#define SVC_B								\
	"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n"	\
	"  namespace: ns-b\nspec:\n  selector: {app: b}\n  ports:\n"	\
	"  - name: http\n    port: 8080\n    targetPort: 9080\n"
#define POLICY_B							\
	"---\napiVersion: security.istio.io/v1\n"			\
	"kind: AuthorizationPolicy\nmetadata:\n  name: b-http\n"	\
	"  namespace: ns-b\nspec:\n  selector:\n"			\
	"    matchLabels: {app: b}\n  action: ALLOW\n  rules:\n"	\
	"  - from:\n    - source:\n"					\
	"        principals: [cluster.local/ns/ns-a/sa/sa-a]\n"		\
	"    to:\n    - operation:\n        methods: [POST]\n"		\
	"        paths: [/v1/predict]\n"

#define ALLOWED "POST /v1/predict HTTP/1.1\r\nHost: b\r\n" \
		"Content-Length: 2\r\n\r\nhi"
#define DENIED "GET /v1/predict HTTP/1.1\r\nHost: b\r\n\r\n"
#define SMUGGLE "POST /v1/predict HTTP/1.1\r\nHost: b\r\n"		\
		"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"	\
		"0\r\n\r\nGET /admin HTTP/1.1\r\nHost: b\r\n\r\n"

/* Reads from <fd> into <b> until <needle> or EOF, at most EF_WAIT_MS;
 * the bytes read (NUL-terminated). *<eof> says whether EOF came. */
static size_t read_until(int fd, char *b, size_t cap, const char *needle,
			 bool *eof)
{
	uint64_t until = ef_now_ms() + EF_WAIT_MS;
	size_t n = 0;

	*eof = false;
	b[0] = 0;
	while (n + 1 < cap && ef_now_ms() < until &&
	       !(needle && strstr(b, needle))) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&p, 1, 100) <= 0)
			continue;
		k = read(fd, b + n, cap - 1 - n);
		if (k <= 0) {
			*eof = true;
			break;
		}
		n += (size_t)k;
		b[n] = 0;
	}
	return n;
}

static bool send_all(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s);
}

/* An allowed request and its answer; then a refused one on the same
 * connection. */
static void allowed_then_denied(struct efix *f)
{
	char b[4096];
	bool eof;
	int cli = ef_dial_captured(f), app = -1;

	if (!CHECK_EQ(cli >= 0 ? 0 : cli, 0, "A's connect to the VIP") ||
	    !CHECK_EQ(send_all(cli, ALLOWED), true, "request sent"))
		goto out;
	app = ef_accept_app(f, &(struct sockaddr_in){ 0 }, EF_WAIT_MS);
	if (!CHECK_EQ(app >= 0, 1, "B's app got the leg"))
		goto out;
	read_until(app, b, sizeof(b), "\r\n\r\nhi", &eof);
	CHECK_EQ(strcmp(b, ALLOWED), 0, "B's app read the allowed request");
	send_all(app, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	read_until(cli, b, sizeof(b), "\r\n\r\nok", &eof);
	CHECK_EQ(strncmp(b, "HTTP/1.1 200 OK\r\n", 17), 0, "A got B's 200");
	send_all(cli, DENIED);
	read_until(cli, b, sizeof(b), NULL, &eof);
	CHECK_EQ(strncmp(b, "HTTP/1.1 403 Forbidden\r\n", 24), 0, "then 403");
	CHECK_EQ(strstr(b, "\r\n\r\nRBAC: access denied") != NULL, 1,
		 "Envoy's body");
	CHECK_EQ(eof, true, "and the connection closed");
	CHECK_EQ(read_until(app, b, sizeof(b), NULL, &eof), 0,
		 "B's app read nothing more");
	CHECK_EQ(eof, true, "but its EOF");
out:
	if (cli >= 0)
		close(cli);
	if (app >= 0)
		close(app);
}

static void smuggling_refused(struct efix *f)
{
	char b[4096];
	bool eof;
	int cli = ef_dial_captured(f), app = -1;

	if (!CHECK_EQ(cli >= 0 ? 0 : cli, 0, "A's connect to the VIP") ||
	    !CHECK_EQ(send_all(cli, SMUGGLE), true, "CL+TE sent"))
		goto out;
	read_until(cli, b, sizeof(b), NULL, &eof);
	CHECK_EQ(strncmp(b, "HTTP/1.1 400 Bad Request\r\n", 26), 0, "400");
	app = ef_accept_app(f, &(struct sockaddr_in){ 0 }, EF_WAIT_MS);
	if (CHECK_EQ(app >= 0, 1, "the leg to B's app opened (CONNECT)"))
		CHECK_EQ(read_until(app, b, sizeof(b), NULL, &eof), 0,
			 "B's app read not one byte");
out:
	if (cli >= 0)
		close(cli);
	if (app >= 0)
		close(app);
}

static void engine_judges_each_request(void)
{
	struct px_counters c;
	struct efix f;

	NEED_ROOT();
	if (!ef_up(&f))
		return;
	if (!ef_policy(&f, SVC_B POLICY_B))
		goto out;
	allowed_then_denied(&f);
	smuggling_refused(&f);
	CHECK_EQ(EF_WAIT(&f, refused[PX_R_HTTP_BAD], 1), 1, "counted: bad");
	ef_counters(&f, &c);
	CHECK_EQ(c.refused[PX_R_HTTP_DENIED], 1, "counted: denied");
	CHECK_EQ(c.refused[PX_R_DENIED], 0, "no CONNECT refused at L4");
	CHECK_EQ(c.in_streams, 2, "both CONNECTs reached B's app");
	CHECK_EQ(f.l7.counts[AUTHZ_ALLOW_RULE], 1, "l7: one allowed");
	CHECK_EQ(f.l7.counts[AUTHZ_DENY_NO_ALLOW_MATCH], 1, "l7: one denied");
out:
	ef_down(&f);
}

UNIT_SUITE(engine_l7)
{
	UNIT_TEST(s, engine_judges_each_request);
}
