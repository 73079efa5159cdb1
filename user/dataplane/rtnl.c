// SPDX-License-Identifier: Apache-2.0
/*
 * rtnetlink through libmnl (rtnl.h): parse -> hand over, nothing kept but
 * the two sockets. Requests wait at most RTNL_TIMEOUT_S for an answer, so
 * a kernel that never answers cannot hang the agent's loop.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "rtnl.h"

#define RTNL_TIMEOUT_S	1
/* Room for bursts (a node starting a hundred pods) before the kernel
 * drops events and rtnl_read() reports an overrun. */
#define RTNL_RCVBUF	(4 << 20)
/* One read: the kernel sends at most a page-sized (up to 32 KiB) batch. */
#define RTNL_MSGBUF	32768

struct rtnl {
	struct mnl_socket *ev;	/* subscribed, non-blocking */
	struct mnl_socket *req;	/* requests and their answers */
	unsigned int seq;
	char buf[RTNL_MSGBUF];
};

static int open_events(struct rtnl *r)
{
	unsigned int groups = RTMGRP_LINK | RTMGRP_IPV4_ROUTE |
			      RTMGRP_IPV4_IFADDR;
	int sz = RTNL_RCVBUF;

	r->ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!r->ev)
		return -errno;
	/* FORCE needs CAP_NET_ADMIN; the plain size is capped by rmem_max */
	if (setsockopt(mnl_socket_get_fd(r->ev), SOL_SOCKET, SO_RCVBUFFORCE,
		       &sz, sizeof(sz)))
		setsockopt(mnl_socket_get_fd(r->ev), SOL_SOCKET, SO_RCVBUF,
			   &sz, sizeof(sz));
	return mnl_socket_bind(r->ev, groups, MNL_SOCKET_AUTOPID) ? -errno : 0;
}

static int open_requests(struct rtnl *r)
{
	struct timeval tv = { .tv_sec = RTNL_TIMEOUT_S };

	r->req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!r->req)
		return -errno;
	if (setsockopt(mnl_socket_get_fd(r->req), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)))
		return -errno;
	return mnl_socket_bind(r->req, 0, MNL_SOCKET_AUTOPID) ? -errno : 0;
}

int rtnl_open(struct rtnl **out)
{
	struct rtnl *r = calloc(1, sizeof(*r));
	int err;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->seq = (unsigned int)time(NULL);
	err = open_events(r);
	err = err ?: open_requests(r);
	if (err) {
		rtnl_close(r);
		return err;
	}
	*out = r;
	return 0;
}

void rtnl_close(struct rtnl *r)
{
	if (!r)
		return;
	if (r->ev)
		mnl_socket_close(r->ev);
	if (r->req)
		mnl_socket_close(r->req);
	free(r);
}

int rtnl_fd(const struct rtnl *r)
{
	return mnl_socket_get_fd(r->ev);
}

/* ---- parsing ---- */

struct link_cb {
	rtnl_link_fn fn;
	void *ctx;
	int seen;		/* RTNL_EV_* */
};

static int link_attr(const struct nlattr *a, void *data)
{
	struct rtnl_link *l = data;

	if (mnl_attr_get_type(a) == IFLA_IFNAME &&
	    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING)) {
		size_t n = mnl_attr_get_payload_len(a);

		if (n > sizeof(l->name))
			n = sizeof(l->name);
		memcpy(l->name, mnl_attr_get_str(a), n);
		l->name[sizeof(l->name) - 1] = '\0';
	}
	return MNL_CB_OK;
}

static void parse_link(const struct nlmsghdr *nlh, struct link_cb *c)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct rtnl_link l = { .ifindex = ifi->ifi_index,
			       .flags = ifi->ifi_flags,
			       .removed = nlh->nlmsg_type == RTM_DELLINK };

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr, &l);
	c->seen |= RTNL_EV_LINK;
	c->fn(c->ctx, &l);
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct link_cb *c = data;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		parse_link(nlh, c);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
	case RTM_NEWADDR:
	case RTM_DELADDR:
		c->seen |= RTNL_EV_ROUTE;
		break;
	}
	return MNL_CB_OK;
}

/* ---- requests ---- */

static struct nlmsghdr *request(struct rtnl *r, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++r->seq;
	return nlh;
}

/* Sends <nlh> and runs <cb> on the answer until it is complete: a dump
 * ends with NLMSG_DONE, any other answer is one message (or an error). */
