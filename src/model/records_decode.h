/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoding of the raw bytes an iterator returns (bpf/records.h) into
 * tables, plus the map <-> program join. No kernel access here, so it is
 * unit-testable on byte buffers.
 */
#ifndef BPFMAP_RECORDS_DECODE_H
#define BPFMAP_RECORDS_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"

struct map_table {
	struct bpfmap_map_record *maps;
	size_t nr, cap;
};

struct prog_entry {
	struct bpfmap_prog_record rec;
	size_t first_map_id; /* index into prog_table.map_ids */
};

struct prog_table {
	struct prog_entry *progs;
	size_t nr, cap;
	uint32_t *map_ids; /* all programs' used map ids, back to back */
	size_t nr_map_ids, cap_map_ids;
};

struct link_entry {
	struct bpfmap_link_record rec;
	size_t first_name; /* index into link_table.names: its path, leaf first */
};

struct link_table {
	struct link_entry *links;
	size_t nr, cap;
	struct bpfmap_link_path_name *names; /* all links' path names, back to back */
	size_t nr_names, cap_names;
};

/* One (map, program) use, for the join. */
struct map_use {
	uint32_t map_id;
	uint32_t prog_index; /* into prog_table.progs */
};

struct map_use_index {
	struct map_use *uses; /* sorted by map id, then program name, then id */
	size_t nr, cap;
};

/*
 * Decode a whole iterator read. The tables are emptied first and keep
 * their memory. -EPROTO if the bytes do not end on a record boundary
 * (a torn or foreign stream), -ENOMEM.
 */
int records_decode_maps(const void *buf, size_t len, struct map_table *out);
int records_decode_progs(const void *buf, size_t len, struct prog_table *out);
int records_decode_links(const void *buf, size_t len, struct link_table *out);

/*
 * A link's path from its names into out, cut to size; returns the length
 * it needed: a cgroup link's below the cgroup2 root ("/a/b"; "/" for the
 * root itself), an uprobe_multi link's file ("/usr/bin/bash").
 */
size_t link_path(const struct link_table *t, const struct link_entry *e, char *out, size_t size);

/*
 * A multi-probe link's target into out, cut to size; returns the length
 * it needed. Counted, never listed (some tools probe thousands of
 * functions): kprobe_multi "2 functions"; uprobe_multi the file and its
 * offset count, "/usr/bin/bash (3 offsets)", as a perf event uprobe's
 * "/usr/bin/bash:0x4f2a0".
 */
size_t link_probe_target(const struct link_table *t, const struct link_entry *e, char *out,
			 size_t size);

/*
 * A multi-probe link's attach type, spelled as perf event probes' are:
 * kprobe_multi, kretprobe_multi, kprobe_session, uprobe_multi,
 * uretprobe_multi, uprobe_session.
 */
const char *link_probe_attach_type(const struct bpfmap_link_record *rec);

/* Build the map -> programs index from decoded programs (id 0 slots skipped). */
int map_use_index__build(struct map_use_index *idx, const struct prog_table *progs);
/* The uses of one map: *first index into idx->uses and the count (0 if none). */
size_t map_use_index__find(const struct map_use_index *idx, uint32_t map_id, size_t *first);

void map_table__fini(struct map_table *t);
void prog_table__fini(struct prog_table *t);
void link_table__fini(struct link_table *t);
void map_use_index__fini(struct map_use_index *idx);

/* A record's name as a C string (records are NUL-padded, but trust nothing). */
void records_name(char out[BPFMAP_NAME_LEN + 1], const char name[BPFMAP_NAME_LEN]);

#endif
