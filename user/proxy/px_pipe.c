// SPDX-License-Identifier: Apache-2.0
/* The relay between a plain socket (the captured app's, or the leg to a
 * local workload) and an HBONE stream: one bounded chunk each way, read
 * only when the other side took the last one (backpressure both ways),
 * half-closes passed on, a reset passed on as a RST. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "px_int.h"

struct px_pipe *px_pipe_new(struct px_worker *w, int fd, bool outbound)
{
	struct px_pipe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	px_nodelay(fd);
	p->ev = (struct px_ev){ .kind = PX_EV_PIPE, .fd = fd };
	p->w = w;
	p->outbound = outbound;
	p->next = w->pipes;
	if (w->pipes)
		w->pipes->prev = p;
	w->pipes = p;
	w->npipes++;
	return p;
}

void px_pipe_attach(struct px_pipe *p, struct hbone_stream *s,
		    struct px_hconn *h)
{
	p->s = s;
	p->h = h;
	hbone_stream_set_ctx(s, p);
	if (h)
		h->streams_total++;
}

static void unlink_pipe(struct px_pipe *p)
{
	struct px_worker *w = p->w;

	if (p->prev)
		p->prev->next = p->next;
	else
		w->pipes = p->next;
	if (p->next)
		p->next->prev = p->prev;
	w->npipes--;
}

void px_pipe_kill(struct px_pipe *p, bool rst)
{
	if (p->dead)
		return;
	p->dead = true;
	if (p->ev.fd >= 0) {
		if (rst)
			px_rst_close(p->ev.fd);
		else
			close(p->ev.fd);	/* leaves the epoll with it */
		p->ev.fd = -1;
	}
	unlink_pipe(p);
	p->next = p->w->dead;
	p->w->dead = p;
}

/* The stream goes first: after release it may outlive us in its
 * connection, so it must not call us back. */
void px_pipe_reap(struct px_worker *w)
{
	struct px_pipe *p;

	while ((p = w->dead)) {
		w->dead = p->next;
		if (p->s) {
			hbone_stream_set_ctx(p->s, NULL);
			hbone_stream_release(p->s);
		}
		px_l7_free(p);
		free(p);
	}
}

/* The tunnel under <h> is being freed with its streams. */
void px_pipes_detach(struct px_worker *w, struct px_hconn *h)
{
	struct px_pipe *p, *next;

	for (p = w->pipes; p; p = next) {
		next = p->next;
		if (p->h != h)
			continue;
		p->s = NULL;
		p->h = NULL;
		px_pipe_kill(p, true);
	}
	for (p = w->dead; p; p = p->next)
		if (p->h == h) {
			p->s = NULL;
			p->h = NULL;
		}
}

static void interest(struct px_pipe *p)
{
	uint32_t ev = 0;

	if (p->dead)
		return;
	if (p->connecting)
		ev = EPOLLOUT;
	else if (p->up) {
		if (!p->app_eof && !p->a2s_len)
			ev |= EPOLLIN;
		if (p->l7 ? px_l7_app_pending(p) : p->s2a_len)
			ev |= EPOLLOUT;
	}
	if (px_watch(p->w, &p->ev, ev))
		px_pipe_kill(p, true);
}

void px_pipe_count(struct px_pipe *p, bool tx, size_t n)
{
	if (tx) {
		p->w->cnt.bytes_out += n;
		if (p->h)
			p->h->bytes_tx += n;
	} else {
		p->w->cnt.bytes_in += n;
		if (p->h)
			p->h->bytes_rx += n;
	}
}

/* App -> stream. Returns false when the pipe died. */
static bool pump_a2s(struct px_pipe *p)
{
	int i;

	for (i = 0; i < PX_STEPS && !p->dead && p->s; i++) {
		ssize_t n;

		if (p->a2s_len) {
			n = hbone_stream_write(p->s, p->a2s + p->a2s_off,
					       p->a2s_len);
			if (n < 0)
				goto reset;
			if (!n)
				return true;	/* writable() resumes us */
			px_pipe_count(p, true, (size_t)n);
			p->a2s_off += (uint32_t)n;
			p->a2s_len -= (uint32_t)n;
			continue;
		}
		if (p->app_eof) {
			if (!p->s_shut && hbone_stream_shutdown(p->s))
				goto reset;
			p->s_shut = true;
			return true;
		}
		n = read(p->ev.fd, p->a2s, sizeof(p->a2s));
		if (n > 0) {
			p->a2s_off = 0;
			p->a2s_len = (uint32_t)n;
		} else if (!n) {
			p->app_eof = true;
		} else if (errno == EAGAIN || errno == EINTR) {
			return true;
		} else {
			goto reset;
		}
	}
	return !p->dead;
reset:
	px_pipe_kill(p, true);
	return false;
}

