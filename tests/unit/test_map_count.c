// SPDX-License-Identifier: Apache-2.0
/* Entry counting: method choice, the fallback walk and its per-scrape budget. */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "map_count.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A fake kernel: entries per map id, an error per map id, and the walks asked for. */
struct fake {
	uint64_t entries[64];
	int errors[64];
	uint32_t walked[64];
	enum map_count_method how[64]; /* how each map was asked to be walked */
	size_t nr_walked;
};

static int fake_walk(void *arg, enum map_count_method how, const struct bpfmap_map_record *rec,
		     uint64_t *entries)
{
	struct fake *f = arg;
	uint32_t map_id = rec->id;

	assert_true(map_id < ARRAY_SIZE(f->entries));
	assert_true(map_count_method_walks(how));
	f->how[map_id] = how;
	f->walked[f->nr_walked++] = map_id;
	if (f->errors[map_id])
		return f->errors[map_id];
	*entries = f->entries[map_id];
	return 0;
}

/* Kernels: everything allowed; no kfunc; no element iterator; no batches; nothing. */
static const struct map_count_support all_allowed = {0};
static const struct map_count_support no_kfunc = {.err = {[MAP_COUNT_METHOD_KFUNC] = -ENOENT}};
static const struct map_count_support no_iter = {
	.err = {[MAP_COUNT_METHOD_KFUNC] = -ENOENT, [MAP_COUNT_METHOD_ITERATOR] = -EPERM}};
static const struct map_count_support keys_only = {.err = {[MAP_COUNT_METHOD_KFUNC] = -ENOENT,
							   [MAP_COUNT_METHOD_ITERATOR] = -EPERM,
							   [MAP_COUNT_METHOD_BATCH] = -EINVAL}};
static const struct map_count_support no_batch = {.err = {[MAP_COUNT_METHOD_BATCH] = -EINVAL}};
static const struct map_count_support iter_only = {
	.err = {[MAP_COUNT_METHOD_BATCH] = -EINVAL, [MAP_COUNT_METHOD_KEYS] = -EPERM}};
static const struct map_count_support refuses_all = {.err = {[MAP_COUNT_METHOD_KFUNC] = -ENOENT,
							     [MAP_COUNT_METHOD_ITERATOR] = -EPERM,
							     [MAP_COUNT_METHOD_BATCH] = -EPERM,
							     [MAP_COUNT_METHOD_KEYS] = -EPERM}};

static struct bpfmap_map_record map(uint32_t id, uint32_t type, uint32_t max_entries)
{
	return (struct bpfmap_map_record){.id = id, .type = type, .max_entries = max_entries};
}

