// SPDX-License-Identifier: Apache-2.0
#include "ydoc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* A node under construction: children collect in a growable array. */
struct frame {
	struct ynode *node;
	struct ynode **kids;
	size_t n, cap;
	uint64_t weight; /* nodes this subtree expands to, aliases included */
	const char *anchor;
};

struct anchor {
	const char *name;
	struct ynode *node;
	uint64_t weight;
};

struct builder {
	struct arena *a;
	struct diag *d;
	const char *file;
	unsigned line_base;
	struct frame *st;
	size_t depth, cap;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	size_t *slots; /* open addressing by name: anchor index + 1, 0 empty */
	size_t n_slots;
	struct ynode *root;
	uint64_t root_weight;
	bool failed;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q)
		abort();
	return q;
}

static struct ynode *node_new(struct builder *b, enum ytype t, yaml_mark_t m)
{
	struct ynode *n = arena_alloc(b->a, sizeof(*n));

	n->type = t;
	n->file = b->file;
	n->line = (unsigned)m.line + 1 + b->line_base;
	n->col = (unsigned)m.column + 1;
	return n;
}

static void fail_at(struct builder *b, const char *code, unsigned line,
		    unsigned col, const char *fmt, const char *arg)
{
	struct finding *f = diag_add(b->d, code, SEV_ERROR, NULL, NULL, NULL,
				     NULL, fmt, arg);

	f->file = b->file;
	f->line = line + b->line_base;
	f->col = col;
	b->failed = true;
}

static size_t name_hash(const char *s)
{
	size_t h = 14695981039346656037ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* The slot of <name>: where it is, or the empty one where it would go. */
static size_t *anchor_slot(struct builder *b, const char *name)
{
	size_t i = name_hash(name) & (b->n_slots - 1);

	while (b->slots[i] && strcmp(b->anchors[b->slots[i] - 1].name, name))
		i = (i + 1) & (b->n_slots - 1);
	return &b->slots[i];
}

/* Anchors are looked up by hash: a linear search per alias made 200,000
 * anchors and as many aliases (a 4 MB file) run for minutes. A name defined
 * again points at its latest definition, as YAML wants. */
static void index_anchors(struct builder *b)
{
	size_t i;

	if (b->n_anchors * 2 > b->n_slots) {
		b->n_slots = b->n_slots ? b->n_slots * 4 : 64;
		free(b->slots);
		b->slots = calloc(b->n_slots, sizeof(*b->slots));
		if (!b->slots)
			abort();
		for (i = 0; i + 1 < b->n_anchors; i++)
			*anchor_slot(b, b->anchors[i].name) = i + 1;
	}
	*anchor_slot(b, b->anchors[b->n_anchors - 1].name) = b->n_anchors;
}

static void remember_anchor(struct builder *b, const char *name,
			    struct ynode *n, uint64_t w)
{
	if (!name)
		return;
	if (b->n_anchors == b->cap_anchors) {
		b->cap_anchors = b->cap_anchors ? b->cap_anchors * 2 : 16;
		b->anchors = xrealloc(b->anchors,
				      b->cap_anchors * sizeof(*b->anchors));
	}
	b->anchors[b->n_anchors++] = (struct anchor){ name, n, w };
	index_anchors(b);
}

/* Adds a finished child to the innermost open collection (or as root). */
static void attach(struct builder *b, struct ynode *n, uint64_t w)
{
	struct frame *f;

	if (!b->depth) {
		b->root = n;
		b->root_weight = w;
		return;
	}
	f = &b->st[b->depth - 1];
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->kids = xrealloc(f->kids, f->cap * sizeof(*f->kids));
	}
	f->kids[f->n++] = n;
	f->weight += w;
	if (f->weight > YDOC_MAX_EXPANSION && !b->failed)
		fail_at(b, "IM0004", n->line - b->line_base, n->col,
			"document has more than %s nodes, counting each alias "
			"as a copy of its anchor (an alias bomb?); refusing it",
			"1,000,000");
}

