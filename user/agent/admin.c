// SPDX-License-Identifier: Apache-2.0
/* The admin socket's server (see admin.h); the answers are admin_views.c. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "admin_views.h"
#include "context.h"

#define ADMIN_BACKLOG 16
#define ADMIN_ACCEPT_BATCH 16	/* per wake-up: the loop serves others too */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- clients ---- */

static struct admin_client *client_of(struct admin *ad, int fd)
{
	int i;

	for (i = 0; i < ADMIN_CLIENTS; i++)
		if (ad->c[i].fd == fd)
			return &ad->c[i];
	return NULL;
}

static void client_close(struct agent *a, struct admin_client *c)
{
	loop_del(&a->loop, c->fd);
	close(c->fd);
	free(c->reply);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* The timer fires at the earliest deadline of the clients, or not at
 * all when there are none. */
static void arm_timer(struct admin *ad)
{
	struct itimerspec t = { 0 };
	uint64_t first = 0;
	int i;

	for (i = 0; i < ADMIN_CLIENTS; i++)
		if (ad->c[i].fd >= 0 && (!first || ad->c[i].deadline_ms < first))
			first = ad->c[i].deadline_ms;
	t.it_value.tv_sec = (time_t)(first / 1000);
	t.it_value.tv_nsec = (long)(first % 1000) * 1000000L;
	if (first)
		timerfd_settime(ad->timer_fd, TFD_TIMER_ABSTIME, &t, NULL);
	else
		timerfd_settime(ad->timer_fd, 0, &t, NULL);
}

static void on_timer(void *ctx, int fd)
{
	struct agent *a = ctx;
	uint64_t ticks, now = now_ms();
	int i;

	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	for (i = 0; i < ADMIN_CLIENTS; i++) {
		if (a->admin.c[i].fd < 0 || a->admin.c[i].deadline_ms > now)
			continue;
		a->admin.n.timed_out++;
		client_close(a, &a->admin.c[i]);
	}
	arm_timer(&a->admin);
}

/* Writes what the socket takes; done (closed) when all is out. */
static void send_more(struct agent *a, struct admin_client *c)
{
	ssize_t w;

	while (c->sent < c->len) {
		w = send(c->fd, c->reply + c->sent, c->len - c->sent,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if (loop_want_write(&a->loop, c->fd, true))
				break;	/* cannot wait: give up on it */
			return;
		}
		if (w <= 0)
			break;
		c->sent += (size_t)w;
	}
	if (c->sent == c->len)
		a->admin.n.served++;
	client_close(a, c);
	arm_timer(&a->admin);
}

/* The reply to the request line of <len> bytes in c->req, or to one
 * that did not fit (<whole> false). */
static void answer(struct agent *a, struct admin_client *c, size_t len,
		   bool whole)
{
	json_t *j = admin_answer(a, whole ? c->req : NULL, len, &a->admin.n);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (s && strlen(s) + 1 > ADMIN_REPLY_MAX) {
		a->admin.n.too_big++;
		free(s);
		j = json_pack("{s:s}", "error", "the reply is larger than the "
			      "admin socket's limit");
		s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
	}
	if (!s) {
		client_close(a, c);
		return;
	}
	c->len = strlen(s);
	s[c->len++] = '\n';	/* json_dumps left room for the NUL */
	c->reply = s;
	send_more(a, c);
}

/* Reads the request line: a '\n' or the client's EOF ends it. */
static void read_request(struct agent *a, struct admin_client *c)
{
	ssize_t r;
	char *nl;

	r = recv(c->fd, c->req + c->got, sizeof(c->req) - 1 - c->got,
		 MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0 && !c->got) {
		client_close(a, c);	/* gone without asking */
		arm_timer(&a->admin);
		return;
	}
	c->got += r > 0 ? (size_t)r : 0;
	c->req[c->got] = 0;
	nl = memchr(c->req, '\n', c->got);
	if (!nl && r > 0 && c->got < sizeof(c->req) - 1)
		return;		/* more to come */
	/* else: a line, the client's EOF, or full without a '\n' */
	answer(a, c, nl ? (size_t)(nl - c->req) : c->got, nl || r <= 0);
}

static void on_client(void *ctx, int fd)
{
	struct agent *a = ctx;
	struct admin_client *c = client_of(&a->admin, fd);

	if (!c)
		return;
	if (c->reply)
		send_more(a, c);
	else
		read_request(a, c);
}

/* ---- accepting ---- */

/* A refusal the client can read, sent only if the socket takes it now. */
static void refuse(int fd, const char *why)
{
	json_t *j = json_pack("{s:s}", "error", why);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (s && send(fd, s, strlen(s), MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
		(void)!send(fd, "\n", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	free(s);
	json_decref(j);
	close(fd);
}

/* Root and the agent's own user only; the socket's mode says the same,
 * this holds even if someone loosens the mode or the directory. */
static bool peer_allowed(int fd, uid_t *uid)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l))
		return false;
	*uid = cr.uid;
	return cr.uid == 0 || cr.uid == geteuid();
}

static void take(struct agent *a, int fd)
{
	struct admin_client *c = client_of(&a->admin, -1);
	char why[128];
	uid_t uid = (uid_t)-1;

	if (!peer_allowed(fd, &uid)) {
		a->admin.n.refused_peer++;
		snprintf(why, sizeof(why), "permission denied: uid %d is "
			 "neither root nor the agent's user", (int)uid);
		refuse(fd, why);
		return;
	}
	if (!c || loop_add(&a->loop, fd, on_client, a)) {
		a->admin.n.busy++;
		refuse(fd, "busy: too many admin clients, try again");
		return;
	}
	c->fd = fd;
	c->deadline_ms = now_ms() + ADMIN_DEADLINE_MS;
	arm_timer(&a->admin);
}

static void on_accept(void *ctx, int lfd)
{
	struct agent *a = ctx;
	int i, fd;

	for (i = 0; i < ADMIN_ACCEPT_BATCH; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		take(a, fd);
	}
}

/* ---- the socket ---- */

static int path_of(struct agent *a, char *tmp, size_t n)
{
	struct admin *ad = &a->admin;
	int w1 = snprintf(ad->path, sizeof(ad->path), "%s/" ADMIN_SOCK,
			  a->paths.state_dir);
	int w2 = snprintf(tmp, n, "%s/." ADMIN_SOCK ".%d", a->paths.state_dir,
			  (int)getpid());

	if (w1 < 0 || (size_t)w1 >= sizeof(ad->path) || w2 < 0 ||
	    (size_t)w2 >= n) {
		agent_log(a, "admin socket: the state dir %s is too long for "
			  "a unix socket path (%zu bytes at most); give a "
			  "shorter --state-dir", a->paths.state_dir,
			  sizeof(ad->path) - sizeof("/." ADMIN_SOCK ".4194304"));
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Binds at <tmp> 0600 from the start (umask: there is no fchmod for a
 * socket's file), then renames it over the path: a stale socket or a
 * symlink there is replaced as a name, never followed, and the path is
 * never missing while a previous socket file is there. */
static int bind_swap(struct agent *a, const char *tmp)
{
	struct admin *ad = &a->admin;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int err;

	if (!lstat(ad->path, &st) && !S_ISSOCK(st.st_mode) &&
	    !S_ISLNK(st.st_mode)) {
		agent_log(a, "admin socket: %s exists and is not a socket; "
			  "remove it", ad->path);
		return -EEXIST;
	}
	strcpy(sa.sun_path, tmp);	/* length checked in path_of() */
	unlink(tmp);
	old = umask(0177);
	err = bind(ad->lfd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	err = err ?: listen(ad->lfd, ADMIN_BACKLOG) ? -errno : 0;
	err = err ?: rename(tmp, ad->path) ? -errno : 0;
	err = err ?: lstat(ad->path, &st) ? -errno : 0;
	if (!err && (!S_ISSOCK(st.st_mode) || (st.st_mode & 0777) != 0600))
		err = -EPERM;
	if (err) {
		unlink(tmp);
		agent_log(a, "admin socket %s: %s", ad->path, strerror(-err));
		return err;
	}
	ad->ino = st.st_ino;
	return 0;
}

int admin_open(struct agent *a)
{
	struct admin *ad = &a->admin;
	char tmp[sizeof(ad->path)];
	int i, err;

	for (i = 0; i < ADMIN_CLIENTS; i++)
		ad->c[i].fd = -1;
	ad->lfd = ad->timer_fd = -1;
	ad->started = time(NULL);
	err = path_of(a, tmp, sizeof(tmp));
	if (err)
		return err;
	ad->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ad->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				      TFD_NONBLOCK | TFD_CLOEXEC);
	if (ad->lfd < 0 || ad->timer_fd < 0)
		return -errno;
	err = bind_swap(a, tmp);
	err = err ?: loop_add(&a->loop, ad->lfd, on_accept, a);
	return err ?: loop_add(&a->loop, ad->timer_fd, on_timer, a);
}

void admin_close(struct agent *a)
{
	struct admin *ad = &a->admin;
	struct stat st;
	int i;

	/* the slots are set up only once lfd is */
	for (i = 0; ad->lfd >= 0 && i < ADMIN_CLIENTS; i++)
		if (ad->c[i].fd >= 0)
			client_close(a, &ad->c[i]);
	if (ad->lfd >= 0) {
		loop_del(&a->loop, ad->lfd);
		close(ad->lfd);
		if (ad->ino && !lstat(ad->path, &st) && st.st_ino == ad->ino)
			unlink(ad->path);
	}
	if (ad->timer_fd >= 0) {
		loop_del(&a->loop, ad->timer_fd);
		close(ad->timer_fd);
	}
	ad->lfd = ad->timer_fd = -1;
}
