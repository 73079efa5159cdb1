// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's admin socket (user/agent/admin.c) on an agent context made
 * here (a CA and SVID store in memory, no dataplane), its loop run by a
 * thread of this test: a reply much larger than the socket buffer goes
 * out whole to a client that reads late, while another client is served
 * in the meantime; the socket file is 0600 and replaces a stale socket,
 * never a file that is not one; request lines that are not requests get
 * a JSON error, counted. The peer-uid check and a real agent:
 * tests/e2e/agent_admin.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/admin_views.h"
#include "agent/context.h"
#include "harness.h"
#include "tls_fix.h"

/* SVIDs enough for a secrets reply of several socket buffers (each
 * entry carries its PEM: about 1.8 KB) */
#define MANY_IDS 400

struct world {
	struct agent a;
	char dir[64];
	int stop[2];		/* a byte here stops the loop */
	pthread_t t;
};

static void on_stop(void *ctx, int fd)
{
	struct agent *a = ctx;
	char c;

	(void)!read(fd, &c, 1);
	loop_stop(&a->loop);
}

static void *run(void *arg)
{
	struct world *w = arg;

	loop_run(&w->a.loop);
	return NULL;
}

static void world_open(struct world *w, int n_ids)
{
	struct tls_ctx_opts o = { 0 };
	char why[256], sa[32];
	int i;

	memset(w, 0, sizeof(*w));
	snprintf(w->dir, sizeof(w->dir), "/tmp/im-admin.XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(w->dir) != NULL);
	w->a.o.node = "n1";
	w->a.admin.lfd = w->a.admin.timer_fd = -1;
	snprintf(w->a.paths.state_dir, sizeof(w->a.paths.state_dir), "%s",
		 w->dir);
	CU_ASSERT_EQUAL_FATAL(loop_init(&w->a.loop), 0);
	fix_ca(&w->a.ca);
	w->a.ca_open = true;
	CU_ASSERT_EQUAL_FATAL(tls_idents_init(&w->a.idents, &w->a.ca, 3600,
					      &o), 0);
	w->a.idents_open = true;
	authz_live_init(&w->a.authz);
	for (i = 0; i < n_ids; i++) {
		struct spiffe_id id;

		snprintf(sa, sizeof(sa), "sa-%d", i);
		id = fix_id(FIX_TD, "ns", sa);
		tls_ctx_put(tls_idents_get(&w->a.idents, &id, time(NULL), why,
					   sizeof(why)));
	}
	CU_ASSERT_EQUAL_FATAL(pipe(w->stop), 0);
	CU_ASSERT_EQUAL_FATAL(loop_add(&w->a.loop, w->stop[0], on_stop,
				       &w->a), 0);
}

static void world_start(struct world *w)
{
	CU_ASSERT_EQUAL_FATAL(admin_open(&w->a), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&w->t, NULL, run, w), 0);
}

static void world_close(struct world *w)
{
	char rm[128];

	CU_ASSERT_EQUAL(write(w->stop[1], "x", 1), 1);
	pthread_join(w->t, NULL);
	admin_close(&w->a);
	loop_close(&w->a.loop);
	close(w->stop[0]);
	close(w->stop[1]);
	authz_live_free(&w->a.authz);
	tls_idents_free(&w->a.idents);
	tls_ca_free(&w->a.ca);
	snprintf(rm, sizeof(rm), "rm -rf '%s'", w->dir);
	CU_ASSERT_EQUAL(system(rm), 0);
}

/* A client that sent <req> (blocking, bounded by a receive timeout). */
static int client(const struct world *w, const char *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { 20, 0 };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", w->a.admin.path);
	CU_ASSERT_FATAL(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)),
			      0);
	CU_ASSERT_EQUAL(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	return fd;
}

