// SPDX-License-Identifier: Apache-2.0
/* The map_errors collector's counters in user space: no kernel access here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "map_errors.h"
#include "records.h"

const char *map_err_reason(uint32_t map_type, uint32_t err)
{
	switch (err) {
	case BPFMAP_ERR_EVICTED:
		return NULL;
	case E2BIG:
		/* An array is never full: E2BIG there is an index past max_entries. */
		if (map_type == BPF_MAP_TYPE_ARRAY || map_type == BPF_MAP_TYPE_PERCPU_ARRAY)
			return "out_of_range";
		return "full"; /* the hash family at max_entries */
	case ENOSPC:
		return "full"; /* an LPM trie at max_entries */
	case ENOMEM:
		return "no_memory";
	case EEXIST:
		return "exists"; /* BPF_NOEXIST on a key that is there (always, on arrays) */
	case ENOENT:
		return "not_found"; /* BPF_EXIST on a key that is not */
	case EBUSY:
		return "busy"; /* the bucket was locked on this CPU: a nested update */
	default:
		return "other";
	}
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
