// SPDX-License-Identifier: Apache-2.0
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "bpf_load.h"

static int print_all(enum libbpf_print_level level, const char *fmt,
		     va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

static int print_none(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	return 0;
}

void bpf_log_init(bool verbose)
{
	libbpf_set_print(verbose ? print_all : print_none);
}

/* Programs not wanted stay unloaded, and so do the maps of kinds that only
 * they use: an old kernel without ring buffers still loads connect4. */
static void select_progs(struct probe_bpf *s, const struct probe_want *w)
{
	bpf_program__set_autoload(s->progs.probe_connect4, w->connect4);
	bpf_program__set_autoload(s->progs.probe_sockops, w->sockops);
	bpf_program__set_autoload(s->progs.probe_verdict, w->verdict);
	bpf_program__set_autoload(s->progs.probe_tc, w->tc);
	bpf_program__set_autoload(s->progs.probe_xdp, w->xdp);
	bpf_program__set_autoload(s->progs.probe_ringbuf, w->ringbuf);
	bpf_program__set_autoload(s->progs.probe_timer, w->timer);
	bpf_map__set_autocreate(s->maps.im_probe_sockh, w->verdict);
	bpf_map__set_autocreate(s->maps.im_probe_rb, w->ringbuf);
	bpf_map__set_autocreate(s->maps.im_probe_timer, w->timer);
}

struct probe_bpf *probe_load(const struct probe_want *w, __u64 target_cgroup,
			     int *err)
{
	struct probe_bpf *s = probe_bpf__open();

	if (!s) {
		*err = -errno;
		return NULL;
	}
	select_progs(s, w);
	s->rodata->target_cgroup = target_cgroup;
	*err = probe_bpf__load(s);
	if (*err) {
		probe_bpf__destroy(s);
		return NULL;
	}
	return s;
}

int bpf_test_run_pkt(int prog_fd, const void *pkt, size_t len, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
		    .data_size_in = len, .repeat = 1);
	int err = bpf_prog_test_run_opts(prog_fd, &o);

	if (err)
		return err;	/* libbpf 1.x returns -errno itself */
	*retval = o.retval;
	return 0;
}

__u64 bpf_array_u64(int map_fd, __u32 idx)
{
	__u64 v = 0;

	return bpf_map_lookup_elem(map_fd, &idx, &v) ? 0 : v;
}

void bpf_array_zero(int map_fd, __u32 n)
{
	__u64 zero = 0;
	__u32 i;

	for (i = 0; i < n; i++)
		bpf_map_update_elem(map_fd, &i, &zero, BPF_ANY);
}
