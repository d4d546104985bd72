// SPDX-License-Identifier: Apache-2.0
/*
 * Records what the kernel answers a scrape (replay.h has the format), so
 * the collectors can be tested from it with no kernel and no root.
 *
 * Usage: record DIR   (as root; DIR exists and is empty)
 *
 * Every question a scrape may ask is asked once, through the same
 * source the exporter uses (scrape_source_kernel()): the iterator reads,
 * each map's memory and walks, each program's run statistics, each perf
 * event the owners read found.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "owners.h"
#include "records_decode.h"
#include "replay.h"

static int write_bytes(const char *dir, const char *name, const struct iter_buf *buf)
{
	char path[4096];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	if (fwrite(buf->data, 1, buf->len, f) != buf->len)
		err = -EIO;
	if (fclose(f) && !err)
		err = -EIO;
	return err;
}

static int record_maps(FILE *out, const struct scrape_source *src, const struct iter_buf *buf)
{
	struct map_table maps = {0};
	struct map_walk_buf walk = {0};
	static const enum map_count_method walks[] = {
		MAP_COUNT_METHOD_ITERATOR,
		MAP_COUNT_METHOD_BATCH,
		MAP_COUNT_METHOD_KEYS,
	};

	if (records_decode_maps(buf->data, buf->len, &maps))
		return -EPROTO;
	for (size_t i = 0; i < maps.nr; i++) {
		const struct bpfmap_map_record *rec = &maps.maps[i];
		uint64_t v = 0;
		int err = src->map_memlock(src->ctx, rec->id, &v);

		if (err)
			fprintf(out, "memlock %u %d\n", rec->id, err);
		else
			fprintf(out, "memlock %u %" PRIu64 "\n", rec->id, v);
		if (!map_count_walkable(rec->type))
			continue;
		for (size_t m = 0; m < sizeof(walks) / sizeof(walks[0]); m++) {
			if (src->facts.count.err[walks[m]])
				continue;
			err = src->count_walk(src->ctx, walks[m], rec, &walk, &v);
			if (err)
				fprintf(out, "walk %s %u %d\n", map_count_method_name(walks[m]),
					rec->id, err);
			else
				fprintf(out, "walk %s %u %" PRIu64 "\n",
					map_count_method_name(walks[m]), rec->id, v);
		}
	}
	map_walk_buf__fini(&walk);
	map_table__fini(&maps);
	return 0;
}

static int record_progs(FILE *out, const struct scrape_source *src, const struct iter_buf *buf)
{
	struct prog_table progs = {0};

	if (records_decode_progs(buf->data, buf->len, &progs))
		return -EPROTO;
	for (size_t i = 0; i < progs.nr; i++) {
		struct prog_run_stats st = {0};
		uint32_t id = progs.progs[i].rec.id;
		int err = src->prog_run_stats(src->ctx, id, &st);

		if (err)
			fprintf(out, "run_stats %u %d\n", id, err);
		else if (st.has_recursion_misses)
			fprintf(out, "run_stats %u %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", id,
				st.run_time_ns, st.run_cnt, st.recursion_misses);
		else
			fprintf(out, "run_stats %u %" PRIu64 " %" PRIu64 " -\n", id, st.run_time_ns,
				st.run_cnt);
	}
	prog_table__fini(&progs);
	return 0;
}

static int record_perf(FILE *out, const struct scrape_source *src, const struct iter_buf *buf)
{
	struct owner_table owners = {0};

	if (owner_table__decode(&owners, buf->data, buf->len))
		return -EPROTO;
	for (size_t i = 0; i < owners.nr_perf; i++) {
		const struct owner_perf *p = &owners.perf[i];
		struct perf_query q;
		int err = src->task_fd_query(src->ctx, p->tgid, p->fd, &q);

		if (err)
			fprintf(out, "perf %u %u %d\n", p->tgid, p->fd, err);
		else
			fprintf(out, "perf %u %u %u %u %" PRIu64 " %" PRIu64 " %s\n", p->tgid,
				p->fd, q.prog_id, q.fd_type, q.offset, q.addr, q.name);
	}
	owner_table__fini(&owners);
	return 0;
}

int main(int argc, char **argv)
{
	struct iter_buf bufs[ITER_KIND_MAX] = {0};
	struct scrape_source src;
	struct iters *it = NULL;
	char path[4096];
	FILE *out;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	log_set_level(LOG_WARN);
	err = iters__new(&it);
	if (err)
		return 1;
	scrape_source_kernel(&src, it);
	snprintf(path, sizeof(path), "%s/answers.txt", argv[1]);
	out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	fprintf(out, "# recorded by tests/golden/record (replay.h has the format)\n");
	for (int k = 0; k < ITER_KIND_MAX; k++) {
		if (src.facts.iter[k] && (err = src.read(src.ctx, k, &bufs[k]))) {
			fprintf(stderr, "reading the %s iterator: %s\n", replay_iter_name(k),
				strerror(-err));
			return 1;
		}
		fprintf(out, "fact iter %s %d\n", replay_iter_name(k), src.facts.iter[k]);
		if (src.facts.iter[k] &&
		    (err = write_bytes(argv[1], replay_file_name(k), &bufs[k]))) {
			fprintf(stderr, "%s/%s: %s\n", argv[1], replay_file_name(k),
				strerror(-err));
			return 1;
		}
	}
	fprintf(out, "fact elem_count_kfunc %d\nfact elem_iter %d\nfact map_mem_usage %d\n",
		src.facts.elem_count_kfunc, src.facts.elem_iter, src.facts.map_mem_usage);
	for (int m = MAP_COUNT_METHOD_KFUNC; m < MAP_COUNT_METHOD_MAX; m++)
		fprintf(out, "fact count %s %d\n", map_count_method_name(m),
			src.facts.count.err[m]);
	fprintf(out,
		"fact page_size %" PRIu64 "\nfact boot_to_unix %.6f\nfact run_stats_sysctl %d\n",
		src.facts.page_size, src.boot_to_unix(src.ctx), src.run_stats_sysctl(src.ctx));
	/* The answers are asked about what the reads decode to: they must decode. */
	if ((src.facts.iter[ITER_MAPS] && record_maps(out, &src, &bufs[ITER_MAPS])) ||
	    (src.facts.iter[ITER_PROGS] && record_progs(out, &src, &bufs[ITER_PROGS])) ||
	    (src.facts.iter[ITER_OWNERS] && record_perf(out, &src, &bufs[ITER_OWNERS]))) {
		fprintf(stderr, "an iterator's bytes do not decode: nothing to record\n");
		return 1;
	}
	if (fclose(out)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	for (int k = 0; k < ITER_KIND_MAX; k++)
		iter_buf__fini(&bufs[k]);
	iters__free(it);
	return 0;
}