static void test_method(void **state)
{
	(void)state;
	/* auto: the kernel's count first, then the best walk the kernel allows, else none. */
	assert_int_equal(map_count_method(COUNTING_AUTO, &all_allowed), MAP_COUNT_METHOD_KFUNC);
	assert_int_equal(map_count_method(COUNTING_AUTO, &no_kfunc), MAP_COUNT_METHOD_ITERATOR);
	assert_int_equal(map_count_method(COUNTING_AUTO, &no_iter), MAP_COUNT_METHOD_BATCH);
	assert_int_equal(map_count_method(COUNTING_AUTO, &keys_only), MAP_COUNT_METHOD_KEYS);
	assert_int_equal(map_count_method(COUNTING_AUTO, &refuses_all), MAP_COUNT_METHOD_NONE);
	/* walk: the best walk even where the kfunc exists. */
	assert_int_equal(map_count_method(COUNTING_WALK, &all_allowed), MAP_COUNT_METHOD_ITERATOR);
	assert_int_equal(map_count_method(COUNTING_WALK, &no_iter), MAP_COUNT_METHOD_BATCH);
	assert_int_equal(map_count_method(COUNTING_WALK, &keys_only), MAP_COUNT_METHOD_KEYS);
	assert_int_equal(map_count_method(COUNTING_WALK, &refuses_all), MAP_COUNT_METHOD_NONE);
	/* A walk asked for by name: that one, or none, never another. */
	assert_int_equal(map_count_method(COUNTING_ITERATOR, &all_allowed),
			 MAP_COUNT_METHOD_ITERATOR);
	assert_int_equal(map_count_method(COUNTING_ITERATOR, &no_iter), MAP_COUNT_METHOD_NONE);
	assert_int_equal(map_count_method(COUNTING_BATCH, &no_iter), MAP_COUNT_METHOD_BATCH);
	assert_int_equal(map_count_method(COUNTING_BATCH, &keys_only), MAP_COUNT_METHOD_NONE);
	assert_int_equal(map_count_method(COUNTING_KEYS, &all_allowed), MAP_COUNT_METHOD_KEYS);
	assert_int_equal(map_count_method(COUNTING_KEYS, &refuses_all), MAP_COUNT_METHOD_NONE);
	assert_int_equal(map_count_method(COUNTING_NONE, &all_allowed), MAP_COUNT_METHOD_NONE);

	assert_string_equal(map_count_method_name(MAP_COUNT_METHOD_KFUNC), "kfunc");
	assert_string_equal(map_count_method_name(MAP_COUNT_METHOD_ITERATOR), "iterator");
	assert_string_equal(map_count_method_name(MAP_COUNT_METHOD_BATCH), "batch");
	assert_string_equal(map_count_method_name(MAP_COUNT_METHOD_KEYS), "keys");
	assert_string_equal(map_count_method_name(MAP_COUNT_METHOD_NONE), "none");
	assert_string_equal(map_count_result_name(MAP_COUNT_OVER_BUDGET), "over_budget");
}

/* Every mode's candidates are in the order the method is picked from. */
static void test_candidates(void **state)
{
	enum map_count_method c[MAP_COUNT_CANDIDATES_MAX];

	(void)state;
	assert_int_equal(map_count_candidates(COUNTING_AUTO, c), 4);
	assert_int_equal(c[0], MAP_COUNT_METHOD_KFUNC);
	assert_int_equal(c[3], MAP_COUNT_METHOD_KEYS);
	assert_int_equal(map_count_candidates(COUNTING_WALK, c), 3);
	assert_int_equal(c[0], MAP_COUNT_METHOD_ITERATOR);
	assert_int_equal(c[1], MAP_COUNT_METHOD_BATCH);
	assert_int_equal(map_count_candidates(COUNTING_BATCH, c), 1);
	assert_int_equal(c[0], MAP_COUNT_METHOD_BATCH);
	assert_int_equal(map_count_candidates(COUNTING_NONE, c), 0);
}

static void test_walkable(void **state)
{
	(void)state;
	assert_true(map_count_walkable(BPF_MAP_TYPE_HASH));
	assert_true(map_count_walkable(BPF_MAP_TYPE_PERCPU_HASH));
	assert_true(map_count_walkable(BPF_MAP_TYPE_LRU_HASH));
	assert_true(map_count_walkable(BPF_MAP_TYPE_LRU_PERCPU_HASH));
	assert_true(map_count_walkable(BPF_MAP_TYPE_HASH_OF_MAPS));
	assert_false(map_count_walkable(BPF_MAP_TYPE_ARRAY_OF_MAPS));
	assert_false(map_count_walkable(BPF_MAP_TYPE_ARRAY));
	assert_false(map_count_walkable(BPF_MAP_TYPE_RINGBUF));
	assert_false(map_count_walkable(BPF_MAP_TYPE_LPM_TRIE));
}

