// SPDX-License-Identifier: Apache-2.0
/*
 * The node agent for real, as root (fixture: agent_fix.h): the parent
 * reads the pinned maps back through libbpf while it changes the config,
 * breaks it, removes an endpoint that still has a connection, and kills
 * the agent with SIGKILL and restarts it.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_fix.h"
#include "bpf_test.h"

/* ---- the steps ---- */

/* A pin root as an older agent left it: a map under a name whose format
 * has since changed (im_cidr is gone, im_clause became im_clause_v2). */
static bool plant_retired_pin(const struct afix *f, const char *name)
{
	char path[200];
	int fd, err;

	if (mkdir(f->pins, 0700) && errno != EEXIST)
		return false;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, 4, 4, 1, NULL);
	if (fd < 0)
		return false;
	snprintf(path, sizeof(path), "%s/%s", f->pins, name);
	err = bpf_obj_pin(fd, path);
	close(fd);
	return !err;
}

/* First start: tables in generation 1, identity of the workload cgroup,
 * programs attached through pinned links. */
static bool first_start(struct afix *f)
{
	struct im_ident_key ik = { .gen = 1 };
	struct im_ident id;
	bool ok;

	CHECK_EQ(plant_retired_pin(f, "im_cidr") &&
		 plant_retired_pin(f, "im_clause"), true,
		 "pins of retired maps planted (%s)", strerror(errno));
	af_start_agent(f);
	ok = CHECK_EQ(af_wait_svc(f, 1, VIP1, 7000, WAIT_MS), true,
		      "%s:7000 in generation 1 within %d ms", VIP1, WAIT_MS);
	if (!ok)
		return false;
	CHECK_EQ(af_pinned(f, "im_cidr") || af_pinned(f, "im_clause"), false,
		 "the retired maps' pins are removed");
	CHECK_EQ(af_pinned(f, "im_clause_v2"), true, "im_clause_v2 pinned");
	CHECK_EQ(af_attached(f, NULL), 1, "connect4 programs on the cgroup");
	CHECK_EQ(af_pinned(f, "links/connect4"), true, "connect4 link pinned");
	CHECK_EQ(af_pinned(f, "im_ep_state"), true, "im_ep_state pinned");
	CHECK_EQ(af_pinned(f, "im_ep_slot"), true, "im_ep_slot pinned");
	ik.cgroup = cgroup_id_by_path(f->wl_cg);
	CHECK_EQ(af_lookup(f, "im_ident", &ik, &id), 0, "identity of cgroup wl");
	CHECK_EQ(id.principal != 0 && id.ns != 0, true,
		 "identity has principal and namespace ids");
	return true;
}

/* A new file in the config dir: the other generation goes live with the
 * new service; the old generation keeps what it had. */
static bool config_change(struct afix *f)
{
	bool ok;

	af_write_file(f->dir, "svc2.yaml", af_svc_yaml("echo2", VIP2, 7001));
	ok = CHECK_EQ(af_wait_svc(f, 0, VIP2, 7001, WAIT_MS), true,
		      "%s:7001 live in generation 0 after the change", VIP2);
	CHECK_EQ(af_has_svc(f, 0, VIP1, 7000, NULL), true,
		 "%s:7000 still in the new generation", VIP1);
	CHECK_EQ(af_has_svc(f, 1, VIP2, 7001, NULL), false,
		 "the old generation was not touched");
	return ok;
}

/* More endpoints than a subset holds (IM_SUBSET_EPS + 1). */
static char *too_many_yaml(void)
{
	char *y = malloc((IM_SUBSET_EPS + 1) * 160 + 1), *p = y;
	int i;

	for (i = 0; y && i <= (int)IM_SUBSET_EPS; i++)
		p += sprintf(p, "---\napiVersion: networking.istio.io/v1\n"
			     "kind: WorkloadEntry\nmetadata: {name: e%d, "
			     "namespace: t}\nspec: {address: 10.251.%d.%d, "
			     "labels: {app: echo}}\n", i, i / 250, i % 250 + 1);
	return y;
}

