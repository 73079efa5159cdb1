// SPDX-License-Identifier: Apache-2.0
/* Packet hooks (tc, tcx, XDP) and the helpers tried through test runs. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "feat_probes.h"
#include "infermesh/abi.h"
#include "netns.h"
#include "pkt_build.h"

/* The 6.1 uapi headers predate tcx: enum bpf_attach_type value 46. */
#define IM_BPF_TCX_INGRESS 46

/* Loopback hands the datagram to the receive path through the backlog:
 * usually run before sendto() returns, but a busy CPU defers it to
 * ksoftirqd (seen with two agents starting at once under qemu), so the
 * count is awaited, bounded (1 s), instead of read once. */
static bool counted_soon(struct probe_bpf *s)
{
	struct timespec pause = { .tv_nsec = 5 * 1000 * 1000 };
	int i;

	for (i = 0; i < 200; i++) {
		if (bpf_array_u64(bpf_map__fd(s->maps.im_probe_proto),
				  IPPROTO_UDP))
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

/* Sends one UDP datagram to a closed port of this namespace's loopback
 * and reports whether the classifier counted it. */
static enum feat_state saw_packet(struct probe_bpf *s, const char *hook,
				  char *why, size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(9) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0) {
		sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a));
		close(fd);
	}
	if (!counted_soon(s))
		return feat_say(why, n, FEAT_UNKNOWN,
				"%s attached, but a UDP packet on lo was not "
				"seen", hook);
	return feat_say(why, n, FEAT_PRESENT,
			"%s on lo of a throwaway netns counted a packet", hook);
}

static enum feat_state clsact_try(struct probe_bpf *s, int ifindex,
				  char *why, size_t n)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts,
		    .prog_fd = bpf_program__fd(s->progs.probe_tc));
	enum feat_state st;
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return feat_say(why, n, FEAT_ABSENT,
				"creating a clsact qdisc: %s", strerror(-err));
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		st = feat_say(why, n, FEAT_ABSENT, "tc attach: %s",
			      strerror(-err));
	else
		st = saw_packet(s, "clsact ingress", why, n);
	bpf_tc_hook_destroy(&hook);	/* takes the filter with it */
	return st;
}

static enum feat_state tcx_try(struct probe_bpf *s, int ifindex, char *why,
			       size_t n)
{
	int link = bpf_link_create(bpf_program__fd(s->progs.probe_tc),
				   ifindex, IM_BPF_TCX_INGRESS, NULL);
	enum feat_state st;

	if (link < 0)
		return feat_say(why, n, FEAT_ABSENT,
				"bpf_link_create(BPF_TCX_INGRESS): %s "
				"(tcx needs Linux 6.6+)", strerror(-link));
	st = saw_packet(s, "tcx ingress", why, n);
	close(link);
	return st;
}

/* Runs inside the throwaway namespace (see netns_run). */
static int tc_in_netns(void *arg, char *why, size_t n)
{
	bool tcx = *(bool *)arg;
	struct probe_bpf *s;
	enum feat_state st;
	int ifindex = if_nametoindex("lo");

	s = feat_load(&(struct probe_want){ .tc = true }, why, n, &st);
	if (!s)
		return st;
	st = tcx ? tcx_try(s, ifindex, why, n) : clsact_try(s, ifindex, why, n);
	probe_bpf__destroy(s);
	return st;
}

static enum feat_state tc_probe(bool tcx, char *why, size_t n)
{
	int r = netns_run(tc_in_netns, &tcx, why, n);

	if (r < 0 && !why[0])
		return feat_say(why, n, FEAT_UNKNOWN,
				"no throwaway network namespace: %s",
				strerror(-r));
	return r < 0 ? FEAT_UNKNOWN : (enum feat_state)r;
}

enum feat_state probe_tc(struct probe_ctx *c, char *why, size_t n)
{
	return tc_probe(false, why, n);
}

enum feat_state probe_tcx(struct probe_ctx *c, char *why, size_t n)
{
	return tc_probe(true, why, n);
}