static void open_collection(struct builder *b, enum ytype t, yaml_mark_t m,
			    const yaml_char_t *anchor)
{
	struct frame *f;

	if (b->depth >= YDOC_MAX_DEPTH) {
		fail_at(b, "IM0003", (unsigned)m.line + 1, (unsigned)m.column + 1,
			"nesting is deeper than %s levels; no Istio object is "
			"that deep", "256");
		return;
	}
	if (b->depth == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->st = xrealloc(b->st, b->cap * sizeof(*b->st));
	}
	f = &b->st[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node_new(b, t, m);
	f->weight = 1;
	f->anchor = anchor ? arena_strdup(b->a, (const char *)anchor) : NULL;
}

static bool same_key(const struct ynode *a, const struct ynode *b)
{
	return a->type == Y_SCALAR && b->type == Y_SCALAR && a->len == b->len &&
	       !memcmp(a->str, b->str, a->len);
}

/* Orders pairs by key text, then by position, so equal keys end up side by
 * side with the first-written one first. */
static int pair_cmp(const void *x, const void *y)
{
	const struct ypair *p = *(const struct ypair *const *)x;
	const struct ypair *q = *(const struct ypair *const *)y;
	int r;

	if (p->key->len != q->key->len)
		return p->key->len < q->key->len ? -1 : 1;
	r = memcmp(p->key->str, q->key->str, p->key->len);
	if (r)
		return r;
	return p < q ? -1 : p > q;
}

/* Sorting, not comparing every pair: a file of maps with thousands of keys
 * each took minutes with the quadratic check it replaces. */
static void check_duplicates(struct builder *b, struct ynode *m)
{
	struct ypair **v = xrealloc(NULL, (m->n ? m->n : 1) * sizeof(*v));
	size_t i, n = 0, shown = 0;

	for (i = 0; i < m->n; i++)
		if (m->pairs[i].key->type == Y_SCALAR)
			v[n++] = &m->pairs[i];
	qsort(v, n, sizeof(*v), pair_cmp);
	/* the first 100 are enough to act on; the parse stops anyway */
	for (i = 1; i < n && shown < 100; i++) {
		const struct ynode *k = v[i]->key;

		if (same_key(v[i - 1]->key, k) && ++shown)
			fail_at(b, "IM0006", k->line - b->line_base, k->col,
				"duplicate key \"%s\"; the second value "
				"would silently replace the first", k->str);
	}
	free(v);
}

/* Finishes a map: pairs up children, refusing non-scalar and duplicate keys
 * (Kubernetes refuses both, and a duplicate would silently drop a value). */
static void close_map(struct builder *b, struct frame *f)
{
	struct ynode *m = f->node;
	size_t i;

	m->n = f->n / 2;
	m->pairs = arena_alloc(b->a, (m->n ? m->n : 1) * sizeof(*m->pairs));
	for (i = 0; i < m->n; i++) {
		struct ynode *k = f->kids[2 * i];

		m->pairs[i].key = k;
		m->pairs[i].val = f->kids[2 * i + 1];
		if (k->type != Y_SCALAR)
			fail_at(b, "IM0005", k->line - b->line_base, k->col,
				"mapping key is a %s; keys must be strings",
				ynode_type_name(k));
	}
	check_duplicates(b, m);
}

static void close_collection(struct builder *b)
{
	struct frame *f = &b->st[--b->depth];
	struct ynode *n = f->node;

	if (n->type == Y_MAP) {
		close_map(b, f);
	} else {
		n->n = f->n;
		n->items = arena_alloc(b->a, (f->n ? f->n : 1) * sizeof(*n->items));
		if (f->n)
			memcpy(n->items, f->kids, f->n * sizeof(*n->items));
	}
	free(f->kids);
	remember_anchor(b, f->anchor, n, f->weight);
	attach(b, n, f->weight);
}

static void on_scalar(struct builder *b, yaml_event_t *ev)
{
	struct ynode *n = node_new(b, Y_SCALAR, ev->start_mark);
	const char *anchor = (const char *)ev->data.scalar.anchor;

	n->len = ev->data.scalar.length;
	n->str = arena_strndup(b->a, (const char *)ev->data.scalar.value, n->len);
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		   !ev->data.scalar.tag;
	if (n->len != strlen(n->str))
		fail_at(b, "IM0007", n->line - b->line_base, n->col,
			"scalar holds a NUL character%s", "");
	remember_anchor(b, anchor ? arena_strdup(b->a, anchor) : NULL, n, 1);
	attach(b, n, 1);
}

static void on_alias(struct builder *b, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	size_t i;

	if (b->n_slots && (i = *anchor_slot(b, name)) > 0) {
		/* Shared, not copied: an alias costs one pointer, and its
		 * weight is checked against the limit. */
		attach(b, b->anchors[i - 1].node, b->anchors[i - 1].weight);
		return;
	}
	fail_at(b, "IM0008", (unsigned)ev->start_mark.line + 1,
		(unsigned)ev->start_mark.column + 1,
		"alias *%s names no anchor defined before it", name);
}

static void doc_reset(struct builder *b)
{
	while (b->depth)
		free(b->st[--b->depth].kids);
	b->root = NULL;
	b->root_weight = 0;
	/* a fresh table per document: clearing a big one for each of many
	 * small documents would be quadratic again */
	if (b->n_anchors) {
		free(b->slots);
		b->slots = NULL;
		b->n_slots = 0;
	}
	b->n_anchors = 0;
}

static void push_doc(struct builder *b, struct ydocs *out)
{
	if (!b->root || b->failed)
		return;
	/* An empty document ("---" then nothing) is a null scalar: skip it. */
	if (b->root->type == Y_SCALAR && ynode_is_null(b->root))
		return;
	/* the capacity is implicit, the next power of two: growing by one
	 * each time made a file of many small documents quadratic */
	if (!(out->n & (out->n - 1)))
		out->docs = xrealloc(out->docs, (out->n ? 2 * out->n : 1) *
						       sizeof(*out->docs));
	out->docs[out->n++] = b->root;
}

/* Line and column of byte <off>: libyaml reports reader errors (bytes that
 * are not UTF-8, control characters such as NUL) as a byte offset only, and
 * leaves problem_mark at 1:1. */
static void offset_position(const char *buf, size_t len, size_t off,
			    unsigned *line, unsigned *col)
{
	size_t i;

	*line = *col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			++*line;
			*col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			++*col; /* count characters, not continuation bytes */
		}
	}
}

