// SPDX-License-Identifier: Apache-2.0
/* The map memory cache: reads within budget, new maps first, oldest next, forgetting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mem_cache.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A fake kernel: memory per map id (bytes = id * 100 + generation), errors, reads made. */
struct fake {
	uint64_t gen;
	int errors[64];
	uint32_t reads[64];
	size_t nr_reads;
};

static int fake_read(void *arg, uint32_t id, uint64_t *bytes)
{
	struct fake *f = arg;

	assert_true(id < ARRAY_SIZE(f->errors));
	f->reads[f->nr_reads++] = id;
	if (f->errors[id])
		return f->errors[id];
	*bytes = id * 100 + f->gen;
	return 0;
}

/* Every figure may change, unless a test says otherwise. */
static const bool changing[16] = {true, true, true, true, true, true, true, true,
				  true, true, true, true, true, true, true, true};

struct pass_out {
	uint64_t bytes[16];
	bool known[16];
	struct mem_pass st;
};

static void pass(struct mem_cache *c, struct fake *f, const uint32_t *ids, size_t n, double now,
		 unsigned int budget, struct pass_out *o)
{
	f->nr_reads = 0;
	assert_int_equal(mem_cache__pass(c, ids, changing, n, now, 60, budget, fake_read, f,
					 o->bytes, o->known, &o->st),
			 0);
}

static void test_budget_and_order(void **state)
{
	static const uint32_t ids[] = {3, 5, 7, 9};
	struct fake f = {};
	struct pass_out o;
	struct mem_cache *c;

	(void)state;
	assert_int_equal(mem_cache__new(&c), 0);
	/* Budget 3: the three lowest ids are read, 9 has no figure (not a made-up 0). */
	pass(c, &f, ids, 4, 1000, 3, &o);
	assert_int_equal(f.nr_reads, 3);
	assert_int_equal(f.reads[0], 3);
	assert_int_equal(f.reads[2], 7);
	assert_true(o.known[0] && o.known[1] && o.known[2]);
	assert_false(o.known[3]);
	assert_int_equal(o.bytes[1], 500);
	assert_int_equal(o.st.read, 3);
	assert_int_equal(o.st.unknown, 1);
	assert_int_equal(o.st.cached, 0);

	/* Next scrape: only the new one is read, the others come from the cache. */
	f.gen = 1;
	pass(c, &f, ids, 4, 1010, 3, &o);
	assert_int_equal(f.nr_reads, 1);
	assert_int_equal(f.reads[0], 9);
	assert_int_equal(o.bytes[0], 300); /* cached: the old figure */
	assert_int_equal(o.bytes[3], 901);
	assert_int_equal(o.st.cached, 3);
	assert_int_equal(o.st.unknown, 0);
	assert_true(o.st.max_age == 10);
	assert_true(mem_cache__first_failure(c));
	assert_false(mem_cache__first_failure(c));
	mem_cache__free(c);
	mem_cache__free(NULL);
}

/* Stale figures are read again oldest first, within the budget. */
static void test_stale_oldest_first(void **state)
{
	static const uint32_t ids[] = {1, 2, 3};
	struct fake f = {};
	struct pass_out o;
	struct mem_cache *c;

	(void)state;
	assert_int_equal(mem_cache__new(&c), 0);
	pass(c, &f, ids + 2, 1, 0, 10, &o); /* 3 read at t=0 */
	pass(c, &f, ids, 3, 30, 10, &o); /* 1, 2 read at t=30 */
	assert_int_equal(f.nr_reads, 2);
	/* t=95: all older than 60 s; budget 2 takes 3 (t=0) and then 1 (t=30, lower id). */
	f.gen = 7;
	pass(c, &f, ids, 3, 95, 2, &o);
	assert_int_equal(f.nr_reads, 2);
	assert_int_equal(f.reads[0], 3);
	assert_int_equal(o.bytes[2], 307);
	assert_int_equal(o.bytes[1], 200); /* stale, still served */
	assert_true(o.st.max_age == 65);
	/* Budget 0: nothing read, everything served from the cache. */
	pass(c, &f, ids, 3, 200, 0, &o);
	assert_int_equal(f.nr_reads, 0);
	assert_int_equal(o.st.cached, 3);
	mem_cache__free(c);
}

/* A map gone is dropped; a failed read keeps the old figure; forgotten ids are read again. */
static void test_gone_failed_forgotten(void **state)
{
	static const uint32_t ids[] = {4, 6, 8};
	struct fake f = {};
	struct pass_out o;
	struct mem_cache *c;

	(void)state;
	assert_int_equal(mem_cache__new(&c), 0);
	pass(c, &f, ids, 3, 0, 10, &o);
	f.errors[4] = -ENOENT;
	f.errors[6] = -EPERM;
	f.errors[8] = -EPERM;
	pass(c, &f, ids, 3, 100, 10, &o);
	assert_false(o.known[0]);
	assert_true(o.known[1]);
	assert_int_equal(o.bytes[1], 600);
	assert_int_equal(o.st.last_err, -EPERM);
	assert_int_equal(o.st.unknown, 0);

	/* 6 no longer exported: forgotten, so read again when it is back. */
	f.errors[6] = 0;
	pass(c, &f, ids + 2, 1, 101, 10, &o);
	pass(c, &f, ids + 1, 2, 102, 10, &o);
	assert_int_equal(f.nr_reads, 2); /* 6, new again; 8, still stale (its read fails) */
	assert_int_equal(f.reads[0], 6);
	assert_int_equal(f.reads[1], 8);
	assert_int_equal(o.bytes[0], 600);
	assert_true(o.known[1]);
	assert_int_equal(o.bytes[1], 800);
	assert_true(o.st.max_age == 102);
	mem_cache__free(c);
}

/* A figure that cannot change is read once, however old it gets. */
static void test_static_read_once(void **state)
{
	static const uint32_t ids[] = {1, 2};
	static const bool changes[] = {false, true};
	struct fake f = {};
	struct pass_out o;
	struct mem_cache *c;

	(void)state;
	assert_int_equal(mem_cache__new(&c), 0);
	for (int t = 0; t < 3; t++) {
		f.nr_reads = 0;
		f.gen = t;
		assert_int_equal(mem_cache__pass(c, ids, changes, 2, t * 1000.0, 60, 10, fake_read,
						 &f, o.bytes, o.known, &o.st),
				 0);
		assert_int_equal(f.nr_reads, t == 0 ? 2 : 1);
		assert_int_equal(o.bytes[0], 100); /* read at t=0, still served */
		assert_int_equal(o.bytes[1], 200 + t);
		assert_true(o.st.max_age == 0); /* the old one cannot be stale */
	}
	mem_cache__free(c);
}

static void test_unsorted(void **state)
{
	static const uint32_t ids[] = {2, 1};
	struct fake f = {};
	struct pass_out o;
	struct mem_cache *c;

	(void)state;
	assert_int_equal(mem_cache__new(&c), 0);
	assert_int_equal(mem_cache__pass(c, ids, changing, 2, 0, 60, 10, fake_read, &f, o.bytes,
					 o.known, &o.st),
			 -EINVAL);
	assert_int_equal(mem_cache__pass(c, NULL, NULL, 0, 0, 60, 10, fake_read, &f, o.bytes,
					 o.known, &o.st),
			 0);
	mem_cache__free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_and_order),
		cmocka_unit_test(test_stale_oldest_first),
		cmocka_unit_test(test_gone_failed_forgotten),
		cmocka_unit_test(test_static_read_once),
		cmocka_unit_test(test_unsorted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
