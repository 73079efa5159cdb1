// SPDX-License-Identifier: Apache-2.0
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cgroup.h"
#include "feat_probes.h"

struct feat_def {
	const char *name;	/* stable JSON key */
	const char *title;
	const char *kconfig;	/* symbol that explains an absence, or NULL */
	bool root;		/* cannot be tried without root */
	probe_fn probe;
};

static const struct feat_def defs[FEAT__COUNT] = {
	[FEAT_BPF_SYSCALL] = { "bpf_syscall", "BPF syscall",
			       "CONFIG_BPF_SYSCALL", true, probe_bpf_syscall },
	[FEAT_BTF] = { "btf", "kernel BTF (CO-RE)", "CONFIG_DEBUG_INFO_BTF",
		       false, probe_btf },
	[FEAT_BPFFS] = { "bpffs", "bpffs at /sys/fs/bpf", NULL,
			 false, probe_bpffs },
	[FEAT_CGROUP2] = { "cgroup2", "cgroup v2", "CONFIG_CGROUPS", false,
			   probe_cgroup2 },
	[FEAT_CONNECT4] = { "cgroup_connect4", "cgroup/connect4",
			    "CONFIG_CGROUP_BPF", true, probe_connect4 },
	[FEAT_SOCKOPS] = { "sockops", "sockops", "CONFIG_CGROUP_BPF", true,
			   probe_sockops },
	[FEAT_SOCKHASH] = { "sockhash", "SOCKHASH + sk_skb verdict",
			    "CONFIG_BPF_STREAM_PARSER", true, probe_sockhash },
	[FEAT_TC] = { "tc_clsact", "tc clsact", "CONFIG_NET_SCH_INGRESS", true,
		      probe_tc },
	[FEAT_TCX] = { "tcx", "tcx link", "CONFIG_NET_XGRESS", true,
		       probe_tcx },
	[FEAT_XDP] = { "xdp", "XDP", NULL, true, probe_xdp },
	[FEAT_RINGBUF] = { "ringbuf", "ring buffer map", NULL,
			   true, probe_ringbuf },
	[FEAT_TIMER] = { "bpf_timer", "bpf_timer", NULL, true,
			 probe_timer },
	[FEAT_KTLS] = { "ktls", "kernel TLS (TCP_ULP tls)", "CONFIG_TLS",
			false, probe_ktls },
};

const char *feat_name(enum feat_id id)
{
	return id < FEAT__COUNT ? defs[id].name : "?";
}

const char *feat_title(enum feat_id id)
{
	return id < FEAT__COUNT ? defs[id].title : "?";
}

const char *feat_state_name(enum feat_state s)
{
	return s == FEAT_PRESENT ? "present" : s == FEAT_ABSENT ? "absent"
								: "unknown";
}

enum feat_state feat_say(char *why, size_t n, enum feat_state st,
			 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return st;
}

struct probe_bpf *feat_load(const struct probe_want *w, char *why, size_t n,
			    enum feat_state *st)
{
	struct probe_bpf *s;
	int err;

	s = probe_load(w, 0, &err);
	if (!s)
		*st = feat_say(why, n, err == -EPERM ? FEAT_UNKNOWN : FEAT_ABSENT,
			       "the kernel refused to load the program: %s",
			       strerror(-err));
	return s;
}

struct bpf_program *feat_loaded_prog(struct probe_bpf *s)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, s->obj)
		if (bpf_program__autoload(p))
			return p;
	return NULL;
}

static void probe_one(struct probe_ctx *c, struct features *f,
		      enum feat_id id)
{
	const struct feat_def *d = &defs[id];
	struct feat_result *r = &f->r[id];
	const char *v = d->kconfig ? kconfig_get(c->kc, d->kconfig) : NULL;
	size_t l;

	if (v)
		snprintf(r->kconfig, sizeof(r->kconfig), "%s=%s", d->kconfig,
			 v);
	if (d->root && !f->root) {
		r->state = feat_say(r->detail, sizeof(r->detail), FEAT_UNKNOWN,
				    "needs root");
		return;
	}
	r->state = d->probe(c, r->detail, sizeof(r->detail));
	l = strlen(r->detail);
	if (r->state == FEAT_ABSENT && v && !strcmp(v, "n"))
		snprintf(r->detail + l, sizeof(r->detail) - l,
			 " (%s is not set)", d->kconfig);
}

void features_probe(struct features *f)
{
	features_probe_some(f, ~0u);
}

void features_probe_some(struct features *f, uint32_t mask)
{
	struct probe_ctx c = { 0 };
	struct kconfig kc;
	struct utsname u;
	int id;

	memset(f, 0, sizeof(*f));
	f->root = geteuid() == 0;
	if (!uname(&u))
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	kconfig_load(&kc);
	snprintf(f->config_src, sizeof(f->config_src), "%s", kc.src);
	c.kc = &kc;
	if (cgroup2_root(c.cgroot, sizeof(c.cgroot)))
		c.cgroot[0] = '\0';
	snprintf(c.tmp_prefix, sizeof(c.tmp_prefix), "infermesh-probe");
	for (id = 0; id < FEAT__COUNT; id++)
		if (mask & FEAT_BIT(id))
			probe_one(&c, f, id);
		else
			feat_say(f->r[id].detail, sizeof(f->r[id].detail),
				 FEAT_UNKNOWN, "not probed");
	kconfig_free(&kc);
}
