// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "scrape_source.h"

static int kernel_read(void *ctx, enum iter_kind kind, struct iter_buf *buf)
{
	return iters__read(ctx, kind, buf);
}

static int kernel_count_walk(void *ctx, enum map_count_method how,
			     const struct bpfmap_map_record *rec, struct map_walk_buf *buf,
			     uint64_t *entries)
{
	switch (how) {
	case MAP_COUNT_METHOD_ITERATOR:
		return iters__count_elems(ctx, rec->id, entries);
	case MAP_COUNT_METHOD_BATCH:
		return map_walk_batch(buf, rec, entries);
	default:
		return map_walk_keys(buf, rec, entries);
	}
}

static int kernel_map_memlock(void *ctx, uint32_t map_id, uint64_t *bytes)
{
	(void)ctx;
	return objinfo_map_memlock(map_id, bytes);
}

static int kernel_prog_run_stats(void *ctx, uint32_t prog_id, struct prog_run_stats *out)
{
	(void)ctx;
	return objinfo_prog_run_stats(prog_id, out);
}

static int kernel_run_stats_sysctl(void *ctx)
{
	(void)ctx;
	return objinfo_run_stats_sysctl();
}

static double clock_seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double kernel_boot_to_unix(void *ctx)
{
	(void)ctx;
	return clock_seconds(CLOCK_REALTIME) - clock_seconds(CLOCK_BOOTTIME);
}

static int kernel_walk_pins(void *ctx, struct pin_cache *pins, char *const *roots, size_t nr_roots,
			    struct owner_table *t)
{
	(void)ctx;
	return pin_cache__walk(pins, roots, nr_roots, t);
}

static int kernel_task_fd_query(void *ctx, uint32_t tgid, uint32_t fd, struct perf_query *q)
{
	__u32 len = sizeof(q->name), prog_id = 0, fd_type = 0;
	__u64 offset = 0, addr = 0;
	int err;

	(void)ctx;
	q->name[0] = '\0';
	err = bpf_task_fd_query((int)tgid, (int)fd, 0, q->name, &len, &prog_id, &fd_type, &offset,
				&addr);
	err = err < 0 ? -errno : 0;
	/* A name longer than the buffer is cut, and still said. */
	if (err == -ENOSPC)
		err = 0;
	q->prog_id = prog_id;
	q->fd_type = fd_type;
	q->offset = offset;
	q->addr = addr;
	return err;
}

void scrape_source_kernel(struct scrape_source *src, struct iters *it)
{
	*src = (struct scrape_source){
		.ctx = it,
		.read = kernel_read,
		.count_walk = kernel_count_walk,
		.map_memlock = kernel_map_memlock,
		.prog_run_stats = kernel_prog_run_stats,
		.run_stats_sysctl = kernel_run_stats_sysctl,
		.boot_to_unix = kernel_boot_to_unix,
		.walk_pins = kernel_walk_pins,
		.task_fd_query = kernel_task_fd_query,
	};
	for (int k = 0; k < ITER_KIND_MAX; k++)
		src->facts.iter[k] = iters__available(it, k);
	src->facts.elem_count_kfunc = iters__has_elem_count_kfunc(it);
	src->facts.elem_iter = iters__has_elem_iter(it);
	src->facts.map_mem_usage = iters__has_map_mem_usage(it);
	src->facts.count = *iters__count_support(it);
	src->facts.page_size = (uint64_t)sysconf(_SC_PAGESIZE);
}
