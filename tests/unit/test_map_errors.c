// SPDX-License-Identifier: Apache-2.0
/* The map_errors collector's reasons and counter table, without a kernel. */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "map_errors.h"
#include "records.h"

static void test_reasons(void **state)
{
	(void)state;
	/* Full: a hash at max_entries says E2BIG, an LPM trie ENOSPC. */
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_HASH, E2BIG), "full");
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_PERCPU_HASH, E2BIG), "full");
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_HASH_OF_MAPS, E2BIG), "full");
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_LPM_TRIE, ENOSPC), "full");
	/* An array is never full: E2BIG is an index past its end. */
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_ARRAY, E2BIG), "out_of_range");
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_PERCPU_ARRAY, E2BIG), "out_of_range");
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_LRU_HASH, ENOMEM), "no_memory");
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_HASH, EEXIST), "exists");
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_ARRAY, EEXIST), "exists");
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_HASH, ENOENT), "not_found");
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_HASH, EBUSY), "busy");
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_HASH, EINVAL), "other");
	assert_string_equal(map_err_reason(BPF_MAP_TYPE_HASH, EPERM), "other");
	/* Evictions are not failures. */
	assert_null(map_err_reason(BPF_MAP_TYPE_LRU_HASH, BPFMAP_ERR_EVICTED));
}

static void test_sort(void **state)
{
	struct map_err_table t = {};
	const struct map_err_count in[] = {
		{9, BPF_MAP_TYPE_HASH, EEXIST, 1},
		{3, BPF_MAP_TYPE_LRU_HASH, BPFMAP_ERR_EVICTED, 7},
		{9, BPF_MAP_TYPE_HASH, E2BIG, 5},
		{3, BPF_MAP_TYPE_LRU_HASH, ENOENT, 2},
	};

	(void)state;
	map_err_table__sort(&t); /* empty: nothing to do */
	t.counts = malloc(sizeof(in));
	assert_non_null(t.counts);
	memcpy(t.counts, in, sizeof(in));
	t.nr = t.cap = 4;
	map_err_table__sort(&t);
	assert_int_equal(t.counts[0].map_id, 3);
	assert_int_equal(t.counts[0].err, ENOENT);
	assert_int_equal(t.counts[1].err, BPFMAP_ERR_EVICTED);
	assert_int_equal(t.counts[2].map_id, 9);
	assert_int_equal(t.counts[2].err, E2BIG);
	assert_int_equal(t.counts[3].err, EEXIST);
	map_err_table__fini(&t);
	assert_null(t.counts);
	assert_int_equal(t.nr, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
