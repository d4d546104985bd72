// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the exposition writer: exact output strings. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <cmocka.h>

#include "expo.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int setup(void **state)
{
	*state = expo__new();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	expo__free(*state);
	return 0;
}

/* Exact comparison, length included, so embedded garbage cannot hide. */
static void assert_output(const struct expo *e, const char *want)
{
	size_t len;
	const char *got = expo__data(e, &len);

	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
}

static void one_sample(struct expo *e, const char *value)
{
	struct expo_label l[] = {{"v", value}};

	expo__family(e, "m", NULL, EXPO_GAUGE);
	expo__sample(e, l, 1, 1);
}

static void test_new_is_empty(void **state)
{
	struct expo *e = *state;

	assert_int_equal(expo__error(e), 0);
	assert_output(e, "");
	assert_non_null(expo__data(e, NULL));
}

static void test_free_null(void **state)
{
	(void)state;
	expo__free(NULL);
}

static void test_help_type_once(void **state)
{
	struct expo *e = *state;
	struct expo_label a[] = {{"x", "a"}};
	struct expo_label b[] = {{"x", "b"}};

	expo__family(e, "m_gauge", "A gauge.", EXPO_GAUGE);
	expo__sample(e, a, 1, 1);
	expo__sample(e, b, 1, 2);
	expo__family(e, "m_total", "A counter.", EXPO_COUNTER);
	expo__sample(e, NULL, 0, 7);
	expo__family(e, "m_untyped", "Untyped.", EXPO_UNTYPED);
	expo__sample_u64(e, NULL, 0, 9);
	assert_int_equal(expo__error(e), 0);
	assert_output(e, "# HELP m_gauge A gauge.\n"
			 "# TYPE m_gauge gauge\n"
			 "m_gauge{x=\"a\"} 1\n"
			 "m_gauge{x=\"b\"} 2\n"
			 "# HELP m_total A counter.\n"
			 "# TYPE m_total counter\n"
			 "m_total 7\n"
			 "# HELP m_untyped Untyped.\n"
			 "# TYPE m_untyped untyped\n"
			 "m_untyped 9\n");
}

static void test_family_without_samples_is_silent(void **state)
{
	struct expo *e = *state;

	expo__family(e, "nothing", "Never sampled.", EXPO_GAUGE);
	expo__family(e, "something", "Sampled.", EXPO_GAUGE);
	expo__sample(e, NULL, 0, 1);
	expo__family(e, "nothing_either", "Never sampled.", EXPO_COUNTER);
	assert_int_equal(expo__error(e), 0);
	assert_output(e, "# HELP something Sampled.\n"
			 "# TYPE something gauge\n"
			 "something 1\n");
}

static void test_reopen_same_family(void **state)
{
	struct expo *e = *state;

	expo__family(e, "m", "Help.", EXPO_GAUGE);
	expo__sample(e, NULL, 0, 1);
	expo__family(e, "m", "Help.", EXPO_GAUGE);
	expo__sample(e, NULL, 0, 2);
	assert_output(e, "# HELP m Help.\n"
			 "# TYPE m gauge\n"
			 "m 1\n"
			 "m 2\n");
}

static void test_no_help(void **state)
{
	struct expo *e = *state;

	expo__family(e, "a", NULL, EXPO_GAUGE);
	expo__sample(e, NULL, 0, 1);
	expo__family(e, "b", "", EXPO_COUNTER);
	expo__sample(e, NULL, 0, 2);
	assert_output(e, "# TYPE a gauge\n"
			 "a 1\n"
			 "# TYPE b counter\n"
			 "b 2\n");
}

/* Help is copied: the caller's buffer may change before the first sample. */
static void test_family_strings_copied(void **state)
{
	struct expo *e = *state;
	char name[] = "copied";
	char help[] = "Original.";

	expo__family(e, name, help, EXPO_GAUGE);
	strcpy(name, "zzzzzz");
	strcpy(help, "Changed!!");
	expo__sample(e, NULL, 0, 1);
	assert_output(e, "# HELP copied Original.\n"
			 "# TYPE copied gauge\n"
			 "copied 1\n");
}

static void test_help_escaping(void **state)
{
	struct expo *e = *state;

	expo__family(e, "m", "back\\slash new\nline \"quotes\" stay", EXPO_GAUGE);
	expo__sample(e, NULL, 0, 1);
	assert_output(e, "# HELP m back\\\\slash new\\nline \"quotes\" stay\n"
			 "# TYPE m gauge\n"
			 "m 1\n");
}

static void test_label_escaping(void **state)
{
	struct expo *e = *state;
	struct expo_label l[] = {
		{"path", "C:\\dir\\"},
		{"q", "say \"hi\""},
		{"nl", "a\nb\n"},
		{"tab", "a\tb"},
	};

	expo__family(e, "m", NULL, EXPO_GAUGE);
	expo__sample(e, l, ARRAY_SIZE(l), 1);
	assert_output(e, "# TYPE m gauge\n"
			 "m{path=\"C:\\\\dir\\\\\",q=\"say \\\"hi\\\"\",nl=\"a\\nb\\n\","
			 "tab=\"a\tb\"} 1\n");
}

