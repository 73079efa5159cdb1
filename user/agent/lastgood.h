/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-object last good versions, as Istio's admission webhook gives them:
 * a rejected update leaves the object's previous version in force while
 * every other change applies. An object is known by its API group, kind,
 * namespace and name (any version). The versions in force are kept as
 * YAML under the agent's state dir, so a restarted agent still has them.
 */
#ifndef IM_AGENT_LASTGOOD_H
#define IM_AGENT_LASTGOOD_H

#include <stdbool.h>
#include <stddef.h>

#include "../config/object.h"

/* Bounds of the store: entries read back, bytes of one object's YAML. */
#define LG_MAX_ENTRIES	65536
#define LG_MAX_TEXT	(4u << 20)

struct lg_entry {
	char *key;		/* group \x1f kind \x1f namespace \x1f name */
	char *group, *kind, *ns, *name;
	char *file;		/* the config file it was read from */
	char *when;		/* when this version was first accepted */
	char *text;		/* the object as YAML */
	size_t len;
	bool restored;		/* not in this reload's set: add it back */
};

struct lg_set {
	struct lg_entry *v;
	size_t n, cap;
};

enum lg_verdict {
	LG_APPLIED,	/* valid: this version goes in */
	LG_KEPT,	/* rejected: the last good version stays */
	LG_NOT_APPLIED,	/* rejected, no last good version: absent */
	LG_DELETED,	/* no file has it any more */
	LG_FILE_KEPT,	/* its file cannot be read: the last good stays */
};

struct lg_event {
	enum lg_verdict v;
	const struct object *o;		/* the new object, if any */
	const struct lg_entry *prev;	/* its last good version, if any */
	const struct finding *why;	/* first error (rejections) */
	size_t n_errs;			/* errors about the new object */
	bool other_applies;		/* a valid copy of it goes in */
};

struct lg_merge {
	struct lg_set next;		/* in force after this reload */
	struct lg_event *ev;
	size_t n_ev, cap_ev;
	struct object **drop;		/* objects of unusable files */
	size_t n_drop, cap_drop;
	const char **bad_files;		/* files that could not be read */
	size_t n_bad, cap_bad;
	/* an error in the MeshConfig: it is mesh-wide, not one object, so
	 * the whole new set is rejected */
	bool whole;
};

struct lg_opts {
	const char *mesh_file;	/* --mesh-config, or NULL */
	const char *now;	/* stamp for versions accepted now */
};

/*
 * Pure: from the loaded and validated <c> and the versions in force
 * <prev>, decides what goes in (<out>->next) and why (<out>->ev, sorted by
 * object). Does not change <c> or <prev>. 0 or -ENOMEM.
 */
int lg_merge(const struct config *c, const struct lg_set *prev,
	     const struct lg_opts *o, struct lg_merge *out);
/*
 * Makes <c> the merged set: objects of unusable files out, the restored
 * last good versions loaded and validated into <c>. Returns how many
 * restored versions no longer validate (they stay out).
 */
size_t lg_apply(struct config *c, struct lg_merge *m);
void lg_merge_free(struct lg_merge *m);

/* One line for <e>, as the agent logs it, into <buf>. */
const char *lg_event_text(const struct lg_event *e, char *buf, size_t n);

/* The object's YAML (from its parsed tree), malloc'd; NULL on error. */
char *lg_yaml(const struct ynode *doc, size_t *len);

/* The store: one file per object under <dir>. */
int lg_store_read(const char *dir, struct lg_set *s);
/* Writes what changed, removes entries not in <s>. 0 or a negative errno. */
int lg_store_write(const char *dir, const struct lg_set *s,
		   const struct lg_set *prev);

int lg_set_add(struct lg_set *s, const char *group, const char *kind,
	       const char *ns, const char *name, const char *file,
	       const char *when, const char *text, size_t len);
/* Sorts by key (lg_find needs it). */
void lg_set_sort(struct lg_set *s);
const struct lg_entry *lg_find(const struct lg_set *s, const char *key);
void lg_set_free(struct lg_set *s);

#endif
