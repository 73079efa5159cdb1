/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by compile*.c only: growing arrays, notes, the compile context. */
#ifndef IM_COMPILE_INT_H
#define IM_COMPILE_INT_H

#include "../util/grow.h"
#include "compile.h"

/* Appends a zeroed element to array <name> of tables <t>: its address, or
 * NULL when memory ran out. */
#define CT_PUSH(t, name) GROW_PUSH((t)->name, (t)->n_##name, (t)->cap_##name)

void ct_note(struct tables *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* <o> adds to an entry too big for the kernel, described by <what> (in
 * t->arena); a repeat of the last one is recorded once. 0 or -ENOMEM. */
int ct_overflow(struct tables *t, const struct object *o, const char *what);
/* Records name <name> for id <id> in array <arr>. */
int ct_name(struct tables *t, struct ct_name **arr, size_t *n, size_t *cap,
	    uint64_t id, const char *name);
#define CT_NAME(t, arr, id, name) \
	ct_name(t, &(t)->arr, &(t)->n_##arr, &(t)->cap_##arr, id, name)

/* IPv4 text to network order; false for anything else. */
bool ct_ipv4(const char *s, uint32_t *ip);
/* "a.b.c.d[/len]" */
bool ct_cidr4(const char *s, uint32_t *ip, unsigned int *plen);

/* enum im_mode of a resolved PeerAuthentication mode. */
uint8_t ct_mode(enum mtls_mode m);

int ct_services(const struct compile_in *in, struct tables *t);
int ct_policies(const struct compile_in *in, struct tables *t);
/* Fills lb, outlier and locality fields of <sub> and its endpoints. */
struct ct_lb_ep {
	const struct endpoint_eff *e;
	struct im_ep ep;
};
void ct_subset_policy(const struct policy_eff *pol, struct im_subset *sub);
/* Istio's connectTimeout default (10 s), for a subset without a policy. */
#define CT_CONNECT_MS 10000U
/* connectTimeout <ns> in whole milliseconds, rounded up; unset: 10 s. */
uint32_t ct_connect_ms(int64_t ns);
/* The clients of this node as one: the tables are per node, so what the
 * locality rules compare is what all the local workloads share. */
struct ct_client {
	const char *locality;	/* the node's; NULL: unknown */
	const char *node;	/* its name (kubernetes.io/hostname) */
	const struct workload **wls;	/* the local workloads */
	size_t n_wls;
};
/* <cl> for the node of <in>, at locality <loc>: 0 or -ENOMEM. */
int ct_client_init(struct ct_client *cl, const struct compile_in *in,
		   const char *loc);
void ct_client_free(struct ct_client *cl);
/* Priorities, locality numbers and weights for <eps> seen from the node's
 * clients <cl> (may be NULL); endpoints `distribute` gives nothing are
 * removed. Returns the number kept. */
size_t ct_locality(const struct policy_eff *pol, const struct ct_client *cl,
		   struct ct_lb_ep *eps, size_t n);
/* A note when <pol> asks for locality features that cannot be compiled
 * for <cl> as a whole. */
void ct_locality_note(struct tables *t, const char *host,
		      const struct policy_eff *pol,
		      const struct ct_client *cl);

#endif