/* kfunc: the record is left as the bpf_map iterator wrote it; nothing is walked. */
static void test_kfunc_keeps_records(void **state)
{
	struct fake f = {};
	struct map_count mc;
	struct bpfmap_map_record h = map(1, BPF_MAP_TYPE_HASH, 10),
				 a = map(2, BPF_MAP_TYPE_ARRAY, 4);

	(void)state;
	h.count_method = BPFMAP_COUNT_KFUNC;
	h.entries = 7;
	map_count__init(&mc, MAP_COUNT_METHOD_KFUNC, &all_allowed, 0, fake_walk, &f);
	map_count__apply(&mc, &h);
	map_count__apply(&mc, &a);
	assert_int_equal(h.count_method, BPFMAP_COUNT_KFUNC);
	assert_int_equal(h.entries, 7);
	assert_int_equal(a.count_method, BPFMAP_COUNT_NONE);
	assert_int_equal(f.nr_walked, 0);
}

/* none: even a kernel count is dropped. */
static void test_none_drops_counts(void **state)
{
	struct fake f = {};
	struct map_count mc;
	struct bpfmap_map_record h = map(1, BPF_MAP_TYPE_HASH, 10);

	(void)state;
	h.count_method = BPFMAP_COUNT_KFUNC;
	h.entries = 7;
	map_count__init(&mc, MAP_COUNT_METHOD_NONE, &all_allowed, 1000, fake_walk, &f);
	map_count__apply(&mc, &h);
	assert_int_equal(h.count_method, BPFMAP_COUNT_NONE);
	assert_int_equal(f.nr_walked, 0);
}

/* A type's own counter (lpm_trie, queue, ...) survives every method, walks nothing. */
static void test_own_counts_kept(void **state)
{
	static const enum map_count_method methods[] = {
		MAP_COUNT_METHOD_NONE, MAP_COUNT_METHOD_KFUNC, MAP_COUNT_METHOD_ITERATOR,
		MAP_COUNT_METHOD_BATCH, MAP_COUNT_METHOD_KEYS};
	struct fake f = {};
	struct map_count mc;

	(void)state;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		struct bpfmap_map_record t = map(1, BPF_MAP_TYPE_LPM_TRIE, 10);

		t.count_method = BPFMAP_COUNT_OWN;
		t.entries = 4;
		map_count__init(&mc, methods[i], &all_allowed, 1000, fake_walk, &f);
		map_count__apply(&mc, &t);
		assert_int_equal(t.count_method, BPFMAP_COUNT_OWN);
		assert_int_equal(t.entries, 4);
		assert_int_equal(mc.budget_used, 0);
	}
	assert_int_equal(f.nr_walked, 0);
}

/* iterator: hash maps walked, other types untouched, a kernel count replaced by the walk. */
static void test_iterator_walks_hash_maps(void **state)
{
	struct fake f = {.entries = {[1] = 3, [2] = 0, [3] = 9, [5] = 4, [6] = 2}};
	struct bpfmap_map_record recs[] = {
		map(1, BPF_MAP_TYPE_HASH, 10),		 map(2, BPF_MAP_TYPE_LRU_HASH, 5),
		map(3, BPF_MAP_TYPE_PERCPU_HASH, 9),	 map(4, BPF_MAP_TYPE_ARRAY, 100),
		map(5, BPF_MAP_TYPE_LRU_PERCPU_HASH, 8), map(6, BPF_MAP_TYPE_HASH_OF_MAPS, 4),
	};
	static const uint32_t want_walked[] = {1, 2, 3, 5, 6};
	struct map_count mc;

	(void)state;
	recs[0].count_method = BPFMAP_COUNT_KFUNC; /* forced iterator: the kfunc's 99 is unused */
	recs[0].entries = 99;
	recs[5].count_method = BPFMAP_COUNT_KFUNC;
	map_count__init(&mc, MAP_COUNT_METHOD_ITERATOR, &all_allowed, 1000, fake_walk, &f);
	for (size_t i = 0; i < ARRAY_SIZE(recs); i++)
		map_count__apply(&mc, &recs[i]);

	assert_int_equal(f.nr_walked, ARRAY_SIZE(want_walked));
	assert_memory_equal(f.walked, want_walked, sizeof(want_walked));
	for (size_t i = 0; i < ARRAY_SIZE(recs); i++) {
		uint32_t want = BPFMAP_COUNT_ITER;

		if (recs[i].type == BPF_MAP_TYPE_ARRAY)
			want = BPFMAP_COUNT_NONE;
		else if (recs[i].type == BPF_MAP_TYPE_HASH_OF_MAPS)
			want = BPFMAP_COUNT_BATCH; /* no element iterator: the next best walk */
		assert_int_equal(recs[i].count_method, want);
		if (want != BPFMAP_COUNT_NONE)
			assert_int_equal(recs[i].entries, f.entries[recs[i].id]);
	}
	assert_int_equal(mc.results[MAP_COUNT_COUNTED], 5);
	assert_int_equal(mc.results[MAP_COUNT_OVER_BUDGET], 0);
	assert_int_equal(mc.budget_used, 10 + 5 + 9 + 8 + 4);
	assert_int_equal(mc.budget_left, 1000 - 36);
}