/* Everything until the agent closes, parsed; NULL if it is not JSON. */
static json_t *answer(int fd, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	json_t *j;
	ssize_t r;

	while (buf && (r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	*len = n;
	j = buf ? json_loadb(buf, n, 0, NULL) : NULL;
	free(buf);
	return j;
}

static void big_reply_to_a_late_reader(void)
{
	struct world w;
	json_t *j;
	size_t len, sndbuf_len;
	int slow, quick, sndbuf = 0;
	socklen_t sl = sizeof(sndbuf);

	world_open(&w, MANY_IDS);
	world_start(&w);
	slow = client(&w, "secrets\n");	/* and it does not read yet */
	getsockopt(slow, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl);
	/* meanwhile another client is answered: the loop is not stuck
	 * writing to the first */
	quick = client(&w, "status\n");
	j = answer(quick, &len);
	CU_ASSERT_PTR_NOT_NULL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
		json_object_get(j, "agent"), "node")), "n1");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
		json_object_get(j, "svids"), "count")), MANY_IDS);
	json_decref(j);
	/* now the late reader gets all of it, several buffers' worth */
	j = answer(slow, &len);
	sndbuf_len = (size_t)sndbuf;
	CU_ASSERT(len > 2 * sndbuf_len);
	CU_ASSERT_PTR_NOT_NULL(j);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "secrets")),
			MANY_IDS);
	json_decref(j);
	CU_ASSERT_EQUAL(w.a.admin.n.served, 2);
	CU_ASSERT_EQUAL(w.a.admin.n.timed_out, 0);
	world_close(&w);
}

static const char *error_of(const struct world *w, const char *req)
{
	static char buf[128];
	size_t len;
	json_t *j = answer(client(w, req), &len);
	const char *e = json_string_value(json_object_get(j, "error"));

	snprintf(buf, sizeof(buf), "%s", e ? e : "(none)");
	json_decref(j);
	return buf;
}

static void bad_requests_answered(void)
{
	char longer[ADMIN_REQ_MAX + 10];
	struct world w;
	size_t len;
	json_t *j;

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	world_open(&w, 1);
	world_start(&w);
	CU_ASSERT_STRING_EQUAL(error_of(&w, "frob\n"), "unknown request");
	CU_ASSERT_STRING_EQUAL(error_of(&w, "\n"), "unknown request");
	CU_ASSERT_STRING_EQUAL(error_of(&w, "sta\001tus\n"),
			       "not a request line");
	CU_ASSERT_STRING_EQUAL(error_of(&w, longer), "request line too long");
	/* a request may end with \r\n, as telnet sends it */
	j = answer(client(&w, "refusals\r\n"), &len);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "refusals")),
			2 * AUTHZ_REASON_MAX + 5);	/* authz and l7 */
	json_decref(j);
	CU_ASSERT_EQUAL(w.a.admin.n.bad_request, 4);
	world_close(&w);
}

/* 0600 from the start; a stale socket is replaced; a regular file at the
 * path is not (the start fails, the file stays). */
static void socket_file(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct world w;
	struct stat st;
	int fd;

	world_open(&w, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" ADMIN_SOCK, w.dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);	/* stale: nobody listens */
	world_start(&w);
	CU_ASSERT_EQUAL(lstat(sa.sun_path, &st), 0);
	CU_ASSERT(S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600);
	CU_ASSERT_EQUAL(st.st_ino, w.a.admin.ino);
	world_close(&w);
	CU_ASSERT_EQUAL(access(sa.sun_path, F_OK), -1);	/* removed at close */

	world_open(&w, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" ADMIN_SOCK, w.dir);
	fd = open(sa.sun_path, O_CREAT | O_WRONLY, 0600);
	CU_ASSERT(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(admin_open(&w.a), -EEXIST);
	CU_ASSERT_EQUAL(lstat(sa.sun_path, &st), 0);
	CU_ASSERT(S_ISREG(st.st_mode));
	admin_close(&w.a);
	CU_ASSERT_EQUAL(lstat(sa.sun_path, &st), 0);	/* not ours: stays */
	loop_close(&w.a.loop);
	close(w.stop[0]);
	close(w.stop[1]);
	authz_live_free(&w.a.authz);
	tls_idents_free(&w.a.idents);
	tls_ca_free(&w.a.ca);
	unlink(sa.sun_path);
	rmdir(w.dir);
}

UNIT_SUITE(agent_admin)
{
	UNIT_TEST(s, big_reply_to_a_late_reader);
	UNIT_TEST(s, bad_requests_answered);
	UNIT_TEST(s, socket_file);
}
