// SPDX-License-Identifier: Apache-2.0
/*
 * Outbound capture for real (bpf/lib/capture.h, user/proxy/inpod.c,
 * origdst.c): a "pod" is a network namespace of its own plus a cgroup
 * with a workload identity; a forked child in both dials a service
 * address; the endpoint connect4 chooses and the agent's in-pod
 * 127.0.0.1:15001 listen inside the pod's namespace. The namespace is
 * an fd (dp_netns.h): it goes with the fixture, even when a check fails.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture_fix.h"
#include "dp_child.h"
#include "proxy/origdst.h"

#define VIP	IP4(10, 96, 0, 10)	/* a service address nobody has */
#define VPORT	8081
#define EP	IP4(127, 0, 0, 11)	/* the endpoint, inside the pod */
#define SRC	IP4(10, 244, 0, 7)	/* the calling workload's address */
#define N	200

struct cfix {
	struct cgroup_tmp cg;
	struct dp dp;
	bool loaded;
	int ns;				/* the pod's namespace */
	int ep_fd;			/* the endpoint's listener */
	__u16 ep_port;			/* network order */
	struct inpod_listeners l;	/* the agent's, in the pod */
};

static void fix_down(struct cfix *f)
{
	if (f->ep_fd >= 0)
		close(f->ep_fd);
	inpod_close(&f->l);
	if (f->ns >= 0)
		close(f->ns);
	if (f->loaded)
		dp_destroy(&f->dp);
	cgroup_tmp_remove(&f->cg);
}

/* The endpoint listens on EP:<any port> inside the pod. */
static int ep_listen(void *arg)
{
	struct cfix *f = arg;

	return capfix_listen(htonl(EP), 0, &f->ep_port);
}

/*
 * Pod namespace and cgroup, the programs attached with <capture>, the
 * service VIP:VPORT -> EP, the caller a workload, EP a workload port of
 * <mode>, and (CF_LISTEN) the agent's listeners. False: the test stops,
 * its failure recorded, everything undone.
 */
#define CF_CAPTURE	1	/* dp_opts.capture */
#define CF_LISTEN	2	/* the agent's listeners are up */
#define CF_NO_IDENT	4	/* the caller is no mesh workload */

static bool fix_up(struct cfix *f, unsigned int flags, __u8 mode)
{
	struct dp_opts o = { .capture = flags & CF_CAPTURE };
	char root[256];
	bool ok;

	memset(f, 0, sizeof(*f));
	f->cg.fd = f->ep_fd = -1;
	f->l.capture_fd = f->l.hbone_fd = -1;
	f->ns = -1;
	if (!CHECK_EQ(cgroup2_root(root, sizeof(root)), 0, "cgroup2 mount") ||
	    !CHECK_EQ(cgroup_tmp_create(&f->cg, root, "im-cap-test"), 0,
		      "pod cgroup under %s", root))
		return false;
	f->loaded = dp_test_load(&f->dp, &o) == 0;
	ok = f->loaded && CHECK_EQ(dp_attach_cgroup(&f->dp, f->cg.fd), 0,
				   "attaching to the pod cgroup") &&
	     CHECK_EQ((f->ns = dp_ns_new()) >= 0, 1, "pod namespace") &&
	     CHECK_EQ(dp_ip_in(f->ns, "link set lo up"), 0, "its loopback");
	if (ok)
		f->ep_fd = inpod_call(f->ns, ep_listen, f);
	ok = ok && CHECK_EQ(f->ep_fd >= 0, 1, "endpoint listener in the pod");
	if (ok && (flags & CF_LISTEN))
		ok = CHECK_EQ(inpod_listen(f->ns, htonl(IP4(127, 0, 0, 12)),
					   &f->l), 0, "the agent's listeners");
	if (ok)
		capfix_tables(&f->dp, &f->cg, htonl(VIP), htons(VPORT),
			      htonl(EP), f->ep_port, htonl(SRC), mode,
			      !(flags & CF_NO_IDENT));
	if (!ok)
		fix_down(f);
	return ok;
}

