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
#include "yaml_doc.h"
#include "util.h"

#define MAX_CONNECTIONS_MAX 10000
#define TIMEOUT_SECONDS_MAX 3600
#define MEMORY_MAX_AGE_MAX 86400

const char *const collector_names[COLLECTOR_MAX] = {
	[COLLECTOR_MAPS] = "maps",
	[COLLECTOR_PROGRAMS] = "programs",
	[COLLECTOR_OWNERS] = "owners",
	[COLLECTOR_LINKS] = "links",
	[COLLECTOR_MAP_ERRORS] = "map_errors",
	[COLLECTOR_ATTACH_NETLINK] = "attach_netlink",
	[COLLECTOR_ATTACH_CGROUP] = "attach_cgroup",
	[COLLECTOR_ATTACH_PERF_EVENT] = "attach_perf_event",
};

const char *const counting_mode_names[COUNTING_MODE_MAX] = {
	[COUNTING_AUTO] = "auto",   [COUNTING_WALK] = "walk", [COUNTING_ITERATOR] = "iterator",
	[COUNTING_BATCH] = "batch", [COUNTING_KEYS] = "keys", [COUNTING_NONE] = "none",
};

/* Labels of the exporter's own metrics: a static label must not shadow them. */
static const char *const self_labels[] = {"collector", "feature", "version", "revision", "method",
					  "result",    "owner",	  "via",     "path",	 "pod_uid",
					  "by",	       "state",	  "reason"};

static const char *schema_names(enum object_kind kind, char *buf, size_t size)
{
	const char *names[LABELS_MAX];
	int n = labels_count(kind);

	for (int i = 0; i < n; i++)
		names[i] = labels_name(kind, i);
	return ydoc_join(buf, size, names, (size_t)n);
}

/* Slot of a scalar naming a label of kind, or -ENOENT (also for embedded NULs). */
static int scalar_slot(enum object_kind kind, const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || strlen(ydoc_scalar(n)) != n->data.scalar.length)
		return -ENOENT;
	return labels_slot(kind, ydoc_scalar(n));
}

static int replace_string(const struct ydoc *c, char **dst, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return ydoc_oom(c);
	free(*dst);
	*dst = s;
	return 0;
}

/* ---- web ----------------------------------------------------------------- */

