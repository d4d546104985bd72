// SPDX-License-Identifier: Apache-2.0
/* Label schema of each object kind, and the include/exclude/select policy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labels.h"

static const char *const map_labels[MAP_LABEL_MAX] = {
	[MAP_LABEL_ID] = "id",
	[MAP_LABEL_NAME] = "name",
	[MAP_LABEL_TYPE] = "map_type",
	[MAP_LABEL_PROG] = "prog",
	[MAP_LABEL_COMM] = "comm",
	[MAP_LABEL_PID] = "pid",
	[MAP_LABEL_CONTAINER_ID] = "container_id",
	[MAP_LABEL_CONTAINER] = "container",
	[MAP_LABEL_POD] = "pod",
	[MAP_LABEL_NAMESPACE] = "namespace",
	[MAP_LABEL_CGROUP] = "cgroup",
};

static const char *const prog_labels[PROG_LABEL_MAX] = {
	[PROG_LABEL_ID] = "id",
	[PROG_LABEL_NAME] = "name",
	[PROG_LABEL_TYPE] = "prog_type",
	[PROG_LABEL_TAG] = "tag",
	[PROG_LABEL_COMM] = "comm",
	[PROG_LABEL_PID] = "pid",
	[PROG_LABEL_CONTAINER_ID] = "container_id",
	[PROG_LABEL_CONTAINER] = "container",
	[PROG_LABEL_POD] = "pod",
	[PROG_LABEL_NAMESPACE] = "namespace",
	[PROG_LABEL_CGROUP] = "cgroup",
};

_Static_assert(MAP_LABEL_MAX <= LABELS_MAX, "LABELS_MAX too small for maps");
_Static_assert(PROG_LABEL_MAX <= LABELS_MAX, "LABELS_MAX too small for programs");

static const struct {
	const char *kind_name;
	const char *const *names;
	int count;
} schemas[OBJECT_KIND_MAX] = {
	[OBJECT_MAP] = {"maps", map_labels, MAP_LABEL_MAX},
	[OBJECT_PROG] = {"programs", prog_labels, PROG_LABEL_MAX},
};

static void set_err(char *err, size_t err_size, const char *msg)
{
	if (err && err_size)
		snprintf(err, err_size, "%s", msg);
}

static bool kind_valid(enum object_kind kind)
{
	return (unsigned int)kind < OBJECT_KIND_MAX;
}

const char *labels_name(enum object_kind kind, int slot)
{
	if (!kind_valid(kind) || slot < 0 || slot >= schemas[kind].count)
		return NULL;
	return schemas[kind].names[slot];
}

int labels_count(enum object_kind kind)
{
	return kind_valid(kind) ? schemas[kind].count : 0;
}

int labels_slot(enum object_kind kind, const char *name)
{
	if (!kind_valid(kind) || !name)
		return -ENOENT;
	for (int i = 0; i < schemas[kind].count; i++) {
		if (!strcmp(schemas[kind].names[i], name))
			return i;
	}
	return -ENOENT;
}

const char *labels_kind_name(enum object_kind kind)
{
	return kind_valid(kind) ? schemas[kind].kind_name : NULL;
}

/* Skips a bracket expression starting at p[0] == '['; returns the index after its ']'. */
static size_t skip_bracket(const char *p)
{
	size_t i = 1;

	if (p[i] == '^')
		i++;
	if (p[i] == ']') /* a leading ']' is a literal */
		i++;
	while (p[i] && p[i] != ']') {
		/* [:class:], [.coll.], [=equiv=] may contain ']' */
		if (p[i] == '[' && (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
			char end = p[i + 1];

			i += 2;
			while (p[i] && !(p[i] == end && p[i + 1] == ']'))
				i++;
			if (p[i])
				i += 2;
			continue;
		}
		i++;
	}
	return p[i] ? i + 1 : i;
}

/*
 * glibc takes an unmatched ')' as a literal and supports back-references
 * in EREs: inside "^(...)$" the first would close the anchoring group
 * ("a)|b" would match anything ending in "b)"), the second would refer
 * to it. Prometheus (RE2) has neither, so reject both.
 */
static int check_pattern(const char *p, char *err, size_t err_size)
{
	int depth = 0;

	for (size_t i = 0; p[i];) {
		switch (p[i]) {
		case '\\':
			if (p[i + 1] >= '1' && p[i + 1] <= '9') {
				set_err(err, err_size, "back-references are not supported");
				return -EINVAL;
			}
			i += p[i + 1] ? 2 : 1;
			continue;
		case '[':
			i += skip_bracket(p + i);
			continue;
		case '(':
			depth++;
			break;
		case ')':
			if (--depth < 0) {
				set_err(err, err_size,
					"unmatched ) (write \\) for a literal parenthesis)");
				return -EINVAL;
			}
			break;
		}
		i++;
	}
	return 0;
}

static int compile(regex_t *re, const char *pattern, char *err, size_t err_size)
{
	int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);

	if (rc) {
		if (err && err_size)
			regerror(rc, re, err, err_size);
		return rc == REG_ESPACE ? -ENOMEM : -EINVAL;
	}
	return 0;
}

