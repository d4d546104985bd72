/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entry counts of hash maps read from user space, where the kernel has
 * no bpf_map_sum_elem_count and refuses (or lacks) the bpf_map_elem
 * iterator, and for hash_of_maps, which has no element iterator.
 *
 * Batched lookups (Linux 5.6+) copy whole buckets, so elements are
 * neither missed nor counted twice while others update the map. One
 * BPF_MAP_GET_NEXT_KEY at a time is the last resort: when the key it
 * stands on is deleted the kernel starts over from the first bucket, so
 * a walk that meets its first key again, or counts past max_entries, is
 * refused (-EAGAIN); a restart after the first key itself was deleted
 * goes unseen, so a busy map may still be counted high. A quiet map is
 * counted exactly by both.
 */
#ifndef BPFMAP_MAP_WALK_H
#define BPFMAP_MAP_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"

/* Room for keys and values, reused for every map of a scrape. */
struct map_walk_buf {
	void *keys, *values;
	size_t keys_size, values_size;
};

void map_walk_buf__fini(struct map_walk_buf *b);

/* 0 and *entries, or -errno (-ENOENT: the map is gone). */
int map_walk_batch(struct map_walk_buf *b, const struct bpfmap_map_record *rec, uint64_t *entries);
int map_walk_keys(struct map_walk_buf *b, const struct bpfmap_map_record *rec, uint64_t *entries);

/*
 * Does the kernel allow each way? Tried once, on a small hash map of our
 * own holding one element: 0, or the -errno that refused it.
 */
void map_walk_probe(int *batch_err, int *keys_err);

#endif
