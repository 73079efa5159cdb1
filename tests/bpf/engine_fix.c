// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compile/compile.h"
#include "engine_fix.h"
#include "harness.h"
#include "model/model.h"
#include "tls/x509_make.h"

uint64_t ef_now_ms(void)
{
	return dp_now_ms();
}

static void nap(void)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

int ef_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int forwarding_on(void)
{
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
	int err = fd < 0 || write(fd, "1", 1) != 1;

	if (fd >= 0)
		close(fd);
	return err;
}

/* A child that joins <p>'s namespace and cgroup and stays until its pipe
 * closes: what makes a pod's namespace findable from its cgroup. */
static bool pod_hold(struct ef_pod *p)
{
	int go[2], ready[2];
	char c = 0;
	struct pollfd pf;

	if (pipe2(go, O_CLOEXEC) || pipe2(ready, O_CLOEXEC))
		return false;
	p->holder = fork();
	if (!p->holder) {
		close(go[1]);
		close(ready[0]);
		if (setns(p->ns, CLONE_NEWNET) || cgroup_tmp_enter(&p->cg, 0))
			_exit(1);
		if (write(ready[1], "1", 1) != 1)
			_exit(1);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	p->holder_fd = go[1];
	pf = (struct pollfd){ .fd = ready[0], .events = POLLIN };
	c = 0;
	if (p->holder > 0 && poll(&pf, 1, EF_WAIT_MS) == 1 &&
	    read(ready[0], &c, 1) != 1)
		c = 0;
	close(ready[0]);
	return c == '1';
}

/* Reaps our child <pid> within a few seconds, killing it if it stays. */
static void reap(pid_t pid)
{
	uint64_t until = ef_now_ms() + 5000;

	if (pid <= 0)
		return;
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if (ef_now_ms() > until) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return;
		}
		nap();
	}
}

static void pod_down(struct ef_pod *p)
{
	if (p->holder_fd >= 0)
		close(p->holder_fd);
	reap(p->holder);
	if (p->ns >= 0)
		close(p->ns);
	cgroup_tmp_remove(&p->cg);
}

static bool pod_up(struct ef_pod *p, const char *root, const char *name,
		   const char *ifc, const char *ip, const char *gw)
{
	return CHECK_EQ(cgroup_tmp_create(&p->cg, root, name), 0, "%s cgroup",
			name) &&
	       CHECK_EQ((p->ns = dp_ns_new()) >= 0, 1, "%s namespace", name) &&
	       CHECK_EQ(dp_wire_pod(p->ns, ifc, ip, gw), 0, "%s wired", name) &&
	       CHECK_EQ(pod_hold(p), true, "%s holder in place", name);
}

/* A CA in memory: a self-signed P-256 root, its own trust anchor. */
bool ef_ca_make(struct tls_ca *ca)
{
	time_t now = time(NULL);
	struct x509_spec s = { .cn = "engine test root", .is_ca = true,
			       .not_before = now - 60,
			       .not_after = now + 86400 };

	memset(ca, 0, sizeof(*ca));
	s.key = ca->key = x509_p256_key();
	ca->cert = s.key ? x509_make(&s) : NULL;
	ca->chain = sk_X509_new_null();
	ca->roots = X509_STORE_new();
	return ca->cert && ca->chain && ca->roots &&
	       X509_STORE_add_cert(ca->roots, ca->cert) == 1;
}

#define WE(name, ns, app, ip) \
	"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n" \
	"metadata:\n  name: " name "\n  namespace: " ns "\n" \
	"  annotations:\n    infermesh.io/node: node-a\n" \
	"spec:\n  address: " ip "\n  serviceAccount: " name "\n" \
	"  labels: {app: " app "}\n"
#define WORKLOADS WE("sa-a", "ns-a", "a", "10.214.1.2") \
		  WE("sa-b", "ns-b", "b", "10.214.2.2")

