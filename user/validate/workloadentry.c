// SPDX-License-Identifier: Apache-2.0
/* WorkloadEntry, and the same checks on ServiceEntry endpoints: Istio's
 * validateWorkloadEntry. */
#include <stdio.h>
#include <string.h>

#include "common.h"

#define UNIX_PREFIX "unix://"

static bool se_has_port(const struct se_spec *se, const char *name)
{
	size_t i;

	for (i = 0; i < se->ports.n; i++)
		if (se->ports.v[i].name && !strcmp(se->ports.v[i].name, name))
			return true;
	return false;
}

/* ValidateUnixAddress: "@abstract" or an absolute path to a file */
static void unix_address(struct config *c, const struct object *o,
			 const struct we_spec *we, const char *path,
			 const char *ports_path)
{
	const char *a = we->address + strlen(UNIX_PREFIX);
	const struct ynode *at = ynode_get(we->at, "address");
	size_t len = strlen(a);

	if (!len)
		v_error(c, o, at, path, "write unix:///path/to/socket or unix://@name",
			"unix address must not be empty");
	else if (a[0] != '@' && (a[0] != '/' || a[len - 1] == '/'))
		v_error(c, o, at, path,
			"write an absolute socket file path (unix:///var/run/app.sock) "
			"or an abstract socket (unix://@name)",
			"%s is not an absolute path to a file", a);
	if (we->ports.n)
		v_error(c, o, ynode_get(we->at, "ports"), ports_path,
			"remove ports; a Unix socket has none",
			"unix endpoint %s must not include ports", we->address);
}

static void address(struct config *c, const struct object *o,
		    const struct we_spec *we, const char *path,
		    const char *ports_path, bool allow_fqdn)
{
	const struct ynode *at = ynode_get(we->at, "address");
	char why[300];

	if (!strncmp(we->address, UNIX_PREFIX, strlen(UNIX_PREFIX))) {
		unix_address(c, o, we, path, ports_path);
		return;
	}
	if (!*we->address || v_ip(we->address))
		return;
	if (!allow_fqdn)
		v_error(c, o, at, path,
			"STATIC resolution needs IP addresses; use resolution: DNS "
			"for host names",
			"endpoint address \"%s\" is not a valid IP address",
			we->address);
	else if (v_fqdn(we->address, why, sizeof(why)))
		v_error(c, o, at, path, "write an IP address or a DNS name",
			"endpoint address \"%s\" is not a valid FQDN or an IP address",
			we->address);
}

static void ports(struct config *c, const struct object *o,
		  const struct we_spec *we, const char *path,
		  const struct se_spec *se)
{
	size_t i;

	for (i = 0; i < we->ports.n; i++) {
		const struct port_number *p = &we->ports.v[i];

		if (se && !se_has_port(se, p->key))
			v_error(c, o, p->at, path,
				"use the name of one of the ServiceEntry's ports",
				"endpoint port %lld is not defined by the service entry",
				(long long)p->number.v);
		if (!v_dns1123_label(p->key, strlen(p->key)))
			v_error(c, o, p->at, path,
				"name ports with letters, digits and '-' (at most 63)",
				"invalid port name: %s", p->key);
		if (!v_port_ok(p->number.v))
			v_error(c, o, p->at, path, "use a port from 1 to 65535",
				"port number %lld must be in the range 1..65535",
				(long long)p->number.v);
	}
}

/* weight is a uint32 in Istio's API: the CRD schema bounds it (the kernel
 * sums weights in 64 bits, so any uint32 is safe there). */
static void weight(struct config *c, const struct object *o,
		   const struct we_spec *we, const char *path)
{
	char sub[160];

	if (!we->weight.set || we->weight.v <= 4294967295LL)
		return;
	snprintf(sub, sizeof(sub), "%s.weight", path);
	v_error(c, o, ynode_get(we->at, "weight"), sub,
		"use a weight from 0 to 4294967295; weights are relative",
		"%s in body should be less than or equal to 4294967295", sub);
}

void v_workload_entry(struct config *c, const struct object *o,
		      const struct we_spec *we, const char *path,
		      const struct se_spec *se, bool allow_fqdn)
{
	char sub[160], psub[160];
	const char *addr = we->address ? we->address : "";
	bool uds = !strncmp(addr, UNIX_PREFIX, strlen(UNIX_PREFIX));

	if (!*addr) {
		if (!we->network || !*we->network) {
			v_error(c, o, we->at, path,
				"set address to the workload's IP or host name",
				"address is required");
			return;
		}
		v_warn(c, o, we->at, path,
		       "set address unless the workload is reached only through "
		       "its network's gateway",
		       "address is unset with network \"%s\"", we->network);
	} else {
		struct we_spec w = *we;

		w.address = addr;
		snprintf(sub, sizeof(sub), "%s.address", path);
		snprintf(psub, sizeof(psub), "%s.ports", path);
		address(c, o, &w, sub, psub, allow_fqdn);
	}
	snprintf(sub, sizeof(sub), "%s.ports", path);
	ports(c, o, we, sub, se);
	weight(c, o, we, path);
	snprintf(sub, sizeof(sub), "%s.labels", path);
	v_label_map(c, o, &we->labels, sub);
	if (uds && se && se->ports.n != 1)
		v_error(c, o, we->at, path,
			"give the ServiceEntry exactly one port",
			"exactly 1 service port required for unix endpoints");
}

void validate_we(struct config *c, struct object *o)
{
	const struct we_spec *we = obj_we(o);

	v_metadata(c, o);
	v_we_cgroup(c, o);
	if (!v_require_spec(c, o, we->at))
		return;
	v_workload_entry(c, o, we, "spec", NULL, true);
}