/* Entries in im_cap now. */
static int cap_entries(const struct cfix *f)
{
	struct im_cap_key k, next;
	int fd = dp_map_fd(&f->dp, "im_cap_v2"), n = 0;
	void *prev = NULL;

	if (!CHECK_EQ(fd >= 0, 1, "im_cap_v2 exists"))
		return -1;
	while (n < 10 * N && !bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* What the agent does after accept() on 15001: take the record. Counts
 * the connections accepted, and those whose record names the service,
 * the endpoint chosen and the calling workload. */
static void take_all(struct cfix *f, int want, int *accepted, int *named,
		     int *missing)
{
	int cap = dp_map_fd(&f->dp, "im_cap_v2"), fd;
	struct sockaddr_in peer;
	struct im_capture c;
	socklen_t len;
	__u64 cg = cgroup_tmp_id(&f->cg);
	uint64_t until = dp_now_ms() + 2000;

	*accepted = *named = *missing = 0;
	while (*accepted < DP_DIAL_MAX) {
		len = sizeof(peer);
		fd = accept(f->l.capture_fd, (struct sockaddr *)&peer, &len);
		if (fd < 0) {
			if (*accepted >= want || dp_now_ms() > until)
				break;
			usleep(1000);
			continue;
		}
		(*accepted)++;
		if (origdst_take(cap, f->l.netns, &peer, &c)) {
			(*missing)++;	/* the agent refuses: closes it */
		} else if (c.vip == htonl(VIP) && c.vport == htons(VPORT) &&
			   c.ep_ip == htonl(EP) && c.ep_port == f->ep_port &&
			   c.src_ip == htonl(SRC) && c.cgroup == cg &&
			   c.wl_cgroup == cg && c.principal == CAPFIX_PRINC &&
			   c.ns == CAPFIX_NS) {
			(*named)++;
		}
		close(fd);
	}
}

/* Capture on: every connect lands on the in-pod 15001, the app still
 * sees the service address, and each accepted connection finds its
 * record at once (sockops wrote it before the SYN left). */
static void capture_lands_on_inpod_listener(void)
{
	int acc, named, missing;
	struct dp_dial_result r;
	struct dp_child c;
	struct cfix f;

	NEED_ROOT();
	if (!fix_up(&f, CF_CAPTURE | CF_LISTEN, IM_MODE_STRICT))
		return;
	if (CHECK_EQ(dp_child_start(&c, &f.cg, &(struct dp_dial){
			     .ip = htonl(VIP), .port = htons(VPORT), .n = N,
			     .hold = true, .netns_fd = f.ns }), 0,
		     "child started") &&
	    CHECK_EQ(dp_child_report(&c, &r), 0, "child reported")) {
		CHECK_EQ(r.ok, N, "connects to the service succeed");
		CHECK_EQ(r.peer_bad, 0, "getpeername() answers the service");
		CHECK_EQ(cap_entries(&f), N, "one record per held connection");
		take_all(&f, N, &acc, &named, &missing);
		CHECK_EQ(acc, N, "the agent's 15001 accepted them all");
		CHECK_EQ(missing, 0, "no accepted connection lacks its record");
		CHECK_EQ(named, N, "each record: service, endpoint, caller");
		CHECK_EQ(capfix_accept_all(f.ep_fd), 0,
			 "the endpoint saw nothing directly");
		CHECK_EQ(cap_entries(&f), 0, "records taken are gone");
	}
	dp_child_finish(&c);
	fix_down(&f);
}

/* An AF_INET6 socket dialling ::ffff:<service> (connect6) is captured
 * the same way, and getpeername6 answers the service. */
static void capture_v4mapped(void)
{
	int acc, named, missing;
	struct dp_dial_result r;
	struct dp_child c;
	struct cfix f;

	NEED_ROOT();
	if (!fix_up(&f, CF_CAPTURE | CF_LISTEN, IM_MODE_STRICT))
		return;
	if (CHECK_EQ(dp_child_start(&c, &f.cg, &(struct dp_dial){
			     .ip = htonl(VIP), .port = htons(VPORT), .n = 20,
			     .hold = true, .v4mapped = true,
			     .netns_fd = f.ns }), 0, "child started") &&
	    CHECK_EQ(dp_child_report(&c, &r), 0, "child reported")) {
		CHECK_EQ(r.ok, 20, "connects to ::ffff:service succeed");
		CHECK_EQ(r.peer_bad, 0, "getpeername() answers the service");
		take_all(&f, 20, &acc, &named, &missing);
		CHECK_EQ(acc, 20, "the agent's 15001 accepted them all");
		CHECK_EQ(named, 20, "each with its record");
		CHECK_EQ(capfix_accept_all(f.ep_fd), 0,
			 "the endpoint saw nothing directly");
	}
	dp_child_finish(&c);
	fix_down(&f);
}

/* Records of connections the agent never took go with their sockets. */
static void capture_records_go_with_sockets(void)
{
	int acc, named, missing;
	struct dp_dial_result r;
	struct cfix f;

	NEED_ROOT();
	if (!fix_up(&f, CF_CAPTURE | CF_LISTEN, IM_MODE_PERMISSIVE))
		return;
	if (CHECK_EQ(dp_dial_from(&f.cg, &(struct dp_dial){ .ip = htonl(VIP),
			.port = htons(VPORT), .n = 50,
			.netns_fd = f.ns }, &r), 0, "child dialled")) {
		CHECK_EQ(r.ok, 50, "PERMISSIVE port: captured too");
		CHECK_EQ(cap_entries(&f), 0, "closed sockets left no record");
		take_all(&f, 50, &acc, &named, &missing);
		CHECK_EQ(acc, 50, "queued on 15001");
		CHECK_EQ(missing, 50, "none has a record: the agent refuses");
	}
	fix_down(&f);
}

/* Fills every free slot of im_cap with a record under a key no socket
 * has (namespace cookies count from 1, never 0), until the table refuses
 * one (bounded: one past its size). Returns how many went in, the
 * refusal's errno in *<err>. */
static int cap_fill(struct cfix *f, int *err)
{
	int fd = dp_map_fd(&f->dp, "im_cap_v2"), n = 0;
	struct im_capture c = { 0 };
	struct im_cap_key k = { .netns = 0 };
	__u32 i;

	*err = 0;
	for (i = 0; fd >= 0 && i <= IM_MAX_CAPTURES; i++) {
		k.ip = htonl(i + 1);
		if (bpf_map_update_elem(fd, &k, &c, BPF_NOEXIST)) {
			*err = errno;
			break;
		}
		n++;
	}
	return n;
}

/* One connect to the service from the pod, held open until finished. */
static bool dial_held(struct cfix *f, struct dp_child *c,
		      struct dp_dial_result *r)
{
	return CHECK_EQ(dp_child_start(c, &f->cg, &(struct dp_dial){
				.ip = htonl(VIP), .port = htons(VPORT), .n = 1,
				.hold = true, .netns_fd = f->ns }), 0,
			"child started") &&
	       CHECK_EQ(dp_child_report(c, r), 0, "child reported");
}

/* Drop counters moved between <a> and <b>: only capture_table_full, by
 * <want>. */
static void full_counted(const uint64_t *a, const uint64_t *b, int want)
{
	int i;

	for (i = 1; i < IM_DROP_MAX; i++)
		CHECK_EQ(b[i] - a[i], i == IM_DROP_CAPTURE_FULL ? want : 0,
			 "drop counter %d moved", i);
}

/*
 * im_cap full: sockops cannot publish the record, so the captured connect
 * reaches nothing but the agent's 15001, which finds no record and
 * refuses it (origdst.h): never carried, never plaintext to the endpoint,
 * capture_table_full counted once. One slot freed, the next connect is
 * captured with its record again.
 */
static void capture_table_full_refused(void)
{
	uint64_t d0[IM_DROP_MAX] = { 0 }, d1[IM_DROP_MAX] = { 0 },
		 d2[IM_DROP_MAX] = { 0 };
	struct dp_child c1 = { .pid = -1, .res_fd = -1, .go_fd = -1 };
	struct dp_child c2 = c1;
	struct im_cap_key k = { .netns = 0, .ip = htonl(1) };
	int acc, named, missing, err;
	struct dp_dial_result r;
	struct cfix f;

	NEED_ROOT();
	if (!fix_up(&f, CF_CAPTURE | CF_LISTEN, IM_MODE_STRICT))
		return;
	if (!CHECK_EQ(cap_fill(&f, &err), IM_MAX_CAPTURES,
		      "records im_cap took") ||
	    !CHECK_EQ(err, E2BIG, "then it refused one: full"))
		goto out;
	dp_test_drops(&f.dp, d0);
	if (!dial_held(&f, &c1, &r))
		goto out;
	CHECK_EQ(r.ok, 1, "the connect reaches the agent's 15001");
	dp_test_drops(&f.dp, d1);
	full_counted(d0, d1, 1);
	take_all(&f, 1, &acc, &named, &missing);
	CHECK_EQ(acc, 1, "the agent's 15001 accepted it");
	CHECK_EQ(missing, 1, "without a record: the agent refuses it");
	CHECK_EQ(capfix_accept_all(f.ep_fd), 0, "the endpoint saw nothing");

	CHECK_EQ(bpf_map_delete_elem(dp_map_fd(&f.dp, "im_cap_v2"), &k), 0,
		 "one slot freed");
	if (!dial_held(&f, &c2, &r))
		goto out;
	CHECK_EQ(r.ok, 1, "the next connect reaches the agent's 15001");
	dp_test_drops(&f.dp, d2);
	full_counted(d1, d2, 0);
	take_all(&f, 1, &acc, &named, &missing);
	CHECK_EQ(acc, 1, "the agent's 15001 accepted it");
	CHECK_EQ(named, 1, "with its record: service, endpoint, caller");
	CHECK_EQ(capfix_accept_all(f.ep_fd), 0, "the endpoint saw nothing");
out:
	dp_child_finish(&c2);
	dp_child_finish(&c1);
	fix_down(&f);
}

/* The direct path, not captured: with <flags> and <mode>, every connect
 * from the pod reaches the endpoint itself and none the agent's 15001,
 * getpeername() answers the service, and no record is made. */
static void expect_direct(unsigned int flags, __u8 mode)
{
	struct dp_dial_result r;
	struct cfix f;

	if (!fix_up(&f, flags, mode))
		return;
	if (CHECK_EQ(dp_dial_from(&f.cg, &(struct dp_dial){ .ip = htonl(VIP),
			.port = htons(VPORT), .n = 20,
			.netns_fd = f.ns }, &r), 0, "child dialled")) {
		CHECK_EQ(r.ok, 20, "connects succeed");
		CHECK_EQ(r.peer_bad, 0, "getpeername() answers the service");
		CHECK_EQ(capfix_accept_all(f.ep_fd), 20, "endpoint got them");
		CHECK_EQ(capfix_accept_all(f.l.capture_fd), 0, "15001 none");
		CHECK_EQ(cap_entries(&f), 0, "no record");
	}
	fix_down(&f);
}

/* Capture off (the default): the direct path, exactly as before (a
 * PERMISSIVE port: without mTLS a STRICT one refuses the call, EPERM). */
static void capture_off_direct(void)
{
	NEED_ROOT();
	expect_direct(CF_LISTEN, IM_MODE_PERMISSIVE);
}

/* Capture on, no agent listening: refused, never plaintext to the
 * endpoint, and no endpoint charged with a failure that is the agent's. */
static void capture_no_listener_refused(void)
{
	struct dp_dial_result r;
	struct im_ep_state st = { 0 };
	struct cfix f;

	NEED_ROOT();
	if (!fix_up(&f, CF_CAPTURE, IM_MODE_STRICT))
		return;
	if (CHECK_EQ(dp_dial_from(&f.cg, &(struct dp_dial){ .ip = htonl(VIP),
			.port = htons(VPORT), .n = 20,
			.netns_fd = f.ns }, &r), 0, "child dialled")) {
		CHECK_EQ(r.refused, 20, "ECONNREFUSED, every one");
		CHECK_EQ(r.ok + r.other + r.eperm, 0, "nothing else");
		CHECK_EQ(capfix_accept_all(f.ep_fd), 0,
			 "the endpoint saw nothing");
		CHECK_EQ(cap_entries(&f), 0, "no record left behind");
		CHECK_EQ(dp_get_ep_state(&f.dp, CAPFIX_SLOT, &st), 0,
			 "endpoint state readable");
		CHECK_EQ(st.fails, 0, "no local-origin failure charged");
	}
	fix_down(&f);
}

/* A DISABLE destination is plain L4: not captured. */
static void capture_disable_not_captured(void)
{
	NEED_ROOT();
	expect_direct(CF_CAPTURE | CF_LISTEN, IM_MODE_DISABLE);
}

/* A caller that is no mesh workload is never captured (its calls meet
 * the destination's guard as plaintext). */
static void capture_non_mesh_caller(void)
{
	NEED_ROOT();
	expect_direct(CF_CAPTURE | CF_LISTEN | CF_NO_IDENT, IM_MODE_STRICT);
}

UNIT_SUITE(capture)
{
	UNIT_TEST(s, capture_lands_on_inpod_listener);
	UNIT_TEST(s, capture_v4mapped);
	UNIT_TEST(s, capture_records_go_with_sockets);
	UNIT_TEST(s, capture_table_full_refused);
	UNIT_TEST(s, capture_off_direct);
	UNIT_TEST(s, capture_no_listener_refused);
	UNIT_TEST(s, capture_disable_not_captured);
	UNIT_TEST(s, capture_non_mesh_caller);
}
