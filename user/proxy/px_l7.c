// SPDX-License-Identifier: Apache-2.0
/* Inbound streams to a port AuthorizationPolicy judges per HTTP request
 * (l7.h): the pipe's bytes go through an HTTP filter (hfilt.h) both ways.
 * The stream is the client, the socket the workload:
 *   stream -> s2a -> hfilt_from_client -> to_app    -> socket
 *   socket -> a2s -> hfilt_from_app    -> to_client -> stream
 * Each request is judged by the live generation at the time it arrives
 * (a policy applied now holds for the next request, as for the next
 * connection); no generation means every request is refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../http/hfilt.h"
#include "px_int.h"

struct px_l7 {
	struct hfilt *f;
	struct px_worker *w;
	struct authz_req c;		/* peer strings point into id */
	struct spiffe_id id;
	struct hfilt_stats seen;	/* already counted */
	bool client_eof_told, app_eof_told;
};

static void judge(void *ctx, const struct l7_req *r, struct l7_verdict *v)
{
	struct px_l7 *l = ctx;
	struct l7_live *live = l->w->e->conf.l7;
	struct l7_gen *g = live ? l7_live_get(live) : NULL;

	if (!g) {
		*v = (struct l7_verdict){ .allow = false,
					  .reason = AUTHZ_DENY_NO_ALLOW_MATCH };
		l->w->cnt.refused[PX_R_L7_NO_POLICY]++;
		return;
	}
	l7_eval(g, &l->c, r, v);
	l7_live_count(live, v);
	l7_gen_put(g);
}

static int normalize(void *ctx, const char *in, size_t n, char *out,
		     size_t outsz)
{
	struct px_l7 *l = ctx;
	struct l7_live *live = l->w->e->conf.l7;
	struct l7_gen *g = live ? l7_live_get(live) : NULL;
	int rc;

	if (!g)
		return -1;
	rc = l7_normalize(g, in, n, out, outsz);
	l7_gen_put(g);
	return rc;
}

int px_l7_attach(struct px_pipe *p, enum l7_proto proto,
		 const struct authz_req *c)
{
	struct px_l7 *l = calloc(1, sizeof(*l));
	struct hfilt_judge j = { judge, normalize, l };

	if (!l)
		return -ENOMEM;
	l->w = p->w;
	l->c = *c;
	snprintf(l->id.td, sizeof(l->id.td), "%s", c->peer.td);
	snprintf(l->id.ns, sizeof(l->id.ns), "%s", c->peer.ns);
	snprintf(l->id.sa, sizeof(l->id.sa), "%s", c->peer.sa);
	l->c.peer.td = l->id.td;
	l->c.peer.ns = l->id.ns;
	l->c.peer.sa = l->id.sa;
	l->f = hfilt_new(proto, &j);
	if (!l->f) {
		free(l);
		return -ENOMEM;
	}
	p->l7 = l;
	return 0;
}

void px_l7_free(struct px_pipe *p)
{
	if (!p->l7)
		return;
	hfilt_free(p->l7->f);
	free(p->l7);
	p->l7 = NULL;
}

bool px_l7_app_pending(const struct px_pipe *p)
{
	return hfilt_to_app(p->l7->f)->len > 0;
}

/* The filter's refusals since the last look, as the proxy's counters. */
static void account(struct px_pipe *p)
{
	struct px_l7 *l = p->l7;
	const struct hfilt_stats *st = hfilt_stats(l->f);

	p->w->cnt.refused[PX_R_HTTP_DENIED] += st->denied - l->seen.denied;
	p->w->cnt.refused[PX_R_HTTP_BAD] += st->bad - l->seen.bad;
	l->seen = *st;
}

enum step { STEP_IDLE, STEP_MOVED, STEP_RESET };

/* One move toward the workload: the queue out, EOF passed on, the
 * client's bytes into the filter, or a read from the stream. */