static void test_utf8_valid_kept(void **state)
{
	struct expo *e = *state;
	/* 2, 3 and 4 byte forms, the edges U+0080, U+07FF, U+D7FF, U+E000, U+10FFFF, and U+FFFD. */
	const char *in = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e \xc2\x80\xdf\xbf"
			 "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\xef\xbf\xbd";
	char out[64];

	assert_int_equal(expo_escape_label_value(in, out, sizeof(out)), strlen(in));
	assert_string_equal(out, in);

	one_sample(e, "\xe6\x97\xa5\xe6\x9c\xac");
	assert_output(e, "# TYPE m gauge\n"
			 "m{v=\"\xe6\x97\xa5\xe6\x9c\xac\"} 1\n");
}

static void check_escape(const char *in, const char *want)
{
	char out[128];

	assert_int_equal(expo_escape_label_value(in, out, sizeof(out)), strlen(want));
	assert_string_equal(out, want);
}

#define FFFD "\xef\xbf\xbd"

static void test_utf8_invalid_replaced(void **state)
{
	(void)state;
	check_escape("a\x80z", "a" FFFD "z"); /* lone continuation byte */
	check_escape("\xbf\xbf", FFFD FFFD);
	check_escape("\xc0\xaf", FFFD FFFD); /* overlong '/' */
	check_escape("\xc1\xbf", FFFD FFFD); /* overlong */
	check_escape("\xe0\x80\xaf", FFFD FFFD FFFD); /* overlong 3-byte */
	check_escape("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD); /* overlong 4-byte */
	check_escape("\xed\xa0\x80", FFFD FFFD FFFD); /* surrogate U+D800 */
	check_escape("\xed\xbf\xbf", FFFD FFFD FFFD); /* surrogate U+DFFF */
	check_escape("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* U+110000 */
	check_escape("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD); /* lead F5 */
	check_escape("\xfe\xff", FFFD FFFD);
	check_escape("x\xe2\x82", "x" FFFD FFFD); /* truncated at the end */
	check_escape("\xe2\x82"
		     "A",
		     FFFD FFFD "A"); /* truncated mid-string */
	check_escape("\xf0\x9f\x98", FFFD FFFD FFFD); /* truncated 4-byte */
	check_escape("\xc3", FFFD); /* truncated 2-byte */
	/* Replacement and escaping mix. */
	check_escape("\xff\"\\\n", FFFD "\\\"\\\\\\n");
}

static void test_utf8_invalid_in_sample(void **state)
{
	struct expo *e = *state;

	one_sample(e, "bad\xc0\xafname\xed\xa0\x80");
	assert_output(e, "# TYPE m gauge\n"
			 "m{v=\"bad" FFFD FFFD "name" FFFD FFFD FFFD "\"} 1\n");
}

static void test_utf8_invalid_in_help(void **state)
{
	struct expo *e = *state;

	expo__family(e, "m", "h\xff", EXPO_GAUGE);
	expo__sample(e, NULL, 0, 1);
	assert_output(e, "# HELP m h" FFFD "\n"
			 "# TYPE m gauge\n"
			 "m 1\n");
}

static void test_empty_labels_omitted(void **state)
{
	struct expo *e = *state;
	struct expo_label some[] = {{"a", ""}, {"b", "x"}, {"c", NULL}, {"d", "y"}};
	struct expo_label none[] = {{"a", ""}, {"b", NULL}};

	expo__family(e, "m", NULL, EXPO_GAUGE);
	expo__sample(e, some, ARRAY_SIZE(some), 1);
	expo__sample(e, none, ARRAY_SIZE(none), 2);
	expo__sample(e, NULL, 0, 3);
	assert_int_equal(expo__error(e), 0);
	assert_output(e, "# TYPE m gauge\n"
			 "m{b=\"x\",d=\"y\"} 1\n"
			 "m 2\n"
			 "m 3\n");
}

static void test_const_labels(void **state)
{
	struct expo *e = *state;
	char env[] = "prod";
	struct expo_label cl[] = {{"env", env}, {"empty", ""}, {"dc", "eu\"1"}};
	struct expo_label own[] = {{"id", "7"}};
	struct expo_label gone[] = {{"id", ""}};

	assert_int_equal(expo__set_const_labels(e, cl, ARRAY_SIZE(cl)), 0);
	strcpy(env, "XXXX"); /* must have been copied */
	expo__family(e, "m", NULL, EXPO_GAUGE);
	expo__sample(e, own, 1, 1);
	expo__sample(e, NULL, 0, 2);
	expo__sample_u64(e, gone, 1, 3);
	assert_output(e, "# TYPE m gauge\n"
			 "m{id=\"7\",env=\"prod\",dc=\"eu\\\"1\"} 1\n"
			 "m{env=\"prod\",dc=\"eu\\\"1\"} 2\n"
			 "m{env=\"prod\",dc=\"eu\\\"1\"} 3\n");

	/* Replacing with none drops them. */
	assert_int_equal(expo__set_const_labels(e, NULL, 0), 0);
	expo__sample(e, own, 1, 4);
	assert_output(e, "# TYPE m gauge\n"
			 "m{id=\"7\",env=\"prod\",dc=\"eu\\\"1\"} 1\n"
			 "m{env=\"prod\",dc=\"eu\\\"1\"} 2\n"
			 "m{env=\"prod\",dc=\"eu\\\"1\"} 3\n"
			 "m{id=\"7\"} 4\n");
}

static void test_special_values(void **state)
{
	struct expo *e = *state;

	expo__family(e, "m", NULL, EXPO_GAUGE);
	expo__sample(e, NULL, 0, INFINITY);
	expo__sample(e, NULL, 0, -INFINITY);
	expo__sample(e, NULL, 0, NAN);
	expo__sample(e, NULL, 0, -NAN);
	assert_output(e, "# TYPE m gauge\n"
			 "m +Inf\n"
			 "m -Inf\n"
			 "m NaN\n"
			 "m NaN\n");
}

static void test_doubles(void **state)
{
	struct expo *e = *state;

	expo__family(e, "m", NULL, EXPO_GAUGE);
	expo__sample(e, NULL, 0, 3);
	expo__sample(e, NULL, 0, 0);
	expo__sample(e, NULL, 0, -0.0);
	expo__sample(e, NULL, 0, -42);
	expo__sample(e, NULL, 0, 0.5);
	expo__sample(e, NULL, 0, 0.1);
	expo__sample(e, NULL, 0, -2.25);
	expo__sample(e, NULL, 0, 123456.789);
	expo__sample(e, NULL, 0, 1e-7);
	expo__sample(e, NULL, 0, 9007199254740993.0); /* rounds to 2^53 */
	expo__sample(e, NULL, 0, 1e18);
	expo__sample(e, NULL, 0, -0x1p63);
	expo__sample(e, NULL, 0, 1e20);
	expo__sample(e, NULL, 0, 0.30000000000000004);
	assert_int_equal(expo__error(e), 0);
	assert_output(e, "# TYPE m gauge\n"
			 "m 3\n"
			 "m 0\n"
			 "m 0\n"
			 "m -42\n"
			 "m 0.5\n"
			 "m 0.1\n"
			 "m -2.25\n"
			 "m 123456.789\n"
			 "m 1e-07\n"
			 "m 9007199254740992\n"
			 "m 1000000000000000000\n"
			 "m -9223372036854775808\n"
			 "m 1e+20\n"
			 "m 0.30000000000000004\n");
}

/* Whatever the spelling, every finite double must read back bit-exact. */
static void test_doubles_round_trip(void **state)
{
	struct expo *e = *state;
	const double vals[] = {
		1.0 / 3, 2.0 / 3, M_PI,	  DBL_MAX, -DBL_MAX, DBL_MIN,	    DBL_TRUE_MIN,
		1e300,	 1e-300,  5e-324, 0x1p63,  0x1p64,   123456789.125, 0.1 + 0.2,
	};
	size_t i, len;
	const char *p;
	char *end;

	expo__family(e, "m", NULL, EXPO_GAUGE);
	for (i = 0; i < ARRAY_SIZE(vals); i++)
		expo__sample(e, NULL, 0, vals[i]);
	assert_int_equal(expo__error(e), 0);
	p = expo__data(e, &len);
	p = strchr(p, '\n') + 1; /* skip TYPE */
	for (i = 0; i < ARRAY_SIZE(vals); i++) {
		assert_memory_equal(p, "m ", 2);
		assert_true(strtod(p + 2, &end) == vals[i]);
		assert_int_equal(*end, '\n');
		p = end + 1;
	}
	assert_int_equal(*p, '\0');
}

/* Every power of ten and its neighbours, and a spread between: as printf says. */
static void test_format_u64(void **state)
{
	char got[24], want[24];
	uint64_t p = 1, x = 7;

	(void)state;
	for (int i = 0; i < 20; i++, p *= 10) {
		for (int64_t d = -2; d <= 2; d++) {
			uint64_t v = p + (uint64_t)d;

			snprintf(want, sizeof(want), "%" PRIu64, v);
			assert_int_equal(expo_format_u64(v, got), strlen(want));
			assert_string_equal(got, want);
		}
	}
	for (int i = 0; i < 100000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t v = x >> (x & 63);

		snprintf(want, sizeof(want), "%" PRIu64, v);
		assert_int_equal(expo_format_u64(v, got), strlen(want));
		assert_string_equal(got, want);
	}
	snprintf(want, sizeof(want), "%" PRIu64, UINT64_MAX);
	expo_format_u64(UINT64_MAX, got);
	assert_string_equal(got, want);
}

static void test_u64(void **state)
{
	struct expo *e = *state;

	expo__family(e, "m_total", NULL, EXPO_COUNTER);
	expo__sample_u64(e, NULL, 0, UINT64_MAX);
	expo__sample_u64(e, NULL, 0, 0);
	expo__sample_u64(e, NULL, 0, (1ULL << 53) + 1);
	assert_output(e, "# TYPE m_total counter\n"
			 "m_total 18446744073709551615\n"
			 "m_total 0\n"
			 "m_total 9007199254740993\n");
}

/* Map flags print as "0x%x" would, without snprintf. */
static void test_hex(void **state)
{
	const uint64_t values[] = {0, 1, 0xa, 0x10, 0x1001, 0xdeadbeef, UINT64_MAX};
	char got[20], want[24];

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(want, sizeof(want), "0x%llx", (unsigned long long)values[i]);
		assert_int_equal(expo_format_hex(values[i], got), strlen(want));
		assert_string_equal(got, want);
	}
}

static void test_valid_names(void **state)
{
	struct expo *e = *state;
	struct expo_label l[] = {{"_L9", "v"}, {"Ab_c", "w"}};

	expo__family(e, "job:rate_5m:Sum_1", NULL, EXPO_GAUGE);
	expo__sample(e, l, ARRAY_SIZE(l), 1);
	expo__family(e, ":x", NULL, EXPO_GAUGE);
	expo__sample(e, NULL, 0, 1);
	expo__family(e, "_", NULL, EXPO_GAUGE);
	expo__sample(e, NULL, 0, 1);
	assert_int_equal(expo__error(e), 0);
	assert_output(e, "# TYPE job:rate_5m:Sum_1 gauge\n"
			 "job:rate_5m:Sum_1{_L9=\"v\",Ab_c=\"w\"} 1\n"
			 "# TYPE :x gauge\n"
			 ":x 1\n"
			 "# TYPE _ gauge\n"
			 "_ 1\n");
}

/* After an error nothing more is written and the error stays the first one. */
static void assert_sticky(struct expo *e, const char *out_before, int err)
{
	struct expo_label l[] = {{"ok", "v"}};

	assert_int_equal(expo__error(e), err);
	expo__family(e, "fine", "Fine.", EXPO_GAUGE);
	expo__sample(e, l, 1, 1);
	expo__sample_u64(e, NULL, 0, 1);
	assert_int_equal(expo__set_const_labels(e, l, 1), err);
	assert_int_equal(expo__error(e), err);
	assert_output(e, out_before);
}

static void test_invalid_metric_names(void **state)
{
	struct expo *e = *state;
	const char *bad[] = {"", "1abc", "a-b", "a b", "a.b", "\xc3\xa9", "m{}", NULL};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		expo__reset(e);
		expo__family(e, "good", NULL, EXPO_GAUGE);
		expo__sample(e, NULL, 0, 1);
		expo__family(e, bad[i], "Help.", EXPO_GAUGE);
		assert_sticky(e, "# TYPE good gauge\ngood 1\n", -EINVAL);
	}
}

static void test_invalid_type(void **state)
{
	struct expo *e = *state;

	expo__family(e, "m", NULL, (enum expo_type)42);
	assert_sticky(e, "", -EINVAL);
}

static void test_invalid_label_names(void **state)
{
	struct expo *e = *state;
	const char *bad[] = {"", "9a", "a:b", "a-b", "\xc3\xa9", NULL};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		/* Second label bad: the first must not have been written either. */
		struct expo_label l[] = {{"ok", "v"}, {bad[i], "x"}};

		expo__reset(e);
		expo__family(e, "m", NULL, EXPO_GAUGE);
		expo__sample(e, l, ARRAY_SIZE(l), 1);
		assert_sticky(e, "", -EINVAL);
	}

	/* A bad name is an error even when its value is empty. */
	expo__reset(e);
	{
		struct expo_label l[] = {{"a-b", ""}};

		expo__family(e, "m", NULL, EXPO_GAUGE);
		expo__sample_u64(e, l, 1, 1);
		assert_sticky(e, "", -EINVAL);
	}

	expo__reset(e);
	expo__family(e, "m", NULL, EXPO_GAUGE);
	expo__sample(e, NULL, 2, 1);
	assert_sticky(e, "", -EINVAL);
}

