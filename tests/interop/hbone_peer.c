// SPDX-License-Identifier: Apache-2.0
/*
 * infermesh's side of the HBONE interop test (tests/cli/hbone_interop.sh):
 * the user/proxy/ server and client objects, driven by the test world of
 * tests/proxy/, against the independent Python peer tests/interop/hbone_peer.py.
 *
 *   hbone-peer certs DIR      a test CA in DIR/ca (user/tls layout), its
 *                             root and three SVIDs as PEM files in DIR
 *   hbone-peer serve DIR      prints "port N", serves until stdin closes
 *                             (at most 120 s), then "refused NAME N" lines
 *   hbone-peer client DIR PORT [--as denied] AUTHORITY...
 *                             one stream per AUTHORITY; prints per stream
 *                             "AUTHORITY status=S echo=ok|bad|none end=eof|reset"
 */
#include <errno.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fix_world.h"

#define SERVE_MAX_MS 120000
#define MAX_STREAMS 16

static struct world w;

static void print_refused(void)
{
	int r;

	for (r = 0; r < HBONE_R_MAX; r++)
		printf("refused %s %lu\n", hbone_refuse_name(r),
		       (unsigned long)w.scnt.refused[r]);
}

static bool stdin_closed(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char buf[64];

	return poll(&p, 1, 0) == 1 && read(0, buf, sizeof(buf)) <= 0;
}

static int serve(const char *dir)
{
	uint64_t end;

	if (world_init(&w, dir)) {
		fprintf(stderr, "hbone-peer: cannot load certificates from %s\n", dir);
		return 1;
	}
	printf("port %u\n", ntohs(w.addr.sin_port));
	fflush(stdout);
	end = world_now(&w) + SERVE_MAX_MS;
	while (!stdin_closed() && world_now(&w) < end)
		world_pump(&w, 20);
	print_refused();
	world_free(&w);
	return 0;
}

struct client_run {
	struct cstream cs[MAX_STREAMS];
	int n;
	bool wrote[MAX_STREAMS];
};

static const char *msg(int i)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "hello from infermesh, stream %d\n", i);
	return buf;
}

/* Writes to each stream that got its 200; true once every stream ended. */
static bool all_closed(void *arg)
{
	struct client_run *run = arg;
	int i, done = 0;

	for (i = 0; i < run->n; i++) {
		struct cstream *cs = &run->cs[i];

		if (cs->status == 200 && !run->wrote[i] && cs->s) {
			run->wrote[i] = true;
			hbone_stream_write(cs->s, msg(i), strlen(msg(i)));
			hbone_stream_shutdown(cs->s);
		}
		done += cs->closed;
	}
	return done == run->n;
}

static const char *echo_of(const struct client_run *run, int i)
{
	const struct cstream *cs = &run->cs[i];

	if (!cs->got.len)
		return "none";
	return cs->got.len == strlen(msg(i)) &&
	       !memcmp(cs->got.p + cs->got.off, msg(i), cs->got.len) ? "ok" : "bad";
}

static int client(const char *dir, int port, bool denied, char **auth, int n)
{
	static struct client_run run;
	struct hbone_pool_key k;
	int i, rc = 0;

	if (world_init(&w, dir))
		return 1;
	world_key(&w, &k);
	((struct sockaddr_in *)&k.dst)->sin_port = htons((uint16_t)port);
	if (denied) {
		w.dial_ctx = w.denied_ctx;
		strcpy(k.src_id, WORLD_DENIED_ID);
	}
	run.n = n < MAX_STREAMS ? n : MAX_STREAMS;
	for (i = 0; i < run.n; i++) {
		bytebuf_init(&run.cs[i].got, 1u << 20);
		run.cs[i].s = hbone_pool_open(&w.pool, &k, auth[i], &run.cs[i],
					      world_now(&w));
	}
	if (!world_until(&w, all_closed, &run))
		rc = 1;
	for (i = 0; i < run.n; i++) {
		printf("%s status=%d echo=%s end=%s\n", auth[i], run.cs[i].status,
		       echo_of(&run, i), run.cs[i].h2_error ? "reset" : "eof");
		if (run.cs[i].s)
			hbone_stream_release(run.cs[i].s);
		bytebuf_free(&run.cs[i].got);
	}
	for (i = 0; i < HBONE_R_MAX; i++)
		if (w.ccnt.refused[i])
			printf("client refused %s %lu\n", hbone_refuse_name(i),
			       (unsigned long)w.ccnt.refused[i]);
	world_free(&w);
	return rc;
}

static int certs(const char *dir)
{
	return world_make_pki(dir) ? 1 : 0;
}

int main(int argc, char **argv)
{
	bool denied;

	if (argc == 3 && !strcmp(argv[1], "certs"))
		return certs(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(argv[2]);
	if (argc >= 5 && !strcmp(argv[1], "client")) {
		denied = argc >= 6 && !strcmp(argv[4], "--as") && !strcmp(argv[5], "denied");
		return client(argv[2], atoi(argv[3]), denied, argv + (denied ? 6 : 4),
			      argc - (denied ? 6 : 4));
	}
	fprintf(stderr, "usage: hbone-peer certs DIR | serve DIR | "
			"client DIR PORT [--as denied] AUTHORITY...\n");
	return 2;
}