static void parser_error(struct builder *b, yaml_parser_t *p, const char *buf,
			 size_t len)
{
	yaml_mark_t m = p->problem_mark;
	const char *problem = p->problem ? p->problem : "error";
	unsigned line, col;
	char *msg;

	if (p->error == YAML_MEMORY_ERROR) {
		fail_at(b, "IM0001", 1, 1, "%s", "out of memory while parsing");
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		size_t off = p->problem_offset < len ? p->problem_offset : len;

		/* libyaml points at the byte that could not continue a
		 * sequence; the user wants the character that it cut short */
		if (!strcmp(problem, "invalid trailing UTF-8 octet")) {
			while (off > 0 && ((unsigned char)buf[off - 1] & 0xc0) == 0x80)
				off--;
			off -= off > 0;
		}
		offset_position(buf, len, off, &line, &col);
		msg = arena_printf(b->a, "%s (byte 0x%02X at offset %zu)", problem,
				   off < len ? (unsigned char)buf[off] : 0u, off);
		fail_at(b, "IM0011", line, col,
			"file is not UTF-8 YAML text: %s", msg);
		return;
	}
	if (p->context)
		msg = arena_printf(b->a, "%s %s (line %zu)", problem,
				   p->context, p->context_mark.line + 1);
	else
		msg = arena_strdup(b->a, problem);
	fail_at(b, "IM0002", (unsigned)m.line + 1, (unsigned)m.column + 1,
		"YAML syntax error: %s", msg);
}

/* libyaml's mark.index counts characters; the buffer is bytes. Returns the
 * byte offset of character <idx> of UTF-8 text, or (size_t)-1 for text
 * that is not UTF-8 (a UTF-16 BOM), where offsets cannot be mapped. */
static size_t char_offset(const char *buf, size_t len, size_t idx)
{
	size_t i = 0;

	if (len >= 2 && (((unsigned char)buf[0] == 0xff && (unsigned char)buf[1] == 0xfe) ||
			 ((unsigned char)buf[0] == 0xfe && (unsigned char)buf[1] == 0xff)))
		return (size_t)-1;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		i = 3; /* libyaml skips a UTF-8 BOM without counting it */
	for (; i < len; i++) {
		if (((unsigned char)buf[i] & 0xc0) == 0x80)
			continue;
		if (!idx--)
			return i;
	}
	return idx ? (size_t)-1 : len;
}

