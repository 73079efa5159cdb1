// SPDX-License-Identifier: Apache-2.0
/* connect4 and sockops on a real connect(): a forked child moves into a
 * fresh cgroup and connects to a loopback listener of the parent. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "bpf_test.h"
#include "infermesh/abi.h"
#include "kernel/bpf_load.h"
#include "kernel/cgroup.h"
#include "kernel/loopback.h"

struct cg_fixture {
	struct cgroup_tmp cg;
	struct probe_bpf *s;
	struct bpf_link *connect, *sockops;
	int lfd;
	__u16 port;
};

/* Child: enter the cgroup, connect, report through the exit status. */
static void connect_from_cgroup(const struct cgroup_tmp *cg, __u16 port)
{
	int fd;

	if (cgroup_tmp_enter(cg, 0))
		_exit(10);
	fd = loopback_connect(port);
	_exit(fd < 0 ? 11 : 0);
}

static int run_child(struct cg_fixture *f)
{
	int status = -1, cfd;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		connect_from_cgroup(&f->cg, f->port);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	cfd = accept(f->lfd, NULL, NULL);	/* the connection is real */
	if (cfd >= 0)
		close(cfd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool setup(struct cg_fixture *f)
{
	struct probe_want w = { .connect4 = true, .sockops = true };
	char root[256];
	int err;

	if (!CHECK_EQ(cgroup2_root(root, sizeof(root)), 0, "cgroup2 mount") ||
	    !CHECK_EQ(cgroup_tmp_create(&f->cg, root, "infermesh-test"), 0,
		      "creating a child cgroup in %s", root))
		return false;
	f->s = probe_load(&w, cgroup_tmp_id(&f->cg), &err);
	if (!CHECK_EQ(err, 0, "loading connect4 and sockops"))
		return false;
	f->connect = bpf_program__attach_cgroup(f->s->progs.probe_connect4,
						f->cg.fd);
	f->sockops = bpf_program__attach_cgroup(f->s->progs.probe_sockops,
						f->cg.fd);
	f->lfd = loopback_listen(&f->port);
	return CHECK_EQ(!!f->connect, 1, "connect4 attached") &&
	       CHECK_EQ(!!f->sockops, 1, "sockops attached") &&
	       CHECK_EQ(f->lfd >= 0, 1, "loopback listener");
}

static void teardown(struct cg_fixture *f)
{
	if (f->lfd >= 0)
		close(f->lfd);
	bpf_link__destroy(f->connect);
	bpf_link__destroy(f->sockops);
	probe_bpf__destroy(f->s);
	CHECK_EQ(cgroup_tmp_remove(&f->cg), 0, "removing the child cgroup");
}

static void check_counters(struct cg_fixture *f)
{
	int cnt = bpf_map__fd(f->s->maps.im_probe_cnt);
	struct im_probe_conn c = { 0 };
	__u32 zero = 0;

	CHECK_EQ(bpf_array_u64(cnt, IM_PROBE_CONNECT4), 1,
		 "connect4 ran once, for the child only");
	CHECK_EQ(bpf_map_lookup_elem(bpf_map__fd(f->s->maps.im_probe_conn),
				     &zero, &c), 0, "reading im_probe_conn");
	CHECK_EQ(c.cgroup_id, cgroup_tmp_id(&f->cg),
		 "caller's cgroup id is the cgroup directory's inode");
	CHECK_EQ(c.daddr, htonl(INADDR_LOOPBACK), "destination address");
	CHECK_EQ(c.dport, htons(f->port), "destination port");
	CHECK_EQ(bpf_array_u64(cnt, IM_PROBE_SOCKOPS_ESTAB) >= 1, 1,
		 "sockops saw the connection established");
}

static void connect4_runs_in_the_cgroup_only(void)
{
	struct cg_fixture f = { .cg = { .fd = -1 }, .lfd = -1 };
	int fd;

	NEED_ROOT();
	if (setup(&f)) {
		CHECK_EQ(run_child(&f), 0, "child connected from the cgroup");
		/* the parent is outside the cgroup: not counted */
		fd = loopback_connect(f.port);
		CHECK_EQ(fd >= 0, 1, "parent connected");
		if (fd >= 0)
			close(fd);
		check_counters(&f);
	}
	teardown(&f);
}

UNIT_SUITE(bpf_cgroup)
{
	UNIT_TEST(s, connect4_runs_in_the_cgroup_only);
}