static void test_invalid_const_label(void **state)
{
	struct expo *e = *state;
	struct expo_label good[] = {{"env", "prod"}};
	struct expo_label bad[] = {{"ok", "v"}, {"no-dash", "v"}};

	assert_int_equal(expo__set_const_labels(e, good, 1), 0);
	assert_int_equal(expo__set_const_labels(e, bad, ARRAY_SIZE(bad)), -EINVAL);
	assert_sticky(e, "", -EINVAL);

	/* The failed call left the previous set in place. */
	expo__reset(e);
	expo__family(e, "m", NULL, EXPO_GAUGE);
	expo__sample(e, NULL, 0, 1);
	assert_output(e, "# TYPE m gauge\nm{env=\"prod\"} 1\n");

	expo__reset(e);
	assert_int_equal(expo__set_const_labels(e, NULL, 1), -EINVAL);
	assert_int_equal(expo__error(e), -EINVAL);
}

static void test_sample_without_family(void **state)
{
	struct expo *e = *state;

	expo__sample(e, NULL, 0, 1);
	assert_sticky(e, "", -EINVAL);

	expo__reset(e);
	expo__sample_u64(e, NULL, 0, 1);
	assert_int_equal(expo__error(e), -EINVAL);
}

static void test_reset(void **state)
{
	struct expo *e = *state;
	struct expo_label cl[] = {{"env", "prod"}};

	assert_int_equal(expo__set_const_labels(e, cl, 1), 0);
	expo__family(e, "m", "Help.", EXPO_GAUGE);
	expo__sample(e, NULL, 0, 1);
	expo__family(e, "bad-name", NULL, EXPO_GAUGE);
	assert_int_equal(expo__error(e), -EINVAL);

	/* Reset clears output, error and the open family; const labels stay. */
	expo__reset(e);
	assert_int_equal(expo__error(e), 0);
	assert_output(e, "");
	expo__sample(e, NULL, 0, 1);
	assert_int_equal(expo__error(e), -EINVAL);

	expo__reset(e);
	expo__family(e, "m", "Help.", EXPO_GAUGE);
	expo__sample(e, NULL, 0, 2);
	assert_int_equal(expo__error(e), 0);
	assert_output(e, "# HELP m Help.\n"
			 "# TYPE m gauge\n"
			 "m{env=\"prod\"} 2\n");
}