/* libyaml refuses a ':' followed by a flow indicator inside a plain scalar
 * in flow context, so IPv6 addresses in flow lists ([001:db8::]) fail, while
 * Kubernetes' YAML reader takes them as strings. When that is the error,
 * quote the scalar and parse again. Returns the new buffer, or NULL. */
static char *quote_flow_colon(yaml_parser_t *p, const char *buf, size_t len)
{
	size_t s, e, i;
	char *nb;

	if (!p->problem || strcmp(p->problem, "found unexpected ':'") ||
	    !p->context || strcmp(p->context, "while scanning a plain scalar"))
		return NULL;
	/* marks count characters: a multi-byte character earlier in the
	 * file used to put the quotes in the wrong place */
	s = char_offset(buf, len, p->context_mark.index);
	e = char_offset(buf, len, p->problem_mark.index);
	if (s == (size_t)-1 || e == (size_t)-1 || s >= ++e || e > len)
		return NULL;
	for (i = s; i < e; i++)
		if (buf[i] == '"' || buf[i] == '\\' || buf[i] == '\n')
			return NULL;
	nb = malloc(len + 3);
	if (!nb)
		abort();
	memcpy(nb, buf, s);
	nb[s] = '"';
	memcpy(nb + s + 1, buf + s, e - s);
	nb[e + 1] = '"';
	memcpy(nb + e + 2, buf + e, len - e);
	nb[len + 2] = '\0';
	return nb;
}

static int parse_once(struct builder *b, const char *buf, size_t len,
		      struct ydocs *out, char **retry)
{
	yaml_parser_t p;
	yaml_event_t ev;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		abort();
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && !b->failed) {
		if (!yaml_parser_parse(&p, &ev)) {
			if (retry)
				*retry = quote_flow_colon(&p, buf, len);
			if (!retry || !*retry)
				parser_error(b, &p, buf, len);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			doc_reset(b);
			break;
		case YAML_DOCUMENT_END_EVENT:
			push_doc(b, out);
			break;
		case YAML_MAPPING_START_EVENT:
			open_collection(b, Y_MAP, ev.start_mark,
					ev.data.mapping_start.anchor);
			break;
		case YAML_SEQUENCE_START_EVENT:
			open_collection(b, Y_SEQ, ev.start_mark,
					ev.data.sequence_start.anchor);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			close_collection(b);
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(b, &ev);
			break;
		case YAML_ALIAS_EVENT:
			on_alias(b, &ev);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	doc_reset(b);
	yaml_parser_delete(&p);
	return b->failed ? -1 : 0;
}

int ydoc_parse_at(struct arena *a, struct diag *d, const char *file,
		  const char *buf, size_t len, unsigned line_base,
		  struct ydocs *out)
{
	struct builder b = { .a = a, .d = d, .file = file, .line_base = line_base };
	size_t first = out->n;
	char *owned = NULL, *retry = NULL;
	int rc, tries = 0;

	for (;;) {
		rc = parse_once(&b, buf, len, out, tries < 8 ? &retry : NULL);
		if (!retry)
			break;
		out->n = first; /* drop what the failed pass produced */
		free(owned);
		owned = retry;
		buf = owned;
		len += 2;
		retry = NULL;
		tries++;
	}
	free(owned);
	free(b.st);
	free(b.anchors);
	free(b.slots);
	return rc;
}

int ydoc_parse(struct arena *a, struct diag *d, const char *file,
	       const char *buf, size_t len, struct ydocs *out)
{
	return ydoc_parse_at(a, d, file, buf, len, 0, out);
}

int ydoc_parse_file(struct arena *a, struct diag *d, const char *file,
		    struct ydocs *out)
{
	struct finding *f = NULL;
	struct stat st;
	FILE *fp;
	char *buf;
	size_t got;
	int rc, fd, err;

	/* O_NONBLOCK: a FIFO given as the file must not hang the open;
	 * it is then refused below as not a regular file */
	fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	fp = fd < 0 ? NULL : fdopen(fd, "rb");
	if (!fp) {
		err = errno;
		if (fd >= 0)
			close(fd);
		f = diag_add(d, "IM0009", SEV_ERROR, NULL, NULL, NULL, NULL,
			     "cannot open: %s", strerror(err));
	} else if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode)) {
		f = diag_add(d, "IM0009", SEV_ERROR, NULL, NULL, NULL, NULL,
			     "not a regular file");
	} else if ((uint64_t)st.st_size > YDOC_MAX_FILE) {
		f = diag_add(d, "IM0009", SEV_ERROR, NULL, NULL, NULL,
			     "split it into several files",
			     "file is %.1f MiB; the limit is %u MiB",
			     st.st_size / 1048576.0, YDOC_MAX_FILE >> 20);
	}
	if (f) {
		f->file = arena_strdup(a, file);
		f->line = f->col = 1;
		if (fp)
			fclose(fp);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		abort();
	got = fread(buf, 1, (size_t)st.st_size, fp);
	fclose(fp);
	rc = ydoc_parse(a, d, arena_strdup(a, file), buf, got, out);
	free(buf);
	return rc;
}

