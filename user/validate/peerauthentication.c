// SPDX-License-Identifier: Apache-2.0
/* PeerAuthentication: Istio's ValidatePeerAuthentication plus the CRD's
 * type check on portLevelMtls keys (a map<uint32, ...> in the proto). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* A proto map<uint32> key: decimal digits that fit 32 bits, else -1. */
static int64_t port_key(const char *k)
{
	size_t i, len = strlen(k);
	int64_t v;

	if (!len || len > 10)
		return -1;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)k[i]))
			return -1;
	v = strtoll(k, NULL, 10);
	return v > 0xffffffffLL ? -1 : v;
}

static void port_levels(struct config *c, struct object *o,
			const struct pa_spec *s)
{
	char path[96];
	size_t i;

	for (i = 0; i < s->port_level_mtls.n; i++) {
		const struct port_mtls *pm = &s->port_level_mtls.v[i];
		int64_t port = port_key(pm->key);

		snprintf(path, sizeof(path), "spec.portLevelMtls[%.40s]", pm->key);
		if (port < 0)
			v_error(c, o, pm->at, path,
				"use the workload's container port number as the key",
				"portLevelMtls key \"%s\" is not a port number "
				"(type conversion error from string to uint32)",
				pm->key);
		else if (!v_port_ok(port))
			v_error(c, o, pm->at, path,
				"use a port number from 1 to 65535",
				"port must be in range 1..65535");
	}
}

void validate_pa(struct config *c, struct object *o)
{
	const struct pa_spec *s = obj_pa(o);
	bool no_selector = !s->selector.at || !s->selector.match_labels.n;

	v_metadata(c, o);
	if (no_selector && s->port_level_mtls.n)
		v_error(c, o, s->port_level_mtls.v[0].at, "spec.portLevelMtls",
			"add selector.matchLabels for the workload whose ports "
			"need their own mode, or move portLevelMtls to a "
			"workload-level policy",
			"mesh/namespace peer authentication cannot have port "
			"level mTLS");
	if (s->port_level_mtls.v && !s->port_level_mtls.n)
		v_error(c, o, ynode_get(s->at, "portLevelMtls"),
			"spec.portLevelMtls", "remove the empty portLevelMtls",
			"port level mTLS, if defined, must have at least one "
			"element");
	port_levels(c, o, s);
	v_workload_selector(c, o, &s->selector.match_labels, s->selector.at,
			    "spec.selector");
}