/* Whether the log's last reload has ended: a line after its "changed:
 * reloading" says what happened (a generation went live, or the tables
 * in force stay). */
static bool reload_done(const struct afix *f, int *reloads)
{
	char line[1024];
	bool done = false;
	FILE *l = fopen(f->log, "r");

	*reloads = 0;
	while (l && fgets(line, sizeof(line), l)) {
		if (strstr(line, "changed: reloading")) {
			(*reloads)++;
			done = false;
		} else if (strstr(line, " live: ") || strstr(line, " stay")) {
			done = true;
		}
	}
	if (l)
		fclose(l);
	return done;
}

/* Waits for the end of a reload later than the first <before>. */
static bool wait_reloaded(const struct afix *f, int before, long ms)
{
	uint64_t end = af_now_ms() + ms;
	int now;

	while (af_now_ms() < end) {
		if (reload_done(f, &now) && now > before)
			return true;
		af_sleep_ms(20);
	}
	return false;
}

/* A bad file is rejected as a whole and the live tables stay; when it
 * is gone, the config applies again. */
static void bad_file_kept_out(struct afix *f, const char *what,
			      const char *text, int gen)
{
	char path[160];
	int before;

	reload_done(f, &before);
	af_write_file(f->dir, "bad.yaml", text);
	CHECK_EQ(wait_reloaded(f, before, WAIT_MS), true, "the agent reloaded "
		 "after %s", what);
	CHECK_EQ(af_live_gen(f), gen, "live generation after %s", what);
	CHECK_EQ(af_has_svc(f, gen, VIP2, 7001, NULL), true,
		 "the last good tables stay in force after %s", what);
	snprintf(path, sizeof(path), "%s/bad.yaml", f->dir);
	unlink(path);
	CHECK_EQ(af_wait_svc(f, gen ^ 1, VIP2, 7001, WAIT_MS), true,
		 "the fixed config goes live in generation %d", gen ^ 1);
}

static void bad_config_kept_out(struct afix *f)
{
	char *big = too_many_yaml();

	bad_file_kept_out(f, "a broken file", "kind: [unclosed\n", 0);
	if (big)
		bad_file_kept_out(f, "4,097 endpoints in one subset", big, 1);
	free(big);
}

#define VIP_BIG "10.250.0.9"
#define BIG_EPS 5000

/* A service whose subset would hold BIG_EPS endpoints, and a new DENY
 * policy for the echo workload (with an unknown field: a warning the
 * reload logs), in one change. */
static char *big_and_deny_yaml(void)
{
	char *y = malloc(BIG_EPS * 160 + 1024), *p = y;
	int i;

	if (!y)
		return NULL;
	p += sprintf(p, "apiVersion: v1\nkind: Service\nmetadata: {name: big, "
		     "namespace: t}\nspec:\n  clusterIP: " VIP_BIG "\n"
		     "  selector: {app: big}\n  ports: [{name: tcp, "
		     "port: 7100}]\n---\napiVersion: security.istio.io/v1\n"
		     "kind: AuthorizationPolicy\nmetadata: {name: deny-lab, "
		     "namespace: t}\nspec:\n  selector: {matchLabels: "
		     "{app: echo}}\n  action: DENY\n  colour: red\n"
		     "  rules:\n  - from:\n"
		     "    - source: {ipBlocks: [10.99.0.0/16]}\n");
	for (i = 0; i < BIG_EPS; i++)
		p += sprintf(p, "---\napiVersion: networking.istio.io/v1\n"
			     "kind: WorkloadEntry\nmetadata: {name: big%d, "
			     "namespace: t}\nspec: {address: 10.252.%d.%d, "
			     "labels: {app: big}}\n", i, i / 250, i % 250 + 1);
	return y;
}

/* The policy set of the echo workload's ports in generation <gen>. */
static uint32_t echo_polset(const struct afix *f, int gen)
{
	struct im_wlport_key k = { .gen = (uint8_t)gen };
	struct im_wlport wp = { 0 };

	inet_pton(AF_INET, EP, &k.ip);
	return af_lookup(f, "im_wlport", &k, &wp) ? 0 : wp.polset;
}

