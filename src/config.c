// SPDX-License-Identifier: Apache-2.0
/*
 * YAML -> struct config. libyaml's document API keeps a position on every
 * node, so each error names the exact line and column. The embedded default
 * is applied first; a user's document then overrides the keys it sets.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
#include "listen_address.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CONFIG_MAX_SIZE (1024 * 1024)
#define QUOTE_MAX 48 /* bytes of a user's value shown in a message */
#define QUOTE_BUF (QUOTE_MAX * 4 + 8)
#define PATH_BUF 128 /* "filters.programs.include" and the like */
#define ALLOWED_BUF 256 /* "a, b, c" lists in messages */
#define MAX_CONNECTIONS_MAX 10000
#define TIMEOUT_SECONDS_MAX 3600
#define MEMORY_MAX_AGE_MAX 86400

const char *const collector_names[COLLECTOR_MAX] = {
	[COLLECTOR_MAPS] = "maps",
	[COLLECTOR_PROGRAMS] = "programs",
	[COLLECTOR_LINKS] = "links",
};

const char *const counting_mode_names[COUNTING_MODE_MAX] = {
	[COUNTING_AUTO] = "auto",
	[COUNTING_ITERATOR] = "iterator",
	[COUNTING_NONE] = "none",
};

/* Labels of the exporter's own metrics: a static label must not shadow them. */
static const char *const self_labels[] = {"collector", "feature", "version", "revision",
					  "method",    "result",  "by",	     "state"};

struct ctx {
	yaml_document_t *doc;
	const char *name; /* "<embedded>" or a path */
	char *err;
	size_t err_size;
};

struct field {
	const char *key;
	int (*parse)(const struct ctx *c, struct config *cfg, int arg, const char *path,
		     const yaml_node_t *value);
	int arg;
};

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t err_size,
							  const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}

/* "NAME:LINE:COL: message"; libyaml counts lines and columns from 0. */
__attribute__((format(printf, 3, 4))) static int fail_at(const struct ctx *c, yaml_mark_t mark,
							 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_err(c->err, c->err_size, "%s:%zu:%zu: %s", c->name, mark.line + 1, mark.column + 1,
		msg);
	return -EINVAL;
}

static int oom(const struct ctx *c)
{
	set_err(c->err, c->err_size, "%s: %s", c->name, strerror(ENOMEM));
	return -ENOMEM;
}

/* "path: " before a message, nothing at the top level. */
static const char *sep(const char *path)
{
	return *path ? ": " : "";
}

/* A user's bytes as a quoted, escaped, shortened string for a message. */
static const char *quote(char *buf, size_t size, const void *data, size_t len)
{
	const unsigned char *s = data;
	size_t o = 0;

	buf[o++] = '"';
	for (size_t i = 0; i < len && i < QUOTE_MAX && o + 8 < size; i++) {
		if (s[i] == '"' || s[i] == '\\')
			o += snprintf(buf + o, size - o, "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			o += snprintf(buf + o, size - o, "\\x%02x", s[i]);
		else
			buf[o++] = (char)s[i];
	}
	if (len > QUOTE_MAX)
		o += snprintf(buf + o, size - o, "...");
	snprintf(buf + o, size - o, "\"");
	return buf;
}

static const yaml_node_t *node_at(const struct ctx *c, int index)
{
	return yaml_document_get_node(c->doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++) {
		if (!strcmp(scalar(n), nulls[i]))
			return true;
	}
	return false;
}

/* What a node is, for "expected X, got Y". */
static const char *describe(const yaml_node_t *n, char *buf, size_t size)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if (is_null(n))
			return "null";
		return quote(buf, size, n->data.scalar.value, n->data.scalar.length);
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static size_t nr_pairs(const yaml_node_t *map)
{
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

/* "a, b, c" from a NULL-safe list of names. */
static const char *join(char *buf, size_t size, const char *const *names, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < size; i++) {
		if (names[i])
			o += snprintf(buf + o, size - o, "%s%s", o ? ", " : "", names[i]);
	}
	return buf;
}

static const char *schema_names(enum object_kind kind, char *buf, size_t size)
{
	const char *names[LABELS_MAX];
	int n = labels_count(kind);

	for (int i = 0; i < n; i++)
		names[i] = labels_name(kind, i);
	return join(buf, size, names, (size_t)n);
}

/* Slot of a scalar naming a label of kind, or -ENOENT (also for embedded NULs). */
static int scalar_slot(enum object_kind kind, const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || strlen(scalar(n)) != n->data.scalar.length)
		return -ENOENT;
	return labels_slot(kind, scalar(n));
}

