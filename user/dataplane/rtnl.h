/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtnetlink through libmnl, for the guard follower (links.c): link events
 * and the link dump, IPv4 route and address events (they move pods'
 * routes), and route lookups. Two sockets: one subscribed to the events,
 * non-blocking, for an event loop to watch; one for requests, whose
 * answers never interleave with the events.
 *
 * Every function returns 0 (or what it says) or a negative errno. Not
 * thread safe: one caller owns a struct rtnl.
 */
#ifndef IM_USER_DATAPLANE_RTNL_H
#define IM_USER_DATAPLANE_RTNL_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct rtnl;

struct rtnl_link {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned int flags;	/* IFF_* */
	bool removed;		/* RTM_DELLINK: the interface is gone */
};

/* What the kernel answers for one destination (RTM_GETROUTE). */
struct rtnl_route {
	int oif;		/* the interface packets leave through */
	bool gateway;		/* through a next hop, not directly attached */
	unsigned char type;	/* RTN_UNICAST, RTN_LOCAL, ... */
};

/* What rtnl_read() saw, as bits of its return value. */
#define RTNL_EV_LINK	 1	/* a link appeared, changed or vanished */
#define RTNL_EV_ROUTE	 2	/* an IPv4 route or address changed */
#define RTNL_EV_OVERRUN	 4	/* events were lost: dump again */

typedef void (*rtnl_link_fn)(void *ctx, const struct rtnl_link *l);

/* Subscribes to the events first, so a dump that follows misses none. */
int rtnl_open(struct rtnl **out);
void rtnl_close(struct rtnl *r);
/* The events socket, non-blocking: readable when rtnl_read() has work. */
int rtnl_fd(const struct rtnl *r);
/* Calls <fn> for every link that exists now. */
int rtnl_dump_links(struct rtnl *r, rtnl_link_fn fn, void *ctx);
/* Consumes the pending events, calling <fn> for each link event. Returns
 * the RTNL_EV_* bits seen (0: nothing pending) or a negative errno. */
int rtnl_read(struct rtnl *r, rtnl_link_fn fn, void *ctx);
/* The kernel's route to <ip> (network order). -ENETUNREACH and friends
 * when there is none. */
int rtnl_route_get(struct rtnl *r, uint32_t ip, struct rtnl_route *out);

/* How many tc filters sit under <parent> (a clsact's TC_H_MIN_INGRESS or
 * TC_H_MIN_EGRESS side, as TC_H_MAKE(TC_H_CLSACT, ...)) of <ifindex>. */
int rtnl_tc_filters(struct rtnl *r, int ifindex, uint32_t parent);

/* Policy routing inside a pod's namespace (user/proxy/tleg.c): packets
 * marked <mark> look up table <table>, at rule priority <prio>; and table
 * <table> delivers every IPv4 destination locally through <oif> (the
 * loopback). Each is done once: an existing entry counts as done. */
int rtnl_rule_fwmark(struct rtnl *r, uint32_t mark, uint32_t table,
		     uint32_t prio);
int rtnl_route_local_all(struct rtnl *r, uint32_t table, int oif);

#endif
