// SPDX-License-Identifier: Apache-2.0
/* Map series, from SEC("iter/bpf_map"), joined with this scrape's programs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "collector.h"
#include "grow.h"
#include "log.h"
#include "map_walk.h"
#include "util.h"

/*
 * The entry count is true only where the kernel keeps one for this map
 * (hash family with the kfunc); other maps get no entries/pressure
 * series at all rather than a made-up 0.
 */
static bool entries_known(const struct bpfmap_map_record *rec, uint64_t *entries)
{
	if (rec->count_method == BPFMAP_COUNT_NONE)
		return false;
	/* Per-CPU counters summed while others update may dip below 0 for an instant. */
	*entries = rec->entries > 0 ? (uint64_t)rec->entries : 0;
	return true;
}

static void write_info(struct scrape *s, const struct map_row *rows, size_t nr_rows)
{
	expo__family(s->out, "ebpf_map_info", "Static facts about a BPF map; always 1. Join on id.",
		     EXPO_GAUGE);
	for (size_t i = 0; i < nr_rows; i++) {
		char key_size[12], value_size[12], flags[20];
		const struct expo_label labels[] = {
			{"id", rows[i].id},	    {"name", rows[i].name},
			{"map_type", rows[i].type}, {"key_size", key_size},
			{"value_size", value_size}, {"flags", flags},
		};

		expo_format_u64(rows[i].rec->key_size, key_size);
		expo_format_u64(rows[i].rec->value_size, value_size);
		expo_format_hex(rows[i].rec->flags, flags);
		expo__sample(s->out, labels, 6, 1);
	}
}

/*
 * Bytes a ring buffer holds that its consumer has not read yet (record
 * headers and reserved, uncommitted records included).
 */
static bool ring_pending(const struct bpfmap_map_record *rec, uint64_t *pending)
{
	if (!(rec->rec_flags & BPFMAP_MAP_HAS_RING_POS))
		return false;
	/* Two reads of moving positions: never report the consumer ahead. */
	*pending = rec->ring_producer_pos > rec->ring_consumer_pos
			   ? rec->ring_producer_pos - rec->ring_consumer_pos
			   : 0;
	return true;
}

enum map_value { MAP_MAX_ENTRIES, MAP_ENTRIES, MAP_PRESSURE, MAP_SEED_ELEM_COUNT };

static const struct {
	const char *name, *help;
} map_families[] = {
	[MAP_MAX_ENTRIES] = {"ebpf_map_max_entries", "Capacity of the map, in entries."},
	[MAP_ENTRIES] = {"ebpf_map_entries",
			 "Entries in the map, where the kernel keeps a count (see README)."},
	[MAP_PRESSURE] = {"ebpf_map_pressure", "Fill ratio of the map: entries / max_entries."},
	[MAP_SEED_ELEM_COUNT] = {"ebpf_map_curr_elem_count",
				 "Deprecated alias of ebpf_map_entries (compat.seed_metrics)."},
};

static void write_values(struct scrape *s, const struct map_row *rows,
			 const struct expo_labels *sets, size_t nr_rows)
{
	size_t nr_families = ARRAY_SIZE(map_families);

	if (!s->cfg->seed_metrics)
		nr_families--; /* the alias is last */
	for (size_t f = 0; f < nr_families; f++) {
		expo__family(s->out, map_families[f].name, map_families[f].help, EXPO_GAUGE);
		for (size_t i = 0; i < nr_rows; i++) {
			const struct bpfmap_map_record *rec = rows[i].rec;
			struct expo_labels set = sets[i];
			uint64_t entries;

			if (f == MAP_MAX_ENTRIES) {
				expo__sample_set_u64(s->out, set, rec->max_entries);
				continue;
			}
			/* A ring buffer's fill is bytes pending out of its size in bytes. */
			if (f == MAP_PRESSURE && rec->max_entries && ring_pending(rec, &entries)) {
				expo__sample_set(s->out, set, (double)entries / rec->max_entries);
				continue;
			}
			if (!entries_known(rec, &entries))
				continue;
			if (f == MAP_PRESSURE) {
				/* max_entries 0 (e.g. ring buffers, struct_ops) has no ratio. */
				if (rec->max_entries)
					expo__sample_set(s->out, set,
							 (double)entries / rec->max_entries);
			} else {
				expo__sample_set_u64(s->out, set, entries);
			}
		}
	}
}