/* ---- typed scalars ------------------------------------------------------- */

static int get_string(const struct ctx *c, const char *path, const yaml_node_t *n, const char **out)
{
	char q[QUOTE_BUF];

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return fail_at(c, n->start_mark, "%s: expected a string, got %s", path,
			       describe(n, q, sizeof(q)));
	if (strlen(scalar(n)) != n->data.scalar.length)
		return fail_at(c, n->start_mark, "%s: NUL characters are not allowed", path);
	*out = scalar(n);
	return 0;
}

/* YAML 1.1 booleans, plain (unquoted) only: "true" in quotes is a string. */
static int get_bool(const struct ctx *c, const char *path, const yaml_node_t *n, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
					  "YES",  "on",	  "On",	  "ON"};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No",
					 "NO",	  "off",   "Off",   "OFF"};
	char q[QUOTE_BUF];

	if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
			if (!strcmp(scalar(n), yes[i])) {
				*out = true;
				return 0;
			}
		}
		for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
			if (!strcmp(scalar(n), no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	return fail_at(c, n->start_mark, "%s: expected a boolean (true or false), got %s", path,
		       describe(n, q, sizeof(q)));
}

/* A plain decimal integer in [min, max]: no sign, no hex, no quotes. */
static int get_uint(const struct ctx *c, const char *path, const yaml_node_t *n, unsigned int min,
		    unsigned int max, unsigned int *out)
{
	char q[QUOTE_BUF];

	if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		const char *s = scalar(n);
		size_t len = n->data.scalar.length;

		if (len && len <= 10 && strspn(s, "0123456789") == len) {
			unsigned long long v = strtoull(s, NULL, 10);

			if (v >= min && v <= max) {
				*out = (unsigned int)v;
				return 0;
			}
		}
	}
	return fail_at(c, n->start_mark, "%s: expected an integer from %u to %u, got %s", path, min,
		       max, describe(n, q, sizeof(q)));
}

/* ---- mappings ------------------------------------------------------------ */

