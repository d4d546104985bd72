/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Failed map updates and LRU evictions per map (the map_errors
 * collector): fexit programs on the kernel's map update functions, found
 * in its BTF at start-up, count into a per-CPU hash that each scrape
 * reads and sums.
 */
#ifndef BPFMAP_MAP_ERRORS_H
#define BPFMAP_MAP_ERRORS_H

#include <stddef.h>
#include <stdint.h>

/* One counter: failures of one reason on one map, or its evictions. */
struct map_err_count {
	uint32_t map_id;
	uint16_t map_type; /* enum bpf_map_type */
	uint16_t err; /* positive errno, or BPFMAP_ERR_EVICTED */
	uint64_t count; /* summed over CPUs */
};

struct map_err_table {
	struct map_err_count *counts; /* sorted by map id, then err */
	size_t nr, cap;
	uint64_t lost; /* counts that found the kernel-side table full */
};

void map_err_table__fini(struct map_err_table *t);
/* Sort by (map id, err); for readers and tests. */
void map_err_table__sort(struct map_err_table *t);

/* The reasons a failure is labelled with (README: why these), in series order. */
enum map_err_reason_id {
	MAP_ERR_FULL,
	MAP_ERR_NO_MEMORY,
	MAP_ERR_BUSY,
	MAP_ERR_EXISTS,
	MAP_ERR_NOT_FOUND,
	MAP_ERR_OUT_OF_RANGE,
	MAP_ERR_OTHER,
	MAP_ERR_REASONS,
};

/* Each reason's label value: "full", "no_memory", ... */
extern const char *const map_err_reason_names[MAP_ERR_REASONS];

/* A failure's reason; -1 for BPFMAP_ERR_EVICTED, which is not a failure. */
int map_err_reason_id(uint32_t map_type, uint32_t err);
/* Its label value, or NULL for BPFMAP_ERR_EVICTED. */
const char *map_err_reason(uint32_t map_type, uint32_t err);

struct map_errors;

/*
 * Load and attach the programs on every update function the kernel's
 * BTF names with the expected shape; own_ids are the exporter's other
 * maps, never counted. -errno (and one log line saying why) if none
 * attached: the kernel lacks BTF or refuses trampolines.
 */
int map_errors__new(struct map_errors **out, const uint32_t *own_ids, size_t nr_own);
void map_errors__free(struct map_errors *me); /* NULL-safe */
/* Are LRU evictions counted (the kernel has the LRU's callback)? */
int map_errors__has_evictions(const struct map_errors *me);

/*
 * Read every counter into out (emptied first), summed over CPUs. With
 * live (ascending map ids of this scrape), counters of maps that are gone
 * are deleted from the kernel-side table and left out.
 */
int map_errors__read(struct map_errors *me, const uint32_t *live, size_t nr_live,
		     struct map_err_table *out);

#endif
