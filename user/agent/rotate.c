// SPDX-License-Identifier: Apache-2.0
/* SVID rotation on a timer (see rotate.h). */
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "context.h"
#include "rotate.h"

time_t rotate_arm_at(time_t next, time_t now, bool after_rotate)
{
	time_t t = next ? next : now + ROTATE_RECHECK_S;

	if (t > now + ROTATE_RECHECK_S)
		t = now + ROTATE_RECHECK_S;
	/* still due right after a rotation: its renewal failed; never spin */
	if (after_rotate && t <= now)
		t = now + ROTATE_RETRY_S;
	/* due already: now (an absolute time of 0 would disarm) */
	return t > 0 ? t : 1;
}

/* SVIDs carry wall-clock times: the timer is absolute on the same clock,
 * and a clock jump cancels it (then it is simply armed again). */
static void arm(struct agent *a, time_t now, bool after_rotate)
{
	struct itimerspec t = { 0 };

	t.it_value.tv_sec = rotate_arm_at(tls_idents_next_renewal(&a->idents),
					  now, after_rotate);
	if (timerfd_settime(a->rotate_fd, TFD_TIMER_ABSTIME |
			    TFD_TIMER_CANCEL_ON_SET, &t, NULL))
		agent_log(a, "SVID rotation: arming the timer failed (%s): "
			  "SVIDs are renewed only when next used",
			  strerror(errno));
}

static void log_next(struct agent *a)
{
	time_t t = tls_idents_next_renewal(&a->idents);
	char when[32] = "none";
	struct tm tm;

	if (t && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	agent_log(a, "SVID rotation: next renewal %s", when);
}

static void on_rotate(void *ctx, int fd)
{
	struct agent *a = ctx;
	time_t now = time(NULL);
	uint64_t ticks;
	int n;

	/* ECANCELED after a clock change: look now all the same */
	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	n = tls_idents_rotate(&a->idents, now);
	if (n > 0)
		agent_log(a, "SVID rotation: %d renewed", n);
	else if (n < 0)
		agent_log(a, "SVID rotation: renewing failed (%s): the SVID "
			  "in force stays, retried in %d s", strerror(-n),
			  ROTATE_RETRY_S);
	arm(a, now, true);
	if (n)
		log_next(a);
}

int rotate_init(struct agent *a)
{
	int err;

	a->rotate_fd = timerfd_create(CLOCK_REALTIME,
				      TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->rotate_fd < 0)
		return -errno;
	err = loop_add(&a->loop, a->rotate_fd, on_rotate, a);
	if (!err)
		arm(a, time(NULL), false);
	return err;
}

void rotate_close(struct agent *a)
{
	if (a->rotate_fd >= 0) {
		loop_del(&a->loop, a->rotate_fd);
		close(a->rotate_fd);
	}
	a->rotate_fd = -1;
}