static int expect_mapping(const struct ctx *c, const char *path, const yaml_node_t *n)
{
	char q[QUOTE_BUF];

	if (n->type == YAML_MAPPING_NODE)
		return 0;
	return fail_at(c, n->start_mark, "%s%sexpected a mapping, got %s", path, sep(path),
		       describe(n, q, sizeof(q)));
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
static int check_keys(const struct ctx *c, const char *path, const yaml_node_t *map)
{
	size_t n = nr_pairs(map), group = 0;
	const yaml_node_t **keys = NULL, *dup = NULL, *first = NULL;
	char q[QUOTE_BUF];
	int err = 0;

	if (!n)
		return 0;
	keys = calloc(n, sizeof(*keys));
	if (!keys)
		return oom(c);
	for (size_t i = 0; i < n; i++) {
		keys[i] = node_at(c, map->data.mapping.pairs.start[i].key);
		if (keys[i]->type != YAML_SCALAR_NODE || is_null(keys[i])) {
			err = fail_at(c, keys[i]->start_mark, "%s%sexpected a string key, got %s",
				      path, sep(path), describe(keys[i], q, sizeof(q)));
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
		err = fail_at(c, dup->start_mark,
			      "%s%sduplicate key %s (first at line %zu, column %zu)", path,
			      sep(path),
			      quote(q, sizeof(q), dup->data.scalar.value, dup->data.scalar.length),
			      first->start_mark.line + 1, first->start_mark.column + 1);
out:
	free(keys);
	return err;
}

/* A mapping of fixed keys, each parsed by its field; null ("web:") sets nothing. */
static int parse_fields(const struct ctx *c, struct config *cfg, const char *path,
			const yaml_node_t *node, const struct field *fields, size_t nr_fields)
{
	char child[PATH_BUF], q[QUOTE_BUF], allowed[ALLOWED_BUF];
	int err;

	if (is_null(node))
		return 0;
	err = expect_mapping(c, path, node);
	if (!err)
		err = check_keys(c, path, node);
	for (size_t i = 0; !err && i < nr_pairs(node); i++) {
		const yaml_node_t *key = node_at(c, node->data.mapping.pairs.start[i].key);
		const yaml_node_t *value = node_at(c, node->data.mapping.pairs.start[i].value);
		const struct field *f = NULL;

		for (size_t j = 0; j < nr_fields && !f; j++) {
			if (strlen(fields[j].key) == key->data.scalar.length &&
			    !strcmp(fields[j].key, scalar(key)))
				f = &fields[j];
		}
		if (!f) {
			const char *names[16];
			size_t n = 0;

			for (; n < nr_fields && n < ARRAY_SIZE(names); n++)
				names[n] = fields[n].key;
			err = fail_at(c, key->start_mark, "%s%sunknown key %s (allowed: %s)", path,
				      sep(path),
				      quote(q, sizeof(q), key->data.scalar.value,
					    key->data.scalar.length),
				      join(allowed, sizeof(allowed), names, n));
			break;
		}
		snprintf(child, sizeof(child), "%s%s%s", path, *path ? "." : "", f->key);
		err = f->parse(c, cfg, f->arg, child, value);
	}
	return err;
}

static int replace_string(const struct ctx *c, char **dst, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return oom(c);
	free(*dst);
	*dst = s;
	return 0;
}

/* ---- web ----------------------------------------------------------------- */

static int parse_listen_address(const struct ctx *c, struct config *cfg, int arg, const char *path,
				const yaml_node_t *value)
{
	struct sockaddr_storage sa;
	socklen_t sa_len;
	char q[QUOTE_BUF];
	const char *s = NULL;
	int err;

	(void)arg;
	err = get_string(c, path, value, &s);
	if (err)
		return err;
	if (listen_address_parse(s, &sa, &sa_len))
		return fail_at(c, value->start_mark,
			       "%s: invalid address %s: expected \":PORT\", \"IPV4:PORT\", "
			       "\"[IPV6]:PORT\" or \"localhost:PORT\", PORT from 1 to 65535",
			       path, quote(q, sizeof(q), s, strlen(s)));
	return replace_string(c, &cfg->listen_address, s);
}

bool config_telemetry_path_valid(const char *path)
{
	if (path[0] != '/' || !path[1])
		return false;
	/*
	 * '?' and '#' never reach the handler as part of a request path; the
	 * landing page quotes the path into HTML, so no markup characters.
	 */
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p <= ' ' || *p == 0x7f || strchr("?#\"'<>&\\", *p))
			return false;
	return true;
}

static int parse_telemetry_path(const struct ctx *c, struct config *cfg, int arg, const char *path,
				const yaml_node_t *value)
{
	char q[QUOTE_BUF];
	const char *s = NULL;
	int err;

	(void)arg;
	err = get_string(c, path, value, &s);
	if (err)
		return err;
	if (!config_telemetry_path_valid(s))
		return fail_at(c, value->start_mark, "%s: %s, got %s", path,
			       CONFIG_TELEMETRY_PATH_RULE, quote(q, sizeof(q), s, strlen(s)));
	return replace_string(c, &cfg->telemetry_path, s);
}

static int parse_max_connections(const struct ctx *c, struct config *cfg, int arg, const char *path,
				 const yaml_node_t *value)
{
	(void)arg;
	return get_uint(c, path, value, 1, MAX_CONNECTIONS_MAX, &cfg->max_connections);
}

static int parse_max_connections_per_ip(const struct ctx *c, struct config *cfg, int arg,
					const char *path, const yaml_node_t *value)
{
	(void)arg;
	return get_uint(c, path, value, 1, MAX_CONNECTIONS_MAX, &cfg->max_connections_per_ip);
}

static int parse_timeout_seconds(const struct ctx *c, struct config *cfg, int arg, const char *path,
				 const yaml_node_t *value)
{
	(void)arg;
	return get_uint(c, path, value, 1, TIMEOUT_SECONDS_MAX, &cfg->timeout_seconds);
}

static int parse_web(const struct ctx *c, struct config *cfg, int arg, const char *path,
		     const yaml_node_t *value)
{
	static const struct field fields[] = {
		{"listen_address", parse_listen_address, 0},
		{"telemetry_path", parse_telemetry_path, 0},
		{"max_connections", parse_max_connections, 0},
		{"max_connections_per_ip", parse_max_connections_per_ip, 0},
		{"timeout_seconds", parse_timeout_seconds, 0},
	};

	(void)arg;
	return parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
}

/* ---- log, collectors, compat --------------------------------------------- */

static int parse_level(const struct ctx *c, struct config *cfg, int arg, const char *path,
		       const yaml_node_t *value)
{
	char q[QUOTE_BUF];
	const char *s = NULL;
	int err;

	(void)arg;
	err = get_string(c, path, value, &s);
	if (err)
		return err;
	if (log_parse_level(s, &cfg->log_level))
		return fail_at(c, value->start_mark,
			       "%s: unknown level %s (allowed: debug, info, warn, error)", path,
			       quote(q, sizeof(q), s, strlen(s)));
	return 0;
}

static int parse_log(const struct ctx *c, struct config *cfg, int arg, const char *path,
		     const yaml_node_t *value)
{
	static const struct field fields[] = {{"level", parse_level, 0}};

	(void)arg;
	return parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
}

static int parse_collector(const struct ctx *c, struct config *cfg, int arg, const char *path,
			   const yaml_node_t *value)
{
	return get_bool(c, path, value, &cfg->collectors[arg]);
}

static int parse_collectors(const struct ctx *c, struct config *cfg, int arg, const char *path,
			    const yaml_node_t *value)
{
	struct field fields[COLLECTOR_MAX];

	(void)arg;
	for (int i = 0; i < COLLECTOR_MAX; i++)
		fields[i] = (struct field){collector_names[i], parse_collector, i};
	return parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
}

static int parse_seed_metrics(const struct ctx *c, struct config *cfg, int arg, const char *path,
			      const yaml_node_t *value)
{
	(void)arg;
	return get_bool(c, path, value, &cfg->seed_metrics);
}

static int parse_compat(const struct ctx *c, struct config *cfg, int arg, const char *path,
			const yaml_node_t *value)
{
	static const struct field fields[] = {{"seed_metrics", parse_seed_metrics, 0}};

	(void)arg;
	return parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
}

/* ---- counting ------------------------------------------------------------ */

static int parse_counting_method(const struct ctx *c, struct config *cfg, int arg, const char *path,
				 const yaml_node_t *value)
{
	char q[QUOTE_BUF], allowed[ALLOWED_BUF];
	const char *s = NULL;
	int err;

	(void)arg;
	err = get_string(c, path, value, &s);
	if (err)
		return err;
	for (int i = 0; i < COUNTING_MODE_MAX; i++) {
		if (!strcmp(s, counting_mode_names[i])) {
			cfg->counting_mode = (enum counting_mode)i;
			return 0;
		}
	}
	return fail_at(c, value->start_mark, "%s: unknown method %s (allowed: %s)", path,
		       quote(q, sizeof(q), s, strlen(s)),
		       join(allowed, sizeof(allowed), counting_mode_names, COUNTING_MODE_MAX));
}

static int parse_fallback_max_entries(const struct ctx *c, struct config *cfg, int arg,
				      const char *path, const yaml_node_t *value)
{
	(void)arg;
	return get_uint(c, path, value, 0, UINT_MAX, &cfg->fallback_max_entries);
}

static int parse_counting(const struct ctx *c, struct config *cfg, int arg, const char *path,
			  const yaml_node_t *value)
{
	static const struct field fields[] = {
		{"method", parse_counting_method, 0},
		{"fallback_max_entries", parse_fallback_max_entries, 0},
	};

	(void)arg;
	return parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
}

/* ---- programs, memory ---------------------------------------------------- */

static int parse_run_stats(const struct ctx *c, struct config *cfg, int arg, const char *path,
			   const yaml_node_t *value)
{
	(void)arg;
	return get_bool(c, path, value, &cfg->run_stats);
}

static int parse_programs(const struct ctx *c, struct config *cfg, int arg, const char *path,
			  const yaml_node_t *value)
{
	static const struct field fields[] = {{"run_stats", parse_run_stats, 0}};

	(void)arg;
	return parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
}

static int parse_max_age(const struct ctx *c, struct config *cfg, int arg, const char *path,
			 const yaml_node_t *value)
{
	(void)arg;
	return get_uint(c, path, value, 0, MEMORY_MAX_AGE_MAX, &cfg->memory_max_age_seconds);
}

static int parse_reads_per_scrape(const struct ctx *c, struct config *cfg, int arg,
				  const char *path, const yaml_node_t *value)
{
	(void)arg;
	return get_uint(c, path, value, 0, UINT_MAX, &cfg->memory_reads_per_scrape);
}

static int parse_memory(const struct ctx *c, struct config *cfg, int arg, const char *path,
			const yaml_node_t *value)
{
	static const struct field fields[] = {
		{"max_age_seconds", parse_max_age, 0},
		{"reads_per_scrape", parse_reads_per_scrape, 0},
	};

	(void)arg;
	return parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
}

/* ---- labels, filters ----------------------------------------------------- */

/* labels.KIND: [id, name, ...]; replaces the default list as a whole. */
static int parse_label_list(const struct ctx *c, struct config *cfg, int arg, const char *path,
			    const yaml_node_t *value)
{
	enum object_kind kind = (enum object_kind)arg;
	int selected[LABELS_MAX], id_slot = labels_slot(kind, "id");
	char q[QUOTE_BUF], allowed[ALLOWED_BUF];
	const yaml_node_item_t *it;
	bool has_id = false;
	size_t n = 0;

	if (value->type != YAML_SEQUENCE_NODE)
		return fail_at(c, value->start_mark,
			       "%s: expected a sequence of label names, got %s", path,
			       describe(value, q, sizeof(q)));
	for (it = value->data.sequence.items.start; it < value->data.sequence.items.top; it++) {
		const yaml_node_t *item = node_at(c, *it);
		int slot = scalar_slot(kind, item);

		if (item->type != YAML_SCALAR_NODE || is_null(item))
			return fail_at(c, item->start_mark, "%s: expected a label name, got %s",
				       path, describe(item, q, sizeof(q)));
		if (slot < 0)
			return fail_at(c, item->start_mark, "%s: unknown label %s (allowed: %s)",
				       path, describe(item, q, sizeof(q)),
				       schema_names(kind, allowed, sizeof(allowed)));
		for (size_t i = 0; i < n; i++) {
			if (selected[i] == slot)
				return fail_at(c, item->start_mark, "%s: duplicate label %s", path,
					       describe(item, q, sizeof(q)));
		}
		selected[n++] = slot; /* distinct schema slots: n stays <= LABELS_MAX */
		has_id |= slot == id_slot;
	}
	if (!has_id)
		return fail_at(c, value->start_mark,
			       "%s: must include \"id\": series of objects sharing a name would "
			       "collide",
			       path);
	memcpy(cfg->policy[kind].selected, selected, n * sizeof(selected[0]));
	cfg->policy[kind].nr_selected = n;
	return 0;
}

static int parse_labels(const struct ctx *c, struct config *cfg, int arg, const char *path,
			const yaml_node_t *value)
{
	struct field fields[OBJECT_KIND_MAX];

	(void)arg;
	for (int i = 0; i < OBJECT_KIND_MAX; i++)
		fields[i] = (struct field){labels_kind_name(i), parse_label_list, i};
	return parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
}

static void rules_free(struct label_rule *rules, size_t n)
{
	struct label_policy tmp = {.include = rules, .nr_include = n};

	label_policy__fini(&tmp);
}

/*
 * filters.KIND.include/exclude: { label: regex }. arg is kind * 2 + exclude.
 * The mapping replaces the default one as a whole.
 */
static int parse_rules(const struct ctx *c, struct config *cfg, int arg, const char *path,
		       const yaml_node_t *value)
{
	enum object_kind kind = (enum object_kind)(arg / 2);
	struct label_policy *policy = &cfg->policy[kind];
	char q[QUOTE_BUF], allowed[ALLOWED_BUF], rerr[256];
	struct label_rule *rules = NULL, *old_rules;
	size_t n = 0, old_n;
	int err = 0;

	if (!is_null(value)) {
		err = expect_mapping(c, path, value);
		if (!err)
			err = check_keys(c, path, value);
		if (err)
			return err;
		n = nr_pairs(value);
	}
	if (n) {
		rules = calloc(n, sizeof(*rules));
		if (!rules)
			return oom(c);
	}
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *key = node_at(c, value->data.mapping.pairs.start[i].key);
		const yaml_node_t *val = node_at(c, value->data.mapping.pairs.start[i].value);
		int slot = scalar_slot(kind, key);
		char child[PATH_BUF];
		const char *pattern = NULL;

		if (slot < 0) {
			err = fail_at(c, key->start_mark, "%s: unknown label %s (allowed: %s)",
				      path, describe(key, q, sizeof(q)),
				      schema_names(kind, allowed, sizeof(allowed)));
			goto out;
		}
		snprintf(child, sizeof(child), "%s.%s", path, labels_name(kind, slot));
		err = get_string(c, child, val, &pattern);
		if (err)
			goto out;
		err = label_rule__init(&rules[i], slot, pattern, rerr, sizeof(rerr));
		if (err == -ENOMEM) {
			err = oom(c);
			goto out;
		}
		if (err) {
			err = fail_at(c, val->start_mark, "%s: invalid regex %s: %s", child,
				      quote(q, sizeof(q), pattern, strlen(pattern)), rerr);
			goto out;
		}
	}
	if (arg % 2) {
		old_rules = policy->exclude;
		old_n = policy->nr_exclude;
		policy->exclude = rules;
		policy->nr_exclude = n;
	} else {
		old_rules = policy->include;
		old_n = policy->nr_include;
		policy->include = rules;
		policy->nr_include = n;
	}
	rules = old_rules;
	n = old_n;
out:
	rules_free(rules, n);
	return err;
}

static int parse_filter_kind(const struct ctx *c, struct config *cfg, int arg, const char *path,
			     const yaml_node_t *value)
{
	const struct field fields[] = {
		{"include", parse_rules, arg * 2},
		{"exclude", parse_rules, arg * 2 + 1},
	};

	return parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
}

static int parse_filters(const struct ctx *c, struct config *cfg, int arg, const char *path,
			 const yaml_node_t *value)
{
	struct field fields[OBJECT_KIND_MAX];

	(void)arg;
	for (int i = 0; i < OBJECT_KIND_MAX; i++)
		fields[i] = (struct field){labels_kind_name(i), parse_filter_kind, i};
	return parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
}

/* ---- static_labels ------------------------------------------------------- */

struct strbuf {
	char *s;
	size_t len, cap;
};

static int sb_add(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = (sb->len + n + 1) * 2;
		char *p = realloc(sb->s, cap);

		if (!p)
			return -ENOMEM;
		sb->s = p;
		sb->cap = cap;
	}
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
	return 0;
}

