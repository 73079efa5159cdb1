// SPDX-License-Identifier: Apache-2.0
/* The engine's directory: every mesh workload by address, immutable once
 * published, so workers look peers up without a lock (px_int.h). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "px_int.h"

struct px_pod *px_pod_get(struct px_pod *p)
{
	if (p)
		__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	return p;
}

void px_pod_put(struct px_pod *p)
{
	if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (p->netns_fd >= 0)
		close(p->netns_fd);
	free(p);
}

static int by_ip(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct px_dir_ent *)a)->p.ip);
	uint32_t y = ntohl(((const struct px_dir_ent *)b)->p.ip);

	return x < y ? -1 : x > y;
}

/* NULL when out of memory, or when a peer's identity is not a SPIFFE ID
 * or an address comes twice: a directory we cannot trust is refused as a
 * whole, the previous one stays. */
struct px_dir *px_dir_new(const struct px_peer *v, size_t n)
{
	struct px_dir *d = calloc(1, sizeof(*d) + n * sizeof(d->v[0]));
	size_t i;

	if (!d)
		return NULL;
	d->refs = 1;
	d->n = n;
	for (i = 0; i < n; i++) {
		d->v[i].p = v[i];
		d->v[i].p.id[sizeof(d->v[i].p.id) - 1] = 0;
		if (spiffe_parse(d->v[i].p.id, strlen(d->v[i].p.id),
				 &d->v[i].sid))
			goto bad;
	}
	qsort(d->v, n, sizeof(d->v[0]), by_ip);
	for (i = 1; i < n; i++)
		if (d->v[i].p.ip == d->v[i - 1].p.ip)
			goto bad;
	return d;
bad:
	free(d);
	return NULL;
}

const struct px_dir_ent *px_dir_find(const struct px_dir *d, uint32_t ip)
{
	struct px_dir_ent k = { .p.ip = ip };

	if (!d || !d->n)
		return NULL;
	return bsearch(&k, d->v, d->n, sizeof(d->v[0]), by_ip);
}

struct px_dir *px_dir_get(struct px_dir *d)
{
	if (d)
		__atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
	return d;
}

void px_dir_put(struct px_dir *d)
{
	size_t i;

	if (!d || __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (i = 0; i < d->n; i++)
		px_pod_put(d->v[i].pod);
	free(d);
}
