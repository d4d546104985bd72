// SPDX-License-Identifier: Apache-2.0
/* The map_errors collector's counters in user space: no kernel access here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "map_errors.h"
#include "records.h"

const char *const map_err_reason_names[MAP_ERR_REASONS] = {
	[MAP_ERR_FULL] = "full",	   [MAP_ERR_NO_MEMORY] = "no_memory",
	[MAP_ERR_BUSY] = "busy",	   [MAP_ERR_EXISTS] = "exists",
	[MAP_ERR_NOT_FOUND] = "not_found", [MAP_ERR_OUT_OF_RANGE] = "out_of_range",
	[MAP_ERR_OTHER] = "other",
};

int map_err_reason_id(uint32_t map_type, uint32_t err)
{
	switch (err) {
	case BPFMAP_ERR_EVICTED:
		return -1;
	case E2BIG:
		/* An array is never full: E2BIG there is an index past max_entries. */
		if (map_type == BPF_MAP_TYPE_ARRAY || map_type == BPF_MAP_TYPE_PERCPU_ARRAY)
			return MAP_ERR_OUT_OF_RANGE;
		return MAP_ERR_FULL; /* the hash family at max_entries */
	case ENOSPC:
		return MAP_ERR_FULL; /* an LPM trie at max_entries */
	case ENOMEM:
		return MAP_ERR_NO_MEMORY;
	case EEXIST:
		return MAP_ERR_EXISTS; /* BPF_NOEXIST on a key that is there (always, on arrays) */
	case ENOENT:
		return MAP_ERR_NOT_FOUND; /* BPF_EXIST on a key that is not */
	case EBUSY:
		return MAP_ERR_BUSY; /* the bucket was locked on this CPU: a nested update */
	default:
		return MAP_ERR_OTHER;
	}
}

const char *map_err_reason(uint32_t map_type, uint32_t err)
{
	int id = map_err_reason_id(map_type, err);

	return id < 0 ? NULL : map_err_reason_names[id];
}

static int cmp_count(const void *a, const void *b)
{
	const struct map_err_count *x = a, *y = b;

	if (x->map_id != y->map_id)
		return x->map_id < y->map_id ? -1 : 1;
	return (int)x->err - (int)y->err;
}

void map_err_table__sort(struct map_err_table *t)
{
	if (t->nr > 1)
		qsort(t->counts, t->nr, sizeof(t->counts[0]), cmp_count);
}

void map_err_table__fini(struct map_err_table *t)
{
	free(t->counts);
	memset(t, 0, sizeof(*t));
}
