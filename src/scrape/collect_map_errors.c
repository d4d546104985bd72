// SPDX-License-Identifier: Apache-2.0
/*
 * The map_errors collector: failed updates by reason and LRU evictions
 * per map, since the exporter started counting. Series carry only the
 * map id (joined to ebpf_map_info); a map gets a series once something
 * failed on it, and loses it when the map is gone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "records.h"
#include "util.h"

/* Every map of this scrape, ascending (s->maps, which scrape_map_rows() read). */
static int live_ids(struct scrape *s, uint32_t **out, size_t *nr)
{
	uint32_t *ids;

	ids = malloc((s->maps.nr ? s->maps.nr : 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < s->maps.nr; i++)
		ids[i] = s->maps.maps[i].id;
	qsort(ids, s->maps.nr, sizeof(*ids), cmp_u32);
	*out = ids;
	*nr = s->maps.nr;
	return 0;
}

/* Is id one of the maps the maps filters keep (kept: ascending)? */
static bool kept(const uint32_t *ids, size_t nr, uint32_t id)
{
	return bsearch(&id, ids, nr, sizeof(*ids), cmp_u32) != NULL;
}

static void write_failures(struct scrape *s, const uint32_t *kept_ids, size_t nr_kept)
{
	const struct map_err_table *t = &s->map_errs;

	expo__family(s->out, "ebpf_map_update_failures_total",
		     "Map updates that failed since the exporter started counting, by reason "
		     "(full, no_memory, busy, exists, not_found, out_of_range, other), from BPF "
		     "programs and the bpf() syscall.",
		     EXPO_COUNTER);
	for (size_t i = 0; i < t->nr;) {
		uint64_t by_reason[MAP_ERR_REASONS] = {};
		bool seen[MAP_ERR_REASONS] = {};
		uint32_t id = t->counts[i].map_id;
		char id_str[11];

		/* Several errnos may share a reason: one series each. */
		for (; i < t->nr && t->counts[i].map_id == id; i++) {
			int k = map_err_reason_id(t->counts[i].map_type, t->counts[i].err);

			if (k < 0)
				continue;
			by_reason[k] += t->counts[i].count;
			seen[k] = true;
		}
		if (!kept(kept_ids, nr_kept, id))
			continue;
		expo_format_u64(id, id_str);
		for (size_t k = 0; k < MAP_ERR_REASONS; k++) {
			const struct expo_label labels[] = {{"id", id_str},
							    {"reason", map_err_reason_names[k]}};

			if (seen[k])
				expo__sample_u64(s->out, labels, 2, by_reason[k]);
		}
	}
}

static void write_evictions(struct scrape *s, const uint32_t *kept_ids, size_t nr_kept)
{
	const struct map_err_table *t = &s->map_errs;

	expo__family(s->out, "ebpf_map_lru_evictions_total",
		     "Entries an LRU hash map evicted to make room since the exporter started "
		     "counting.",
		     EXPO_COUNTER);
	for (size_t i = 0; i < t->nr; i++) {
		char id_str[11];
		const struct expo_label label = {"id", id_str};

		if (t->counts[i].err != BPFMAP_ERR_EVICTED ||
		    !kept(kept_ids, nr_kept, t->counts[i].map_id))
			continue;
		expo_format_u64(t->counts[i].map_id, id_str);
		expo__sample_u64(s->out, &label, 1, t->counts[i].count);
	}
}

int collect_map_errors(struct scrape *s)
{
	const uint32_t *kept_ids;
	struct map_rows *rows;
	uint32_t *ids = NULL;
	size_t nr = 0, nr_kept;
	int err;

	/* The maps the maps filters keep, whether or not map series are exported. */
	err = scrape_map_rows(s, &rows);
	if (!err)
		err = live_ids(s, &ids, &nr);
	/* Every map's counters are kept while it lives: a filter change shows them again. */
	if (!err)
		err = map_errors__read(s->map_errors, ids, nr, &s->map_errs);
	if (err)
		goto out;
	scrape_kept_maps(s, &kept_ids, &nr_kept);
	write_failures(s, kept_ids, nr_kept);
	write_evictions(s, kept_ids, nr_kept);
	expo__family(s->out, "bpfmap_exporter_map_errors_lost_total",
		     "Failed updates or evictions the map_errors collector could not count: its "
		     "kernel-side table was full.",
		     EXPO_COUNTER);
	expo__sample_u64(s->out, NULL, 0, s->map_errs.lost);
out:
	free(ids);
	return err;
}
