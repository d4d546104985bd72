// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

#include "log.h"
#include "map_count.h"

static const char *const method_names[MAP_COUNT_METHOD_MAX] = {
	[MAP_COUNT_METHOD_NONE] = "none",	  [MAP_COUNT_METHOD_KFUNC] = "kfunc",
	[MAP_COUNT_METHOD_ITERATOR] = "iterator", [MAP_COUNT_METHOD_BATCH] = "batch",
	[MAP_COUNT_METHOD_KEYS] = "keys",
};

static const char *const result_names[MAP_COUNT_RESULT_MAX] = {
	[MAP_COUNT_COUNTED] = "counted",
	[MAP_COUNT_OVER_BUDGET] = "over_budget",
	[MAP_COUNT_GONE] = "gone",
	[MAP_COUNT_FAILED] = "failed",
};

const char *map_count_method_name(enum map_count_method method)
{
	return method < MAP_COUNT_METHOD_MAX ? method_names[method] : "unknown";
}

const char *map_count_result_name(enum map_count_result result)
{
	return result < MAP_COUNT_RESULT_MAX ? result_names[result] : "unknown";
}

size_t map_count_candidates(enum counting_mode mode,
			    enum map_count_method out[MAP_COUNT_CANDIDATES_MAX])
{
	/* Best first: the kernel's own count, a walk in the kernel, a few syscalls, one per entry. */
	static const enum map_count_method all[] = {
		MAP_COUNT_METHOD_KFUNC,
		MAP_COUNT_METHOD_ITERATOR,
		MAP_COUNT_METHOD_BATCH,
		MAP_COUNT_METHOD_KEYS,
	};
	size_t from = 0, to = 0;

	switch (mode) {
	case COUNTING_AUTO:
		from = 0, to = 4;
		break;
	case COUNTING_WALK:
		from = 1, to = 4;
		break;
	/* Asked for by name: that one only, never another that would hide its refusal. */
	case COUNTING_ITERATOR:
		from = 1, to = 2;
		break;
	case COUNTING_BATCH:
		from = 2, to = 3;
		break;
	case COUNTING_KEYS:
		from = 3, to = 4;
		break;
	default:
		break;
	}
	for (size_t i = from; i < to; i++)
		out[i - from] = all[i];
	return to - from;
}

enum map_count_method map_count_method(enum counting_mode mode,
				       const struct map_count_support *support)
{
	enum map_count_method candidates[MAP_COUNT_CANDIDATES_MAX];
	size_t n = map_count_candidates(mode, candidates);

	for (size_t i = 0; i < n; i++)
		if (!support->err[candidates[i]])
			return candidates[i];
	return MAP_COUNT_METHOD_NONE;
}

bool map_count_method_walks(enum map_count_method method)
{
	return method == MAP_COUNT_METHOD_ITERATOR || method == MAP_COUNT_METHOD_BATCH ||
	       method == MAP_COUNT_METHOD_KEYS;
}

/* The maps whose kernel implementation the kfunc counts: the hash maps. */
bool map_count_walkable(uint32_t map_type)
{
	switch (map_type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		return true;
	default:
		return false;
	}
}

void map_count__init(struct map_count *mc, enum map_count_method method,
		     const struct map_count_support *support, uint64_t budget,
		     map_count_walk_fn walk, void *arg)
{
	memset(mc, 0, sizeof(*mc));
	mc->method = method;
	mc->support = support;
	mc->budget_left = budget;
	mc->walk = walk;
	mc->arg = arg;
}

static uint32_t record_method(enum map_count_method how)
{
	switch (how) {
	case MAP_COUNT_METHOD_ITERATOR:
		return BPFMAP_COUNT_ITER;
	case MAP_COUNT_METHOD_BATCH:
		return BPFMAP_COUNT_BATCH;
	default:
		return BPFMAP_COUNT_KEYS;
	}
}

static void walk_one(struct map_count *mc, struct bpfmap_map_record *rec)
{
	enum map_count_method how = mc->method;
	uint64_t entries = 0;
	int err;

	/* hash_of_maps has no element iterator: the next best walk reads it. */
	if (how == MAP_COUNT_METHOD_ITERATOR && rec->type == BPF_MAP_TYPE_HASH_OF_MAPS)
		how = !mc->support->err[MAP_COUNT_METHOD_BATCH]	 ? MAP_COUNT_METHOD_BATCH
		      : !mc->support->err[MAP_COUNT_METHOD_KEYS] ? MAP_COUNT_METHOD_KEYS
								 : MAP_COUNT_METHOD_NONE;
	if (how == MAP_COUNT_METHOD_NONE)
		return; /* no count, as for method none */
	if (rec->max_entries > mc->budget_left) {
		mc->results[MAP_COUNT_OVER_BUDGET]++;
		return;
	}
	mc->budget_left -= rec->max_entries;
	mc->budget_used += rec->max_entries;
	err = mc->walk(mc->arg, how, rec, &entries);
	if (err) {
		/* Per map and per scrape: the result metric is what to watch. */
		log_debug("walking map %u for its entry count: %s", rec->id, strerror(-err));
		mc->results[err == -ENOENT ? MAP_COUNT_GONE : MAP_COUNT_FAILED]++;
		return;
	}
	rec->entries = (int64_t)entries;
	rec->count_method = record_method(how);
	mc->results[MAP_COUNT_COUNTED]++;
}

void map_count__apply(struct map_count *mc, struct bpfmap_map_record *rec)
{
	/* Other types' own counters cost nothing to read: every method keeps them. */
	if (!map_count_walkable(rec->type))
		return;
	if (mc->method == MAP_COUNT_METHOD_KFUNC)
		return; /* the bpf_map iterator counted what the kernel counts */
	/* A walk, or none: the kernel's count, if the iterator had one, goes unused. */
	rec->count_method = BPFMAP_COUNT_NONE;
	if (map_count_method_walks(mc->method))
		walk_one(mc, rec);
}