static void write_rings(struct scrape *s, const struct map_row *rows,
			const struct expo_labels *sets, size_t nr_rows)
{
	static const struct {
		const char *name, *help;
		enum expo_type type;
	} families[] = {
		{"ebpf_map_ringbuf_pending_bytes",
		 "Bytes written to a ring buffer and not consumed yet (headers included).",
		 EXPO_GAUGE},
		{"ebpf_map_ringbuf_produced_bytes_total",
		 "Bytes ever written to a ring buffer (its producer position).", EXPO_COUNTER},
		{"ebpf_map_ringbuf_consumed_bytes_total",
		 "Bytes ever consumed from a ring buffer (its consumer position).", EXPO_COUNTER},
	};

	for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
		expo__family(s->out, families[f].name, families[f].help, families[f].type);
		for (size_t i = 0; i < nr_rows; i++) {
			const struct bpfmap_map_record *rec = rows[i].rec;
			uint64_t pending, value;

			if (!ring_pending(rec, &pending))
				continue;
			value = f == 0	 ? pending
				: f == 1 ? rec->ring_producer_pos
					 : rec->ring_consumer_pos;
			expo__sample_set_u64(s->out, sets[i], value);
		}
	}
}

static void write_program_pairs(struct scrape *s, const struct map_row *rows, size_t nr_rows)
{
	if (!s->progs_valid)
		return;
	expo__family(s->out, "ebpf_map_program_info",
		     "A program that uses a map; always 1, one series per pair.", EXPO_GAUGE);
	for (size_t i = 0; i < nr_rows; i++) {
		for (size_t u = rows[i].first_use; u < rows[i].first_use + rows[i].nr_uses; u++) {
			const struct bpfmap_prog_record *prog =
				&s->progs.progs[s->uses.uses[u].prog_index].rec;
			char prog_id[12], prog_name[BPFMAP_NAME_LEN + 1];
			const struct expo_label labels[] = {
				{"map_id", rows[i].id},
				{"map_name", rows[i].name},
				{"prog_id", prog_id},
				{"prog_name", prog_name},
			};

			expo_format_u64(prog->id, prog_id);
			records_name(prog_name, prog->name);
			expo__sample(s->out, labels, 4, 1);
		}
	}
}

static int read_memlock(void *arg, uint32_t id, uint64_t *bytes)
{
	const struct scrape_source *src = arg;

	return src->map_memlock(src->ctx, id, bytes);
}

/*
 * Can a map's fdinfo memlock change while it lives? Before 6.6 (no
 * map_mem_usage) it is a formula of max_entries and key and value
 * sizes: never. Since, it counts what the map holds for hash maps that
 * allocate elements as they go (BPF_F_NO_PREALLOC, and hash_of_maps,
 * LRU never does), and for types that grow: lpm_trie, devmap_hash,
 * sockhash, storage maps, arena. Unsure types count as changing.
 */
static bool memory_changes(const struct bpfmap_map_record *rec, bool has_mem_usage)
{
	if (!has_mem_usage)
		return false;
	switch (rec->type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
		return rec->flags & BPF_F_NO_PREALLOC;
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_PROG_ARRAY:
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
	case BPF_MAP_TYPE_CGROUP_ARRAY:
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
	case BPF_MAP_TYPE_BLOOM_FILTER:
	case BPF_MAP_TYPE_STACK_TRACE:
	case BPF_MAP_TYPE_CPUMAP:
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_XSKMAP:
	case BPF_MAP_TYPE_SOCKMAP:
		return false;
	default:
		return true;
	}
}

/*
 * Each map's memory from fdinfo, through the cache (mem_cache.h): a map
 * without a figure yet gets no series. The total sums the figures known.
 */
static int write_memory(struct scrape *s, const struct map_row *rows,
			const struct expo_labels *sets, const uint32_t *ids, size_t nr_rows)
{
	bool has_mem_usage = s->src->facts.map_mem_usage;
	uint64_t *bytes = calloc(nr_rows ? nr_rows : 1, sizeof(*bytes));
	bool *known = calloc(nr_rows ? nr_rows : 1, sizeof(*known));
	bool *changes = calloc(nr_rows ? nr_rows : 1, sizeof(*changes));
	uint64_t total = 0;
	int err;

	if (!bytes || !known || !changes) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nr_rows; i++)
		changes[i] = memory_changes(rows[i].rec, has_mem_usage);
	err = mem_cache__pass(s->mem_cache, ids, changes, nr_rows, monotonic_seconds(),
			      s->cfg->memory_max_age_seconds, s->cfg->memory_reads_per_scrape,
			      read_memlock, (void *)s->src, bytes, known, &s->mem);
	if (err)
		goto out;
	s->mem_valid = true;
	if (s->mem.last_err && mem_cache__first_failure(s->mem_cache))
		log_warn("map memory: reading a map's fdinfo failed (%s%s): maps without a figure "
			 "have no ebpf_map_memory_bytes; logged once",
			 strerror(-s->mem.last_err),
			 s->mem.last_err == -EPERM ? "; opening maps by id needs CAP_SYS_ADMIN"
						   : "");

	expo__family(s->out, "ebpf_map_memory_bytes",
		     "Memory the kernel accounts to the map (fdinfo memlock; see README for how "
		     "fresh).",
		     EXPO_GAUGE);
	for (size_t i = 0; i < nr_rows; i++) {
		if (!known[i])
			continue;
		expo__sample_set_u64(s->out, sets[i], bytes[i]);
		total += bytes[i];
	}
	expo__family(s->out, "ebpf_maps_memory_bytes",
		     "Memory the kernel accounts to the maps exported that have a figure, summed.",
		     EXPO_GAUGE);
	expo__sample_u64(s->out, NULL, 0, total);
