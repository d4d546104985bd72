/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entry counts of hash maps: which method a scrape uses, and the
 * fallback walk under a per-scrape budget.
 *
 * The bpf_map iterator fills in the kernel's own count where the kfunc
 * exists (6.6+). Otherwise (or when the config forces it) each hash map
 * is walked with the bpf_map_elem iterator, in ascending id order, while
 * the budget lasts: a map whose max_entries does not fit in what is left
 * is skipped, the next smaller one may still fit. A walk costs about
 * max_entries (every bucket is visited), which is known before walking.
 * No kernel access here: the walk is a callback, so this is unit-tested.
 */
#ifndef BPFMAP_MAP_COUNT_H
#define BPFMAP_MAP_COUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "records.h"

enum map_count_method {
	MAP_COUNT_METHOD_NONE,
	MAP_COUNT_METHOD_KFUNC,
	MAP_COUNT_METHOD_ITERATOR,
	MAP_COUNT_METHOD_MAX,
};

/* What became of a map the fallback was asked to count. */
enum map_count_result {
	MAP_COUNT_COUNTED,
	MAP_COUNT_OVER_BUDGET, /* did not fit in the scrape's budget: no count */
	MAP_COUNT_GONE, /* deleted since the map iterator saw it */
	MAP_COUNT_FAILED, /* the walk failed: no count */
	MAP_COUNT_RESULT_MAX,
};

const char *map_count_method_name(enum map_count_method method); /* "kfunc", ... */
const char *map_count_result_name(enum map_count_result result); /* "counted", ... */

/* The method for a configured mode, given what the running kernel has. */
enum map_count_method map_count_method(enum counting_mode mode, bool has_kfunc, bool has_elem_iter);

/* Can the fallback walk this map type? (the hash maps) */
bool map_count_walkable(uint32_t map_type);

/*
 * Walks one map: 0 and *entries, or -errno (-ENOENT: the map is gone).
 * Returns through *method how it walked (BPFMAP_COUNT_ITER or _BATCH).
 */
typedef int (*map_count_walk_fn)(void *arg, const struct bpfmap_map_record *rec, uint64_t *entries,
				 uint32_t *method);

/* One scrape's counting: method, budget left, and what happened. */
struct map_count {
	enum map_count_method method;
	uint64_t budget_left;
	uint64_t budget_used; /* max_entries summed over the maps walked */
	unsigned int results[MAP_COUNT_RESULT_MAX];
	map_count_walk_fn walk;
	void *arg;
};

void map_count__init(struct map_count *mc, enum map_count_method method, uint64_t budget,
		     map_count_walk_fn walk, void *arg);
/*
 * Settle one map's count in place: keep the kernel's count (kfunc),
 * drop it (none), or walk the map (iterator), setting rec->entries and
 * rec->count_method. Call in ascending map id order.
 */
void map_count__apply(struct map_count *mc, struct bpfmap_map_record *rec);

#endif
