// SPDX-License-Identifier: Apache-2.0
/*
 * YAML helpers shared by the config files. libyaml's document API keeps a
 * position on every node, so each error names the exact line and column.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yaml_doc.h"
#include "util.h"

void ydoc_set_err(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}

/* "NAME:LINE:COL: message"; libyaml counts lines and columns from 0. */
int ydoc_fail_at(const struct ydoc *c, yaml_mark_t mark, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ydoc_set_err(c->err, c->err_size, "%s:%zu:%zu: %s", c->name, mark.line + 1, mark.column + 1,
		     msg);
	return -EINVAL;
}

int ydoc_oom(const struct ydoc *c)
{
	ydoc_set_err(c->err, c->err_size, "%s: %s", c->name, strerror(ENOMEM));
	return -ENOMEM;
}

/* "path: " before a message, nothing at the top level. */
const char *ydoc_sep(const char *path)
{
	return *path ? ": " : "";
}

/* A user's bytes as a quoted, escaped, shortened string for a message. */
const char *ydoc_quote(char *buf, size_t size, const void *data, size_t len)
{
	const unsigned char *s = data;
	size_t o = 0;

	buf[o++] = '"';
	for (size_t i = 0; i < len && i < YDOC_QUOTE_MAX && o + 8 < size; i++) {
		if (s[i] == '"' || s[i] == '\\')
			o += snprintf(buf + o, size - o, "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			o += snprintf(buf + o, size - o, "\\x%02x", s[i]);
		else
			buf[o++] = (char)s[i];
	}
	if (len > YDOC_QUOTE_MAX)
		o += snprintf(buf + o, size - o, "...");
	snprintf(buf + o, size - o, "\"");
	return buf;
}

const yaml_node_t *ydoc_node(const struct ydoc *c, int index)
{
	return yaml_document_get_node(c->doc, index);
}

const char *ydoc_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

bool ydoc_is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++) {
		if (!strcmp(ydoc_scalar(n), nulls[i]))
			return true;
	}
	return false;
}

/* What a node is, for "expected X, got Y". */
const char *ydoc_describe(const yaml_node_t *n, char *buf, size_t size)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if (ydoc_is_null(n))
			return "null";
		return ydoc_quote(buf, size, n->data.scalar.value, n->data.scalar.length);
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

size_t ydoc_nr_pairs(const yaml_node_t *map)
{
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

/* "a, b, c" from a NULL-safe list of names. */
const char *ydoc_join(char *buf, size_t size, const char *const *names, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < size; i++) {
		if (names[i])
			o += snprintf(buf + o, size - o, "%s%s", o ? ", " : "", names[i]);
	}
	return buf;
}

/* ---- typed scalars ------------------------------------------------------- */

int ydoc_get_string(const struct ydoc *c, const char *path, const yaml_node_t *n, const char **out)
{
	char q[YDOC_QUOTE_BUF];

	if (n->type != YAML_SCALAR_NODE || ydoc_is_null(n))
		return ydoc_fail_at(c, n->start_mark, "%s: expected a string, got %s", path,
				    ydoc_describe(n, q, sizeof(q)));
	if (strlen(ydoc_scalar(n)) != n->data.scalar.length)
		return ydoc_fail_at(c, n->start_mark, "%s: NUL characters are not allowed", path);
	*out = ydoc_scalar(n);
	return 0;
}

/* YAML 1.1 booleans, plain (unquoted) only: "true" in quotes is a string. */
int ydoc_get_bool(const struct ydoc *c, const char *path, const yaml_node_t *n, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
					  "YES",  "on",	  "On",	  "ON"};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No",
					 "NO",	  "off",   "Off",   "OFF"};
	char q[YDOC_QUOTE_BUF];

	if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
			if (!strcmp(ydoc_scalar(n), yes[i])) {
				*out = true;
				return 0;
			}
		}
		for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
			if (!strcmp(ydoc_scalar(n), no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	return ydoc_fail_at(c, n->start_mark, "%s: expected a boolean (true or false), got %s",
			    path, ydoc_describe(n, q, sizeof(q)));
}

/* A plain decimal integer in [min, max]: no sign, no hex, no quotes. */
int ydoc_get_uint(const struct ydoc *c, const char *path, const yaml_node_t *n, unsigned int min,
		  unsigned int max, unsigned int *out)
{
	char q[YDOC_QUOTE_BUF];

	if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		const char *s = ydoc_scalar(n);
		size_t len = n->data.scalar.length;

		if (len && len <= 10 && strspn(s, "0123456789") == len) {
			unsigned long long v = strtoull(s, NULL, 10);

			if (v >= min && v <= max) {
				*out = (unsigned int)v;
				return 0;
			}
		}
	}
	return ydoc_fail_at(c, n->start_mark, "%s: expected an integer from %u to %u, got %s", path,
			    min, max, ydoc_describe(n, q, sizeof(q)));
}

/* ---- mappings ------------------------------------------------------------ */

