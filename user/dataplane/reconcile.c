// SPDX-License-Identifier: Apache-2.0
/*
 * The recount (see reconcile.h and bpf/recount.bpf.c). Between the steps
 * the agent waits for an RCU grace period (membarrier's global command
 * waits for one): the programs run inside RCU read-side sections, so
 * afterwards no sockops call that read the previous counting mode is
 * still running, and no straggler changes a count behind a step.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/membarrier.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "netns_each.h"
#include "reconcile.h"
#include "recount.skel.h"

/* Every program that was running when this was called has finished. */
static int grace_period(void)
{
	return syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) ? -errno
								      : 0;
}

static int set_mode(const struct dp *dp, uint32_t mode)
{
	struct im_count c = { .mode = mode };
	int fd = dp_map_fd(dp, "im_count");
	uint32_t zero = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_update_elem(fd, &zero, &c, BPF_ANY))
		return -errno;
	return grace_period();
}

struct walk {
	int link_fd;	/* the iterator */
	int home_fd;	/* our own network namespace */
	uint64_t *skipped;	/* namespaces we could not enter */
};

/* The iterator over namespace <nsfd>'s TCP sockets: it is bound to the
 * namespace it is created in. */
static int walk_netns(int nsfd, void *arg)
{
	const struct walk *w = arg;
	int fd, n, err = 0;
	char buf[64];

	if (setns(nsfd, CLONE_NEWNET)) {
		(*w->skipped)++;	/* its sockets stay uncounted: low */
		return 0;
	}
	fd = bpf_iter_create(w->link_fd);
	if (fd < 0)
		err = -errno;
	if (setns(w->home_fd, CLONE_NEWNET))
		err = -errno;	/* cannot happen: we hold the namespace */
	/* the program prints nothing: read() returns 0 at the end */
	while (!err && (n = read(fd, buf, sizeof(buf))) != 0)
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

/* One walk over every TCP socket of the node in pass <pass>. */
static int walk(const struct dp *dp, uint32_t pass, uint64_t *skipped)
{
	struct walk w = { .home_fd = open("/proc/self/ns/net",
					  O_RDONLY | O_CLOEXEC),
			  .skipped = skipped };
	struct bpf_link *link;
	int err;

	if (w.home_fd < 0)
		return -errno;
	dp->recount->bss->im_pass = pass;
	link = bpf_program__attach_iter(dp->recount->progs.im_recount, NULL);
	if (!link) {
		err = -errno;
		close(w.home_fd);
		return err;
	}
	w.link_fd = bpf_link__fd(link);
	err = netns_each(walk_netns, &w);
	bpf_link__destroy(link);
	close(w.home_fd);
	return err;
}

static int zero_counts(const struct dp *dp)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err = bpf_prog_test_run_opts(
		bpf_program__fd(dp->recount->progs.im_recount_zero), &opts);

	return err ? -errno : 0;
}

static int recount(const struct dp *dp, uint64_t *skipped)
{
	int err = set_mode(dp, IM_COUNT_RECOUNT);

	err = err ?: walk(dp, 1, skipped);
	err = err ?: grace_period();	/* pass 1's racing releases are done */
	err = err ?: zero_counts(dp);
	if (err)
		return err;
	err = set_mode(dp, IM_COUNT_NORMAL);
	return err ?: walk(dp, 2, skipped);
}

int dp_reconcile(const struct dp *dp, struct dp_recount *r)
{
	struct recount_bpf *s = dp->recount;
	int err;

	memset(r, 0, sizeof(*r));
	if (!s)
		return -EINVAL;
	s->bss->im_released = s->bss->im_leaked = 0;
	s->bss->im_claimed = s->bss->im_closed = 0;
	err = recount(dp, &r->skipped_ns);
	if (err) {
		/* never leave sockops not counting */
		struct im_count c = { .mode = IM_COUNT_NORMAL };
		uint32_t zero = 0;

		bpf_map_update_elem(dp_map_fd(dp, "im_count"), &zero, &c,
				    BPF_ANY);
	}
	r->released = s->bss->im_released;
	r->leaked = s->bss->im_leaked;
	r->claimed = s->bss->im_claimed;
	r->closed = s->bss->im_closed;
	return err;
}
