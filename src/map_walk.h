/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The element count of a hash_of_maps, which has no bpf_map_elem
 * iterator, through batched lookups (Linux 5.6+) from user space. A
 * hash map's batch holds whole buckets, so elements are neither missed
 * nor counted twice when others update the map meanwhile (unlike a
 * get_next_key walk, which restarts when its key is deleted).
 */
#ifndef BPFMAP_MAP_BATCH_H
#define BPFMAP_MAP_BATCH_H

#include <stdint.h>

/* 0 and *entries, or -errno (-ENOENT: the map is gone). */
int map_batch_count(uint32_t map_id, uint32_t key_size, uint32_t value_size, uint64_t *entries);

#endif