int ydoc_expect_mapping(const struct ydoc *c, const char *path, const yaml_node_t *n)
{
	char q[YDOC_QUOTE_BUF];

	if (n->type == YAML_MAPPING_NODE)
		return 0;
	return ydoc_fail_at(c, n->start_mark, "%s%sexpected a mapping, got %s", path,
			    ydoc_sep(path), ydoc_describe(n, q, sizeof(q)));
}

static int key_cmp(const void *a, const void *b)
{
	const yaml_node_t *x = *(const yaml_node_t *const *)a;
	const yaml_node_t *y = *(const yaml_node_t *const *)b;
	size_t xl = x->data.scalar.length, yl = y->data.scalar.length;
	int d = memcmp(x->data.scalar.value, y->data.scalar.value, xl < yl ? xl : yl);

	if (d)
		return d;
	if (xl != yl)
		return xl < yl ? -1 : 1;
	/* Equal keys stay in document order. */
	if (x->start_mark.index != y->start_mark.index)
		return x->start_mark.index < y->start_mark.index ? -1 : 1;
	return 0;
}

static bool key_eq(const yaml_node_t *x, const yaml_node_t *y)
{
	return x->data.scalar.length == y->data.scalar.length &&
	       !memcmp(x->data.scalar.value, y->data.scalar.value, x->data.scalar.length);
}

/*
 * Every key a non-null scalar, none twice (libyaml lets duplicates through).
 * Sorted rather than compared pairwise: a 1 MiB file can hold 100k keys.
 */
int ydoc_check_keys(const struct ydoc *c, const char *path, const yaml_node_t *map)
{
	size_t n = ydoc_nr_pairs(map), group = 0;
	const yaml_node_t **keys = NULL, *dup = NULL, *first = NULL;
	char q[YDOC_QUOTE_BUF];
	int err = 0;

	if (!n)
		return 0;
	keys = calloc(n, sizeof(*keys));
	if (!keys)
		return ydoc_oom(c);
	for (size_t i = 0; i < n; i++) {
		keys[i] = ydoc_node(c, map->data.mapping.pairs.start[i].key);
		if (keys[i]->type != YAML_SCALAR_NODE || ydoc_is_null(keys[i])) {
			err = ydoc_fail_at(c, keys[i]->start_mark,
					   "%s%sexpected a string key, got %s", path,
					   ydoc_sep(path), ydoc_describe(keys[i], q, sizeof(q)));
			goto out;
		}
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	/* The duplicate to report: the earliest second occurrence of any key. */
	for (size_t i = 1; i < n; i++) {
		if (!key_eq(keys[group], keys[i])) {
			group = i;
			continue;
		}
		if (i == group + 1 && (!dup || keys[i]->start_mark.index < dup->start_mark.index)) {
			dup = keys[i];
			first = keys[group];
		}
	}
	if (dup)
		err = ydoc_fail_at(
			c, dup->start_mark, "%s%sduplicate key %s (first at line %zu, column %zu)",
			path, ydoc_sep(path),
			ydoc_quote(q, sizeof(q), dup->data.scalar.value, dup->data.scalar.length),
			first->start_mark.line + 1, first->start_mark.column + 1);
out:
	free(keys);
	return err;
}

/* A mapping of fixed keys, each parsed by its field; null ("web:") sets nothing. */
int ydoc_open_mapping(const struct ydoc *c, const char *path, const yaml_node_t *map, size_t size,
		      void **items, size_t *n)
{
	int err;

	*items = NULL;
	*n = 0;
	if (ydoc_is_null(map))
		return 0;
	err = ydoc_expect_mapping(c, path, map);
	if (!err)
		err = ydoc_check_keys(c, path, map);
	if (err)
		return err;
	*n = ydoc_nr_pairs(map);
	if (*n) {
		*items = calloc(*n, size);
		if (!*items) {
			*n = 0;
			return ydoc_oom(c);
		}
	}
	return 0;
}

void ydoc_pair(const struct ydoc *c, const yaml_node_t *map, size_t i, const yaml_node_t **key,
	       const yaml_node_t **value)
{
	*key = ydoc_node(c, map->data.mapping.pairs.start[i].key);
	*value = ydoc_node(c, map->data.mapping.pairs.start[i].value);
}

static int parse_field(const struct ydoc *c, void *obj, const struct ydoc_field *f,
		       const char *path, const yaml_node_t *value)
{
	char *at = (char *)obj + f->offset;

	switch (f->kind) {
	case YDOC_BOOL:
		return ydoc_get_bool(c, path, value, (bool *)at);
	case YDOC_UINT:
		return ydoc_get_uint(c, path, value, f->min, f->max, (unsigned int *)at);
	case YDOC_MAPPING:
		return ydoc_parse_fields(c, obj, path, value, f->fields, f->nr_fields);
	default:
		return f->parse(c, obj, f->arg, path, value);
	}
}

int ydoc_parse_fields(const struct ydoc *c, void *obj, const char *path, const yaml_node_t *node,
		      const struct ydoc_field *fields, size_t nr_fields)
{
	char child[YDOC_PATH_BUF], q[YDOC_QUOTE_BUF], allowed[YDOC_ALLOWED_BUF];
	int err;

	if (ydoc_is_null(node))
		return 0;
	err = ydoc_expect_mapping(c, path, node);
	if (!err)
		err = ydoc_check_keys(c, path, node);
	for (size_t i = 0; !err && i < ydoc_nr_pairs(node); i++) {
		const yaml_node_t *key, *value;
		const struct ydoc_field *f = NULL;

		ydoc_pair(c, node, i, &key, &value);
		for (size_t j = 0; j < nr_fields && !f; j++) {
			if (strlen(fields[j].key) == key->data.scalar.length &&
			    !strcmp(fields[j].key, ydoc_scalar(key)))
				f = &fields[j];
		}
		if (!f) {
			const char *names[16];
			size_t n = 0;

			for (; n < nr_fields && n < ARRAY_SIZE(names); n++)
				names[n] = fields[n].key;
			err = ydoc_fail_at(c, key->start_mark, "%s%sunknown key %s (allowed: %s)",
					   path, ydoc_sep(path),
					   ydoc_quote(q, sizeof(q), key->data.scalar.value,
						      key->data.scalar.length),
					   ydoc_join(allowed, sizeof(allowed), names, n));
			break;
		}
		snprintf(child, sizeof(child), "%s%s%s", path, *path ? "." : "", f->key);
		err = parse_field(c, obj, f, child, value);
	}
	return err;
}

/* Reader errors carry a byte offset, not a mark: count lines and characters up to it. */
static yaml_mark_t mark_of_offset(const char *text, size_t len, size_t offset)
{
	yaml_mark_t m = {.index = offset};

	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			m.column++;
		}
	}
	return m;
}