/*
 * The budget: a map that does not fit is skipped without a walk (no
 * count, never a made-up one), and a later smaller map may still fit.
 */
static void test_budget(void **state)
{
	struct fake f = {.entries = {[1] = 1, [2] = 2, [3] = 3, [4] = 4, [5] = 5}};
	struct bpfmap_map_record recs[] = {
		map(1, BPF_MAP_TYPE_HASH, 100), map(2, BPF_MAP_TYPE_HASH, 50),
		map(3, BPF_MAP_TYPE_HASH, 64),	map(4, BPF_MAP_TYPE_HASH, 1),
		map(5, BPF_MAP_TYPE_HASH, 0), /* nothing to walk: costs nothing */
	};
	static const uint32_t want_walked[] = {1, 2, 4, 5};
	struct map_count mc;

	(void)state;
	map_count__init(&mc, MAP_COUNT_METHOD_ITERATOR, &all_allowed, 151, fake_walk, &f);
	for (size_t i = 0; i < ARRAY_SIZE(recs); i++)
		map_count__apply(&mc, &recs[i]);
	assert_int_equal(f.nr_walked, ARRAY_SIZE(want_walked));
	assert_memory_equal(f.walked, want_walked, sizeof(want_walked));
	assert_int_equal(recs[2].count_method, BPFMAP_COUNT_NONE);
	assert_int_equal(recs[3].count_method, BPFMAP_COUNT_ITER);
	assert_int_equal(recs[3].entries, 4);
	assert_int_equal(mc.results[MAP_COUNT_COUNTED], 4);
	assert_int_equal(mc.results[MAP_COUNT_OVER_BUDGET], 1);
	assert_int_equal(mc.budget_used, 151);
	assert_int_equal(mc.budget_left, 0);

	/* Budget 0: nothing walked, every hash map over budget. */
	memset(&f.walked, 0, sizeof(f.walked));
	f.nr_walked = 0;
	map_count__init(&mc, MAP_COUNT_METHOD_ITERATOR, &all_allowed, 0, fake_walk, &f);
	recs[0].count_method = BPFMAP_COUNT_NONE;
	map_count__apply(&mc, &recs[0]);
	assert_int_equal(f.nr_walked, 0);
	assert_int_equal(recs[0].count_method, BPFMAP_COUNT_NONE);
	assert_int_equal(mc.results[MAP_COUNT_OVER_BUDGET], 1);
}

