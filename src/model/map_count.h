/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entry counts of hash maps: which method a scrape uses, and the
 * fallback walk under a per-scrape budget.
 *
 * The bpf_map iterator fills in the kernel's own count where the kfunc
 * exists (6.6+). Otherwise (or when the config asks for a walk) each
 * hash map is walked, with the best way the kernel allows: the
 * bpf_map_elem iterator (5.9+, in the kernel), else batched lookups
 * (5.6+), else one BPF_MAP_GET_NEXT_KEY at a time. Kernels and their
 * security policies differ in what they allow, so start-up asks (struct
 * map_count_support) rather than assume.
 *
 * Maps are walked in ascending id order while the budget lasts: a map
 * whose max_entries does not fit in what is left is skipped, the next
 * smaller one may still fit. Every way visits every bucket, so a walk
 * costs about max_entries, which is known before walking. No kernel
 * access here: the walk is a callback, so this is unit-tested.
 */
#ifndef BPFMAP_MAP_COUNT_H
#define BPFMAP_MAP_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "records.h"

enum map_count_method {
	MAP_COUNT_METHOD_NONE,
	MAP_COUNT_METHOD_KFUNC,
	MAP_COUNT_METHOD_ITERATOR,
	MAP_COUNT_METHOD_BATCH,
	MAP_COUNT_METHOD_KEYS,
	MAP_COUNT_METHOD_MAX,
};

/*
 * What the running kernel allows, found once at start-up: 0, or the
 * -errno that refused each method (err[NONE] is always 0).
 */
struct map_count_support {
	int err[MAP_COUNT_METHOD_MAX];
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

#define MAP_COUNT_CANDIDATES_MAX 4
/*
 * The methods a configured mode may use, best first, into out; returns
 * how many. auto: kfunc, then the walks; walk: the walks; a walk named
 * in the config: that one only; none: nothing.
 */
size_t map_count_candidates(enum counting_mode mode,
			    enum map_count_method out[MAP_COUNT_CANDIDATES_MAX]);

/* The first candidate of a configured mode the running kernel allows, else none. */
enum map_count_method map_count_method(enum counting_mode mode,
				       const struct map_count_support *support);

/* Is this method a walk (iterator, batch or keys)? */
bool map_count_method_walks(enum map_count_method method);

/* Can the fallback walk this map type? (the hash maps) */
bool map_count_walkable(uint32_t map_type);

/*
 * Walks one map the way given (ITERATOR, BATCH or KEYS): 0 and
 * *entries, or -errno (-ENOENT: the map is gone).
 */
typedef int (*map_count_walk_fn)(void *arg, enum map_count_method how,
				 const struct bpfmap_map_record *rec, uint64_t *entries);

/* One scrape's counting: method, budget left, and what happened. */
struct map_count {
	enum map_count_method method;
	const struct map_count_support *support;
	uint64_t budget_left;
	uint64_t budget_used; /* max_entries summed over the maps walked */
	unsigned int results[MAP_COUNT_RESULT_MAX];
	map_count_walk_fn walk;
	void *arg;
};

void map_count__init(struct map_count *mc, enum map_count_method method,
		     const struct map_count_support *support, uint64_t budget,
		     map_count_walk_fn walk, void *arg);
/*
 * Settle one map's count in place: keep the kernel's count (kfunc),
 * drop it (none), or walk the map, setting rec->entries and
 * rec->count_method. Call in ascending map id order.
 */
void map_count__apply(struct map_count *mc, struct bpfmap_map_record *rec);

#endif