static int yaml_error(const struct ydoc *c, const yaml_parser_t *p, const char *text, size_t len)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return ydoc_oom(c);
	case YAML_READER_ERROR:
		if (p->problem_value != -1)
			return ydoc_fail_at(c, mark_of_offset(text, len, p->problem_offset),
					    "%s (0x%02x)", problem, (unsigned int)p->problem_value);
		return ydoc_fail_at(c, mark_of_offset(text, len, p->problem_offset), "%s", problem);
	default:
		if (p->context)
			return ydoc_fail_at(c, p->problem_mark, "%s (%s at line %zu, column %zu)",
					    problem, p->context, p->context_mark.line + 1,
					    p->context_mark.column + 1);
		return ydoc_fail_at(c, p->problem_mark, "%s", problem);
	}
}

static const char *event_anchor(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return (const char *)ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return (const char *)ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return (const char *)ev->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

/*
 * The document API would silently share aliased nodes and load only the
 * first document; a pass over the events rejects both where they are
 * written. Syntax errors surface here too.
 */
static int prescan(const struct ydoc *c, const char *text, size_t len)
{
	yaml_parser_t parser;
	bool done = false;
	int docs = 0, err = 0;

	if (!yaml_parser_initialize(&parser))
		return ydoc_oom(c);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!err && !done) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			err = yaml_error(c, &parser, text, len);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1)
			err = ydoc_fail_at(c, ev.start_mark,
					   "multiple YAML documents are not supported");
		else if (ev.type == YAML_ALIAS_EVENT || event_anchor(&ev))
			err = ydoc_fail_at(c, ev.start_mark,
					   "anchors and aliases (&name, *name) are not supported");
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return err;
}

/* Reads at most YDOC_MAX_SIZE bytes; -EFBIG beyond. */
int ydoc_read_file(const char *path, char **out, size_t *out_len)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *p;

			if (cap > YDOC_MAX_SIZE) {
				err = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 16384;
			if (cap > YDOC_MAX_SIZE + 1)
				cap = YDOC_MAX_SIZE + 1;
			p = realloc(buf, cap);
			if (!p) {
				err = -ENOMEM;
				goto out;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	if (len > YDOC_MAX_SIZE) {
		err = -EFBIG;
		goto out;
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

int ydoc_read_file_err(const char *path, char **out, size_t *out_len, char *err, size_t err_size)
{
	int ret = ydoc_read_file(path, out, out_len);

	if (ret == -EFBIG)
		ydoc_set_err(err, err_size, "%s: file is larger than %d bytes (1 MiB)", path,
			     YDOC_MAX_SIZE);
	else if (ret)
		ydoc_set_err(err, err_size, "%s: %s", path, strerror(-ret));
	return ret;
}

int ydoc_load(const char *name, const char *text, size_t len, char *err_buf, size_t err_size,
	      int (*fn)(const struct ydoc *c, const yaml_node_t *root, void *obj), void *obj)
{
	yaml_document_t doc;
	struct ydoc c = {.doc = &doc, .name = name, .err = err_buf, .err_size = err_size};
	yaml_parser_t parser;
	yaml_node_t *root;
	int err;

	err = prescan(&c, text, len);
	if (err)
		return err;
	if (!yaml_parser_initialize(&parser))
		return ydoc_oom(&c);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) { /* frees doc itself on failure */
		err = yaml_error(&c, &parser, text, len);
		goto out;
	}
	root = yaml_document_get_root_node(&doc); /* NULL: no document at all */
	if (root)
		err = fn(&c, root, obj);
	yaml_document_delete(&doc);
out:
	yaml_parser_delete(&parser);
	return err;
}
