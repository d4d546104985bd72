// SPDX-License-Identifier: Apache-2.0
/* Program series, from SEC("iter/bpf_prog"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "collector.h"
#include "log.h"
#include "util.h"

struct prog_row {
	const struct prog_entry *e;
	struct prog_labels l; /* the label schema's view of this row */
	struct prog_run_stats stats;
	bool has_stats; /* stats were read in this scrape */
	size_t first_holder, nr_holders; /* in holders[] of collect_programs() */
	struct expo_labels set; /* the selected labels, rendered once for every family */
};

/*
 * A load time (CLOCK_BOOTTIME) as Unix time, to the millisecond: the
 * boot-to-wall offset is read anew each scrape and would move finer digits.
 */
static double load_time_unix(double boot_to_unix, uint64_t load_time_ns)
{
	return (double)(uint64_t)((boot_to_unix + load_time_ns / 1e9) * 1e3 + 0.5) / 1e3;
}

/* The per-program value families, in output order. */
enum prog_value {
	PROG_JITED,
	PROG_XLATED,
	PROG_VERIFIED,
	PROG_LOAD_TIME,
	PROG_MAPS,
	PROG_MEMORY,
	PROG_RUN_TIME,
	PROG_RUNS,
	PROG_RECURSION_MISSES,
};

static const struct {
	const char *name, *help;
	enum expo_type type;
} prog_families[] = {
	[PROG_JITED] = {"ebpf_prog_jited_bytes", "Size of the program's JIT-compiled code.",
			EXPO_GAUGE},
	[PROG_XLATED] = {"ebpf_prog_xlated_bytes",
			 "Size of the program's translated BPF instructions.", EXPO_GAUGE},
	[PROG_VERIFIED] = {"ebpf_prog_verified_instructions",
			   "Instructions the verifier processed to load the program (5.16+).",
			   EXPO_GAUGE},
	[PROG_LOAD_TIME] = {"ebpf_prog_load_time_seconds",
			    "When the program was loaded, as Unix time.", EXPO_GAUGE},
	[PROG_MAPS] = {"ebpf_prog_maps", "Number of maps the program uses.", EXPO_GAUGE},
	[PROG_MEMORY] = {"ebpf_prog_memory_bytes",
			 "Memory the kernel accounts to the program (fdinfo memlock).", EXPO_GAUGE},
	[PROG_RUN_TIME] = {"ebpf_prog_run_time_seconds_total",
			   "Time the program ran while run-time statistics were on.", EXPO_COUNTER},
	[PROG_RUNS] = {"ebpf_prog_runs_total",
		       "Times the program ran while run-time statistics were on.", EXPO_COUNTER},
	[PROG_RECURSION_MISSES] = {"ebpf_prog_recursion_misses_total",
				   "Runs of the program skipped because it was already running on "
				   "that CPU (5.12+).",
				   EXPO_COUNTER},
};

/*
 * Run statistics, one program at a time: the kernel sums them per CPU
 * only behind BPF_OBJ_GET_INFO_BY_FD (three system calls per program).
 * A program gone meanwhile has none; other failures are logged at debug
 * level, once per scrape.
 */
static void read_run_stats(const struct scrape_source *src, struct prog_row *rows, size_t nr_rows)
{
	int last_err = 0;

	for (size_t i = 0; i < nr_rows; i++) {
		int err = src->prog_run_stats(src->ctx, rows[i].e->rec.id, &rows[i].stats);

		rows[i].has_stats = !err;
		if (err && err != -ENOENT)
			last_err = err;
	}
	if (last_err)
		log_debug("program run statistics: %s", strerror(-last_err));
}

/* Owner info and pins of each program, and the per-container and per-pod counts. */
static int write_owners(struct scrape *s, const struct prog_row *rows, size_t nr_rows,
			const struct owner_holder *holders)
{
	uint32_t *ids;

	if (!s->owners_valid)
		return 0;
	owner_open_info(s, "ebpf_prog_owner_info", "program");
	for (size_t i = 0; i < nr_rows; i++)
		owner_write_info(s, rows[i].l.id, BPFMAP_OBJ_PROG, rows[i].e->rec.id,
				 holders + rows[i].first_holder, rows[i].nr_holders);
	ids = calloc(nr_rows ? nr_rows : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < nr_rows; i++)
		ids[i] = rows[i].e->rec.id;
	owner_write_pins(s, "ebpf_prog_pin_info", "program (or a link to it)", BPFMAP_OBJ_PROG, ids,
			 nr_rows);
	free(ids);
	for (size_t i = 0; i < nr_rows; i++) {
		const struct owner_set view = {
			.h = (struct owner_holder *)holders + rows[i].first_holder,
			.nr = rows[i].nr_holders,
		};

		owner_table__count(&s->owners, &view, BPFMAP_OBJ_PROG, 0, false, 0);
	}
	owner_write_workloads(s, BPFMAP_OBJ_PROG);
	return 0;
}

