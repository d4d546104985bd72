/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the YAML files we read (config.c, web_config.c):
 * typed scalars, strict mappings and error messages that name
 * "file:line:column". libyaml counts from 0; messages count from 1.
 */
#ifndef BPFMAP_YAML_DOC_H
#define BPFMAP_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#define YDOC_QUOTE_MAX 48 /* bytes of a user's value shown in a message */
#define YDOC_QUOTE_BUF (YDOC_QUOTE_MAX * 4 + 8)
#define YDOC_PATH_BUF 128 /* "filters.programs.include" and the like */
#define YDOC_ALLOWED_BUF 256 /* "a, b, c" lists in messages */
#define YDOC_MAX_SIZE (1024 * 1024) /* largest file we read */

/* One document being parsed, and where its error message goes. */
struct ydoc {
	yaml_document_t *doc;
	const char *name; /* "<embedded>" or a path */
	char *err;
	size_t err_size;
};

/*
 * A key of a fixed mapping and what its value is. With parse set, parse
 * reads it (obj is the caller's, arg passed along); without, the value is
 * a plain one stored in obj by kind: a bool or a bounded unsigned int at
 * offset, or a nested mapping of more fields of the same obj.
 */
enum ydoc_kind { YDOC_CALL, YDOC_BOOL, YDOC_UINT, YDOC_MAPPING };

struct ydoc_field {
	const char *key;
	int (*parse)(const struct ydoc *c, void *obj, int arg, const char *path,
		     const yaml_node_t *value);
	int arg;
	enum ydoc_kind kind;
	size_t offset; /* YDOC_BOOL, YDOC_UINT */
	unsigned int min, max; /* YDOC_UINT */
	const struct ydoc_field *fields; /* YDOC_MAPPING */
	size_t nr_fields;
};

#define YDOC_CALL(k, fn, a)                                              \
	{                                                                \
		.key = (k), .parse = (fn), .arg = (a), .kind = YDOC_CALL \
	}
#define YDOC_BOOL_AT(k, type, member)                                           \
	{                                                                       \
		.key = (k), .kind = YDOC_BOOL, .offset = offsetof(type, member) \
	}
#define YDOC_UINT_AT(k, type, member, lo, hi)                                                 \
	{                                                                                     \
		.key = (k), .kind = YDOC_UINT, .offset = offsetof(type, member), .min = (lo), \
		.max = (hi)                                                                   \
	}
#define YDOC_MAPPING_OF(k, sub)                                    \
	{                                                          \
		.key = (k), .kind = YDOC_MAPPING, .fields = (sub), \
		.nr_fields = sizeof(sub) / sizeof((sub)[0])        \
	}

void ydoc_set_err(char *err, size_t err_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "NAME:LINE:COL: message"; returns -EINVAL. */
int ydoc_fail_at(const struct ydoc *c, yaml_mark_t mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ydoc_oom(const struct ydoc *c); /* -ENOMEM with "NAME: message" */

const char *ydoc_sep(const char *path); /* ": " after a path, "" at the top */
/* A user's bytes as a quoted, escaped, shortened string for a message. */
const char *ydoc_quote(char *buf, size_t size, const void *data, size_t len);
/* What a node is, for "expected X, got Y". */
const char *ydoc_describe(const yaml_node_t *n, char *buf, size_t size);
/* "a, b, c" from a list of names (NULLs skipped). */
const char *ydoc_join(char *buf, size_t size, const char *const *names, size_t n);

const yaml_node_t *ydoc_node(const struct ydoc *c, int index);
const char *ydoc_scalar(const yaml_node_t *n);
bool ydoc_is_null(const yaml_node_t *n);
size_t ydoc_nr_pairs(const yaml_node_t *map);

int ydoc_get_string(const struct ydoc *c, const char *path, const yaml_node_t *n, const char **out);
int ydoc_get_bool(const struct ydoc *c, const char *path, const yaml_node_t *n, bool *out);
int ydoc_get_uint(const struct ydoc *c, const char *path, const yaml_node_t *n, unsigned int min,
		  unsigned int max, unsigned int *out);
int ydoc_expect_mapping(const struct ydoc *c, const char *path, const yaml_node_t *n);
/* Every key a non-null scalar, none twice. */
int ydoc_check_keys(const struct ydoc *c, const char *path, const yaml_node_t *map);
/*
 * A mapping of the user's own keys (filter rules, static labels, users):
 * null reads as empty; else a mapping whose keys are distinct non-null
 * scalars. *n is its number of pairs and *items, when there are any, a
 * zeroed array of n elements of size bytes, the caller's to fill and free.
 */
int ydoc_open_mapping(const struct ydoc *c, const char *path, const yaml_node_t *map, size_t size,
		      void **items, size_t *n);
/* The i-th key and value of a mapping. */
void ydoc_pair(const struct ydoc *c, const yaml_node_t *map, size_t i, const yaml_node_t **key,
	       const yaml_node_t **value);
/* A mapping of fixed keys, each parsed by its field; null sets nothing. */
int ydoc_parse_fields(const struct ydoc *c, void *obj, const char *path, const yaml_node_t *node,
		      const struct ydoc_field *fields, size_t nr_fields);

/*
 * Parse one YAML document (no aliases, no second document) and hand its
 * root to fn; an empty text calls nothing. 0 or -errno with err set.
 */
int ydoc_load(const char *name, const char *text, size_t len, char *err, size_t err_size,
	      int (*fn)(const struct ydoc *c, const yaml_node_t *root, void *obj), void *obj);

/* Read a whole file of at most YDOC_MAX_SIZE bytes; -EFBIG beyond. */
int ydoc_read_file(const char *path, char **out, size_t *out_len);
/* ydoc_read_file with "path: reason" in err on failure. */
int ydoc_read_file_err(const char *path, char **out, size_t *out_len, char *err, size_t err_size);

#endif