static int parse_listen_address(const struct ydoc *c, void *obj, int arg, const char *path,
				const yaml_node_t *value)
{
	struct config *cfg = obj;
	struct sockaddr_storage sa;
	socklen_t sa_len;
	char q[YDOC_QUOTE_BUF];
	const char *s = NULL;
	int err;

	(void)arg;
	err = ydoc_get_string(c, path, value, &s);
	if (err)
		return err;
	if (listen_address_parse(s, &sa, &sa_len))
		return ydoc_fail_at(c, value->start_mark,
				    "%s: invalid address %s: expected \":PORT\", \"IPV4:PORT\", "
				    "\"[IPV6]:PORT\" or \"localhost:PORT\", PORT from 1 to 65535",
				    path, ydoc_quote(q, sizeof(q), s, strlen(s)));
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

static int parse_telemetry_path(const struct ydoc *c, void *obj, int arg, const char *path,
				const yaml_node_t *value)
{
	struct config *cfg = obj;
	char q[YDOC_QUOTE_BUF];
	const char *s = NULL;
	int err;

	(void)arg;
	err = ydoc_get_string(c, path, value, &s);
	if (err)
		return err;
	if (!config_telemetry_path_valid(s))
		return ydoc_fail_at(c, value->start_mark, "%s: %s, got %s", path,
				    CONFIG_TELEMETRY_PATH_RULE,
				    ydoc_quote(q, sizeof(q), s, strlen(s)));
	return replace_string(c, &cfg->telemetry_path, s);
}

/* ---- log, collectors ------------------------------------------------------ */

static int parse_level(const struct ydoc *c, void *obj, int arg, const char *path,
		       const yaml_node_t *value)
{
	struct config *cfg = obj;
	char q[YDOC_QUOTE_BUF];
	const char *s = NULL;
	int err;

	(void)arg;
	err = ydoc_get_string(c, path, value, &s);
	if (err)
		return err;
	if (log_parse_level(s, &cfg->log_level))
		return ydoc_fail_at(c, value->start_mark,
				    "%s: unknown level %s (allowed: debug, info, warn, error)",
				    path, ydoc_quote(q, sizeof(q), s, strlen(s)));
	return 0;
}

static int parse_collectors(const struct ydoc *c, void *obj, int arg, const char *path,
			    const yaml_node_t *value)
{
	struct config *cfg = obj;
	struct ydoc_field fields[COLLECTOR_MAX];

	(void)arg;
	for (int i = 0; i < COLLECTOR_MAX; i++)
		fields[i] = (struct ydoc_field){
			.key = collector_names[i],
			.kind = YDOC_BOOL,
			.offset = offsetof(struct config, collectors) +
				  i * sizeof(cfg->collectors[0]),
		};
	return ydoc_parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
}

/* ---- counting ------------------------------------------------------------ */

static int parse_counting_method(const struct ydoc *c, void *obj, int arg, const char *path,
				 const yaml_node_t *value)
{
	struct config *cfg = obj;
	char q[YDOC_QUOTE_BUF], allowed[YDOC_ALLOWED_BUF];
	const char *s = NULL;
	int err;

	(void)arg;
	err = ydoc_get_string(c, path, value, &s);
	if (err)
		return err;
	for (int i = 0; i < COUNTING_MODE_MAX; i++) {
		if (!strcmp(s, counting_mode_names[i])) {
			cfg->counting_mode = (enum counting_mode)i;
			return 0;
		}
	}
	return ydoc_fail_at(
		c, value->start_mark, "%s: unknown method %s (allowed: %s)", path,
		ydoc_quote(q, sizeof(q), s, strlen(s)),
		ydoc_join(allowed, sizeof(allowed), counting_mode_names, COUNTING_MODE_MAX));
}

/* ---- paths ---------------------------------------------------------------- */

static int get_abs_path(const struct ydoc *c, const char *path, const yaml_node_t *n,
			const char **out)
{
	char q[YDOC_QUOTE_BUF];
	int err = ydoc_get_string(c, path, n, out);

	if (err)
		return err;
	if ((*out)[0] != '/')
		return ydoc_fail_at(c, n->start_mark, "%s: expected an absolute path, got %s", path,
				    ydoc_quote(q, sizeof(q), *out, strlen(*out)));
	return 0;
}

static int parse_rootfs(const struct ydoc *c, void *obj, int arg, const char *path,
			const yaml_node_t *value)
{
	struct config *cfg = obj;
	const char *s = NULL;
	int err;

	(void)arg;
	err = get_abs_path(c, path, value, &s);
	return err ? err : replace_string(c, &cfg->rootfs, s);
}

static void strings_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* paths.bpffs: [dir, ...]; replaces the default list as a whole. */
static int parse_bpffs(const struct ydoc *c, void *obj, int arg, const char *path,
		       const yaml_node_t *value)
{
	struct config *cfg = obj;
	char q[YDOC_QUOTE_BUF];
	char **dirs = NULL;
	size_t n = 0;
	int err = 0;

	(void)arg;
	if (value->type != YAML_SEQUENCE_NODE)
		return ydoc_fail_at(c, value->start_mark,
				    "%s: expected a sequence of paths, got %s", path,
				    ydoc_describe(value, q, sizeof(q)));
	n = (size_t)(value->data.sequence.items.top - value->data.sequence.items.start);
	if (n) {
		dirs = calloc(n, sizeof(*dirs));
		if (!dirs)
			return ydoc_oom(c);
	}
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *item = ydoc_node(c, value->data.sequence.items.start[i]);
		const char *s = NULL;

		err = get_abs_path(c, path, item, &s);
		if (err)
			goto out;
		dirs[i] = strdup(s);
		if (!dirs[i]) {
			err = ydoc_oom(c);
			goto out;
		}
	}
	strings_free(cfg->bpffs, cfg->nr_bpffs);
	cfg->bpffs = dirs;
	cfg->nr_bpffs = n;
	dirs = NULL;
out:
	strings_free(dirs, n);
	return err;
}

/* ---- labels, filters ----------------------------------------------------- */

