/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The BPF iterators: loaded and attached once at start-up; every read
 * creates a fresh iterator fd from the link, drains it and closes it.
 * Reads are safe from several threads at once.
 */
#ifndef BPFMAP_ITER_H
#define BPFMAP_ITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "map_count.h"

enum iter_kind { ITER_MAPS, ITER_PROGS, ITER_OWNERS, ITER_LINKS, ITER_TASKS, ITER_KIND_MAX };

/* A growable byte buffer, reused across reads. */
struct iter_buf {
	char *data;
	size_t len, cap;
};

void iter_buf__fini(struct iter_buf *buf);

struct iters;

/*
 * Load every iterator the kernel supports. An iterator that cannot load
 * is logged once and left unavailable; -errno (and a log line naming the
 * fix) only if neither the map nor the program iterator can load.
 */
int iters__new(struct iters **out);
void iters__free(struct iters *it); /* NULL-safe */
bool iters__available(const struct iters *it, enum iter_kind kind);
/* Does the kernel have bpf_map_sum_elem_count (6.6+)? */
bool iters__has_elem_count_kfunc(const struct iters *it);
/* Does the kernel account each map's own memory use (map_mem_usage, 6.6+)? */
bool iters__has_map_mem_usage(const struct iters *it);
/* Can a single map be walked with SEC("iter/bpf_map_elem") (5.9+)? */
bool iters__has_elem_iter(const struct iters *it);
/* How hash maps may be counted on this kernel (map_count.h), found at start-up. */
const struct map_count_support *iters__count_support(const struct iters *it);
/*
 * The ids of the maps the iterators' objects created (their .bss, the
 * owners pass's session table, ...), up to max; returns how many there
 * are, which may be more than max.
 */
size_t iters__map_ids(const struct iters *it, uint32_t *ids, size_t max);
/* Read one full pass of an iterator into buf (replacing its contents). */
int iters__read(struct iters *it, enum iter_kind kind, struct iter_buf *buf);
/*
 * Count the elements of one map by walking it in the kernel (hash
 * family only). -ENOENT if the map is gone, -ENOTSUP without the
 * iterator, other -errno from the kernel. Walks are serialised.
 */
int iters__count_elems(struct iters *it, uint32_t map_id, uint64_t *entries);

/* Read every available iterator once: a scrape's kernel work; 0 or -errno. */
int iters__probe(struct iters *it);

#endif
