/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collectors and the scrape that runs them.
 *
 * A scrape is fresh every time: the enabled collectors run in table
 * order (programs before maps, so maps can name the programs that use
 * them), each reads its iterator and writes its families; the self
 * collector then reports every collector's duration and success. A
 * failing collector costs only its own series.
 */
#ifndef BPFMAP_COLLECTOR_H
#define BPFMAP_COLLECTOR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "expo.h"
#include "iter.h"
#include "map_count.h"
#include "records_decode.h"

/* What lives for the exporter's whole run; shared by concurrent scrapes. */
struct exporter {
	pthread_rwlock_t lock; /* scrapes read cfg, a reload swaps it */
	struct config *cfg;
	struct iters *iters;
	double start_time; /* unix seconds, for process_start_time_seconds */
	atomic_bool failing[COLLECTOR_MAX]; /* to log a collector's failures once */
};

/* One scrape's working set. */
struct scrape {
	const struct config *cfg;
	struct iters *iters;
	struct expo *out;
	struct iter_buf buf;
	struct map_table maps;
	struct prog_table progs;
	bool progs_valid; /* progs was read in this scrape: maps may join it */
	struct map_use_index uses;
	struct map_count count; /* how the maps collector counted entries */
	bool count_valid; /* the maps collector ran: count holds this scrape's results */
};

struct collector_result {
	bool enabled;
	bool success;
	double seconds;
};

struct collector {
	const char *name;
	enum collector_id id;
	int (*collect)(struct scrape *s); /* 0 or -errno */
};

int collect_programs(struct scrape *s);
int collect_maps(struct scrape *s);
void collect_self(struct scrape *s, const struct exporter *exp,
		  const struct collector_result results[COLLECTOR_MAX]);

/* The entry counting method a config gives on this kernel. */
enum map_count_method exporter_count_method(const struct config *cfg, const struct iters *iters);

/* Run one full scrape into out (reset first). 0, or -errno if out failed. */
int exporter__scrape(struct exporter *exp, struct expo *out);

#endif