#define BIG_N 100000

static void write_big(struct expo *e)
{
	char id[16];
	struct expo_label l[] = {{"i", id}, {"k", "a\"b"}};
	int i;

	expo__family(e, "big", "Many.", EXPO_COUNTER);
	for (i = 0; i < BIG_N; i++) {
		snprintf(id, sizeof(id), "%d", i);
		expo__sample_u64(e, l, ARRAY_SIZE(l), (uint64_t)i * 1000003);
	}
}

/* A pre-rendered set writes exactly what the same labels write sample by sample. */
static void test_label_sets(void **state)
{
	struct expo *e = *state, *ref = expo__new();
	const struct expo_label c[] = {{"node", "n\"1"}};
	const struct expo_label a[] = {{"id", "7"}, {"name", "x\\y\n"}, {"empty", ""}};
	const struct expo_label b[] = {{"id", "8"}};
	struct expo_labels sa, sb, none;
	const char *want;

	assert_non_null(ref);
	assert_int_equal(expo__set_const_labels(e, c, 1), 0);
	assert_int_equal(expo__set_const_labels(ref, c, 1), 0);
	sa = expo__labels(e, a, 3);
	sb = expo__labels(e, b, 1);
	none = expo__labels(e, NULL, 0);
	assert_int_equal(expo__error(e), 0);
	/* rendering a set writes nothing to the output */
	assert_output(e, "");

	expo__family(e, "m", "h", EXPO_GAUGE);
	expo__sample_set_u64(e, sa, 1);
	expo__sample_set(e, sb, 0.5);
	expo__sample_set(e, none, 2);
	expo__family(e, "n", NULL, EXPO_COUNTER);
	expo__sample_set_u64(e, sa, 3);

	expo__family(ref, "m", "h", EXPO_GAUGE);
	expo__sample_u64(ref, a, 3, 1);
	expo__sample(ref, b, 1, 0.5);
	expo__sample(ref, NULL, 0, 2);
	expo__family(ref, "n", NULL, EXPO_COUNTER);
	expo__sample_u64(ref, a, 3, 3);
	want = expo__data(ref, NULL);
	assert_output(e, want);
	assert_non_null(strstr(want, "m{id=\"7\",name=\"x\\\\y\\n\",node=\"n\\\"1\"} 1\n"));

	/* After a reset the old sets are gone: using one is an error, not garbage. */
	expo__reset(e);
	expo__family(e, "m", NULL, EXPO_GAUGE);
	expo__sample_set(e, sa, 1);
	assert_int_equal(expo__error(e), -EINVAL);

	/* A bad label name fails like it does for a sample. */
	expo__reset(e);
	expo__labels(e, (const struct expo_label[]){{"1bad", "v"}}, 1);
	assert_int_equal(expo__error(e), -EINVAL);
	expo__free(ref);
}

