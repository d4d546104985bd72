/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a scrape's facts come from. Everything a scrape asks the kernel
 * is in this table: the iterator reads, what is read only after the
 * filters (counting walks, map memory, run statistics, pinned objects,
 * perf event queries), the clock and page size that turn records into
 * units, and what the kernel allowed at start-up. The exporter's is the
 * kernel's (scrape_source_kernel()); tests/golden replays a recording of
 * it, with no kernel at all, through the same collectors.
 *
 * Outside this table: attach_netlink and attach_cgroup talk to the kernel
 * through sockets and cgroup fds of their own (the netlink parsing is
 * tested from recorded dumps, tests/unit), and map_errors reads its own
 * BPF map.
 */
#ifndef BPFMAP_SCRAPE_SOURCE_H
#define BPFMAP_SCRAPE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "iter.h"
#include "map_count.h"
#include "map_walk.h"
#include "objinfo.h"
#include "owners.h"
#include "perf_attach.h"
#include "pins.h"
#include "records.h"

/* What the kernel allowed at start-up. */
struct source_facts {
	bool iter[ITER_KIND_MAX]; /* which iterators loaded */
	bool elem_count_kfunc; /* bpf_map_sum_elem_count (6.6+) */
	bool elem_iter; /* SEC("iter/bpf_map_elem") may walk one map */
	bool map_mem_usage; /* maps account their own memory (6.6+) */
	struct map_count_support count; /* how hash maps may be counted */
	uint64_t page_size; /* programs' memory is counted in pages */
};

struct scrape_source {
	struct source_facts facts;
	void *ctx;
	/* One full pass of an iterator into buf (replacing its contents). */
	int (*read)(void *ctx, enum iter_kind kind, struct iter_buf *buf);
	/* Count one map by walking it (ITERATOR, BATCH or KEYS); buf is reused. */
	int (*count_walk)(void *ctx, enum map_count_method how, const struct bpfmap_map_record *rec,
			  struct map_walk_buf *buf, uint64_t *entries);
	int (*map_memlock)(void *ctx, uint32_t map_id, uint64_t *bytes);
	int (*prog_run_stats)(void *ctx, uint32_t prog_id, struct prog_run_stats *out);
	int (*run_stats_sysctl)(void *ctx); /* kernel.bpf_stats_enabled: 1, 0, or -errno */
	/* CLOCK_REALTIME minus CLOCK_BOOTTIME, in seconds: load times as Unix time. */
	double (*boot_to_unix)(void *ctx);
	/* Add the pins under roots to t (pin_cache__walk()). */
	int (*walk_pins)(void *ctx, struct pin_cache *pins, char *const *roots, size_t nr_roots,
			 struct owner_table *t);
	perf_query_fn task_fd_query; /* BPF_TASK_FD_QUERY on (tgid, fd) */
};

/* The kernel, through the iterators loaded at start-up (it outlives src). */
void scrape_source_kernel(struct scrape_source *src, struct iters *it);

#endif