static bool is_name_char(char ch, bool first)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
	       (!first && ch >= '0' && ch <= '9');
}

/*
 * ${VAR} (unset: empty) and ${VAR:-default} (unset or empty: default, taken
 * literally up to the first '}'); $$ is a literal '$'.
 */
static int expand_env(const struct ctx *c, const char *path, const yaml_node_t *node,
		      const char *in, char **out)
{
	struct strbuf sb = {0};
	char *name = NULL;
	int err = 0;

	if (sb_add(&sb, "", 0)) /* "" stays a string, not NULL */
		goto nomem;
	while (*in) {
		const char *dollar = strchr(in, '$'), *p, *val, *def = NULL, *end;
		size_t name_len, def_len = 0;

		if (!dollar) {
			if (sb_add(&sb, in, strlen(in)))
				goto nomem;
			break;
		}
		if (sb_add(&sb, in, (size_t)(dollar - in)))
			goto nomem;
		if (dollar[1] == '$') {
			if (sb_add(&sb, "$", 1))
				goto nomem;
			in = dollar + 2;
			continue;
		}
		if (dollar[1] != '{') {
			err = fail_at(c, node->start_mark,
				      "%s: lone \"$\" in value (write ${VAR}, ${VAR:-default}, or "
				      "$$ for a literal \"$\")",
				      path);
			goto out;
		}
		p = dollar + 2;
		end = strchr(p, '}');
		if (!end) {
			err = fail_at(c, node->start_mark, "%s: unterminated \"${\" in value",
				      path);
			goto out;
		}
		for (name_len = 0; is_name_char(p[name_len], name_len == 0); name_len++)
			;
		if (p[name_len] == ':' && p[name_len + 1] == '-') {
			def = p + name_len + 2;
			def_len = (size_t)(end - def);
		} else if (p + name_len != end) {
			name_len = 0; /* a bad character in the name */
		}
		if (!name_len) {
			char q[QUOTE_BUF];

			err = fail_at(c, node->start_mark,
				      "%s: invalid variable reference %s: expected ${NAME} or "
				      "${NAME:-default}, NAME matching [a-zA-Z_][a-zA-Z0-9_]*",
				      path,
				      quote(q, sizeof(q), dollar, (size_t)(end - dollar) + 1));
			goto out;
		}
		name = strndup(p, name_len);
		if (!name)
			goto nomem;
		val = getenv(name);
		if (def && (!val || !*val))
			err = sb_add(&sb, def, def_len);
		else if (val)
			err = sb_add(&sb, val, strlen(val));
		free(name);
		name = NULL;
		if (err)
			goto nomem;
		in = end + 1;
	}
	*out = sb.s;
	sb.s = NULL;
	goto out;
nomem:
	err = oom(c);
out:
	free(name);
	free(sb.s);
	return err;
}