/* labels.KIND: [id, name, ...]; replaces the default list as a whole. */
static int parse_label_list(const struct ydoc *c, void *obj, int arg, const char *path,
			    const yaml_node_t *value)
{
	struct config *cfg = obj;
	enum object_kind kind = (enum object_kind)arg;
	int selected[LABELS_MAX], id_slot = labels_slot(kind, "id");
	char q[YDOC_QUOTE_BUF], allowed[YDOC_ALLOWED_BUF];
	const yaml_node_item_t *it;
	bool has_id = false;
	size_t n = 0;

	if (value->type != YAML_SEQUENCE_NODE)
		return ydoc_fail_at(c, value->start_mark,
				    "%s: expected a sequence of label names, got %s", path,
				    ydoc_describe(value, q, sizeof(q)));
	for (it = value->data.sequence.items.start; it < value->data.sequence.items.top; it++) {
		const yaml_node_t *item = ydoc_node(c, *it);
		int slot = scalar_slot(kind, item);

		if (item->type != YAML_SCALAR_NODE || ydoc_is_null(item))
			return ydoc_fail_at(c, item->start_mark,
					    "%s: expected a label name, got %s", path,
					    ydoc_describe(item, q, sizeof(q)));
		if (slot < 0)
			return ydoc_fail_at(c, item->start_mark,
					    "%s: unknown label %s (allowed: %s)", path,
					    ydoc_describe(item, q, sizeof(q)),
					    schema_names(kind, allowed, sizeof(allowed)));
		for (size_t i = 0; i < n; i++) {
			if (selected[i] == slot)
				return ydoc_fail_at(c, item->start_mark, "%s: duplicate label %s",
						    path, ydoc_describe(item, q, sizeof(q)));
		}
		selected[n++] = slot; /* distinct schema slots: n stays <= LABELS_MAX */
		has_id |= slot == id_slot;
	}
	if (!has_id)
		return ydoc_fail_at(
			c, value->start_mark,
			"%s: must include \"id\": series of objects sharing a name would "
			"collide",
			path);
	memcpy(cfg->policy[kind].selected, selected, n * sizeof(selected[0]));
	cfg->policy[kind].nr_selected = n;
	return 0;
}

