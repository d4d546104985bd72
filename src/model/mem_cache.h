/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Memory the kernel accounts to each map, kept between scrapes.
 *
 * The kernel reports it only through a map's fdinfo ("memlock"): an fd
 * per map and a procfs read, a few system calls each. So a figure is
 * kept per map id. Most maps' figure never changes (the caller says
 * which may): those are read once; the others again once older than
 * max_age seconds. A scrape reads at most budget maps, maps not seen
 * before first (in id order), then the oldest changing figures. A map
 * without a figure yet has none (no made-up 0). Ids no longer exported
 * are forgotten. No kernel access here: the read is a callback, so this
 * is unit-tested.
 */
#ifndef BPFMAP_MEM_CACHE_H
#define BPFMAP_MEM_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads one map's figure: 0, or -errno (-ENOENT: the map is gone). */
typedef int (*mem_read_fn)(void *arg, uint32_t id, uint64_t *bytes);

/* What one pass did, for the exporter's own series. */
struct mem_pass {
	unsigned int read; /* figures read in this pass */
	unsigned int cached; /* figures served from earlier passes */
	unsigned int unknown; /* maps left without a figure (budget, or the read failed) */
	double max_age; /* seconds, the oldest changing figure served */
	int last_err; /* the last read error other than -ENOENT, or 0 */
};

struct mem_cache;

int mem_cache__new(struct mem_cache **out);
/* True the first time only: to log a failing read once per run. */
bool mem_cache__first_failure(struct mem_cache *c);
void mem_cache__free(struct mem_cache *c); /* NULL-safe */

/*
 * One scrape. ids: the maps exported, strictly ascending (-EINVAL if
 * not); changes[i]: whether map i's figure can change while it lives.
 * Fills bytes[i] and known[i] for each. Safe from several threads
 * (passes are serialised). 0, or -errno (-ENOMEM).
 */
int mem_cache__pass(struct mem_cache *c, const uint32_t *ids, const bool *changes, size_t n,
		    double now, unsigned int max_age, unsigned int budget, mem_read_fn read,
		    void *arg, uint64_t *bytes, bool *known, struct mem_pass *st);

#endif
