// SPDX-License-Identifier: Apache-2.0
/* Label schema, rule compilation and the keep/select policy. */
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "labels.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A policy owning rules built from (slot, pattern) pairs; asserts they compile. */
static void add_rule(struct label_rule **rules, size_t *n, int slot, const char *pattern)
{
	char err[256] = "";
	struct label_rule *r = realloc(*rules, (*n + 1) * sizeof(**rules));

	assert_non_null(r);
	*rules = r;
	if (label_rule__init(&r[*n], slot, pattern, err, sizeof(err)))
		fail_msg("pattern \"%s\": %s", pattern, err);
	(*n)++;
}

static void include(struct label_policy *p, int slot, const char *pattern)
{
	add_rule(&p->include, &p->nr_include, slot, pattern);
}

static void exclude(struct label_policy *p, int slot, const char *pattern)
{
	add_rule(&p->exclude, &p->nr_exclude, slot, pattern);
}

/* Map values: id, name, map_type, prog. */
static bool keep_map(const struct label_policy *p, const char *id, const char *name,
		     const char *type, const char *prog)
{
	const char *values[MAP_LABEL_MAX] = {id, name, type, prog};

	return label_policy__keep(p, values);
}

static void test_schema(void **state)
{
	(void)state;
	assert_int_equal(labels_count(OBJECT_MAP), MAP_LABEL_MAX);
	assert_int_equal(labels_count(OBJECT_PROG), PROG_LABEL_MAX);
	assert_string_equal(labels_name(OBJECT_MAP, MAP_LABEL_ID), "id");
	assert_string_equal(labels_name(OBJECT_MAP, MAP_LABEL_NAME), "name");
	assert_string_equal(labels_name(OBJECT_MAP, MAP_LABEL_TYPE), "map_type");
	assert_string_equal(labels_name(OBJECT_MAP, MAP_LABEL_PROG), "prog");
	assert_string_equal(labels_name(OBJECT_PROG, PROG_LABEL_ID), "id");
	assert_string_equal(labels_name(OBJECT_PROG, PROG_LABEL_NAME), "name");
	assert_string_equal(labels_name(OBJECT_PROG, PROG_LABEL_TYPE), "prog_type");
	assert_string_equal(labels_name(OBJECT_PROG, PROG_LABEL_TAG), "tag");
	/* Owner labels: the same names, in the same order, in both schemas. */
	{
		static const char *const owner[] = {
			"comm", "pid", "container_id", "container", "pod", "namespace", "cgroup"};

		for (size_t i = 0; i < ARRAY_SIZE(owner); i++) {
			assert_string_equal(labels_name(OBJECT_MAP, MAP_LABEL_COMM + (int)i),
					    owner[i]);
			assert_string_equal(labels_name(OBJECT_PROG, PROG_LABEL_COMM + (int)i),
					    owner[i]);
		}
		assert_int_equal(MAP_LABEL_COMM + (int)ARRAY_SIZE(owner), MAP_LABEL_MAX);
		assert_int_equal(PROG_LABEL_COMM + (int)ARRAY_SIZE(owner), PROG_LABEL_MAX);
	}
	assert_null(labels_name(OBJECT_MAP, -1));
	assert_null(labels_name(OBJECT_MAP, MAP_LABEL_MAX));
	assert_null(labels_name(OBJECT_KIND_MAX, 0));

	assert_int_equal(labels_slot(OBJECT_MAP, "map_type"), MAP_LABEL_TYPE);
	assert_int_equal(labels_slot(OBJECT_PROG, "tag"), PROG_LABEL_TAG);
	assert_int_equal(labels_slot(OBJECT_MAP, "tag"), -ENOENT);
	assert_int_equal(labels_slot(OBJECT_PROG, "map_type"), -ENOENT);
	assert_int_equal(labels_slot(OBJECT_MAP, "ID"), -ENOENT);
	assert_int_equal(labels_slot(OBJECT_MAP, ""), -ENOENT);
	assert_int_equal(labels_slot(OBJECT_KIND_MAX, "id"), -ENOENT);

	assert_string_equal(labels_kind_name(OBJECT_MAP), "maps");
	assert_string_equal(labels_kind_name(OBJECT_PROG), "programs");
	assert_null(labels_kind_name(OBJECT_KIND_MAX));
}