static int parse_labels(const struct ydoc *c, void *obj, int arg, const char *path,
			const yaml_node_t *value)
{
	struct config *cfg = obj;
	struct ydoc_field fields[OBJECT_KIND_MAX];

	(void)arg;
	for (int i = 0; i < OBJECT_KIND_MAX; i++)
		fields[i] = (struct ydoc_field)YDOC_CALL(labels_kind_name(i), parse_label_list, i);
	return ydoc_parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
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
static int parse_rules(const struct ydoc *c, void *obj, int arg, const char *path,
		       const yaml_node_t *value)
{
	struct config *cfg = obj;
	enum object_kind kind = (enum object_kind)(arg / 2);
	struct label_policy *policy = &cfg->policy[kind];
	char q[YDOC_QUOTE_BUF], allowed[YDOC_ALLOWED_BUF], rerr[256];
	struct label_rule *rules = NULL, *old_rules;
	size_t n = 0, old_n;
	int err = 0;

	err = ydoc_open_mapping(c, path, value, sizeof(*rules), (void **)&rules, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *key, *val;
		char child[YDOC_PATH_BUF];
		const char *pattern = NULL;
		int slot;

		ydoc_pair(c, value, i, &key, &val);
		slot = scalar_slot(kind, key);

		if (slot < 0) {
			err = ydoc_fail_at(c, key->start_mark, "%s: unknown label %s (allowed: %s)",
					   path, ydoc_describe(key, q, sizeof(q)),
					   schema_names(kind, allowed, sizeof(allowed)));
			goto out;
		}
		snprintf(child, sizeof(child), "%s.%s", path, labels_name(kind, slot));
		err = ydoc_get_string(c, child, val, &pattern);
		if (err)
			goto out;
		err = label_rule__init(&rules[i], slot, pattern, rerr, sizeof(rerr));
		if (err == -ENOMEM) {
			err = ydoc_oom(c);
			goto out;
		}
		if (err) {
			err = ydoc_fail_at(c, val->start_mark, "%s: invalid regex %s: %s", child,
					   ydoc_quote(q, sizeof(q), pattern, strlen(pattern)),
					   rerr);
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

static int parse_filter_kind(const struct ydoc *c, void *obj, int arg, const char *path,
			     const yaml_node_t *value)
{
	struct config *cfg = obj;
	const struct ydoc_field fields[] = {
		YDOC_CALL("include", parse_rules, arg * 2),
		YDOC_CALL("exclude", parse_rules, arg * 2 + 1),
	};

	return ydoc_parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
}

static int parse_filters(const struct ydoc *c, void *obj, int arg, const char *path,
			 const yaml_node_t *value)
{
	struct config *cfg = obj;
	struct ydoc_field fields[OBJECT_KIND_MAX];

	(void)arg;
	for (int i = 0; i < OBJECT_KIND_MAX; i++)
		fields[i] = (struct ydoc_field)YDOC_CALL(labels_kind_name(i), parse_filter_kind, i);
	return ydoc_parse_fields(c, cfg, path, value, fields, ARRAY_SIZE(fields));
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
static int expand_env(const struct ydoc *c, const char *path, const yaml_node_t *node,
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
			err = ydoc_fail_at(
				c, node->start_mark,
				"%s: lone \"$\" in value (write ${VAR}, ${VAR:-default}, or "
				"$$ for a literal \"$\")",
				path);
			goto out;
		}
		p = dollar + 2;
		end = strchr(p, '}');
		if (!end) {
			err = ydoc_fail_at(c, node->start_mark, "%s: unterminated \"${\" in value",
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
			char q[YDOC_QUOTE_BUF];

			err = ydoc_fail_at(
				c, node->start_mark,
				"%s: invalid variable reference %s: expected ${NAME} or "
				"${NAME:-default}, NAME matching [a-zA-Z_][a-zA-Z0-9_]*",
				path, ydoc_quote(q, sizeof(q), dollar, (size_t)(end - dollar) + 1));
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
	err = ydoc_oom(c);
out:
	free(name);
	free(sb.s);
	return err;
}

static int check_static_name(const struct ydoc *c, const yaml_node_t *key)
{
	const char *name = ydoc_scalar(key);
	char q[YDOC_QUOTE_BUF];
	size_t len = key->data.scalar.length;
	bool ok = len > 0;

	for (size_t i = 0; ok && i < len; i++)
		ok = is_name_char(name[i], i == 0);
	ydoc_quote(q, sizeof(q), name, len);
	if (!ok)
		return ydoc_fail_at(c, key->start_mark,
				    "static_labels: invalid label name %s: must match "
				    "[a-zA-Z_][a-zA-Z0-9_]*",
				    q);
	if (!strncmp(name, "__", 2))
		return ydoc_fail_at(
			c, key->start_mark,
			"static_labels: invalid label name %s: names starting with \"__\" "
			"are reserved for Prometheus",
			q);
	for (int k = 0; k < OBJECT_KIND_MAX; k++) {
		if (labels_slot(k, name) >= 0)
			return ydoc_fail_at(
				c, key->start_mark,
				"static_labels: label name %s collides with a label of %s "
				"series",
				q, labels_kind_name(k));
	}
	for (size_t i = 0; i < ARRAY_SIZE(self_labels); i++) {
		if (!strcmp(name, self_labels[i]))
			return ydoc_fail_at(
				c, key->start_mark,
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
static int parse_static_labels(const struct ydoc *c, void *obj, int arg, const char *path,
			       const yaml_node_t *value)
{
	struct config *cfg = obj;
	struct static_label *labels = NULL;
	char child[YDOC_PATH_BUF];
	size_t n = 0;
	int err = 0;

	(void)arg;
	err = ydoc_open_mapping(c, path, value, sizeof(*labels), (void **)&labels, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *key, *val;
		const char *raw = NULL;

		ydoc_pair(c, value, i, &key, &val);

		err = check_static_name(c, key);
		if (err)
			goto out;
		snprintf(child, sizeof(child), "%s.%s", path, ydoc_scalar(key));
		err = ydoc_get_string(c, child, val, &raw);
		if (!err)
			err = expand_env(c, child, val, raw, &labels[i].value);
		if (err)
			goto out;
		labels[i].name = strdup(ydoc_scalar(key));
		if (!labels[i].name) {
			err = ydoc_oom(c);
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

/* ---- the schema, documents ------------------------------------------------ */

static const struct ydoc_field web_fields[] = {
	YDOC_CALL("listen_address", parse_listen_address, 0),
	YDOC_CALL("telemetry_path", parse_telemetry_path, 0),
	YDOC_UINT_AT("max_connections", struct config, max_connections, 1, MAX_CONNECTIONS_MAX),
	YDOC_UINT_AT("max_connections_per_ip", struct config, max_connections_per_ip, 1,
		     MAX_CONNECTIONS_MAX),
	YDOC_UINT_AT("timeout_seconds", struct config, timeout_seconds, 1, TIMEOUT_SECONDS_MAX),
};
static const struct ydoc_field log_fields[] = {YDOC_CALL("level", parse_level, 0)};
static const struct ydoc_field compat_fields[] = {
	YDOC_BOOL_AT("seed_metrics", struct config, seed_metrics),
};
static const struct ydoc_field counting_fields[] = {
	YDOC_CALL("method", parse_counting_method, 0),
	YDOC_UINT_AT("fallback_max_entries", struct config, fallback_max_entries, 0, UINT_MAX),
};
static const struct ydoc_field paths_fields[] = {
	YDOC_CALL("rootfs", parse_rootfs, 0),
	YDOC_CALL("bpffs", parse_bpffs, 0),
};
static const struct ydoc_field owners_fields[] = {
	YDOC_BOOL_AT("via_programs", struct config, owners_via_programs),
};
static const struct ydoc_field programs_fields[] = {
	YDOC_BOOL_AT("run_stats", struct config, run_stats),
};
static const struct ydoc_field memory_fields[] = {
	YDOC_UINT_AT("max_age_seconds", struct config, memory_max_age_seconds, 0,
		     MEMORY_MAX_AGE_MAX),
	YDOC_UINT_AT("reads_per_scrape", struct config, memory_reads_per_scrape, 0, UINT_MAX),
};

static const struct ydoc_field top_fields[] = {
	YDOC_MAPPING_OF("web", web_fields),
	YDOC_MAPPING_OF("log", log_fields),
	YDOC_CALL("collectors", parse_collectors, 0),
	YDOC_CALL("labels", parse_labels, 0),
	YDOC_CALL("filters", parse_filters, 0),
	YDOC_CALL("static_labels", parse_static_labels, 0),
	YDOC_MAPPING_OF("compat", compat_fields),
	YDOC_MAPPING_OF("counting", counting_fields),
	YDOC_MAPPING_OF("paths", paths_fields),
	YDOC_MAPPING_OF("owners", owners_fields),
	YDOC_MAPPING_OF("programs", programs_fields),
	YDOC_MAPPING_OF("memory", memory_fields),
};

static int apply_root(const struct ydoc *c, const yaml_node_t *root, void *obj)
{
	return ydoc_parse_fields(c, obj, "", root, top_fields, ARRAY_SIZE(top_fields));
}

static int apply_text(struct config *cfg, const char *name, const char *text, size_t len,
		      char *err_buf, size_t err_size)
{
	return ydoc_load(name, text, len, err_buf, err_size, apply_root, cfg);
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
	else if (!cfg->rootfs)
		missing = "paths.rootfs";
	if (!missing)
		return 0;
	ydoc_set_err(err, err_size, "<embedded>: the default config does not set %s", missing);
	return -EINVAL;
}

/* The default, then text over it (text NULL: the default alone). */
static struct config *parse(const char *name, const char *text, size_t len, char *err,
			    size_t err_size)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	int ret;

	if (!cfg) {
		ydoc_set_err(err, err_size, "%s: %s", name, strerror(ENOMEM));
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

struct config *config__load_file(const char *path, char *err, size_t err_size)
{
	struct config *cfg = NULL;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	ret = ydoc_read_file_err(path, &buf, &len, err, err_size);
	if (!ret)
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
	free(cfg->rootfs);
	strings_free(cfg->bpffs, cfg->nr_bpffs);
	free(cfg);
}
