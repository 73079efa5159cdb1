// SPDX-License-Identifier: Apache-2.0
/* The agent's event loop (user/agent/loop.c): each registered fd's
 * callback runs when the fd is readable, a callback may remove a source
 * or stop the loop, a full table refuses the next source, and a source
 * may ask to be called while writable too. */
#include <errno.h>
#include <unistd.h>

#include "agent/loop.h"
#include "harness.h"

struct seen {
	struct loop *l;
	int calls[4];
	int fds[4];
	int stop_after;		/* total calls, then loop_stop() */
	int total;
};

static void on_read(void *ctx, int fd)
{
	struct seen *s = ctx;
	char c;
	int i;

	for (i = 0; i < 4; i++)
		if (s->fds[i] == fd)
			s->calls[i]++;
	if (read(fd, &c, 1) != 1)
		loop_del(s->l, fd);	/* writer gone: stop watching it */
	if (++s->total == s->stop_after)
		loop_stop(s->l);
}

static void two_sources_dispatched(void)
{
	struct loop l;
	struct seen s = { .l = &l, .stop_after = 3 };
	int a[2], b[2];

	CU_ASSERT_EQUAL_FATAL(loop_init(&l), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(a) | pipe(b), 0);
	s.fds[0] = a[0];
	s.fds[1] = b[0];
	CU_ASSERT_EQUAL(loop_add(&l, a[0], on_read, &s), 0);
	CU_ASSERT_EQUAL(loop_add(&l, b[0], on_read, &s), 0);
	CU_ASSERT_EQUAL(write(a[1], "xy", 2), 2);
	CU_ASSERT_EQUAL(write(b[1], "z", 1), 1);
	CU_ASSERT_EQUAL(loop_run(&l), 0);
	CU_ASSERT_EQUAL(s.calls[0], 2);	/* one byte per call */
	CU_ASSERT_EQUAL(s.calls[1], 1);
	/* removed sources are not called: a's writer closes (readable with
	 * EOF), the callback removes it; b gets one byte and stops */
	loop_del(&l, b[0]);
	close(a[1]);
	CU_ASSERT_EQUAL(loop_add(&l, b[0], on_read, &s), 0);
	CU_ASSERT_EQUAL(write(b[1], "w", 1), 1);
	s.stop_after = s.total + 2;
	l.stop = false;
	CU_ASSERT_EQUAL(loop_run(&l), 0);
	CU_ASSERT_EQUAL(s.calls[0], 3);	/* the EOF, then removed */
	CU_ASSERT_EQUAL(s.calls[1], 2);
	loop_close(&l);
	close(a[0]);
	close(b[0]);
	close(b[1]);
}

static void full_table_refuses(void)
{
	struct loop l;
	struct seen s = { .l = &l };
	int p[2], i, err = 0;

	CU_ASSERT_EQUAL_FATAL(loop_init(&l), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	/* the same pipe through dup()ed fds: each is its own source */
	for (i = 0; i < LOOP_MAX_SRC && !err; i++) {
		int fd = dup(p[0]);

		err = loop_add(&l, fd, on_read, &s);
	}
	CU_ASSERT_EQUAL(err, 0);
	i = dup(p[0]);
	CU_ASSERT_EQUAL(loop_add(&l, i, on_read, &s), -ENOSPC);
	close(i);
	for (i = 0; i < LOOP_MAX_SRC; i++) {
		int fd = l.src[i].fd;

		loop_del(&l, fd);
		close(fd);
	}
	loop_close(&l);
	close(p[0]);
	close(p[1]);
}

static void on_writable(void *ctx, int fd)
{
	struct seen *s = ctx;

	s->calls[0]++;
	loop_want_write(s->l, fd, false);	/* once is enough */
	loop_stop(s->l);
}

/* A pipe's write end is never readable: only write interest calls it. */
static void write_interest(void)
{
	struct loop l;
	struct seen s = { .l = &l };
	int p[2];

	CU_ASSERT_EQUAL_FATAL(loop_init(&l), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	CU_ASSERT_EQUAL(loop_want_write(&l, p[1], true), -ENOENT);
	CU_ASSERT_EQUAL(loop_add(&l, p[1], on_writable, &s), 0);
	CU_ASSERT_EQUAL(loop_want_write(&l, p[1], true), 0);
	CU_ASSERT_EQUAL(loop_run(&l), 0);
	CU_ASSERT_EQUAL(s.calls[0], 1);
	loop_del(&l, p[1]);
	loop_close(&l);
	close(p[0]);
	close(p[1]);
}

UNIT_SUITE(agent_loop)
{
	UNIT_TEST(s, two_sources_dispatched);
	UNIT_TEST(s, full_table_refuses);
	UNIT_TEST(s, write_interest);
}