/*
 * Own labels followed by a shared set print exactly what one sample with
 * all the labels prints, with or without const labels, for empty own
 * labels and an empty set alike.
 */
static void check_with_set(bool with_const)
{
	struct expo *e = expo__new(), *ref = expo__new();
	const struct expo_label c[] = {{"node", "n1"}};
	const struct expo_label own[] = {{"id", "7"}, {"owner", "process"}};
	const struct expo_label own_empty[] = {{"id", ""}};
	const struct expo_label shared[] = {{"via", "fd"}, {"comm", "a\"b"}, {"pod", ""}};
	const struct expo_label all[] = {own[0], own[1], shared[0], shared[1], shared[2]};
	struct expo_labels set, none;

	assert_non_null(e);
	assert_non_null(ref);
	if (with_const) {
		assert_int_equal(expo__set_const_labels(e, c, 1), 0);
		assert_int_equal(expo__set_const_labels(ref, c, 1), 0);
	}
	set = expo__labels(e, shared, 3);
	none = expo__labels(e, NULL, 0);
	expo__family(e, "m", NULL, EXPO_GAUGE);
	expo__sample_with_set_u64(e, own, 2, set, 1);
	expo__sample_with_set_u64(e, own_empty, 1, set, 2);
	expo__sample_with_set_u64(e, own, 2, none, 3);
	expo__sample_with_set_u64(e, own_empty, 1, none, 4);
	assert_int_equal(expo__error(e), 0);

	expo__family(ref, "m", NULL, EXPO_GAUGE);
	expo__sample_u64(ref, all, 5, 1);
	expo__sample_u64(ref, shared, 3, 2);
	expo__sample_u64(ref, own, 2, 3);
	expo__sample_u64(ref, NULL, 0, 4);
	assert_output(e, expo__data(ref, NULL));

	/* A set from before a reset is an error, not garbage. */
	expo__reset(e);
	expo__family(e, "m", NULL, EXPO_GAUGE);
	expo__sample_with_set_u64(e, own, 2, set, 1);
	assert_int_equal(expo__error(e), -EINVAL);
	expo__free(e);
	expo__free(ref);
}