out:
	free(bytes);
	free(known);
	free(changes);
	return err;
}

/* A scrape's walks: asked of its source, with user space reads into buf. */
struct walker {
	const struct scrape_source *src;
	struct map_walk_buf buf;
};

static int walk_map(void *arg, enum map_count_method how, const struct bpfmap_map_record *rec,
		    uint64_t *entries)
{
	struct walker *w = arg;

	return w->src->count_walk(w->src->ctx, how, rec, &w->buf, entries);
}

/* A row's holders; NULL when no kept map has any (holders is then NULL too). */
static struct owner_holder *map_holders(const struct map_owners *o, const struct map_row *row)
{
	return row->nr_holders ? o->holders + row->first_holder : NULL;
}

/* Owner info and pins of each map, and the per-container and per-pod sums. */
static int write_owners(struct scrape *s, const struct map_row *rows, const uint32_t *ids,
			size_t nr_rows, const struct map_owners *o)
{
	if (!s->owners_valid)
		return 0;
	owner_open_info(s, "ebpf_map_owner_info", "map");
	for (size_t i = 0; i < nr_rows; i++)
		owner_write_info(s, rows[i].id, BPFMAP_OBJ_MAP, rows[i].rec->id,
				 map_holders(o, &rows[i]), rows[i].nr_holders);
	owner_write_pins(s, "ebpf_map_pin_info", "map", BPFMAP_OBJ_MAP, ids, nr_rows);

	for (size_t i = 0; i < nr_rows; i++) {
		const struct owner_set view = {
			.h = map_holders(o, &rows[i]),
			.nr = rows[i].nr_holders,
		};
		uint64_t entries = 0;
		bool known = entries_known(rows[i].rec, &entries);

		owner_table__count(&s->owners, &view, BPFMAP_OBJ_MAP, rows[i].rec->max_entries,
				   known, entries);
	}
	owner_write_workloads(s, BPFMAP_OBJ_MAP);
	return 0;
}

/* The maps the snapshot kept, with their counts, memory and holders. */
int collect_maps(struct scrape *s)
{
	const struct label_policy *policy = &s->cfg->policy[OBJECT_MAP];
	struct walker walker = {.src = s->src};
	struct expo_labels *sets;
	struct map_rows *r;
	int err;

	err = scrape_map_rows(s, &r);
	if (err)
		return err;
	sets = calloc(r->nr ? r->nr : 1, sizeof(*sets));
	if (!sets)
		return -ENOMEM;
	map_count__init(&s->count, exporter_count_method(s->cfg, &s->src->facts),
			&s->src->facts.count, s->cfg->fallback_max_entries, walk_map, &walker);
	s->count_valid = true;
	/* Kept maps only, in ascending id order: a map nobody exports costs no walk. */
	for (size_t i = 0; i < r->nr; i++)
		map_count__apply(&s->count, &s->maps.maps[r->rows[i].map_index]);

	/* Each kept map's labels, rendered once and shared by all its series. */
	for (size_t i = 0; i < r->nr; i++) {
		struct expo_label labels[LABELS_MAX];
		size_t n = label_policy__select(policy, OBJECT_MAP, r->rows[i].values, labels);

		sets[i] = expo__labels(s->out, labels, n);
	}
	write_info(s, r->rows, r->nr);
	write_values(s, r->rows, sets, r->nr);
	write_rings(s, r->rows, sets, r->nr);
	write_program_pairs(s, r->rows, r->nr);
	err = write_owners(s, r->rows, r->ids, r->nr, &r->owners);
	if (!err && s->cfg->memory_reads_per_scrape)
		err = write_memory(s, r->rows, sets, r->ids, r->nr);
	map_walk_buf__fini(&walker.buf);
	free(sets);
	return err;
}
