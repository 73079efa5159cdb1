// SPDX-License-Identifier: Apache-2.0
/* In-pod listeners following pods (see inpod_set.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inpod_set.h"

struct entry {
	uint32_t ip;
	dev_t dev;		/* the namespace the listeners are in */
	ino_t ino;
	struct inpod_listeners l;
};

struct inpod_set {
	struct entry *e;
	size_t n;
};

int inpod_set_new(struct inpod_set **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static struct entry *find(const struct inpod_set *s, uint32_t ip)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].ip == ip)
			return &s->e[i];
	return NULL;
}

const struct inpod_listeners *inpod_set_find(const struct inpod_set *s,
					     uint32_t ip)
{
	const struct entry *e = find(s, ip);

	return e ? &e->l : NULL;
}

/* <old>'s listeners when the pod is still in the same namespace, else
 * new ones there; <e> is filled either way. Returns 0 or -errno (no
 * process in the pod yet: -ESRCH). */
static int open_pod(const struct inpod_pod *p, const struct entry *old,
		    struct entry *e)
{
	struct stat st;
	int ns = inpod_netns_of_cgroup(p->cgroup), err;

	if (ns < 0)
		return ns;
	err = fstat(ns, &st) ? -errno : 0;
	if (!err && old && old->dev == st.st_dev && old->ino == st.st_ino) {
		*e = *old;
	} else if (!err) {
		*e = (struct entry){ .ip = p->ip, .dev = st.st_dev,
				     .ino = st.st_ino };
		err = inpod_listen(ns, p->ip, &e->l);
	}
	close(ns);
	return err;
}

int inpod_set_sync(struct inpod_set *s, const struct inpod_pod *pods,
		   size_t n)
{
	struct entry *next = calloc(n ? n : 1, sizeof(*next)), *old;
	size_t i, m = 0;

	if (!next)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		old = find(s, pods[i].ip);
		if (find(&(struct inpod_set){ next, m }, pods[i].ip) ||
		    open_pod(&pods[i], old, &next[m]))
			continue;	/* a repeat, or not there yet */
		if (old && old->l.capture_fd == next[m].l.capture_fd)
			old->ip = 0;	/* kept: not closed below */
		m++;
	}
	for (i = 0; i < s->n; i++)
		if (s->e[i].ip)	/* gone, or reopened elsewhere */
			inpod_close(&s->e[i].l);
	free(s->e);
	s->e = next;
	s->n = m;
	return (int)m;
}

void inpod_set_free(struct inpod_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		inpod_close(&s->e[i].l);
	free(s->e);
	free(s);
}
