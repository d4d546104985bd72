/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A recorded scrape source (src/kernel/scrape_source.h): what the kernel
 * answered once, replayed with no kernel. A recording is a directory:
 *
 *   maps.bin progs.bin owners.bin links.bin tasks.bin
 *       each iterator's bytes, as read (absent: the iterator did not load)
 *   answers.txt
 *       one answer per line, "-errno" where the kernel refused:
 *       fact iter <kind> 0|1 / fact elem_count_kfunc|elem_iter|map_mem_usage 0|1
 *       fact count <method> <0 or -errno>     how hash maps may be counted
 *       fact page_size <bytes> / fact boot_to_unix <seconds> / fact run_stats_sysctl <n>
 *       walk <method> <map id> <entries or -errno>
 *       memlock <map id> <bytes or -errno>
 *       run_stats <prog id> <run_time_ns> <run_cnt> <recursion_misses|-> | <-errno>
 *       perf <tgid> <fd> <-errno> | <prog_id> <fd_type> <offset> <addr> <name...>
 *
 * A question the recording has no answer for gets -ENOENT: the object
 * is gone, as it may be in a live scrape. Pins are not recorded (they
 * need the objects themselves): a replayed scrape has none.
 */
#ifndef BPFMAP_REPLAY_H
#define BPFMAP_REPLAY_H

#include "scrape_source.h"

struct replay;

/* Load a recording: 0, or -errno with a message on stderr. */
int replay__load(const char *dir, struct replay **out, struct scrape_source *src);
/*
 * Iterator bytes with no answers (every question gets -ENOENT), for the
 * fuzzer: every iterator loaded, counted by one key at a time.
 */
int replay__from_bytes(const void *const bytes[ITER_KIND_MAX], const size_t lens[ITER_KIND_MAX],
		       struct replay **out, struct scrape_source *src);
void replay__free(struct replay *r); /* NULL-safe */

/* The file name of an iterator's bytes ("maps.bin"). */
const char *replay_file_name(enum iter_kind kind);
/* The names used in answers.txt. */
const char *replay_iter_name(enum iter_kind kind);

#endif
