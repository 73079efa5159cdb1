// SPDX-License-Identifier: Apache-2.0
/*
 * Active-connection counts (im_ep_state.active) stay exact: per-socket
 * records that cannot be evicted, connections that close while sockops is
 * detached (the agent stopped) taken back by the recount at start
 * (user/dataplane/reconcile.c), racing opens, closes and recounts, and a
 * removed endpoint's slot freed once its count is really 0. Real sockets
 * in a fresh cgroup dial a service address on loopback; every wait is
 * polled with a bound.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dataplane/epslot.h"
#include "dataplane/reconcile.h"
#include "dp_child.h"
#include "dp_fix.h"
#include "dp_pkt.h"
#include "dp_testlib.h"

#define VIP	IP4(127, 0, 0, 101)
#define VPORT	9		/* nobody listens: a missed rewrite is refused */
#define N_LIS	DPFIX_LIS	/* endpoints 127.0.0.21 .. 127.0.0.23, slot i */
#define WAIT_MS	5000
#define NO_CHILD { .pid = -1, .res_fd = -1, .go_fd = -1 }

/* VIP:VPORT goes to endpoint <i> alone (subset 0, slot i). */
static void route_to(struct dpfix *f, int i)
{
	struct im_svc svc = { .svc_id = 7, .route = 0 };
	struct im_route rt = { .n_dst = 1, .dst[0] = { .subset = 0,
						       .weight = 1 } };

	CHECK_EQ(dp_put_route(&f->dp, 0, 0, &rt), 0, "route 0");
	CHECK_EQ(dp_put_service(&f->dp, 0, htonl(VIP), htons(VPORT), &svc),
		 0, "service VIP");
	CHECK_EQ(dp_put_subset(&f->dp, 0, 0, &(struct im_subset){ .n_ep = 1 },
			       &f->ep[i]), 0, "subset 0 -> endpoint %d", i);
}

static bool fix_up(struct dpfix *f)
{
	if (!dpfix_up(f, "im-dp-counts", NULL, IP4(127, 0, 0, 21)))
		return false;
	route_to(f, 0);
	return true;
}

/* The agent stopped: its cgroup programs are gone, the maps stay. The
 * links are detached explicitly: forked children hold copies of their
 * fds, so closing ours alone would leave the programs attached. */
static void detach(struct dpfix *f)
{
	struct bpf_link *l;

	while (f->dp.n_links > 0) {
		l = f->dp.links[--f->dp.n_links];
		CHECK_EQ(bpf_link__detach(l), 0, "detaching a cgroup link");
		bpf_link__destroy(l);
	}
}

/* im_ep_state.active of slot <slot>; -1 (and a failure) if unreadable. */
static long long active(struct dpfix *f, __u32 slot)
{
	struct im_ep_state st;

	if (!CHECK_EQ(dp_get_ep_state(&f->dp, slot, &st), 0,
		      "reading im_ep_state[%u]", slot))
		return -1;
	return st.active;
}

/* Polls until slot <slot> counts <want> (at most WAIT_MS). */
static long long active_becomes(struct dpfix *f, __u32 slot, long long want)
{
	uint64_t until = dp_now_ms() + WAIT_MS;
	long long n;

	while ((n = active(f, slot)) != want && n >= 0 && dp_now_ms() < until)
		usleep(2000);
	return n;
}

/* Accepts and closes <n> queued connections of listener <i> (at most
 * WAIT_MS): the endpoint ends them. Returns how many. */
static int end_at_endpoint(struct dpfix *f, int i, int n)
{
	uint64_t until = dp_now_ms() + WAIT_MS;
	int done = 0, fd;

	while (done < n && dp_now_ms() < until) {
		fd = accept(f->lfd[i], NULL, NULL);
		if (fd < 0) {
			usleep(1000);
			continue;
		}
		close(fd);
		done++;
	}
	return done;
}

/* A child holding <n> connections to the VIP, now routed to <i>. */
static bool hold(struct dpfix *f, struct dp_child *c, int i, int n)
{
	struct dp_dial d = { .ip = htonl(VIP), .port = htons(VPORT), .n = n,
			     .hold = true };
	struct dp_dial_result r;

	route_to(f, i);
	return CHECK_EQ(dp_child_start(c, &f->cg, &d), 0, "child %d", i) &&
	       CHECK_EQ(dp_child_report(c, &r), 0, "child %d report", i) &&
	       CHECK_EQ(r.ok, n, "child %d: connections to the VIP", i);
}