int label_rule__init(struct label_rule *rule, int slot, const char *pattern, char *err,
		     size_t err_size)
{
	char *pat = NULL, *anchored = NULL;
	regex_t re;
	int err_ret;

	memset(rule, 0, sizeof(*rule));
	/* The pattern on its own first, so that regerror speaks of what the user wrote. */
	err_ret = compile(&re, pattern, err, err_size);
	if (err_ret)
		goto out;
	regfree(&re);
	err_ret = check_pattern(pattern, err, err_size);
	if (err_ret)
		goto out;

	pat = strdup(pattern);
	if (asprintf(&anchored, "^(%s)$", pattern) < 0)
		anchored = NULL;
	if (!pat || !anchored) {
		set_err(err, err_size, strerror(ENOMEM));
		err_ret = -ENOMEM;
		goto out;
	}
	err_ret = compile(&rule->re, anchored, err, err_size);
	if (err_ret)
		goto out;
	rule->slot = slot;
	rule->pattern = pat; /* set last: a non-NULL pattern means re is compiled */
	pat = NULL;
out:
	free(anchored);
	free(pat);
	return err_ret;
}

void label_rule__fini(struct label_rule *rule)
{
	if (!rule || !rule->pattern)
		return;
	regfree(&rule->re);
	free(rule->pattern);
	rule->pattern = NULL;
}

static void rules_free(struct label_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		label_rule__fini(&rules[i]);
	free(rules);
}

void label_policy__fini(struct label_policy *policy)
{
	if (!policy)
		return;
	rules_free(policy->include, policy->nr_include);
	rules_free(policy->exclude, policy->nr_exclude);
	policy->include = NULL;
	policy->exclude = NULL;
	policy->nr_include = 0;
	policy->nr_exclude = 0;
}

static const char *value_of(const char *const *values, int slot)
{
	return values && values[slot] ? values[slot] : "";
}

static bool rule_matches(const struct label_rule *rule, const char *const *values)
{
	return regexec(&rule->re, value_of(values, rule->slot), 0, NULL, 0) == 0;
}

bool label_policy__keep(const struct label_policy *policy, const char *const *values)
{
	if (!policy)
		return true;
	for (size_t i = 0; i < policy->nr_include; i++) {
		if (!rule_matches(&policy->include[i], values))
			return false;
	}
	for (size_t i = 0; i < policy->nr_exclude; i++) {
		if (rule_matches(&policy->exclude[i], values))
			return false;
	}
	return true;
}

size_t label_policy__select(const struct label_policy *policy, enum object_kind kind,
			    const char *const *values, struct expo_label *out)
{
	const char *const *names;
	size_t n = 0;

	if (!policy || !kind_valid(kind))
		return 0;
	/* Once per object per scrape: the schema's table read directly. */
	names = schemas[kind].names;
	for (size_t i = 0; i < policy->nr_selected && i < LABELS_MAX; i++) {
		int slot = policy->selected[i];

		if (slot < 0 || slot >= schemas[kind].count)
			continue;
		out[n].name = names[slot];
		out[n].value = value_of(values, slot);
		n++;
	}
	return n;
}