static void test_sample_with_set(void **state)
{
	(void)state;
	check_with_set(false);
	check_with_set(true);
}

/* The general rule the writer must match: the shortest of %.15g..%.17g that reads back. */
static void reference_double(double v, char *buf, size_t size)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* Ratios (pressures) take a fast path; it must print exactly what the general rule does. */
static void test_ratios_match_general_rule(void **state)
{
	struct expo *e = *state;

	for (unsigned int den = 1; den <= 600; den += 7) {
		for (unsigned int num = 0; num <= den + 3; num++) {
			double v = (double)num / den;
			char want[64], line[128];
			const char *got;
			size_t len;

			expo__reset(e);
			expo__family(e, "m", NULL, EXPO_GAUGE);
			expo__sample(e, NULL, 0, v);
			got = expo__data(e, &len);
			reference_double(v, want, sizeof(want));
			snprintf(line, sizeof(line), "# TYPE m gauge\nm %s\n", want);
			if (strcmp(got, line))
				fail_msg("%u/%u: got \"%s\", want \"%s\"", num, den, got, line);
		}
	}
}

static void test_large_output(void **state)
{
	struct expo *e = *state;
	size_t cap = 64 * BIG_N, len = 0, got_len;
	char *want = malloc(cap);
	const char *got, *first;
	int i;

	assert_non_null(want);
	len += snprintf(want + len, cap - len, "# HELP big Many.\n# TYPE big counter\n");
	for (i = 0; i < BIG_N; i++)
		len += snprintf(want + len, cap - len, "big{i=\"%d\",k=\"a\\\"b\"} %llu\n", i,
				(unsigned long long)i * 1000003);
	assert_true(len < cap);

	write_big(e);
	assert_int_equal(expo__error(e), 0);
	first = expo__data(e, &got_len);
	assert_int_equal(got_len, len);
	assert_memory_equal(first, want, len);
	assert_int_equal(first[len], '\0');

	/* Same output again after reset: the capacity is reused, no move. */
	expo__reset(e);
	write_big(e);
	got = expo__data(e, &got_len);
	assert_ptr_equal(got, first);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, want, len);
	free(want);
}

/* A sink that joins the pieces it is handed, and can be told to fail. */
struct joined {
	char *text; /* cap bytes, sized up front (growing it per piece is quadratic) */
	size_t len, cap, pieces;
	bool ragged; /* a piece did not end at a line's end */
	size_t fail_after; /* pieces taken before take() returns NULL; 0: never */
};

static char *join_take(void *arg, char *buf, size_t len, size_t cap, size_t *new_cap)
{
	struct joined *j = arg;
	char *next;

	(void)cap;
	assert_true(j->len + len < j->cap);
	memcpy(j->text + j->len, buf, len);
	j->len += len;
	j->text[j->len] = '\0';
	j->ragged |= !len || buf[len - 1] != '\n';
	free(buf);
	if (j->fail_after && ++j->pieces >= j->fail_after)
		return NULL;
	*new_cap = 16; /* small: lines must still grow it as they need */
	next = malloc(*new_cap);
	assert_non_null(next);
	return next;
}