/* The endpoints of the first subset <vip>:<port> routes to, or -1. */
static int svc_eps(const struct afix *f, int gen, const char *vip, int port)
{
	struct im_subset sub;
	struct im_route rt;
	struct im_svc svc;
	uint32_t i;

	if (!af_has_svc(f, gen, vip, port, &svc))
		return -1;
	i = gen * IM_MAX_ROUTES + svc.route;
	if (af_lookup(f, "im_route_v2", &i, &rt) || !rt.n_dst)
		return 0;
	i = gen * IM_MAX_SUBSETS + rt.dst[0].subset;
	return af_lookup(f, "im_subset_v2", &i, &sub) ? -1 : sub.n_ep;
}

/* 5,000 endpoints in one subset are rejected on their own (each new
 * WorkloadEntry adding to it, with IM1400 naming the limit) while the
 * DENY policy of the same change goes live; the service's subset holds
 * none of them (refused until it fits). Then the file goes. */
static bool oversize_rejected_alone(struct afix *f)
{
	char *big = big_and_deny_yaml(), path[160];
	bool ok;

	if (!CHECK_EQ(big != NULL, true, "memory"))
		return false;
	CHECK_EQ(echo_polset(f, 0), 0, "no policy on echo before");
	af_write_file(f->dir, "big.yaml", big);
	free(big);
	ok = CHECK_EQ(af_wait_svc(f, 1, VIP_BIG, 7100, WAIT_MS), true,
		      "the change went live in generation 1");
	CHECK_EQ(echo_polset(f, 1) != 0, true, "the new DENY policy is live");
	CHECK_EQ(svc_eps(f, 1, VIP_BIG, 7100), 0,
		 "none of the %d endpoints is live", BIG_EPS);
	CHECK_EQ(svc_eps(f, 1, VIP1, 7000), 1, "the other services stay");
	CHECK_EQ(af_file_has(f->log, "IM1400"), true, "the log has IM1400");
	/* the pass that found them wrote and said nothing: one reload, each
	 * line once */
	CHECK_EQ(af_file_count(f->log, "spec.colour"), 1,
		 "the policy's warning logged once");
	CHECK_EQ(af_file_count(f->log, "5000 object(s) would make"), 1,
		 "the rejection said once");
	CHECK_EQ(af_file_has(f->log, "WorkloadEntry t/big4999"), true,
		 "the log names the objects");
	CHECK_EQ(af_file_has(f->log, "would hold 5000 endpoints, the kernel tables "
			 "hold 4096 per subset"), true,
		 "the log names the entry and the limit");
	snprintf(path, sizeof(path), "%s/big.yaml", f->dir);
	unlink(path);
	return ok && CHECK_EQ(af_wait_svc(f, 0, VIP1, 7000, WAIT_MS) &&
			      !af_has_svc(f, 0, VIP_BIG, 7100, NULL), true,
			      "without the file generation 0 goes live");
}

#define NEW_WL "10.250.3.3"

/* Whether im_local holds <ip>, with its mode in <*mode>. */
static bool local_has(const struct afix *f, const char *ip, __u8 *mode)
{
	struct im_local l = { 0 };
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	if (af_lookup(f, "im_local", &a.s_addr, &l))
		return false;
	*mode = l.mode;
	return true;
}

/* Polls (bounded) until im_local holds <ip> or not, as <want> says. */
static bool wait_local(const struct afix *f, const char *ip, bool want,
		       __u8 *mode)
{
	uint64_t until = af_now_ms() + WAIT_MS;

	while (local_has(f, ip, mode) != want && af_now_ms() < until)
		af_sleep_ms(20);
	return local_has(f, ip, mode) == want;
}

/* A new workload of this node whose WorkloadEntry is rejected is still
 * a mesh workload for the guards, with its namespace's mode; once gone
 * from the config, it is gone from im_local. */