static enum step to_app_step(struct px_pipe *p)
{
	struct hfilt *f = p->l7->f;
	struct bytebuf *q = hfilt_to_app(f);
	size_t used;
	ssize_t n;

	if (q->len && !p->app_shut) {
		n = send(p->ev.fd, q->p + q->off, q->len, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? STEP_IDLE :
								   STEP_RESET;
		px_pipe_count(p, false, (size_t)n);
		bytebuf_drop(q, (size_t)n);
		return STEP_MOVED;
	}
	if (hfilt_shut_app(f) && !p->app_shut) {
		shutdown(p->ev.fd, SHUT_WR);
		p->app_shut = true;
		return STEP_MOVED;
	}
	if (p->s2a_len) {
		if (hfilt_from_client(f, (uint8_t *)p->s2a + p->s2a_off,
				      p->s2a_len, &used))
			return STEP_RESET;
		p->s2a_off += (uint32_t)used;
		p->s2a_len -= (uint32_t)used;
		return used ? STEP_MOVED : STEP_IDLE;
	}
	if (p->s_eof) {
		if (p->l7->client_eof_told)
			return STEP_IDLE;
		p->l7->client_eof_told = true;
		hfilt_client_eof(f);
		return STEP_MOVED;
	}
	n = hbone_stream_read(p->s, p->s2a, sizeof(p->s2a));
	if (n == -EAGAIN)
		return STEP_IDLE;
	if (n < 0)
		return STEP_RESET;
	p->s2a_off = 0;
	p->s2a_len = (uint32_t)n;
	p->s_eof = !n;
	return STEP_MOVED;
}

/* One move toward the client, the same way round. */
static enum step to_client_step(struct px_pipe *p)
{
	struct hfilt *f = p->l7->f;
	struct bytebuf *q = hfilt_to_client(f);
	size_t used;
	ssize_t n;

	if (q->len && !p->s_shut) {
		n = hbone_stream_write(p->s, q->p + q->off, q->len);
		if (n < 0)
			return STEP_RESET;
		px_pipe_count(p, true, (size_t)n);
		bytebuf_drop(q, (size_t)n);
		return n ? STEP_MOVED : STEP_IDLE;	/* writable() resumes */
	}
	if (hfilt_shut_client(f) && !p->s_shut) {
		if (hbone_stream_shutdown(p->s))
			return STEP_RESET;
		p->s_shut = true;
		return STEP_MOVED;
	}
	if (p->a2s_len) {
		if (hfilt_from_app(f, (uint8_t *)p->a2s + p->a2s_off,
				   p->a2s_len, &used))
			return STEP_RESET;
		p->a2s_off += (uint32_t)used;
		p->a2s_len -= (uint32_t)used;
		return used ? STEP_MOVED : STEP_IDLE;
	}
	if (p->app_eof) {
		if (p->l7->app_eof_told)
			return STEP_IDLE;
		p->l7->app_eof_told = true;
		hfilt_app_eof(f);
		return STEP_MOVED;
	}
	n = read(p->ev.fd, p->a2s, sizeof(p->a2s));
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? STEP_IDLE :
							   STEP_RESET;
	p->a2s_off = 0;
	p->a2s_len = (uint32_t)n;
	p->app_eof = !n;
	return STEP_MOVED;
}

/* Until neither way moves: a move one way can free the other (an
 * Upgrade's 101 releases the client's bytes, a drained queue lets the
 * filter take more). */
bool px_l7_pump(struct px_pipe *p)
{
	int i;

	for (i = 0; i < PX_STEPS && !p->dead && p->s; i++) {
		enum step a = to_app_step(p), b = STEP_IDLE;

		if (a != STEP_RESET)
			b = to_client_step(p);
		account(p);
		if (a == STEP_RESET || b == STEP_RESET) {
			px_pipe_kill(p, true);
			return false;
		}
		if (a == STEP_IDLE && b == STEP_IDLE)
			break;
	}
	return !p->dead;
}