/* Families, label sets, shared sets and const labels: what a scrape writes. */
static void write_mixed(struct expo *e)
{
	const struct expo_label c[] = {{"node", "n1"}};
	struct expo_labels set;

	assert_int_equal(expo__set_const_labels(e, c, 1), 0);
	set = expo__labels(e, (const struct expo_label[]){{"comm", "a\"b"}}, 1);
	write_big(e);
	expo__family(e, "sets", "Shared label sets.", EXPO_GAUGE);
	for (int i = 0; i < 50; i++) {
		char id[12];

		snprintf(id, sizeof(id), "%d", i);
		expo__sample_with_set_u64(e, (const struct expo_label[]){{"id", id}}, 1, set, i);
		expo__sample_set(e, set, i / 3.0);
	}
}

/*
 * Streamed in pieces of any size, the text is exactly the unstreamed
 * text, cut only at line ends; a sink that runs out of memory is a
 * sticky -ENOMEM.
 */
static void test_stream(void **state)
{
	struct expo *ref = expo__new();
	const char *want;
	size_t want_len;

	(void)state;
	assert_non_null(ref);
	write_mixed(ref);
	want = expo__data(ref, &want_len);
	assert_int_equal(expo__error(ref), 0);
	for (size_t chunk = 1; chunk <= 2 * want_len; chunk = chunk * 7 + 3) {
		struct joined j = {.text = malloc(want_len + 1), .cap = want_len + 1};
		struct expo *e = expo__new();

		assert_non_null(e);
		assert_non_null(j.text);
		expo__set_sink(e, &(struct expo_sink){join_take, &j, chunk});
		write_mixed(e);
		assert_int_equal(expo__flush(e), 0);
		assert_int_equal(expo__flush(e), 0); /* nothing left: no empty piece */
		assert_false(j.ragged);
		assert_int_equal(j.len, want_len);
		assert_memory_equal(j.text, want, want_len);
		expo__free(e);
		free(j.text);
	}
	for (size_t fail_after = 1; fail_after <= 3; fail_after++) {
		struct joined j = {.text = malloc(want_len + 1),
				   .cap = want_len + 1,
				   .fail_after = fail_after};
		struct expo *e = expo__new();

		assert_non_null(e);
		assert_non_null(j.text);
		expo__set_sink(e, &(struct expo_sink){join_take, &j, 4096});
		write_mixed(e);
		assert_int_equal(expo__flush(e), -ENOMEM);
		assert_int_equal(expo__error(e), -ENOMEM);
		assert_false(j.ragged);
		assert_memory_equal(j.text, want, j.len); /* what got out was right */
		expo__free(e);
		free(j.text);
	}
	expo__free(ref);
}

/*
 * A value is copied in runs of plain bytes and escaped from the first
 * byte that needs it: every length around a run's end, with one byte to
 * escape at every place in it. Each value is a heap block of its exact
 * size, so a read past its end is the sanitizer's to see, and the
 * expected line is built here, not by the writer's escaping routine.
 */
static void test_long_values(void **state)
{
	struct expo *e = *state;
	static char want[2400];

	for (size_t len = 1; len < 700; len += len < 300 ? 1 : 37) {
		for (size_t bad = 0; bad <= len; bad += bad < 8 || len - bad < 8 ? 1 : 29) {
			char *value = malloc(len + 1);
			size_t n;

			assert_non_null(value);
			for (size_t i = 0; i < len; i++)
				value[i] = (char)('a' + i % 26);
			value[len] = '\0';
			if (bad < len) /* bad == len: all plain */
				value[bad] = bad % 2 ? '"' : '\xff';
			n = (size_t)snprintf(want, sizeof(want), "# TYPE m gauge\nm{v=\"");
			for (size_t i = 0; i < len; i++)
				n += (size_t)snprintf(want + n, sizeof(want) - n, "%s",
						      i != bad		? (char[]){value[i], '\0'}
						      : value[i] == '"' ? "\\\""
									: FFFD);
			snprintf(want + n, sizeof(want) - n, "\",w=\"x\"} 1\n");
			expo__reset(e);
			expo__family(e, "m", NULL, EXPO_GAUGE);
			expo__sample(e, (const struct expo_label[]){{"v", value}, {"w", "x"}}, 2,
				     1);
			assert_int_equal(expo__error(e), 0);
			if (strcmp(expo__data(e, NULL), want))
				fail_msg("length %zu, escape at %zu: got %s", len, bad,
					 expo__data(e, NULL));
			free(value);
		}
	}
}

/*
 * Label names are checked and rendered once per address: more names
 * than the writer keeps, and names longer than its rendered form, still
 * print as they are, each sample alike.
 */