static void rejected_workload_guarded(struct afix *f)
{
	char path[160];
	__u8 mode = 0xff;

	af_write_file(f->dir, "pending.yaml",
		      "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
		   "metadata: {name: default, namespace: t}\n"
		   "spec: {mtls: {mode: STRICT}}\n---\n"
		   "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
		   "metadata:\n  name: pending\n  namespace: t\n"
		   "  annotations: {infermesh.io/node: n1}\n"
		   "spec: {address: " NEW_WL ", ports: {http: 99999}}\n");
	CHECK_EQ(wait_local(f, NEW_WL, true, &mode), true,
		 "rejected local WorkloadEntry %s in im_local", NEW_WL);
	CHECK_EQ(mode, IM_MODE_STRICT, "with its namespace's mode, STRICT");
	snprintf(path, sizeof(path), "%s/pending.yaml", f->dir);
	unlink(path);
	CHECK_EQ(wait_local(f, NEW_WL, false, &mode), true,
		 "%s gone from im_local with its file", NEW_WL);
}

/* The state slot the live tables give the endpoint of <vip>:<port>
 * (its first host), or -1. */
static int64_t live_slot(const struct afix *f, const char *vip, int port)
{
	int gen = af_live_gen(f);
	struct im_subset sub;
	struct im_route rt;
	struct im_svc svc;
	struct im_ep ep;
	uint32_t i;

	if (gen < 0 || !af_has_svc(f, gen, vip, port, &svc))
		return -1;
	i = gen * IM_MAX_ROUTES + svc.route;
	if (af_lookup(f, "im_route_v2", &i, &rt) || !rt.n_dst)
		return -1;
	i = gen * IM_MAX_SUBSETS + rt.dst[0].subset;
	if (af_lookup(f, "im_subset_v2", &i, &sub) || !sub.n_ep)
		return -1;
	i = gen * IM_MAX_ENDPOINTS + sub.first_ep;
	return af_lookup(f, "im_ep_v3", &i, &ep) ? -1 : (int64_t)ep.slot;
}


/* The allocation entries (im_ep_slot) of slot <slot>. */
static int slot_owners(const struct afix *f, uint32_t slot,
		       struct im_ep_key *key)
{
	struct im_ep_key k, next;
	int fd = af_map_fd(f, "im_ep_slot"), n = 0;
	void *prev = NULL;
	uint32_t v;

	if (fd < 0)
		return -1;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (!bpf_map_lookup_elem(fd, &k, &v) && v == slot) {
			n++;
			if (key)
				*key = k;
		}
	}
	close(fd);
	return n;
}

/* Waits up to <ms> until slot <slot> has no allocation entry. */
static bool wait_slot_free(const struct afix *f, uint32_t slot, long ms)
{
	uint64_t end = af_now_ms() + ms;

	while (af_now_ms() < end) {
		if (slot_owners(f, slot, NULL) == 0)
			return true;
		af_sleep_ms(50);
	}
	return false;
}

/* A removed endpoint keeps its slot while a connection counts on it; once
 * none does, the agent's timer frees the slot (state reset, epoch bumped)
 * and the next new host gets it, here the same address and port as echo's
 * host but in another cluster, so it must not share echo's slot. */
static bool removed_slot_freed(struct afix *f)
{
	int64_t s2 = live_slot(f, VIP2, 7001), s1 = live_slot(f, VIP1, 7000);
	struct im_ep_state st = { .active = 1, .ejections = 3, .epoch = 4 };
	uint32_t slot = (uint32_t)s2;
	char path[160];

	if (!CHECK_EQ(s2 >= 0 && s1 >= 0 && s1 != s2, true,
		      "echo and echo2 hosts have slots (%lld, %lld)",
		      (long long)s1, (long long)s2))
		return false;
	CHECK_EQ(af_put(f, "im_ep_state", &slot, &st), 0, "one open connection");
	snprintf(path, sizeof(path), "%s/svc2.yaml", f->dir);
	unlink(path);
	CHECK_EQ(af_wait_no_svc(f, VIP2, 7001, WAIT_MS), true,
		 "echo2 is gone from the live tables");
	CHECK_EQ(slot_owners(f, slot, NULL), 1, "its slot is kept while a "
		 "connection counts on it");
	st.active = 0;
	af_put(f, "im_ep_state", &slot, &st);
	CHECK_EQ(wait_slot_free(f, slot, 5000), true, "slot %u freed within "
		 "5 s of its last connection closing", slot);
	af_lookup(f, "im_ep_state", &slot, &st);
	CHECK_EQ(st.epoch == 5 && !st.ejections, true,
		 "freed slot reset (epoch %u, ejections %u)", st.epoch,
		 st.ejections);
	af_write_file(f->dir, "svc2.yaml", af_svc_yaml("echo3", VIP2, 7000));
	if (!CHECK_EQ(af_wait_svc(f, 0, VIP2, 7000, WAIT_MS), true,
		      "echo3 %s:7000 live in generation 0", VIP2))
		return false;
	CHECK_EQ(live_slot(f, VIP2, 7000), s2, "the freed slot is reused");
	CHECK_EQ(live_slot(f, VIP1, 7000), s1, "echo's host keeps its slot");
	return true;
}