/* One test run of <prog> over a small UDP frame. */
static int run_once(struct bpf_program *prog, __u32 *ret)
{
	__u8 pkt[PKT_MAX];
	size_t len = pkt_eth_ipv4_udp(pkt, &(struct pkt_spec){ 0 });

	return bpf_test_run_pkt(bpf_program__fd(prog), pkt, len, ret);
}

enum feat_state probe_xdp(struct probe_ctx *c, char *why, size_t n)
{
	struct probe_bpf *s;
	enum feat_state st;
	__u32 ret = 0;
	int err;

	s = feat_load(&(struct probe_want){ .xdp = true }, why, n, &st);
	if (!s)
		return st;
	err = run_once(s->progs.probe_xdp, &ret);
	if (err)
		st = feat_say(why, n, FEAT_ABSENT, "BPF_PROG_TEST_RUN: %s",
			      strerror(-err));
	else if (ret != XDP_PASS ||
		 !bpf_array_u64(bpf_map__fd(s->maps.im_probe_cnt),
				IM_PROBE_XDP_IPV4))
		st = feat_say(why, n, FEAT_UNKNOWN,
			      "test run returned %u, not XDP_PASS", ret);
	else
		st = feat_say(why, n, FEAT_PRESENT,
			      "loaded; a test run passed an IPv4 frame");
	probe_bpf__destroy(s);
	return st;
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct im_probe_event *e = data;

	if (len >= sizeof(*e) && e->kind == IM_PROBE_EV_HELLO)
		++*(int *)ctx;
	return 0;
}

static enum feat_state ringbuf_try(struct probe_bpf *s, char *why, size_t n)
{
	struct ring_buffer *rb;
	int seen = 0, err;
	__u32 ret;

	rb = ring_buffer__new(bpf_map__fd(s->maps.im_probe_rb), on_event,
			      &seen, NULL);
	if (!rb)
		return feat_say(why, n, FEAT_ABSENT, "ring_buffer__new: %s",
				strerror(errno));
	err = run_once(s->progs.probe_ringbuf, &ret);
	if (!err)
		ring_buffer__poll(rb, 100);
	ring_buffer__free(rb);
	if (err || seen != 1)
		return feat_say(why, n, FEAT_UNKNOWN,
				"test run: %s, records seen: %d",
				strerror(-err), seen);
	return feat_say(why, n, FEAT_PRESENT,
			"a record from a test run arrived through the ring");
}

enum feat_state probe_ringbuf(struct probe_ctx *c, char *why, size_t n)
{
	struct probe_bpf *s;
	enum feat_state st;

	s = feat_load(&(struct probe_want){ .ringbuf = true }, why, n, &st);
	if (!s)
		return st;
	st = ringbuf_try(s, why, n);
	probe_bpf__destroy(s);
	return st;
}

/* The timer is armed to fire at once; give it up to 200 ms. */
static bool timer_fired(struct probe_bpf *s)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 200; i++) {
		if (bpf_array_u64(bpf_map__fd(s->maps.im_probe_cnt),
				  IM_PROBE_TIMER_FIRED))
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

enum feat_state probe_timer(struct probe_ctx *c, char *why, size_t n)
{
	struct probe_bpf *s;
	enum feat_state st;
	__u32 ret;
	int err;

	s = feat_load(&(struct probe_want){ .timer = true }, why, n, &st);
	if (!s)
		return st;
	err = run_once(s->progs.probe_timer, &ret);
	if (err)
		st = feat_say(why, n, FEAT_UNKNOWN, "BPF_PROG_TEST_RUN: %s",
			      strerror(-err));
	else if (!timer_fired(s))
		st = feat_say(why, n, FEAT_UNKNOWN,
			      "timer armed, but it did not fire in 200 ms");
	else
		st = feat_say(why, n, FEAT_PRESENT,
			      "a timer armed by a test run fired");
	probe_bpf__destroy(s);
	return st;
}