const struct ynode *ynode_get(const struct ynode *m, const char *key)
{
	size_t i, kl;

	if (!m || m->type != Y_MAP)
		return NULL;
	kl = strlen(key);
	for (i = 0; i < m->n; i++) {
		const struct ynode *k = m->pairs[i].key;

		if (k->type == Y_SCALAR && k->len == kl && !memcmp(k->str, key, kl))
			return m->pairs[i].val;
	}
	return NULL;
}

bool ynode_is_null(const struct ynode *n)
{
	if (!n || n->type != Y_SCALAR || !n->plain)
		return false;
	return !n->len || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
	       !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

bool ynode_as_bool(const struct ynode *n, bool *out)
{
	static const char *const t[] = { "true", "True", "TRUE" };
	static const char *const f[] = { "false", "False", "FALSE" };
	size_t i;

	if (!n || n->type != Y_SCALAR || !n->plain)
		return false;
	for (i = 0; i < 3; i++) {
		if (!strcmp(n->str, t[i]))
			return *out = true, true;
		if (!strcmp(n->str, f[i]))
			return *out = false, true;
	}
	return false;
}

bool ynode_as_int(const struct ynode *n, int64_t *out)
{
	const char *s;
	char *end;
	long long v;
	int base = 10;

	if (!n || n->type != Y_SCALAR || !n->plain || !n->len)
		return false;
	s = n->str;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		base = s[1] == 'x' ? 16 : 8;
		s += 2;
		/* a digit must follow: strtoll would also skip spaces
		 * and take a sign ("0x 5", "0x-5") */
		if (base == 16 ? !isxdigit((unsigned char)*s) : (*s < '0' || *s > '7'))
			return false;
	}
	errno = 0;
	v = strtoll(s, &end, base);
	if (*end || errno || end == s)
		return false;
	*out = v;
	return true;
}

bool ynode_as_double(const struct ynode *n, double *out)
{
	char *end;
	double v;
	int64_t i;

	if (ynode_as_int(n, &i))
		return *out = (double)i, true;
	if (!n || n->type != Y_SCALAR || !n->plain || !n->len)
		return false;
	/* YAML's float syntax only: [-+]?[0-9.]+([eE][-+]?[0-9]+)?. strtod
	 * alone would also take "0x1p3", "infinity" and "nan"; .inf and .nan
	 * are refused, as Kubernetes refuses non-finite numbers. */
	if (strspn(n->str, "0123456789.eE+-") != n->len ||
	    !strpbrk(n->str, "0123456789"))
		return false;
	v = strtod(n->str, &end);
	if (*end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

const char *ynode_type_name(const struct ynode *n)
{
	int64_t i;
	double dv;
	bool b;

	if (!n)
		return "null";
	if (n->type == Y_MAP)
		return "object";
	if (n->type == Y_SEQ)
		return "array";
	if (ynode_is_null(n))
		return "null";
	if (ynode_as_bool(n, &b))
		return "boolean";
	if (ynode_as_int(n, &i))
		return "integer";
	if (ynode_as_double(n, &dv))
		return "number";
	return "string";
}