static int check_static_name(const struct ctx *c, const yaml_node_t *key)
{
	const char *name = scalar(key);
	char q[QUOTE_BUF];
	size_t len = key->data.scalar.length;
	bool ok = len > 0;

	for (size_t i = 0; ok && i < len; i++)
		ok = is_name_char(name[i], i == 0);
	quote(q, sizeof(q), name, len);
	if (!ok)
		return fail_at(c, key->start_mark,
			       "static_labels: invalid label name %s: must match "
			       "[a-zA-Z_][a-zA-Z0-9_]*",
			       q);
	if (!strncmp(name, "__", 2))
		return fail_at(c, key->start_mark,
			       "static_labels: invalid label name %s: names starting with \"__\" "
			       "are reserved for Prometheus",
			       q);
	for (int k = 0; k < OBJECT_KIND_MAX; k++) {
		if (labels_slot(k, name) >= 0)
			return fail_at(c, key->start_mark,
				       "static_labels: label name %s collides with a label of %s "
				       "series",
				       q, labels_kind_name(k));
	}
	for (size_t i = 0; i < ARRAY_SIZE(self_labels); i++) {
		if (!strcmp(name, self_labels[i]))
			return fail_at(c, key->start_mark,
				       "static_labels: label name %s collides with a label of the "
				       "exporter's own metrics",
				       q);
	}
	return 0;
}