int collect_programs(struct scrape *s)
{
	const struct label_policy *policy = &s->cfg->policy[OBJECT_PROG];
	struct owner_holder *holders = NULL;
	struct owner_set set = {0};
	struct str_arena strings = {0};
	struct prog_row *rows = NULL;
	size_t nr_rows = 0, nr_holders = 0;
	uint64_t page_size, total = 0;
	double boot_to_unix;
	int err;

	err = scrape_programs(s);
	if (err)
		return err;

	rows = calloc(s->progs.nr ? s->progs.nr : 1, sizeof(*rows));
	/* A program's holders are its own: at most one per ref of the table. */
	holders = calloc(s->owners.nr_refs ? s->owners.nr_refs : 1, sizeof(*holders));
	if (!rows || !holders) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->progs.nr; i++) {
		struct prog_row *row = &rows[nr_rows];

		row->e = &s->progs.progs[i];
		err = prog_labels__build(s, row->e, &row->l, &set, &strings);
		if (err)
			goto out;
		if (!prog_labels__kept(s, &row->l))
			continue;
		if (set.nr)
			memcpy(holders + nr_holders, set.h, set.nr * sizeof(*holders));
		row->first_holder = nr_holders;
		row->nr_holders = set.nr;
		nr_holders += set.nr;
		nr_rows++;
	}

	expo__family(s->out, "ebpf_prog_info",
		     "Static facts about a BPF program; always 1. Join on id.", EXPO_GAUGE);
	for (size_t i = 0; i < nr_rows; i++) {
		const struct prog_labels *l = &rows[i].l;
		const struct expo_label labels[] = {
			{"id", l->id},
			{"name", l->name},
			{"prog_type", l->values[PROG_LABEL_TYPE]},
			{"tag", l->tag},
		};

		expo__sample(s->out, labels, 4, 1);
	}

	if (scrape_run_stats_on(s))
		read_run_stats(s->src, rows, nr_rows);

	/* load_time is CLOCK_BOOTTIME; the offset turns it into wall-clock time. */
	boot_to_unix = s->src->boot_to_unix(s->src->ctx);
	page_size = s->src->facts.page_size;
	for (size_t i = 0; i < nr_rows; i++) {
		struct expo_label labels[LABELS_MAX];
		size_t n = label_policy__select(policy, OBJECT_PROG, rows[i].l.values, labels);

		rows[i].set = expo__labels(s->out, labels, n);
	}
	for (size_t f = 0; f < ARRAY_SIZE(prog_families); f++) {
		expo__family(s->out, prog_families[f].name, prog_families[f].help,
			     prog_families[f].type);
		for (size_t i = 0; i < nr_rows; i++) {
			const struct bpfmap_prog_record *rec = &rows[i].e->rec;
			struct expo_labels set = rows[i].set;

			switch ((enum prog_value)f) {
			case PROG_JITED:
				expo__sample_set_u64(s->out, set, rec->jited_len);
				break;
			case PROG_XLATED:
				expo__sample_set_u64(s->out, set, rec->xlated_len);
				break;
			case PROG_VERIFIED:
				if (rec->flags & BPFMAP_PROG_HAS_VERIFIED_INSNS)
					expo__sample_set_u64(s->out, set, rec->verified_insns);
				break;
			case PROG_LOAD_TIME:
				expo__sample_set(s->out, set,
						 load_time_unix(boot_to_unix, rec->load_time_ns));
				break;
			case PROG_MAPS:
				expo__sample_set_u64(s->out, set, rec->nr_map_ids);
				break;
			case PROG_MEMORY:
				expo__sample_set_u64(s->out, set, rec->pages * page_size);
				break;
			case PROG_RUN_TIME:
				if (rows[i].has_stats)
					expo__sample_set(s->out, set,
							 rows[i].stats.run_time_ns / 1e9);
				break;
			case PROG_RUNS:
				if (rows[i].has_stats)
					expo__sample_set_u64(s->out, set, rows[i].stats.run_cnt);
				break;
			case PROG_RECURSION_MISSES:
				if (rows[i].has_stats && rows[i].stats.has_recursion_misses)
					expo__sample_set_u64(s->out, set,
							     rows[i].stats.recursion_misses);
				break;
			}
		}
	}

	expo__family(s->out, "ebpf_programs_memory_bytes",
		     "Memory the kernel accounts to the programs exported, summed.", EXPO_GAUGE);
	for (size_t i = 0; i < nr_rows; i++)
		total += rows[i].e->rec.pages * page_size;
	expo__sample_u64(s->out, NULL, 0, total);
	err = write_owners(s, rows, nr_rows, holders);
out:
	owner_set__fini(&set);
	str_arena__fini(&strings);
	free(holders);
	free(rows);
	return err;
}
