/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The names sidecar: what the kernel tables number (services, subsets,
 * routes, principals, namespaces, rules, policy sets, cgroups) and what
 * only userspace knows about an endpoint (workload, labels, locality).
 *
 * The agent writes the names of each table generation BEFORE it flips
 * im_cfg.gen to that generation, so a reader that first reads the live
 * generation and then its names always gets the names of the tables it
 * decodes. Where they live:
 *   - pin root on bpffs (the agent): in the pinned map <pin-root>/im_names,
 *     a HASH (BPF_F_NO_PREALLOC) from struct names_chunk_key {gen, chunk}
 *     to struct names_chunk: the JSON text below cut into NAMES_CHUNK byte
 *     pieces, chunk 0 first; the text ends at the first chunk shorter than
 *     NAMES_CHUNK or the first missing one. bpffs holds no plain files, and
 *     a map keeps the names exactly as long as the tables they name.
 *   - any other directory (tests, offline copies): <dir>/names.<gen>.json,
 *     replaced atomically (written beside, then renamed).
 * names_save() and names_load() pick the right one by themselves.
 *
 * Format (version 1), every id a decimal string:
 *   { "version": 1, "gen": 0, "node": "node-a",
 *     "services":   { "<svc_id>": "model-server.ai-inference.svc.cluster.local:8080" },
 *     "routes":     { "<route index within gen>": "ai-inference/model-server tcp[0]" },
 *     "subsets":    { "<subset index within gen>": "outbound|8080|v1|model-server..." },
 *     "principals": { "<id>": "spiffe://cluster.local/ns/NS/sa/SA" },
 *     "namespaces": { "<id>": "ai-inference" },
 *     "rules":      { "<rule_id>": "ai-inference/policy-name rules[0]" },
 *     "polsets":    { "<polset index within gen>": "ai-inference/vector-retriever-a" },
 *     "cgroups":    { "<cgroup id>": "infermesh/ai-inference/api-gateway" },
 *     "endpoints":  { "10.10.1.14": { "workload": "ai-inference/model-server-v1-a",
 *                                      "locality": "us-east-1/us-east-1a",
 *                                      "labels": { "app": "model-server" } } } }
 * Unknown members are ignored, missing ones print as numbers.
 */
#ifndef IM_MAPS_NAMES_H
#define IM_MAPS_NAMES_H

#include <stddef.h>
#include <stdint.h>

enum names_kind {
	NAMES_SERVICE,
	NAMES_ROUTE,
	NAMES_SUBSET,
	NAMES_PRINCIPAL,
	NAMES_NAMESPACE,
	NAMES_RULE,
	NAMES_POLSET,
	NAMES_CGROUP,
	NAMES__COUNT
};

#define NAMES_VERSION 1

/* The pinned names map (userspace only: no BPF program reads it). */
#define NAMES_MAP "im_names"
#define NAMES_CHUNK 4092U
#define NAMES_MAX_CHUNKS 4096U	/* per generation: 16 MiB of JSON */

struct names_chunk_key {
	uint32_t gen;
	uint32_t chunk;
};

struct names_chunk {
	uint32_t len;		/* bytes used in data[] */
	char data[NAMES_CHUNK];
};

struct im_names;

/* An empty set of names for generation <gen> of node <node> (may be NULL). */
struct im_names *names_new(unsigned int gen, const char *node);
void names_free(struct im_names *n);
/* Names id <id> of <kind>. Returns 0 or -ENOMEM. */
int names_set(struct im_names *n, enum names_kind kind, uint64_t id,
	      const char *name);
/* The workload behind endpoint address <ip> (network order); <locality>
 * may be NULL. */
int names_set_endpoint(struct im_names *n, uint32_t ip, const char *workload,
		       const char *locality);
/* Adds label <key>=<value> to the endpoint <ip> (created if needed). */
int names_add_label(struct im_names *n, uint32_t ip, const char *key,
		    const char *value);
/* Saves the names of their generation under <dir>: into <dir>/im_names
 * (created and pinned when missing) when <dir> is on bpffs, else as
 * <dir>/names.<gen>.json. Returns 0 or -errno. */
int names_save(const struct im_names *n, const char *dir);

/* Reads the names of generation <gen> under <dir> (the map, else the
 * file); NULL if absent or unreadable (then <why>, if given, says why:
 * "" when there simply are none). */
struct im_names *names_load(const char *dir, unsigned int gen, char *why,
			    size_t n);
/* Parses the JSON text of a names file (for tests); NULL if invalid. */
struct im_names *names_parse(const char *text);

/* The name of <id>, or NULL. <n> may be NULL. */
const char *names_get(const struct im_names *n, enum names_kind kind,
		      uint64_t id);
/* The endpoint record {workload, locality, labels} of <ip> as a borrowed
 * JSON object, or NULL. The void * keeps jansson out of this header. */
const void *names_endpoint(const struct im_names *n, uint32_t ip);
/* The node the file describes, or NULL. */
const char *names_node(const struct im_names *n);

#endif