/* A failed walk leaves no count; a vanished map is told apart from a failure. */
static void test_walk_errors(void **state)
{
	struct fake f = {.entries = {[3] = 2}, .errors = {[1] = -ENOENT, [2] = -EPERM}};
	struct bpfmap_map_record recs[] = {map(1, BPF_MAP_TYPE_HASH, 10),
					   map(2, BPF_MAP_TYPE_HASH, 10),
					   map(3, BPF_MAP_TYPE_HASH, 10)};
	struct map_count mc;

	(void)state;
	map_count__init(&mc, MAP_COUNT_METHOD_ITERATOR, &all_allowed, 1000, fake_walk, &f);
	for (size_t i = 0; i < ARRAY_SIZE(recs); i++)
		map_count__apply(&mc, &recs[i]);
	assert_int_equal(recs[0].count_method, BPFMAP_COUNT_NONE);
	assert_int_equal(recs[1].count_method, BPFMAP_COUNT_NONE);
	assert_int_equal(recs[2].count_method, BPFMAP_COUNT_ITER);
	assert_int_equal(mc.results[MAP_COUNT_GONE], 1);
	assert_int_equal(mc.results[MAP_COUNT_FAILED], 1);
	assert_int_equal(mc.results[MAP_COUNT_COUNTED], 1);
	/* A walk that was tried used its budget, whatever the outcome. */
	assert_int_equal(mc.budget_used, 30);
}

/*
 * batch and keys walk every hash map, hash_of_maps included, that way;
 * the iterator hands hash_of_maps to the next walk the kernel allows, or
 * leaves it uncounted (and unbilled) when it allows none.
 */
static void test_user_space_walks(void **state)
{
	static const struct {
		enum map_count_method method;
		const struct map_count_support *support;
		enum map_count_method want_hash, want_hom; /* NONE: not walked */
		uint32_t record_hash, record_hom;
	} cases[] = {
		{MAP_COUNT_METHOD_BATCH, &no_iter, MAP_COUNT_METHOD_BATCH, MAP_COUNT_METHOD_BATCH,
		 BPFMAP_COUNT_BATCH, BPFMAP_COUNT_BATCH},
		{MAP_COUNT_METHOD_KEYS, &keys_only, MAP_COUNT_METHOD_KEYS, MAP_COUNT_METHOD_KEYS,
		 BPFMAP_COUNT_KEYS, BPFMAP_COUNT_KEYS},
		{MAP_COUNT_METHOD_ITERATOR, &all_allowed, MAP_COUNT_METHOD_ITERATOR,
		 MAP_COUNT_METHOD_BATCH, BPFMAP_COUNT_ITER, BPFMAP_COUNT_BATCH},
		{MAP_COUNT_METHOD_ITERATOR, &no_batch, MAP_COUNT_METHOD_ITERATOR,
		 MAP_COUNT_METHOD_KEYS, BPFMAP_COUNT_ITER, BPFMAP_COUNT_KEYS},
		{MAP_COUNT_METHOD_ITERATOR, &iter_only, MAP_COUNT_METHOD_ITERATOR,
		 MAP_COUNT_METHOD_NONE, BPFMAP_COUNT_ITER, BPFMAP_COUNT_NONE},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fake f = {.entries = {[1] = 3, [2] = 2}};
		struct bpfmap_map_record h = map(1, BPF_MAP_TYPE_PERCPU_HASH, 10),
					 hom = map(2, BPF_MAP_TYPE_HASH_OF_MAPS, 4);
		struct map_count mc;

		map_count__init(&mc, cases[i].method, cases[i].support, 1000, fake_walk, &f);
		map_count__apply(&mc, &h);
		map_count__apply(&mc, &hom);
		assert_int_equal(f.how[1], cases[i].want_hash);
		assert_int_equal(f.how[2], cases[i].want_hom);
		assert_int_equal(h.count_method, cases[i].record_hash);
		assert_int_equal(hom.count_method, cases[i].record_hom);
		assert_int_equal(h.entries, 3);
		assert_int_equal(hom.entries, cases[i].record_hom ? 2 : 0);
		assert_int_equal(mc.budget_used, cases[i].want_hom ? 14 : 10);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_candidates),
		cmocka_unit_test(test_user_space_walks),
		cmocka_unit_test(test_walkable),
		cmocka_unit_test(test_kfunc_keeps_records),
		cmocka_unit_test(test_none_drops_counts),
		cmocka_unit_test(test_own_counts_kept),
		cmocka_unit_test(test_iterator_walks_hash_maps),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_walk_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
