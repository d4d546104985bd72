// SPDX-License-Identifier: Apache-2.0
/* The exporter's own series: build, collectors, kernel features, process_*. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "collector.h"
#include "util.h"

#ifndef BPFMAP_VERSION
#define BPFMAP_VERSION "unknown"
#endif
#ifndef BPFMAP_REVISION
#define BPFMAP_REVISION "unknown"
#endif

static void write_build_info(struct expo *out)
{
	char libbpf_version[32];
	const struct expo_label labels[] = {
		{"version", BPFMAP_VERSION},
		{"revision", BPFMAP_REVISION},
		{"libbpf_version", libbpf_version},
	};

	snprintf(libbpf_version, sizeof(libbpf_version), "%u.%u", libbpf_major_version(),
		 libbpf_minor_version());
	expo__family(out, "bpfmap_exporter_build_info",
		     "Version of bpfmap_exporter and the libbpf it was built with; always 1.",
		     EXPO_GAUGE);
	expo__sample(out, labels, 3, 1);
}

static void write_collectors(struct expo *out, const struct collector_result results[])
{
	expo__family(out, "bpfmap_exporter_scrape_collector_duration_seconds",
		     "Time a collector took in this scrape.", EXPO_GAUGE);
	for (int i = 0; i < COLLECTOR_MAX; i++) {
		const struct expo_label label = {"collector", collector_names[i]};

		if (results[i].enabled)
			expo__sample(out, &label, 1, results[i].seconds);
	}
	expo__family(out, "bpfmap_exporter_scrape_collector_success",
		     "Whether a collector succeeded in this scrape (1) or failed (0).", EXPO_GAUGE);
	for (int i = 0; i < COLLECTOR_MAX; i++) {
		const struct expo_label label = {"collector", collector_names[i]};

		if (results[i].enabled)
			expo__sample(out, &label, 1, results[i].success);
	}
}

static void write_features(struct expo *out, const struct source_facts *facts,
			   const struct self_facts *self)
{
	static const struct {
		const char *name;
		enum iter_kind kind;
	} iterators[] = {
		{"iter_bpf_map", ITER_MAPS},
		{"iter_bpf_prog", ITER_PROGS},
		{"iter_task_file", ITER_OWNERS},
		{"iter_task", ITER_TASKS},
	};
	const struct expo_label kfunc = {"feature", "bpf_map_sum_elem_count"};
	const struct expo_label elem_iter = {"feature", "iter_bpf_map_elem"};
	const struct expo_label link_iter = {"feature", "iter_bpf_link"};
	const struct expo_label mem_usage = {"feature", "map_mem_usage"};
	const struct expo_label batch = {"feature", "map_lookup_batch"};
	const struct expo_label keys = {"feature", "map_get_next_key"};
	const struct map_count_support *count = &facts->count;

	expo__family(out, "bpfmap_exporter_kernel_feature",
		     "Kernel features the exporter uses: 1 available, 0 missing.", EXPO_GAUGE);
	for (size_t i = 0; i < ARRAY_SIZE(iterators); i++) {
		const struct expo_label label = {"feature", iterators[i].name};

		expo__sample(out, &label, 1, facts->iter[iterators[i].kind]);
	}
	expo__sample(out, &kfunc, 1, facts->elem_count_kfunc);
	expo__sample(out, &elem_iter, 1, facts->elem_iter);
	expo__sample(out, &link_iter, 1, facts->iter[ITER_LINKS]);
	expo__sample(out, &mem_usage, 1, facts->map_mem_usage);
	expo__sample(out, &batch, 1, !count->err[MAP_COUNT_METHOD_BATCH]);
	expo__sample(out, &keys, 1, !count->err[MAP_COUNT_METHOD_KEYS]);
	/* Known only where the map_errors collector was asked for at start-up. */
	if (self->map_errors_probed) {
		const struct expo_label fexit = {"feature", "fexit_map_update"};
		const struct expo_label evict = {"feature", "fexit_lru_evict"};

		expo__sample(out, &fexit, 1, self->map_errors_fexit);
		expo__sample(out, &evict, 1, self->map_errors_evictions);
	}
}

static void write_run_stats(const struct scrape *s)
{
	const struct expo_label by_exporter = {"by", "exporter"}, by_sysctl = {"by", "sysctl"};

	expo__family(s->out, "bpfmap_exporter_run_stats_enabled",
		     "Whether program run statistics are on, by whom: the exporter holding them "
		     "(programs.run_stats), or kernel.bpf_stats_enabled.",
		     EXPO_GAUGE);
	expo__sample(s->out, &by_exporter, 1, s->stats_held);
	if (s->stats_sysctl >= 0)
		expo__sample(s->out, &by_sysctl, 1, s->stats_sysctl);
}

