// SPDX-License-Identifier: Apache-2.0
/*
 * An accepted object written back as YAML from its parsed tree, so that
 * its last good version can be loaded again later (after a restart too).
 * Aliases come out expanded; a scalar written plain is emitted plain, so
 * 80, true and null still resolve as they did, and every other scalar is
 * double-quoted (any text survives that).
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "../yaml/ydoc.h"
#include "lastgood.h"

struct obuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static int out(void *data, unsigned char *buf, size_t len)
{
	struct obuf *b = data;

	if (b->n + len + 1 > b->cap) {
		size_t cap = (b->n + len + 1) * 2;
		char *p = cap <= LG_MAX_TEXT * 2 ? realloc(b->p, cap) : NULL;

		if (!p) {
			b->oom = true;
			return 0;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, buf, len);
	b->n += len;
	b->p[b->n] = 0;
	return 1;
}

static int scalar(yaml_emitter_t *em, const struct ynode *n)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL,
				     (yaml_char_t *)(n->str ? n->str : ""),
				     (int)n->len, n->plain, !n->plain,
				     n->plain ? YAML_PLAIN_SCALAR_STYLE :
				     YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	return yaml_emitter_emit(em, &ev);
}

/* Depth is bounded by the parser's YDOC_MAX_DEPTH. */
static int node(yaml_emitter_t *em, const struct ynode *n)
{
	yaml_event_t ev;
	size_t i;
	int ok = 1;

	if (n->type == Y_SCALAR)
		return scalar(em, n);
	if (n->type == Y_SEQ) {
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     YAML_BLOCK_SEQUENCE_STYLE);
		ok = yaml_emitter_emit(em, &ev);
		for (i = 0; ok && i < n->n; i++)
			ok = node(em, n->items[i]);
		yaml_sequence_end_event_initialize(&ev);
		return ok && yaml_emitter_emit(em, &ev);
	}
	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
					    YAML_BLOCK_MAPPING_STYLE);
	ok = yaml_emitter_emit(em, &ev);
	for (i = 0; ok && i < n->n; i++)
		ok = node(em, n->pairs[i].key) && node(em, n->pairs[i].val);
	yaml_mapping_end_event_initialize(&ev);
	return ok && yaml_emitter_emit(em, &ev);
}

static int emit(yaml_emitter_t *em, const struct ynode *doc)
{
	yaml_event_t ev;
	int ok;

	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = ok && yaml_emitter_emit(em, &ev);
	ok = ok && node(em, doc);
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && yaml_emitter_emit(em, &ev);
	yaml_stream_end_event_initialize(&ev);
	return ok && yaml_emitter_emit(em, &ev);
}

char *lg_yaml(const struct ynode *doc, size_t *len)
{
	struct obuf b = { 0 };
	yaml_emitter_t em;
	int ok;

	if (!yaml_emitter_initialize(&em))
		return NULL;
	yaml_emitter_set_output(&em, out, &b);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	ok = emit(&em, doc) && yaml_emitter_flush(&em);
	yaml_emitter_delete(&em);
	if (!ok || b.oom || !b.p || b.n > LG_MAX_TEXT) {
		free(b.p);
		return NULL;
	}
	*len = b.n;
	return b.p;
}