static void static_labels_free(struct static_label *labels, size_t n)
{
	for (size_t i = 0; labels && i < n; i++) {
		free(labels[i].name);
		free(labels[i].value);
	}
	free(labels);
}

/* static_labels: { name: value }; replaces the default mapping as a whole. */
static int parse_static_labels(const struct ctx *c, struct config *cfg, int arg, const char *path,
			       const yaml_node_t *value)
{
	struct static_label *labels = NULL;
	char child[PATH_BUF];
	size_t n = 0;
	int err = 0;

	(void)arg;
	if (!is_null(value)) {
		err = expect_mapping(c, path, value);
		if (!err)
			err = check_keys(c, path, value);
		if (err)
			return err;
		n = nr_pairs(value);
	}
	if (n) {
		labels = calloc(n, sizeof(*labels));
		if (!labels)
			return oom(c);
	}
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *key = node_at(c, value->data.mapping.pairs.start[i].key);
		const yaml_node_t *val = node_at(c, value->data.mapping.pairs.start[i].value);
		const char *raw = NULL;

		err = check_static_name(c, key);
		if (err)
			goto out;
		snprintf(child, sizeof(child), "%s.%s", path, scalar(key));
		err = get_string(c, child, val, &raw);
		if (!err)
			err = expand_env(c, child, val, raw, &labels[i].value);
		if (err)
			goto out;
		labels[i].name = strdup(scalar(key));
		if (!labels[i].name) {
			err = oom(c);
			goto out;
		}
	}
	static_labels_free(cfg->static_labels, cfg->nr_static_labels);
	cfg->static_labels = labels;
	cfg->nr_static_labels = n;
	labels = NULL;