bool ef_policy(struct efix *f, const char *yaml)
{
	struct intern p = { 0 }, ns = { 0 };
	struct compile_in in = { .node = "node-a", .principals = &p,
				 .namespaces = &ns };
	struct config *c = calloc(1, sizeof(*c));
	char text[16384];
	struct tables t;
	struct model m;
	struct authz_gen *g = NULL;
	struct l7_gen *g7 = NULL;
	bool ok;

	snprintf(text, sizeof(text), "%s%s", WORKLOADS, yaml ? yaml : "");
	if (!c)
		return false;
	config_init(c);
	ok = CHECK_EQ(config_load_buffer(c, "engine.yaml", text,
					 strlen(text)), 0, "policy yaml");
	config_validate(c);
	model_build(&m, c);
	in.m = &m;
	ok = ok && CHECK_EQ(compile_tables(&in, &t), 0, "compiled");
	if (ok) {
		g = authz_gen_new(&t, &p, &ns);
		tables_free(&t);
	}
	ok = ok && CHECK_EQ(g != NULL, 1, "policy generation");
	if (g)
		authz_live_swap(&f->authz, g);
	if (ok)
		g7 = l7_gen_new(&m, "node-a");
	ok = ok && CHECK_EQ(g7 != NULL, 1, "L7 generation");
	if (g7)
		l7_live_swap(&f->l7, g7);
	model_free(&m);
	unit_free(c);
	intern_free(&p);
	intern_free(&ns);
	return ok;
}

static int app_listen(void *unused)
{
	return capfix_listen(htonl(EF_B_IP), htons(EF_APP), NULL);
}

static void peers(struct efix *f)
{
	struct px_peer *a = &f->peers[0], *b = &f->peers[1];

	*a = (struct px_peer){ .ip = htonl(EF_A_IP), .local = true };
	*b = (struct px_peer){ .ip = htonl(EF_B_IP), .local = true };
	snprintf(a->id, sizeof(a->id), "%s", EF_A_ID);
	snprintf(b->id, sizeof(b->id), "%s", EF_B_ID);
	snprintf(a->cgroup, sizeof(a->cgroup), "%s", f->a.cg.path);
	snprintf(b->cgroup, sizeof(b->cgroup), "%s", f->b.cg.path);
}

static bool engine_up(struct efix *f)
{
	struct tls_ctx_opts o = { .resume = true };
	struct px_engine_conf c = { .idents = &f->idents, .authz = &f->authz,
				    .l7 = &f->l7, .workers = 2,
				    .connect_timeout_ms = 3000 };

	if (!CHECK_EQ(ef_ca_make(&f->ca), true, "test CA") ||
	    !CHECK_EQ(tls_idents_init(&f->idents, &f->ca, 3600, &o), 0,
		      "SVID store"))
		return false;
	f->idents_ok = true;
	if (!ef_policy(f, NULL))
		return false;
	c.cap_fd = dp_map_fd(&f->dp, "im_cap");
	peers(f);
	return CHECK_EQ(px_engine_start(&c, &f->e), 0, "engine started") &&
	       CHECK_EQ(px_engine_update(f->e, f->peers, 2), 2,
			"both pods listen");
}

bool ef_up(struct efix *f)
{
	struct dp_opts o = { .capture = true };
	char root[256];
	bool ok;

	memset(f, 0, sizeof(*f));
	f->a.cg.fd = f->b.cg.fd = -1;
	f->a.ns = f->b.ns = f->app_fd = -1;
	f->a.holder_fd = f->b.holder_fd = -1;
	authz_live_init(&f->authz);
	l7_live_init(&f->l7);
	f->here = dp_ns_enter();
	if (f->here < 0)
		return false;
	f->loaded = dp_test_load(&f->dp, &o) == 0;
	ok = f->loaded &&
	     CHECK_EQ(cgroup2_root(root, sizeof(root)), 0, "cgroup2") &&
	     CHECK_EQ(forwarding_on(), 0, "node forwards") &&
	     pod_up(&f->a, root, "im-eng-a", "ea0", "10.214.1.2",
		    "10.214.1.1") &&
	     pod_up(&f->b, root, "im-eng-b", "eb0", "10.214.2.2",
		    "10.214.2.1") &&
	     CHECK_EQ(dp_attach_cgroup(&f->dp, f->a.cg.fd), 0,
		      "capture on A's cgroup");
	if (ok)
		f->app_fd = inpod_call(f->b.ns, app_listen, NULL);
	ok = ok && CHECK_EQ(f->app_fd >= 0, 1, "B's app listens");
	if (ok)
		capfix_tables(&f->dp, &f->a.cg, htonl(EF_VIP), htons(EF_VPORT),
			      htonl(EF_B_IP), htons(EF_APP), htonl(EF_A_IP),
			      IM_MODE_STRICT, true);
	ok = ok && engine_up(f);
	if (!ok)
		ef_down(f);
	return ok;
}