/* The record store is socket storage: nothing can evict a record, so no
 * count is stranded however many balanced sockets are open; 900 held at
 * once are counted and all given back. */
static void counts_records_never_evicted(void)
{
	int fd, n = 900;
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	struct dp_child c = NO_CHILD;
	struct dpfix f;

	NEED_ROOT();
	if (!fix_up(&f))
		return;
	fd = dp_map_fd(&f.dp, "im_sock_st");
	CHECK_EQ(fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len), 1,
		 "im_sock_st exists");
	CHECK_EQ(info.type, BPF_MAP_TYPE_SK_STORAGE,
		 "records are socket storage (never evicted)");
	if (hold(&f, &c, 0, n))
		CHECK_EQ(active(&f, 0), n, "every held connection counted");
	dp_child_finish(&c);
	CHECK_EQ(active_becomes(&f, 0, 0), 0, "all given back after close");
	dpfix_down(&f);
}

/*
 * The agent is down (programs detached) while connections close: 4 to
 * endpoint 0 end completely (their sockets are gone), 2 to endpoint 2 are
 * ended by the endpoint and sit in CLOSE_WAIT, 3 to endpoint 1 stay up.
 * The counts still say 4, 3, 2. After the recount: 0, 3, 0; and when the
 * last 3 and the 2 close with the programs back, everything is 0.
 */
static void counts_closed_while_detached(void)
{
	struct dp_child a = NO_CHILD, b = NO_CHILD, c = NO_CHILD;
	struct dp_recount r;
	struct dpfix f;

	NEED_ROOT();
	if (!fix_up(&f))
		return;
	if (!hold(&f, &a, 0, 4) || !hold(&f, &b, 1, 3) || !hold(&f, &c, 2, 2))
		goto out;
	CHECK_EQ(active(&f, 0) * 100 + active(&f, 1) * 10 + active(&f, 2),
		 432, "counted before: 4, 3, 2");
	detach(&f);
	CHECK_EQ(end_at_endpoint(&f, 0, 4), 4, "endpoint 0 ends its four");
	dp_child_finish(&a);	/* their sockets close and go */
	CHECK_EQ(end_at_endpoint(&f, 2, 2), 2, "endpoint 2 ends its two");
	CHECK_EQ(active(&f, 0) * 100 + active(&f, 1) * 10 + active(&f, 2),
		 432, "while detached nothing is taken back");
	CHECK_EQ(dp_attach_cgroup(&f.dp, f.cg.fd), 0, "attached again");
	CHECK_EQ(dp_reconcile(&f.dp, &r), 0, "recount");
	CHECK_EQ(active(&f, 0), 0, "endpoint 0: its closed four are gone");
	CHECK_EQ(active(&f, 1), 3, "endpoint 1: the three still up");
	CHECK_EQ(active(&f, 2), 0, "endpoint 2: CLOSE_WAIT does not count");
	CHECK_EQ(r.claimed, 3, "three established connections claimed");
	CHECK_EQ(r.closed, 2, "two found ended unseen");
	CHECK_EQ(r.skipped_ns, 0, "every network namespace entered");
	CHECK_EQ(r.leaked + r.released, 9, "every old claim released or "
		 "leaked (released %llu, leaked %llu)",
		 (unsigned long long)r.released, (unsigned long long)r.leaked);
	dp_child_finish(&b);
	dp_child_finish(&c);
	CHECK_EQ(active_becomes(&f, 1, 0), 0, "endpoint 1 back to 0");
	CHECK_EQ(active(&f, 2), 0, "endpoint 2 not taken below 0");
out:
	dp_child_finish(&a);
	dp_child_finish(&b);
	dp_child_finish(&c);
	dpfix_down(&f);
}

/* Slot 0's state, with its epoch kept: what a count gone wrong looks
 * like to the programs. */