out:
	static_labels_free(labels, n);
	return err;
}

/* ---- documents ----------------------------------------------------------- */

static const struct field top_fields[] = {
	{"web", parse_web, 0},
	{"log", parse_log, 0},
	{"collectors", parse_collectors, 0},
	{"labels", parse_labels, 0},
	{"filters", parse_filters, 0},
	{"static_labels", parse_static_labels, 0},
	{"compat", parse_compat, 0},
	{"counting", parse_counting, 0},
	{"programs", parse_programs, 0},
	{"memory", parse_memory, 0},
};

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

static int yaml_error(const struct ctx *c, const yaml_parser_t *p, const char *text, size_t len)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return oom(c);
	case YAML_READER_ERROR:
		if (p->problem_value != -1)
			return fail_at(c, mark_of_offset(text, len, p->problem_offset),
				       "%s (0x%02x)", problem, (unsigned int)p->problem_value);
		return fail_at(c, mark_of_offset(text, len, p->problem_offset), "%s", problem);
	default:
		if (p->context)
			return fail_at(c, p->problem_mark, "%s (%s at line %zu, column %zu)",
				       problem, p->context, p->context_mark.line + 1,
				       p->context_mark.column + 1);
		return fail_at(c, p->problem_mark, "%s", problem);
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
static int prescan(const struct ctx *c, const char *text, size_t len)
{
	yaml_parser_t parser;
	bool done = false;
	int docs = 0, err = 0;

	if (!yaml_parser_initialize(&parser))
		return oom(c);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!err && !done) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			err = yaml_error(c, &parser, text, len);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1)
			err = fail_at(c, ev.start_mark,
				      "multiple YAML documents are not supported");
		else if (ev.type == YAML_ALIAS_EVENT || event_anchor(&ev))
			err = fail_at(c, ev.start_mark,
				      "anchors and aliases (&name, *name) are not supported");
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return err;
}