static void test_rule_init(void **state)
{
	struct label_rule rule;
	char err[256];

	(void)state;
	assert_int_equal(label_rule__init(&rule, MAP_LABEL_NAME, "cilium_.*", err, sizeof(err)), 0);
	assert_int_equal(rule.slot, MAP_LABEL_NAME);
	assert_string_equal(rule.pattern, "cilium_.*");
	label_rule__fini(&rule);
	assert_null(rule.pattern);
	label_rule__fini(&rule); /* twice is harmless */
	label_rule__fini(NULL);

	/* Literal parentheses: escaped, or inside a bracket expression. */
	assert_int_equal(label_rule__init(&rule, 0, "a\\)b", err, sizeof(err)), 0);
	label_rule__fini(&rule);
	assert_int_equal(label_rule__init(&rule, 0, "[)(]x[]a)]", err, sizeof(err)), 0);
	label_rule__fini(&rule);
	assert_int_equal(label_rule__init(&rule, 0, "[[:alpha:])]+", err, sizeof(err)), 0);
	label_rule__fini(&rule);
	assert_int_equal(label_rule__init(&rule, 0, "", err, sizeof(err)), 0);
	label_rule__fini(&rule);
}

static void test_rule_errors(void **state)
{
	static const char *const bad[] = {"(", "*", "a{1", "[a", "x\\"};
	struct label_rule rule;
	char err[256], want[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		regex_t re;
		int rc = regcomp(&re, bad[i], REG_EXTENDED | REG_NOSUB);

		assert_int_not_equal(rc, 0);
		regerror(rc, &re, want, sizeof(want));
		err[0] = '\0';
		assert_int_equal(label_rule__init(&rule, 0, bad[i], err, sizeof(err)), -EINVAL);
		assert_string_equal(err, want); /* regerror's text, nothing else */
		assert_null(rule.pattern);
		label_rule__fini(&rule); /* safe after a failed init */
	}

	/* A ')' closing the anchoring group would unanchor the pattern. */
	assert_int_equal(label_rule__init(&rule, 0, "a)|b", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unmatched ) (write \\) for a literal parenthesis)");
	assert_int_equal(label_rule__init(&rule, 0, "a)|(b", err, sizeof(err)), -EINVAL);
	assert_int_equal(label_rule__init(&rule, 0, "(a)\\1", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "back-references are not supported");
	/* No message buffer at all. */
	assert_int_equal(label_rule__init(&rule, 0, "(", NULL, 0), -EINVAL);
}

static void test_anchoring(void **state)
{
	struct label_policy p = {0};

	(void)state;
	include(&p, MAP_LABEL_NAME, "cilium");
	assert_true(keep_map(&p, "1", "cilium", "hash", NULL));
	assert_false(keep_map(&p, "1", "cilium_ct", "hash", NULL));
	assert_false(keep_map(&p, "1", "xcilium", "hash", NULL));
	label_policy__fini(&p);

	/* Alternation stays inside the anchors: ^(a|b)$, not ^a|b$. */
	include(&p, MAP_LABEL_NAME, "a|b");
	assert_true(keep_map(&p, "1", "a", NULL, NULL));
	assert_true(keep_map(&p, "1", "b", NULL, NULL));
	assert_false(keep_map(&p, "1", "ab", NULL, NULL));
	assert_false(keep_map(&p, "1", "xb", NULL, NULL));
	assert_false(keep_map(&p, "1", "ax", NULL, NULL));
	label_policy__fini(&p);

	include(&p, MAP_LABEL_NAME, "cilium_.*");
	assert_true(keep_map(&p, "1", "cilium_ct", NULL, NULL));
	assert_true(keep_map(&p, "1", "cilium_", NULL, NULL));
	assert_false(keep_map(&p, "1", "cilium", NULL, NULL));
	label_policy__fini(&p);
}

static void test_include_and(void **state)
{
	struct label_policy p = {0};

	(void)state;
	include(&p, MAP_LABEL_NAME, "cilium_.*");
	include(&p, MAP_LABEL_TYPE, "hash|lru_hash");
	assert_true(keep_map(&p, "1", "cilium_ct", "hash", NULL));
	assert_true(keep_map(&p, "1", "cilium_ct", "lru_hash", NULL));
	assert_false(keep_map(&p, "1", "cilium_ct", "array", NULL));
	assert_false(keep_map(&p, "1", "other", "hash", NULL));
	assert_false(keep_map(&p, "1", "other", "array", NULL));
	label_policy__fini(&p);
}

static void test_exclude_or(void **state)
{
	struct label_policy p = {0};

	(void)state;
	exclude(&p, MAP_LABEL_NAME, "tmp_.*");
	exclude(&p, MAP_LABEL_TYPE, "ringbuf");
	assert_true(keep_map(&p, "1", "keep", "hash", NULL));
	assert_false(keep_map(&p, "1", "tmp_x", "hash", NULL));
	assert_false(keep_map(&p, "1", "keep", "ringbuf", NULL));
	assert_false(keep_map(&p, "1", "tmp_x", "ringbuf", NULL));
	/* Anchored too: "ringbuf" does not exclude "ringbuf2". */
	assert_true(keep_map(&p, "1", "keep", "ringbuf2", NULL));

	/* Exclude wins over include. */
	include(&p, MAP_LABEL_NAME, ".*");
	assert_true(keep_map(&p, "1", "keep", "hash", NULL));
	assert_false(keep_map(&p, "1", "tmp_x", "hash", NULL));
	label_policy__fini(&p);
	assert_null(p.include);
	assert_int_equal(p.nr_exclude, 0);
}

static void test_null_values(void **state)
{
	struct label_policy p = {0};

	(void)state;
	/* A NULL value is "": ".+" does not match it, "" and ".*" do. */
	include(&p, MAP_LABEL_PROG, ".+");
	assert_false(keep_map(&p, "1", "m", "hash", NULL));
	assert_true(keep_map(&p, "1", "m", "hash", "xdp_prog"));
	label_policy__fini(&p);

	include(&p, MAP_LABEL_PROG, ".*");
	assert_true(keep_map(&p, "1", "m", "hash", NULL));
	label_policy__fini(&p);

	exclude(&p, MAP_LABEL_PROG, "");
	assert_false(keep_map(&p, "1", "m", "hash", NULL)); /* unused maps dropped */
	assert_false(keep_map(&p, "1", "m", "hash", ""));
	assert_true(keep_map(&p, "1", "m", "hash", "p"));
	label_policy__fini(&p);

	/* No rules keeps everything; no policy at all too. */
	assert_true(keep_map(&p, NULL, NULL, NULL, NULL));
	assert_true(label_policy__keep(NULL, NULL));
	label_policy__fini(NULL);
}

static void test_select(void **state)
{
	const char *values[PROG_LABEL_MAX] = {"42", "xdp_main", NULL, "0123abcd"};
	struct label_policy p = {
		.selected = {PROG_LABEL_TAG, PROG_LABEL_ID, PROG_LABEL_TYPE},
		.nr_selected = 3,
	};
	struct expo_label out[LABELS_MAX];

	(void)state;
	memset(out, 0, sizeof(out));
	assert_int_equal(label_policy__select(&p, OBJECT_PROG, values, out), 3);
	/* In policy order, not schema order. */
	assert_string_equal(out[0].name, "tag");
	assert_string_equal(out[0].value, "0123abcd");
	assert_string_equal(out[1].name, "id");
	assert_string_equal(out[1].value, "42");
	assert_string_equal(out[2].name, "prog_type");
	assert_string_equal(out[2].value, ""); /* NULL becomes "" */
	assert_null(out[3].name);

	/* Selection is independent of filtering: name was filtered on, not selected. */
	include(&p, PROG_LABEL_NAME, "xdp_.*");
	assert_true(label_policy__keep(&p, values));
	assert_int_equal(label_policy__select(&p, OBJECT_PROG, values, out), 3);
	label_policy__fini(&p);
	assert_int_equal(p.nr_selected, 3); /* fini frees rules only */

	p.selected[0] = MAP_LABEL_ID;
	p.selected[1] = MAP_LABEL_PROG;
	p.nr_selected = 2;
	{
		const char *mv[MAP_LABEL_MAX] = {"7", "m", "hash", "a,b"};

		assert_int_equal(label_policy__select(&p, OBJECT_MAP, mv, out), 2);
		assert_string_equal(out[0].name, "id");
		assert_string_equal(out[0].value, "7");
		assert_string_equal(out[1].name, "prog");
		assert_string_equal(out[1].value, "a,b");
	}
	assert_int_equal(label_policy__select(NULL, OBJECT_MAP, values, out), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema),	    cmocka_unit_test(test_rule_init),
		cmocka_unit_test(test_rule_errors), cmocka_unit_test(test_anchoring),
		cmocka_unit_test(test_include_and), cmocka_unit_test(test_exclude_or),
		cmocka_unit_test(test_null_values), cmocka_unit_test(test_select),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