/* While no agent runs, echo's host is moved to slot 4242 (a fresh
 * allocator would never pick it) with state the kernel would have
 * written: the restarted agent must keep both, except the 5 active
 * connections, which no socket holds: its recount removes them. */
#define MOVED_SLOT 4242U

static void plant_state(const struct afix *f)
{
	struct im_ep_state st = { .active = 5, .ejections = 2 };
	int64_t s = live_slot(f, VIP1, 7000);
	uint32_t slot = MOVED_SLOT;
	struct im_ep_key k;

	if (!CHECK_EQ(s >= 0 && slot_owners(f, (uint32_t)s, &k) == 1, true,
		      "echo's host has one slot"))
		return;
	CHECK_EQ(af_put(f, "im_ep_slot", &k, &slot), 0, "moving its slot");
	CHECK_EQ(af_put(f, "im_ep_state", &slot, &st), 0, "planting its state");
}

static void state_survived(const struct afix *f)
{
	struct im_ep_state st = { 0 };
	uint32_t slot = MOVED_SLOT;

	CHECK_EQ(live_slot(f, VIP1, 7000), MOVED_SLOT,
		 "the restarted agent adopted the slot allocation");
	CHECK_EQ(af_lookup(f, "im_ep_state", &slot, &st), 0, "endpoint state "
		 "after restart");
	CHECK_EQ(st.active, 0, "the 5 counted connections no socket holds "
		 "were recounted away");
	CHECK_EQ(st.ejections, 2, "ejection count adopted");
}

/* SIGKILL: programs stay attached with the last tables; a new agent
 * swaps its programs into the pinned links and adopts the maps. */
static bool kill_and_restart(struct afix *f)
{
	__u32 before = 0, after = 0;

	af_stop_agent(f, SIGKILL);
	plant_state(f);
	CHECK_EQ(af_attached(f, &before), 1, "connect4 still attached after "
		 "SIGKILL");
	CHECK_EQ(af_live_gen(f), 0, "tables still live after SIGKILL");
	af_start_agent(f);
	if (!CHECK_EQ(af_wait_svc(f, 1, VIP2, 7000, WAIT_MS), true,
		      "restarted agent switched to generation 1"))
		return false;
	CHECK_EQ(af_attached(f, &after), 1, "one connect4 program, not two");
	CHECK_EQ(after != before, true, "the new program replaced the old "
		 "(ids %u -> %u)", before, after);
	state_survived(f);
	return true;
}

static void agent_reloads(void)
{
	struct afix f;
	bool ok;

	NEED_ROOT();
	ok = CHECK_EQ(af_setup(&f), true, "test setup (%s)", strerror(errno));
	ok = ok && first_start(&f);
	ok = ok && config_change(&f);
	if (ok)
		bad_config_kept_out(&f);
	ok = ok && oversize_rejected_alone(&f);
	if (ok)
		rejected_workload_guarded(&f);
	ok = ok && removed_slot_freed(&f);
	if (ok)
		kill_and_restart(&f);
	if (CU_get_number_of_failures())
		af_dump_file(f.log);
	af_teardown(&f);
}

UNIT_SUITE(agent_run)
{
	UNIT_TEST(s, agent_reloads);
}