/* Stream -> app. */
static bool pump_s2a(struct px_pipe *p)
{
	int i;

	for (i = 0; i < PX_STEPS && !p->dead && p->s; i++) {
		ssize_t n;

		if (p->s2a_len) {
			n = send(p->ev.fd, p->s2a + p->s2a_off, p->s2a_len,
				 MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return true;	/* EPOLLOUT resumes us */
			if (n < 0)
				goto reset;
			px_pipe_count(p, false, (size_t)n);
			p->s2a_off += (uint32_t)n;
			p->s2a_len -= (uint32_t)n;
			continue;
		}
		if (p->s_eof) {
			if (!p->app_shut)
				shutdown(p->ev.fd, SHUT_WR);
			p->app_shut = true;
			return true;
		}
		n = hbone_stream_read(p->s, p->s2a, sizeof(p->s2a));
		if (n > 0) {
			p->s2a_off = 0;
			p->s2a_len = (uint32_t)n;
		} else if (!n) {
			p->s_eof = true;
		} else if (n == -EAGAIN) {
			return true;
		} else {
			goto reset;
		}
	}
	return !p->dead;
reset:
	px_pipe_kill(p, true);
	return false;
}

/* Moves what can move; ends the pipe once both directions ended and
 * HTTP/2 closed the stream. */
static void pump(struct px_pipe *p)
{
	if (p->dead || !p->up)
		return;
	if (!p->s) {
		px_pipe_kill(p, true);
		return;
	}
	if (p->l7 ? !px_l7_pump(p) : !pump_a2s(p) || !pump_s2a(p))
		return;
	if (p->s_shut && p->app_shut && p->s_closed) {
		px_pipe_kill(p, false);
		return;
	}
	/* closed by HTTP/2 without our END_STREAM going out: nothing more
	 * can reach the peer */
	if (p->s_closed && !p->s_shut && !p->a2s_len && p->app_eof) {
		px_pipe_kill(p, false);
		return;
	}
	interest(p);
}

void px_pipe_up(struct px_pipe *p)
{
	p->connecting = false;
	p->up = true;
	pump(p);
}

bool px_pipe_connecting(const struct px_pipe *p)
{
	return p->connecting;
}

/* Inbound: the leg to the workload connects; the stream's answer waits
 * for it (px_in.c). */
void px_pipe_leg_start(struct px_pipe *p, uint64_t deadline)
{
	p->connecting = true;
	p->deadline = deadline;
	interest(p);
}

static void leg_result(struct px_pipe *p, int err)
{
	if (!p->s) {
		px_pipe_kill(p, true);
		return;
	}
	if (err) {
		p->w->cnt.refused[PX_R_WORKLOAD_DOWN]++;
		hbone_stream_respond(p->s, 503);
		px_pipe_kill(p, true);
		return;
	}
	if (hbone_stream_respond(p->s, 200)) {
		px_pipe_kill(p, true);
		return;
	}
	p->w->cnt.in_streams++;
	px_pipe_up(p);
}

void px_pipe_tick(struct px_pipe *p)
{
	if (p->connecting && p->w->now >= p->deadline)
		leg_result(p, ETIMEDOUT);
}

void px_pipes_tick(struct px_worker *w)
{
	struct px_pipe *p, *next;

	for (p = w->pipes; p; p = next) {
		next = p->next;
		px_pipe_tick(p);
	}
}

void px_pipe_on_event(struct px_pipe *p, uint32_t events)
{
	if (p->dead)	/* killed earlier in this batch */
		return;
	if (p->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(p->ev.fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		leg_result(p, err);
		return;
	}
	pump(p);	/* read() and send() say what EPOLLERR meant */
}

/* HBONE's callbacks for a stream whose ctx is a pipe. */

static void on_response(void *ctx, struct hbone_stream *s, int status)
{
	struct px_pipe *p = ctx;

	if (!p || p->dead)
		return;
	if (status != 200) {
		p->w->cnt.refused[PX_R_UPSTREAM_STATUS]++;
		px_pipe_kill(p, true);
		return;
	}
	p->w->cnt.out_streams++;
	px_pipe_up(p);
}

static void on_readable(void *ctx, struct hbone_stream *s)
{
	struct px_pipe *p = ctx;

	if (p && !p->dead)
		pump(p);
}

static void on_closed(void *ctx, struct hbone_stream *s, uint32_t h2_error)
{
	struct px_pipe *p = ctx;

	if (!p || p->dead)
		return;
	p->s_closed = true;
	if (!p->up && !p->connecting) {
		/* outbound, no answer came: the tunnel never carried it */
		bool ready = p->h && p->h->c && hbone_conn_ready(p->h->c);

		p->w->cnt.refused[ready ? PX_R_UPSTREAM_STATUS : PX_R_DIAL]++;
		px_pipe_kill(p, true);
		return;
	}
	if (p->connecting) {		/* the caller left before the leg */
		px_pipe_kill(p, true);
		return;
	}
	pump(p);
}

const struct hbone_ops px_pipe_ops = {
	.request = px_in_request,
	.response = on_response,
	.readable = on_readable,
	.writable = on_readable,
	.closed = on_closed,
};
