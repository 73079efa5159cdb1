// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dp_child.h"
#include "dp_testlib.h"

#define DIAL_TIMEOUT_S 2	/* per connect: a lost SYN must not hang */
#define REPORT_WAIT_MS 30000
#define REAP_WAIT_MS 5000

/* <d>'s address as <sa>: AF_INET, or AF_INET6 ::ffff:<ip>. */
static socklen_t dial_addr(const struct dp_dial *d,
			   struct sockaddr_storage *sa)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

	memset(sa, 0, sizeof(*sa));
	if (!d->v4mapped) {
		s4->sin_family = AF_INET;
		s4->sin_port = d->port;
		s4->sin_addr.s_addr = d->ip;
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = d->port;
	s6->sin6_addr.s6_addr[10] = 0xff;
	s6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&s6->sin6_addr.s6_addr[12], &d->ip, 4);
	return sizeof(*s6);
}

/* One connect; returns 0 or errno, and checks getpeername(). */
static int dial_one(const struct dp_dial *d, struct dp_dial_result *r,
		    int *fd_out)
{
	struct timeval tv = { .tv_sec = DIAL_TIMEOUT_S };
	struct sockaddr_storage sa, peer;
	socklen_t len = sizeof(peer), salen = dial_addr(d, &sa);
	socklen_t ulen = sizeof(int);
	int fd, err = 0, uto = -1;

	*fd_out = -1;
	fd = socket(sa.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, salen)) {
		err = errno;
		close(fd);
		return err;
	}
	if (getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, &ulen) || uto)
		r->user_timeout++;
	memset(&peer, 0, sizeof(peer));
	if (getpeername(fd, (struct sockaddr *)&peer, &len) || len != salen ||
	    memcmp(&peer, &sa, salen))
		r->peer_bad++;
	*fd_out = fd;
	return 0;
}

static void tally(struct dp_dial_result *r, int err)
{
	if (!err)
		r->ok++;
	else if (err == EPERM)
		r->eperm++;
	else if (err == ECONNREFUSED)
		r->refused++;
	else {
		r->other++;
		r->last_errno = err;
	}
}

/* The child's whole life: never returns. */
static void child_main(const struct cgroup_tmp *cg, const struct dp_dial *d,
		       int res_fd, int go_fd)
{
	static int held[DP_DIAL_MAX];
	struct dp_dial_result r = { 0 };
	struct pollfd pfd = { .fd = go_fd, .events = POLLIN };
	uint64_t t0 = dp_now_ms();
	int i, fd, n = d->n < DP_DIAL_MAX ? d->n : DP_DIAL_MAX;

	if (cgroup_tmp_enter(cg, 0))
		_exit(10);
	if (d->netns_fd > 0 && setns(d->netns_fd, CLONE_NEWNET))
		_exit(12);
	for (i = 0; i < n; i++) {
		tally(&r, dial_one(d, &r, &fd));
		held[i] = fd;
		if (!d->hold && fd >= 0)
			close(fd);
	}
	r.elapsed_ms = (long)(dp_now_ms() - t0);
	if (write(res_fd, &r, sizeof(r)) != sizeof(r))
		_exit(11);
	if (d->hold)
		poll(&pfd, 1, REPORT_WAIT_MS);
	for (i = 0; d->hold && i < n; i++)
		if (held[i] >= 0)
			close(held[i]);
	_exit(0);
}

int dp_child_start(struct dp_child *c, const struct cgroup_tmp *cg,
		   const struct dp_dial *d)
{
	int res[2], go[2];

	c->pid = -1;
	c->res_fd = c->go_fd = -1;
	if (pipe(res))
		return -errno;
	if (pipe(go)) {
		close(res[0]);
		close(res[1]);
		return -errno;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid == 0) {
		close(res[0]);
		close(go[1]);
		child_main(cg, d, res[1], go[0]);
	}
	close(res[1]);
	close(go[0]);
	c->res_fd = res[0];
	c->go_fd = go[1];
	return c->pid < 0 ? -EAGAIN : 0;
}

int dp_child_report(struct dp_child *c, struct dp_dial_result *r)
{
	struct pollfd pfd = { .fd = c->res_fd, .events = POLLIN };

	memset(r, 0, sizeof(*r));
	if (poll(&pfd, 1, REPORT_WAIT_MS) != 1)
		return -ETIMEDOUT;
	return read(c->res_fd, r, sizeof(*r)) == sizeof(*r) ? 0 : -EIO;
}

void dp_child_finish(struct dp_child *c)
{
	uint64_t until = dp_now_ms() + REAP_WAIT_MS;
	int status;

	if (c->go_fd >= 0)
		(void)!write(c->go_fd, "x", 1);	/* it may be gone already */
	while (c->pid > 0 && waitpid(c->pid, &status, WNOHANG) == 0) {
		if (dp_now_ms() > until) {
			kill(c->pid, SIGKILL);	/* our own child only */
			waitpid(c->pid, &status, 0);
			break;
		}
		usleep(2000);
	}
	if (c->res_fd >= 0)
		close(c->res_fd);
	if (c->go_fd >= 0)
		close(c->go_fd);
	c->pid = c->res_fd = c->go_fd = -1;
}

int dp_dial_from(const struct cgroup_tmp *cg, const struct dp_dial *d,
		 struct dp_dial_result *r)
{
	struct dp_child c;
	int err = dp_child_start(&c, cg, d);

	if (!err)
		err = dp_child_report(&c, r);
	dp_child_finish(&c);
	return err;
}