void ef_down(struct efix *f)
{
	px_engine_stop(f->e);
	f->e = NULL;
	if (f->idents_ok)
		tls_idents_free(&f->idents);
	f->idents_ok = false;
	if (f->ca.roots)
		tls_ca_free(&f->ca);
	authz_live_free(&f->authz);
	l7_live_free(&f->l7);
	if (f->app_fd >= 0)
		close(f->app_fd);
	pod_down(&f->a);
	pod_down(&f->b);
	if (f->here >= 0)
		dp_ns_leave(f->here);
	f->here = -1;
	if (f->loaded)
		dp_destroy(&f->dp);
	f->loaded = false;
}

/* The child's half of ef_dial_captured(): the socket goes back over <us>
 * (SCM_RIGHTS), or the errno as one int. */
static void dial_child(struct efix *f, int us)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(EF_VPORT),
				  .sin_addr.s_addr = htonl(EF_VIP) };
	struct timeval tv = { .tv_sec = 5 };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	int err = 0, fd;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (setns(f->a.ns, CLONE_NEWNET) || cgroup_tmp_enter(&f->a.cg, 0))
		_exit(1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		err = errno;
	if (!err) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	_exit(sendmsg(us, &mh, 0) < 0);
}

int ef_dial_captured(struct efix *f)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	int sv[2], err = ETIMEDOUT, fd = -1;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct pollfd pf;
	struct cmsghdr *cm;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (!pid)
		dial_child(f, sv[1]);
	close(sv[1]);
	pf = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	if (pid > 0 && poll(&pf, 1, EF_WAIT_MS) == 1 &&
	    recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC) >= (ssize_t)sizeof(err)) {
		cm = CMSG_FIRSTHDR(&mh);
		if (!err && cm && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	}
	close(sv[0]);
	reap(pid);
	return fd >= 0 ? fd : -(err ? err : EIO);
}

struct plain_dial {
	uint32_t ip;
	uint16_t port;
};

static int dial_here(void *arg)
{
	const struct plain_dial *d = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(d->port),
				  .sin_addr.s_addr = htonl(d->ip) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int ef_dial_in_a(struct efix *f, uint32_t ip, uint16_t port)
{
	struct plain_dial d = { ip, port };

	return inpod_call(f->a.ns, dial_here, &d);
}

int ef_accept_app(struct efix *f, struct sockaddr_in *peer, int ms)
{
	struct pollfd p = { .fd = f->app_fd, .events = POLLIN };
	socklen_t len = sizeof(*peer);

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	return accept4(f->app_fd, (struct sockaddr *)peer, &len, SOCK_CLOEXEC);
}

void ef_counters(struct efix *f, struct px_counters *c)
{
	px_engine_counters(f->e, c);
}

bool ef_wait_count(struct efix *f, size_t offset, uint64_t want)
{
	uint64_t until = ef_now_ms() + EF_WAIT_MS, got = 0;
	struct px_counters c;

	do {
		ef_counters(f, &c);
		memcpy(&got, (const char *)&c + offset, sizeof(got));
		if (got >= want)
			return true;
		nap();
	} while (ef_now_ms() < until);
	return false;
}