static void set_active(struct dpfix *f, __u32 n)
{
	struct im_ep_state st;

	if (CHECK_EQ(dp_get_ep_state(&f->dp, 0, &st), 0, "reading slot 0")) {
		st.active = n;
		CHECK_EQ(dp_put_ep_state(&f->dp, 0, &st), 0, "active = %u", n);
	}
}

/* A count at its ceiling does not wrap to 0 when one more connection
 * comes up; a count that reads 0 while connections close does not go
 * below it. */
static void counts_never_wrap(void)
{
	struct dp_child c = NO_CHILD;
	struct dpfix f;

	NEED_ROOT();
	if (!fix_up(&f))
		return;
	set_active(&f, 0xffffffffU);
	if (hold(&f, &c, 0, 1))
		CHECK_EQ(active(&f, 0), 0xffffffffLL, "at the ceiling: no wrap");
	dp_child_finish(&c);
	set_active(&f, 0);
	if (hold(&f, &c, 0, 3)) {
		CHECK_EQ(active(&f, 0), 3, "three counted");
		set_active(&f, 1);
	}
	dp_child_finish(&c);
	CHECK_EQ(active_becomes(&f, 0, 0), 0, "three closed on a count of 1");
	CHECK_EQ(end_at_endpoint(&f, 0, 4), 4, "the endpoint saw all four");
	CHECK_EQ(active(&f, 0), 0, "still 0, not below");
	dpfix_down(&f);
}

/* ---- the race: threads open and close balanced connections while the
 * recount runs again and again ---- */

#define RACE_THREADS	6
#define RACE_ROUNDS	400	/* connections per thread */
#define RACE_MS		20000	/* the child gives up after this */

struct racer {
	__u32 vip;
	uint64_t until;
	int ok;
};

static void *race_one(void *arg)
{
	struct racer *r = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(VPORT),
				  .sin_addr.s_addr = r->vip };
	int i, fd;

	for (i = 0; i < RACE_ROUNDS && dp_now_ms() < r->until; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			continue;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			r->ok++;
		close(fd);
	}
	return NULL;
}

/* The endpoint's side: accept and close until told to stop. */
static void *race_accept(void *arg)
{
	volatile int *lfd = arg;
	int fd;
	struct pollfd p = { .fd = lfd[0], .events = POLLIN };

	while (poll(&p, 1, 100) >= 0) {
		if (p.revents & POLLNVAL)
			break;
		while ((fd = accept(lfd[0], NULL, NULL)) >= 0)
			close(fd);
		if (lfd[1])
			break;
	}
	return NULL;
}

/* Never returns: exits 0 when every thread ran, else 1. */
static void race_child(struct dpfix *f)
{
	struct racer r[RACE_THREADS];
	pthread_t t[RACE_THREADS], acc;
	volatile int lfd[2] = { f->lfd[0], 0 };
	int i, ok = 0;

	if (cgroup_tmp_enter(&f->cg, 0))
		_exit(2);
	if (pthread_create(&acc, NULL, race_accept, (void *)lfd))
		_exit(3);
	for (i = 0; i < RACE_THREADS; i++) {
		r[i] = (struct racer){ .vip = htonl(VIP),
				       .until = dp_now_ms() + RACE_MS };
		if (pthread_create(&t[i], NULL, race_one, &r[i]))
			_exit(3);
	}
	for (i = 0; i < RACE_THREADS; i++) {
		pthread_join(t[i], NULL);
		ok += r[i].ok;
	}
	lfd[1] = 1;
	pthread_join(acc, NULL);
	_exit(ok > RACE_THREADS * RACE_ROUNDS / 2 ? 0 : 1);
}

