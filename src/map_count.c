// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>

#include "log.h"
#include "map_count.h"

static const char *const method_names[MAP_COUNT_METHOD_MAX] = {
	[MAP_COUNT_METHOD_NONE] = "none",
	[MAP_COUNT_METHOD_KFUNC] = "kfunc",
	[MAP_COUNT_METHOD_ITERATOR] = "iterator",
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

enum map_count_method map_count_method(enum counting_mode mode, bool has_kfunc, bool has_elem_iter)
{
	switch (mode) {
	case COUNTING_AUTO:
		if (has_kfunc)
			return MAP_COUNT_METHOD_KFUNC;
		return has_elem_iter ? MAP_COUNT_METHOD_ITERATOR : MAP_COUNT_METHOD_NONE;
	case COUNTING_ITERATOR:
		return has_elem_iter ? MAP_COUNT_METHOD_ITERATOR : MAP_COUNT_METHOD_NONE;
	default:
		return MAP_COUNT_METHOD_NONE;
	}
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

void map_count__init(struct map_count *mc, enum map_count_method method, uint64_t budget,
		     map_count_walk_fn walk, void *arg)
{
	memset(mc, 0, sizeof(*mc));
	mc->method = method;
	mc->budget_left = budget;
	mc->walk = walk;
	mc->arg = arg;
}

static void walk_one(struct map_count *mc, struct bpfmap_map_record *rec)
{
	uint64_t entries = 0;
	uint32_t method = BPFMAP_COUNT_ITER;
	int err;

	if (rec->max_entries > mc->budget_left) {
		mc->results[MAP_COUNT_OVER_BUDGET]++;
		return;
	}
	mc->budget_left -= rec->max_entries;
	mc->budget_used += rec->max_entries;
	err = mc->walk(mc->arg, rec, &entries, &method);
	if (err) {
		/* Per map and per scrape: the result metric is what to watch. */
		log_debug("walking map %u for its entry count: %s", rec->id, strerror(-err));
		mc->results[err == -ENOENT ? MAP_COUNT_GONE : MAP_COUNT_FAILED]++;
		return;
	}
	rec->entries = (int64_t)entries;
	rec->count_method = method;
	mc->results[MAP_COUNT_COUNTED]++;
}

void map_count__apply(struct map_count *mc, struct bpfmap_map_record *rec)
{
	/* Other types' own counters cost nothing to read: every method keeps them. */
	if (!map_count_walkable(rec->type))
		return;
	switch (mc->method) {
	case MAP_COUNT_METHOD_KFUNC:
		return; /* the bpf_map iterator counted what the kernel counts */
	case MAP_COUNT_METHOD_ITERATOR:
		rec->count_method = BPFMAP_COUNT_NONE; /* forced: the kernel's count is unused */
		if (map_count_walkable(rec->type))
			walk_one(mc, rec);
		return;
	default:
		rec->count_method = BPFMAP_COUNT_NONE;
		return;
	}
}