static int exchange(struct rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb,
		    void *data)
{
	unsigned int seq = nlh->nlmsg_seq, port = mnl_socket_get_portid(r->req);
	bool dump = nlh->nlmsg_flags & NLM_F_DUMP;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(r->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(r->req, r->buf, sizeof(r->buf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		ret = mnl_cb_run(r->buf, (size_t)n, seq, port, cb, data);
	} while (dump && ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

int rtnl_dump_links(struct rtnl *r, rtnl_link_fn fn, void *ctx)
{
	struct nlmsghdr *nlh = request(r, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct link_cb c = { .fn = fn, .ctx = ctx };

	ifi->ifi_family = AF_UNSPEC;
	return exchange(r, nlh, on_msg, &c);
}

static int route_attr(const struct nlattr *a, void *data)
{
	struct rtnl_route *rt = data;

	switch (mnl_attr_get_type(a)) {
	case RTA_OIF:
		if (!mnl_attr_validate(a, MNL_TYPE_U32))
			rt->oif = (int)mnl_attr_get_u32(a);
		break;
	case RTA_GATEWAY:
	case RTA_VIA:
		rt->gateway = true;
		break;
	}
	return MNL_CB_OK;
}

static int on_route(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct rtnl_route *rt = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return MNL_CB_OK;
	rt->type = rtm->rtm_type;
	return mnl_attr_parse(nlh, sizeof(*rtm), route_attr, rt);
}

int rtnl_route_get(struct rtnl *r, uint32_t ip, struct rtnl_route *out)
{
	struct nlmsghdr *nlh = request(r, RTM_GETROUTE, 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	memset(out, 0, sizeof(*out));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put_u32(nlh, RTA_DST, ip);
	return exchange(r, nlh, on_route, out);
}

static int on_filter(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWTFILTER)
		(*(int *)data)++;
	return MNL_CB_OK;
}

int rtnl_tc_filters(struct rtnl *r, int ifindex, uint32_t parent)
{
	struct nlmsghdr *nlh = request(r, RTM_GETTFILTER, NLM_F_DUMP);
	struct tcmsg *tc = mnl_nlmsg_put_extra_header(nlh, sizeof(*tc));
	int n = 0, err;

	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = ifindex;
	tc->tcm_parent = parent;
	err = exchange(r, nlh, on_filter, &n);
	return err ?: n;
}

/* ---- events ---- */

int rtnl_read(struct rtnl *r, rtnl_link_fn fn, void *ctx)
{
	struct link_cb c = { .fn = fn, .ctx = ctx };
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(r->ev, r->buf, sizeof(r->buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return c.seen;
			if (errno == ENOBUFS)	/* the kernel dropped some */
				return c.seen | RTNL_EV_OVERRUN;
			return -errno;
		}
		/* events carry seq 0 and the kernel's port id 0 */
		if (mnl_cb_run(r->buf, (size_t)n, 0, 0, on_msg, &c) < 0)
			return -errno;
	}
}

/* ---- policy routing, for the agent's transparent leg (proxy/tleg.c) ---- */

/* Sends a change and waits for its acknowledgement; an entry that is
 * there already counts as done, so a setup can run twice. */
static int change(struct rtnl *r, struct nlmsghdr *nlh)
{
	int err = exchange(r, nlh, NULL, NULL);

	return err == -EEXIST ? 0 : err;
}

int rtnl_rule_fwmark(struct rtnl *r, uint32_t mark, uint32_t table,
		     uint32_t prio)
{
	struct nlmsghdr *nlh = request(r, RTM_NEWRULE, NLM_F_CREATE |
				       NLM_F_EXCL | NLM_F_ACK);
	struct fib_rule_hdr *h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));

	h->family = AF_INET;
	h->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_FWMARK, mark);
	mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffff);
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	return change(r, nlh);
}

int rtnl_route_local_all(struct rtnl *r, uint32_t table, int oif)
{
	struct nlmsghdr *nlh = request(r, RTM_NEWROUTE, NLM_F_CREATE |
				       NLM_F_EXCL | NLM_F_ACK);
	struct rtmsg *rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));

	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = 0;
	rt->rtm_table = RT_TABLE_UNSPEC;	/* RTA_TABLE says which */
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_HOST;
	rt->rtm_type = RTN_LOCAL;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return change(r, nlh);
}