static void counts_race(void)
{
	long long n, most = 0;
	int recounts = 0, status = -1, err = 0;
	uint64_t until;
	struct dp_recount r;
	struct dpfix f;
	pid_t pid;

	NEED_ROOT();
	if (!fix_up(&f))
		return;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		race_child(&f);
	until = dp_now_ms() + RACE_MS + WAIT_MS;
	while (pid > 0 && waitpid(pid, &status, WNOHANG) == 0) {
		if (dp_now_ms() > until) {
			kill(pid, SIGKILL);	/* our own child only */
			waitpid(pid, &status, 0);
			break;
		}
		err = err ?: dp_reconcile(&f.dp, &r);
		recounts++;
		n = active(&f, 0);
		most = n > most ? n : most;
	}
	CHECK_EQ(pid > 0 && WIFEXITED(status) && !WEXITSTATUS(status), 1,
		 "%d threads x %d balanced connections ran (status %d)",
		 RACE_THREADS, RACE_ROUNDS, status);
	CHECK_EQ(err, 0, "every recount succeeded");
	CHECK_EQ(recounts >= 2, 1, "recounts ran during the race (%d)",
		 recounts);
	CHECK_EQ(most <= 2 * RACE_THREADS, 1, "count never above %d while "
		 "racing (most %lld): never wrapped", 2 * RACE_THREADS, most);
	CHECK_EQ(active_becomes(&f, 0, 0), 0, "back to 0 after the race");
	dpfix_down(&f);
}

/* ---- a removed endpoint's slot ---- */

/* Allocates slot 0 to endpoint 0 in im_ep_slot, as the agent would. */
static struct im_ep_key slot_key(struct dpfix *f)
{
	struct im_ep_key k = { .cluster = dp_cluster_id("outbound|9||vip"),
			       .ip = f->ep[0].ip, .port = f->ep[0].port };
	__u32 slot = 0;

	CHECK_EQ(bpf_map_update_elem(dp_map_fd(&f->dp, "im_ep_slot"), &k,
				     &slot, BPF_NOEXIST), 0, "slot 0 allocated");
	return k;
}

static bool slot_allocated(struct dpfix *f, const struct im_ep_key *k)
{
	__u32 slot;

	return !bpf_map_lookup_elem(dp_map_fd(&f->dp, "im_ep_slot"), k, &slot);
}

/* Endpoint 0 is removed from the tables while it holds connections: its
 * slot stays while one counts, and is freed (state reset, epoch bumped)
 * once none does, also when they closed while the agent was down. */
static void counts_removed_slot_freed(void)
{
	struct im_ep_state st;
	struct dp_child c = NO_CHILD;
	struct dp_recount r;
	struct im_ep_key k;
	struct epslot *s = epslot_new();
	struct dpfix f;

	NEED_ROOT();
	if (!CHECK_EQ(s != NULL, 1, "collector") || !fix_up(&f)) {
		epslot_free(s);
		return;
	}
	k = slot_key(&f);
	if (!hold(&f, &c, 0, 2))
		goto out;
	epslot_commit(s, &f.ep[1], 1);	/* live tables: endpoint 1 only */
	CHECK_EQ(epslot_gc(&f.dp, s), 0, "held: nothing freed");
	CHECK_EQ(slot_allocated(&f, &k), true, "slot kept while 2 count");
	detach(&f);
	dp_child_finish(&c);	/* they close while the agent is down */
	CHECK_EQ(active(&f, 0), 2, "closed unseen: still counted");
	CHECK_EQ(epslot_gc(&f.dp, s), 0, "a stale count holds the slot");
	CHECK_EQ(dp_attach_cgroup(&f.dp, f.cg.fd), 0, "attached again");
	CHECK_EQ(dp_reconcile(&f.dp, &r), 0, "recount");
	CHECK_EQ(epslot_gc(&f.dp, s), 1, "recounted: the slot is freed");
	CHECK_EQ(slot_allocated(&f, &k), false, "allocation removed");
	CHECK_EQ(dp_get_ep_state(&f.dp, 0, &st), 0, "state readable");
	CHECK_EQ(st.active == 0 && st.conns == 0 && st.epoch == 1, 1,
		 "state reset for the next owner (active %u, conns %llu, "
		 "epoch %u)", st.active, (unsigned long long)st.conns,
		 st.epoch);
out:
	dp_child_finish(&c);
	epslot_free(s);
	dpfix_down(&f);
}

UNIT_SUITE(dp_counts)
{
	UNIT_TEST(s, counts_records_never_evicted);
	UNIT_TEST(s, counts_closed_while_detached);
	UNIT_TEST(s, counts_never_wrap);
	UNIT_TEST(s, counts_race);
	UNIT_TEST(s, counts_removed_slot_freed);
}
