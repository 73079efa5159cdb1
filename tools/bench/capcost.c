// SPDX-License-Identifier: Apache-2.0
/*
 * capcost: what outbound capture costs the kernel per connect(). In a
 * network namespace of its own (gone when it exits) and a throwaway
 * cgroup, it loads the dataplane with capture off, then on, alternating
 * for ROUNDS rounds; each round a forked child in the cgroup, a mesh
 * workload, makes CONNECTS connect()s to a service whose endpoint is a
 * PERMISSIVE workload port: off, straight to the endpoint; on, to the
 * agent's 127.0.0.1:15001 (a plain listener here), with the record
 * published by sockops. Prints, per round and mode, connect4's run time
 * per call and sockops' per connection (every callback of it), from the
 * programs' BPF stats (BPF_ENABLE_STATS, on only while this runs), and
 * the medians.
 *
 * usage: capcost [CONNECTS (2000)] [ROUNDS (5)]     (root)
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "connect.skel.h"
#include "sockops.skel.h"
#include "dataplane/dataplane.h"
#include "kernel/cgroup.h"

#define VIP	0x0a600a0aU	/* 10.96.10.10 */
#define VPORT	80
#define EP	0x7f00000bU	/* 127.0.0.11 */
#define EPPORT	8080
#define MAX_ROUNDS 50

struct cost {
	double c4_ns, so_ns;	/* per connect4 call, per connection */
};

static int lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int listen_on(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(ip) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
				    SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The service, its one endpoint a PERMISSIVE workload port, and the
 * cgroup a workload at level <lvl>. */
static int fill(struct dp *dp, const struct cgroup_tmp *cg, int lvl)
{
	struct im_svc svc = { .svc_id = 1 };
	struct im_route rt = { .n_dst = 1, .dst = { { .weight = 1 } } };
	struct im_subset sub = { .n_ep = 1, .cluster = 1 };
	struct im_ep ep = { .ip = htonl(EP), .port = htons(EPPORT),
			    .weight = 1 };
	struct im_wlport wp = { .mode = IM_MODE_PERMISSIVE };
	struct im_ident id = { .principal = 1, .ns = 1, .ip = htonl(EP) };
	struct im_idlvl lv = { .n = 1, .level = { (uint8_t)lvl } };

	return dp_put_route(dp, 0, 0, &rt) ?:
	       dp_put_subset(dp, 0, 0, &sub, &ep) ?:
	       dp_put_service(dp, 0, htonl(VIP), htons(VPORT), &svc) ?:
	       dp_put_wlport(dp, 0, htonl(EP), htons(EPPORT), &wp) ?:
	       dp_put_ident(dp, 0, cgroup_tmp_id(cg), &id) ?:
	       dp_put_idlvl(dp, 0, &lv);
}

/* <n> connect()s from a child in <cg>; the parent accepts from both
 * listeners meanwhile (non-blocking), so no backlog fills. */
static int dial(const struct cgroup_tmp *cg, int n, int l1, int l2)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(VPORT),
				  .sin_addr.s_addr = htonl(VIP) };
	int i, fd, st, ok = 0;
	pid_t pid = fork();

	if (pid == 0) {
		if (cgroup_tmp_enter(cg, 0))
			_exit(1);
		for (i = 0; i < n; i++) {
			fd = socket(AF_INET, SOCK_STREAM, 0);
			ok += fd >= 0 && !connect(fd, (struct sockaddr *)&sa,
						  sizeof(sa));
			if (fd >= 0)
				close(fd);
		}
		_exit(ok == n ? 0 : 2);
	}
	if (pid < 0)
		return -errno;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		fd = accept(l1, NULL, NULL);
		if (fd >= 0)
			close(fd);
		fd = accept(l2, NULL, NULL);
		if (fd >= 0)
			close(fd);
		if (fd < 0)
			usleep(100);
	}
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

static int prog_stats(const struct bpf_program *p, uint64_t *cnt,
		      uint64_t *ns)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
		return -errno;
	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
	return 0;
}

static int round_once(const struct cgroup_tmp *cg, int lvl, bool capture,
		      int n, int l1, int l2, struct cost *c)
{
	struct dp_opts o = { .capture = capture };
	uint64_t c4n, c4t, son, sot;
	struct dp dp;
	int err = dp_load(&dp, &o);

	if (err)
		return err;
	err = fill(&dp, cg, lvl) ?: dp_attach_cgroup(&dp, cg->fd) ?:
	      dial(cg, n, l1, l2) ?:
	      prog_stats(dp.connect->progs.im_connect4, &c4n, &c4t) ?:
	      prog_stats(dp.sockops->progs.im_sockops, &son, &sot);
	if (!err && c4n) {
		c->c4_ns = (double)c4t / (double)c4n;
		c->so_ns = (double)sot / n;
	}
	dp_destroy(&dp);
	return err;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int run(const struct cgroup_tmp *cg, int lvl, int n, int rounds)
{
	double c4[2][MAX_ROUNDS], so[2][MAX_ROUNDS];
	int l1 = listen_on(EP, EPPORT), l2 = listen_on(0x7f000001U,
						      IM_CAPTURE_PORT);
	struct cost c = { 0 };
	int r, m, err = 0;

	if (l1 < 0 || l2 < 0)
		err = -EADDRINUSE;
	for (r = 0; !err && r < rounds; r++) {
		for (m = 0; !err && m < 2; m++) {
			/* ABBA: neither mode always goes first */
			bool capture = (r % 2) ^ m;

			err = round_once(cg, lvl, capture, n, l1, l2, &c);
			c4[capture][r] = c.c4_ns;
			so[capture][r] = c.so_ns;
			printf("round %d capture %s connect4 %.1f ns/call "
			       "sockops %.1f ns/conn\n", r,
			       capture ? "on " : "off", c.c4_ns, c.so_ns);
		}
	}
	if (!err)
		printf("median capture off: connect4 %.1f sockops %.1f; "
		       "on: connect4 %.1f sockops %.1f (ns, %d connects x %d "
		       "rounds)\n", median(c4[0], rounds), median(so[0], rounds),
		       median(c4[1], rounds), median(so[1], rounds), n, rounds);
	if (l1 >= 0)
		close(l1);
	if (l2 >= 0)
		close(l2);
	return err;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	struct cgroup_tmp cg = { .fd = -1 };
	char root[256];
	int stats, lvl, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (n <= 0 || rounds <= 0 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: capcost [CONNECTS] [ROUNDS <= %d]\n",
			MAX_ROUNDS);
		return 2;
	}
	if (unshare(CLONE_NEWNET) || lo_up() || cgroup2_root(root, sizeof(root)) ||
	    cgroup_tmp_create(&cg, root, "im-capcost")) {
		fprintf(stderr, "capcost: netns or cgroup: %s (root?)\n",
			strerror(errno));
		return 1;
	}
	lvl = cgroup2_level(cg.path);
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	err = stats < 0 ? -errno : run(&cg, lvl, n, rounds);
	if (stats >= 0)
		close(stats);
	cgroup_tmp_remove(&cg);
	if (err)
		fprintf(stderr, "capcost: %s\n", strerror(-err));
	return err ? 1 : 0;
}