static int apply_text(struct config *cfg, const char *name, const char *text, size_t len,
		      char *err_buf, size_t err_size)
{
	yaml_document_t doc;
	struct ctx c = {.doc = &doc, .name = name, .err = err_buf, .err_size = err_size};
	yaml_parser_t parser;
	yaml_node_t *root;
	int err;

	err = prescan(&c, text, len);
	if (err)
		return err;
	if (!yaml_parser_initialize(&parser))
		return oom(&c);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) { /* frees doc itself on failure */
		err = yaml_error(&c, &parser, text, len);
		goto out;
	}
	root = yaml_document_get_root_node(&doc); /* NULL: no document at all */
	if (root)
		err = parse_fields(&c, cfg, "", root, top_fields, ARRAY_SIZE(top_fields));
	yaml_document_delete(&doc);
out:
	yaml_parser_delete(&parser);
	return err;
}

/* Every user key is optional, so the embedded default must set them all. */
static int check_complete(const struct config *cfg, char *err, size_t err_size)
{
	const char *missing = NULL;

	if (!cfg->listen_address)
		missing = "web.listen_address";
	else if (!cfg->telemetry_path)
		missing = "web.telemetry_path";
	else if (!cfg->max_connections)
		missing = "web.max_connections";
	else if (!cfg->max_connections_per_ip)
		missing = "web.max_connections_per_ip";
	else if (!cfg->timeout_seconds)
		missing = "web.timeout_seconds";
	else if (!cfg->policy[OBJECT_MAP].nr_selected)
		missing = "labels.maps";
	else if (!cfg->policy[OBJECT_PROG].nr_selected)
		missing = "labels.programs";
	if (!missing)
		return 0;
	set_err(err, err_size, "<embedded>: the default config does not set %s", missing);
	return -EINVAL;
}

/* The default, then text over it (text NULL: the default alone). */
static struct config *parse(const char *name, const char *text, size_t len, char *err,
			    size_t err_size)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	int ret;

	if (!cfg) {
		set_err(err, err_size, "%s: %s", name, strerror(ENOMEM));
		return NULL;
	}
	ret = apply_text(cfg, "<embedded>", config_default_yaml, strlen(config_default_yaml), err,
			 err_size);
	if (!ret)
		ret = check_complete(cfg, err, err_size);
	if (!ret && text)
		ret = apply_text(cfg, name, text, len, err, err_size);
	if (ret) {
		config__free(cfg);
		return NULL;
	}
	return cfg;
}

struct config *config__parse(const char *name, const char *text, size_t len, char *err,
			     size_t err_size)
{
	return parse(name ? name : "<input>", text ? text : "", text ? len : 0, err, err_size);
}

struct config *config__load_default(char *err, size_t err_size)
{
	return parse("<embedded>", NULL, 0, err, err_size);
}

/* Reads at most CONFIG_MAX_SIZE bytes; -EFBIG beyond. */
static int read_file(const char *path, char **out, size_t *out_len)
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

			if (cap > CONFIG_MAX_SIZE) {
				err = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 16384;
			if (cap > CONFIG_MAX_SIZE + 1)
				cap = CONFIG_MAX_SIZE + 1;
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
	if (len > CONFIG_MAX_SIZE) {
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

struct config *config__load_file(const char *path, char *err, size_t err_size)
{
	struct config *cfg = NULL;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	ret = read_file(path, &buf, &len);
	if (ret == -EFBIG)
		set_err(err, err_size, "%s: file is larger than %d bytes (1 MiB)", path,
			CONFIG_MAX_SIZE);
	else if (ret)
		set_err(err, err_size, "%s: %s", path, strerror(-ret));
	else
		cfg = config__parse(path, buf ? buf : "", len, err, err_size);
	free(buf);
	return cfg;
}

void config__free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->listen_address);
	free(cfg->telemetry_path);
	for (int k = 0; k < OBJECT_KIND_MAX; k++)
		label_policy__fini(&cfg->policy[k]);
	static_labels_free(cfg->static_labels, cfg->nr_static_labels);
	free(cfg);
}