static void test_many_and_long_label_names(void **state)
{
	struct expo *e = *state;
	enum { NAMES = 300 };
	static char names[NAMES][48];
	struct expo_label l[2];
	char want[160];

	for (int i = 0; i < NAMES; i++)
		snprintf(names[i], sizeof(names[i]),
			 i % 3 ? "n%d" : "a_label_name_too_long_to_be_kept_rendered_%d", i);
	expo__family(e, "m", NULL, EXPO_GAUGE);
	expo__sample(e, NULL, 0, 0); /* the HELP/TYPE lines out of the way */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < NAMES; i++) {
			size_t before, len;

			l[0] = (struct expo_label){names[i], "v"};
			l[1] = (struct expo_label){names[(i * 7 + 1) % NAMES], "w\"q"};
			expo__data(e, &before);
			expo__sample_u64(e, l, 2, (uint64_t)i);
			snprintf(want, sizeof(want), "m{%s=\"v\",%s=\"w\\\"q\"} %d\n", names[i],
				 names[(i * 7 + 1) % NAMES], i);
			assert_int_equal(expo__error(e), 0);
			expo__data(e, &len);
			assert_int_equal(len - before, strlen(want));
			assert_memory_equal(expo__data(e, NULL) + before, want, strlen(want));
		}
	}
}

/* Below 1e-4 the short form is a plain decimal, not %g's exponent; it reads back exactly. */
static void test_small_fractions_read_back(void **state)
{
	struct expo *e = *state;

	for (unsigned int digits = 1; digits < 100; digits++) {
		double v = digits / 1e6;
		const char *line;

		expo__reset(e);
		expo__family(e, "m", NULL, EXPO_GAUGE);
		expo__sample(e, NULL, 0, v);
		line = strchr(expo__data(e, NULL), '\n') + 1;
		assert_int_equal(strncmp(line, "m 0.0000", 8), 0);
		assert_true(strtod(line + 2, NULL) == v);
	}
}

/* Unix times in seconds with a short fraction take the fast path; it prints what the rule does. */
static void test_times_match_general_rule(void **state)
{
	struct expo *e = *state;
	static const double bases[] = {1e9, 1796614499, 4294967295.0, 123456.0, 1e11};

	for (size_t b = 0; b < ARRAY_SIZE(bases); b++) {
		for (unsigned int frac = 0; frac < 1000000; frac += 997) {
			for (double scale = 1e6; scale >= 1e3; scale /= 1e3) {
				double v = bases[b] + frac / scale;
				char want[64], line[128];

				expo__reset(e);
				expo__family(e, "m", NULL, EXPO_GAUGE);
				expo__sample(e, NULL, 0, v);
				reference_double(v, want, sizeof(want));
				snprintf(line, sizeof(line), "# TYPE m gauge\nm %s\n", want);
				if (strcmp(expo__data(e, NULL), line))
					fail_msg("%.17g: got \"%s\", want \"%s\"", v,
						 expo__data(e, NULL), line);
			}
		}
	}
}

static void test_escape_truncation(void **state)
{
	/* a\"b\\<U+FFFD> : 1 + 2 + 1 + 2 + 3 = 9 bytes */
	const char *in = "a\"b\\\xff";
	const char *full = "a\\\"b\\\\" FFFD;
	char out[16];
	size_t i, n;

	(void)state;
	assert_int_equal(expo_escape_label_value(in, NULL, 0), 9);

	memset(out, '#', sizeof(out));
	assert_int_equal(expo_escape_label_value(in, out, 0), 9);
	assert_int_equal(out[0], '#'); /* size 0 writes nothing */

	/* Every size: a NUL-terminated prefix of the full form, nothing past size. */
	for (i = 1; i <= 12; i++) {
		memset(out, '#', sizeof(out));
		assert_int_equal(expo_escape_label_value(in, out, i), 9);
		n = i - 1 < 9 ? i - 1 : 9;
		assert_memory_equal(out, full, n);
		assert_int_equal(out[n], '\0');
		if (i < sizeof(out))
			assert_int_equal(out[i], '#');
	}

	memset(out, '#', sizeof(out));
	assert_int_equal(expo_escape_label_value(in, out, 4), 9);
	assert_string_equal(out, "a\\\"");

	assert_int_equal(expo_escape_label_value(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(expo_escape_label_value("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_is_empty, setup, teardown),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_format_u64),
		cmocka_unit_test_setup_teardown(test_help_type_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_family_without_samples_is_silent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reopen_same_family, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_family_strings_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_utf8_valid_kept, setup, teardown),
		cmocka_unit_test(test_utf8_invalid_replaced),
		cmocka_unit_test_setup_teardown(test_utf8_invalid_in_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_utf8_invalid_in_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_labels_omitted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_const_labels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doubles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doubles_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_u64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_metric_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_label_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_const_label, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sample_without_family, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test(test_sample_with_set),
		cmocka_unit_test(test_hex),
		cmocka_unit_test_setup_teardown(test_large_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ratios_match_general_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_sets, setup, teardown),
		cmocka_unit_test(test_escape_truncation),
		cmocka_unit_test_setup_teardown(test_long_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_and_long_label_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_times_match_general_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_fractions_read_back, setup, teardown),
		cmocka_unit_test(test_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