static void write_memory(const struct scrape *s)
{
	static const char *const states[] = {"read", "cached", "unknown"};
	const unsigned int counts[] = {s->mem.read, s->mem.cached, s->mem.unknown};

	if (!s->mem_valid)
		return;
	expo__family(s->out, "bpfmap_exporter_map_memory_maps",
		     "Maps exported in this scrape, by where their memory figure came from: read "
		     "now, cached, or unknown (none yet).",
		     EXPO_GAUGE);
	for (size_t i = 0; i < ARRAY_SIZE(states); i++) {
		const struct expo_label state = {"state", states[i]};

		expo__sample_u64(s->out, &state, 1, counts[i]);
	}
	expo__family(s->out, "bpfmap_exporter_map_memory_max_age_seconds",
		     "Age of the oldest map memory figure in this scrape.", EXPO_GAUGE);
	expo__sample(s->out, NULL, 0, s->mem.max_age);
}

static void write_counting(const struct scrape *s)
{
	enum map_count_method method = exporter_count_method(s->cfg, &s->src->facts);
	const struct expo_label label = {"method", map_count_method_name(method)};

	expo__family(s->out, "bpfmap_exporter_map_count_method_info",
		     "How hash maps get their entry counts: kfunc, iterator, batch, keys or none; "
		     "always 1.",
		     EXPO_GAUGE);
	expo__sample(s->out, &label, 1, 1);
	if (!s->count_valid || !map_count_method_walks(s->count.method))
		return;
	expo__family(s->out, "bpfmap_exporter_map_count_fallback_maps",
		     "Hash maps the fallback walk was asked to count in this scrape, by result.",
		     EXPO_GAUGE);
	for (int r = 0; r < MAP_COUNT_RESULT_MAX; r++) {
		const struct expo_label result = {"result", map_count_result_name(r)};

		expo__sample_u64(s->out, &result, 1, s->count.results[r]);
	}
	expo__family(s->out, "bpfmap_exporter_map_count_fallback_budget_used",
		     "Budget the fallback walk used in this scrape: max_entries summed over the "
		     "maps walked.",
		     EXPO_GAUGE);
	expo__sample_u64(s->out, NULL, 0, s->count.budget_used);
}

static long count_open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	long n = 0;

	if (!dir)
		return -1;
	while (readdir(dir))
		n++;
	closedir(dir);
	return n - 3; /* ".", ".." and the fd of this very listing */
}

/* utime, stime (ticks), vsize (bytes), rss (pages) from /proc/self/stat. */
static int read_stat(unsigned long *utime, unsigned long *stime, unsigned long *vsize, long *rss)
{
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!p)
		return -1;
	/* fields after comm: state(3) ... utime(14) stime(15) ... vsize(23) rss(24) */
	if (sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d "
		   "%*u %lu %ld",
		   utime, stime, vsize, rss) != 4)
		return -1;
	return 0;
}

static void write_process(struct expo *out, const struct self_facts *self)
{
	unsigned long utime, stime, vsize;
	struct rlimit nofile;
	long rss, fds = count_open_fds();

	if (!read_stat(&utime, &stime, &vsize, &rss)) {
		long tick = sysconf(_SC_CLK_TCK);

		expo__family(out, "process_cpu_seconds_total",
			     "Total user and system CPU time spent in seconds.", EXPO_COUNTER);
		expo__sample(out, NULL, 0, (double)(utime + stime) / tick);
		expo__family(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
			     EXPO_GAUGE);
		expo__sample_u64(out, NULL, 0, vsize);
		expo__family(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
			     EXPO_GAUGE);
		expo__sample_u64(out, NULL, 0, (uint64_t)rss * sysconf(_SC_PAGESIZE));
	}
	if (fds >= 0) {
		expo__family(out, "process_open_fds", "Number of open file descriptors.",
			     EXPO_GAUGE);
		expo__sample_u64(out, NULL, 0, (uint64_t)fds);
	}
	if (!getrlimit(RLIMIT_NOFILE, &nofile)) {
		expo__family(out, "process_max_fds", "Maximum number of open file descriptors.",
			     EXPO_GAUGE);
		expo__sample_u64(out, NULL, 0, nofile.rlim_cur);
	}
	expo__family(out, "process_start_time_seconds",
		     "Start time of the process since unix epoch in seconds.", EXPO_GAUGE);
	expo__sample(out, NULL, 0, self->start_time);
}

void collect_self(struct scrape *s, const struct self_facts *self,
		  const struct collector_result results[COLLECTOR_MAX])
{
	write_build_info(s->out);
	write_collectors(s->out, results);
	write_features(s->out, &s->src->facts, self);
	write_counting(s);
	if (s->cfg->collectors[COLLECTOR_PROGRAMS])
		write_run_stats(s);
	write_memory(s);
	write_process(s->out, self);
}
