// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "log.h"
#include "objinfo.h"
#include "util.h"

static bool links_supported(const struct scrape *s)
{
	return s->src->facts.iter[ITER_LINKS];
}

/* It asks only about the attach types of loaded programs: it needs them. */
static bool attach_cgroup_supported(const struct scrape *s)
{
	return s->src->facts.iter[ITER_PROGS] && s->queries.cgroups;
}

/* Perf event files are found by the owners' task_file read. */
static bool attach_perf_event_supported(const struct scrape *s)
{
	return s->src->facts.iter[ITER_OWNERS] && s->queries.perf_events;
}

static bool map_errors_supported(const struct scrape *s)
{
	return s->map_errors != NULL;
}

/*
 * In run order: programs and maps label their owners from this scrape's
 * owner table. Maps and links read this scrape's programs for their
 * joins through scrape_programs(), whichever runs first.
 */
static const struct collector collectors[] = {
	{"owners", COLLECTOR_OWNERS, collect_owners, NULL},
	{"programs", COLLECTOR_PROGRAMS, collect_programs, NULL},
	{"maps", COLLECTOR_MAPS, collect_maps, NULL},
	{"links", COLLECTOR_LINKS, collect_links, links_supported},
	/* After links: the XDP programs of links are theirs, and the family continues. */
	{"attach_netlink", COLLECTOR_ATTACH_NETLINK, collect_attach_netlink, NULL},
	{"attach_cgroup", COLLECTOR_ATTACH_CGROUP, collect_attach_cgroup, attach_cgroup_supported},
	{"attach_perf_event", COLLECTOR_ATTACH_PERF_EVENT, collect_attach_perf_event,
	 attach_perf_event_supported},
	{"map_errors", COLLECTOR_MAP_ERRORS, collect_map_errors, map_errors_supported},
};

_Static_assert(ARRAY_SIZE(collectors) == COLLECTOR_MAX, "every collector_id has one entry");

/* Each read is handed over as soon as it is done: a collector waits for its own only. */
static void *prefetch_run(void *arg)
{
	struct prefetch *pre = arg;

	for (size_t i = 0; i < pre->nr_reads; i++) {
		enum iter_kind k = pre->order[i];
		double t0 = monotonic_seconds();

		pre->err[k] = pre->src->read(pre->src->ctx, k, &pre->buf[k]);
		pre->seconds[k] = monotonic_seconds() - t0;
		pthread_mutex_lock(&pre->lock);
		pre->done[k] = true;
		pthread_cond_broadcast(&pre->cond);
		pthread_mutex_unlock(&pre->lock);
	}
	return NULL;
}

/*
 * On another CPU than this thread's: a new thread starts on its parent's
 * CPU, and while the parent reads an iterator in the kernel it may wait
 * there for a scheduler tick before an idle CPU takes it.
 */
static int prefetch_spawn(struct prefetch *pre)
{
	pthread_attr_t attr;
	cpu_set_t cpus;
	int cpu = sched_getcpu(), err;

	if (pthread_attr_init(&attr))
		return -1;
	if (cpu >= 0 && !sched_getaffinity(0, sizeof(cpus), &cpus) && CPU_ISSET(cpu, &cpus) &&
	    CPU_COUNT(&cpus) > 1) {
		CPU_CLR(cpu, &cpus);
		pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	}
	err = pthread_create(&pre->thread, &attr, prefetch_run, pre);
	pthread_attr_destroy(&attr);
	return err;
}

/*
 * The iterators the enabled collectors other than owners read, on their
 * own thread, in the order the collectors need them: programs are
 * formatted while the maps are still read. Programs are read for maps
 * and links too (scrape_programs()).
 */
static void prefetch_start(struct scrape *s)
{
	const bool *on = s->cfg->collectors;
	bool links = on[COLLECTOR_LINKS] && links_supported(s);
	const struct {
		bool needed;
		enum iter_kind kind;
	} reads[] = {
		{on[COLLECTOR_PROGRAMS] || on[COLLECTOR_MAPS] || links, ITER_PROGS},
		{on[COLLECTOR_MAPS], ITER_MAPS},
		{links, ITER_LINKS},
	};
	bool any = false;

	s->pre.src = s->src;
	for (size_t i = 0; i < ARRAY_SIZE(reads); i++) {
		bool want = reads[i].needed && s->src->facts.iter[reads[i].kind];

		s->pre.want[reads[i].kind] = want;
		if (want)
			s->pre.order[s->pre.nr_reads++] = reads[i].kind;
		any |= want;
	}
	/* Without owners there is nothing to overlap with. */
	if (!any || !s->cfg->collectors[COLLECTOR_OWNERS])
		goto alone;
	pthread_mutex_init(&s->pre.lock, NULL);
	pthread_cond_init(&s->pre.cond, NULL);
	if (prefetch_spawn(&s->pre)) {
		pthread_cond_destroy(&s->pre.cond);
		pthread_mutex_destroy(&s->pre.lock);
		goto alone;
	}
	s->pre.running = true;
	return;
alone:
	memset(s->pre.want, 0, sizeof(s->pre.want)); /* each collector reads its own */
	s->pre.nr_reads = 0;
}

static void prefetch_join(struct scrape *s)
{
	if (s->pre.running) {
		pthread_join(s->pre.thread, NULL);
		pthread_cond_destroy(&s->pre.cond);
		pthread_mutex_destroy(&s->pre.lock);
		s->pre.running = false;
	}
}

int scrape_read(struct scrape *s, enum iter_kind kind, const struct iter_buf **buf)
{
	double t0;

	if (!s->pre.want[kind]) {
		*buf = &s->buf;
		return s->src->read(s->src->ctx, kind, &s->buf);
	}
	t0 = monotonic_seconds();
	pthread_mutex_lock(&s->pre.lock);
	while (!s->pre.done[kind])
		pthread_cond_wait(&s->pre.cond, &s->pre.lock);
	pthread_mutex_unlock(&s->pre.lock);
	/* The collector's duration counts the read, not its wait for it. */
	s->read_seconds += s->pre.seconds[kind] - (monotonic_seconds() - t0);
	s->pre.want[kind] = false;
	*buf = &s->pre.buf[kind];
	return s->pre.err[kind];
}

int scrape_programs(struct scrape *s)
{
	const struct iter_buf *buf;
	int err;

	if (s->progs_read)
		return s->progs_err;
	s->progs_read = true;
	err = scrape_read(s, ITER_PROGS, &buf);
	if (!err)
		err = records_decode_progs(buf->data, buf->len, &s->progs);
	if (!err)
		err = map_use_index__build(&s->uses, &s->progs);
	s->progs_err = err;
	s->progs_valid = !err;
	return err;
}

int scrape_note(struct scrape *s, enum scrape_note n, bool holds)
{
	bool held = atomic_exchange(&s->noted[n], holds);

	return holds == held ? 0 : holds ? 1 : -1;
}

const struct prog_entry *scrape_find_prog(const struct prog_table *progs, uint32_t id)
{
	size_t lo = 0, hi = progs->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (progs->progs[mid].rec.id == id)
			return &progs->progs[mid];
		if (progs->progs[mid].rec.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void scrape__fini(struct scrape *s)
{
	prefetch_join(s);
	for (int k = 0; k < ITER_KIND_MAX; k++)
		iter_buf__fini(&s->pre.buf[k]);
	iter_buf__fini(&s->buf);
	map_rows__free(s->map_rows);
	map_table__fini(&s->maps);
	prog_table__fini(&s->progs);
	map_use_index__fini(&s->uses);
	owner_table__fini(&s->owners);
	free(s->owner_sets);
	link_table__fini(&s->links);
	perf_attach_table__fini(&s->perf);
	map_err_table__fini(&s->map_errs);
}

/* Log a collector's failure when it starts failing, and its recovery: not every scrape. */
static void note_result(struct exporter *exp, const struct collector *c, int err)
{
	bool was_failing = atomic_exchange(&exp->failing[c->id], err != 0);

	if (err && !was_failing)
		log_error("collector %s failed: %s", c->name, strerror(-err));
	else if (!err && was_failing)
		log_info("collector %s recovered", c->name);
}

/* Every static label the config holds: it accepts any number, so no cap here either. */
static int set_static_labels(struct expo *out, const struct config *cfg)
{
	size_t n = cfg->nr_static_labels;
	struct expo_label *labels;
	int err;

	labels = calloc(n ? n : 1, sizeof(*labels));
	if (!labels)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		labels[i].name = cfg->static_labels[i].name;
		labels[i].value = cfg->static_labels[i].value;
	}
	err = expo__set_const_labels(out, labels, n);
	free(labels);
	return err;
}

enum map_count_method exporter_count_method(const struct config *cfg,
					    const struct source_facts *facts)
{
	return map_count_method(cfg->counting_mode, &facts->count);
}

bool scrape_run_stats_on(const struct scrape *s)
{
	return s->stats_held || s->stats_sysctl == 1;
}

void exporter_apply_run_stats(struct exporter *exp)
{
	int fd;

	if (!exp->cfg->run_stats && exp->stats_fd >= 0) {
		close(exp->stats_fd);
		exp->stats_fd = -1;
		log_info("program run statistics: let go (programs.run_stats is false)");
	}
	if (!exp->cfg->run_stats || exp->stats_fd >= 0)
		return;
	fd = objinfo_enable_run_stats();
	if (fd < 0) {
		log_error("program run statistics: cannot turn them on (BPF_ENABLE_STATS: %s; "
			  "needs CAP_SYS_ADMIN): no run time or run count series",
			  strerror(-fd));
		return;
	}
	exp->stats_fd = fd;
	log_info("program run statistics: on while the exporter runs (BPF_ENABLE_STATS)");
}

int exporter__scrape(struct exporter *exp, struct expo *out)
{
	struct collector_result results[COLLECTOR_MAX] = {};
	struct scrape s = {.src = &exp->source,
			   .out = out,
			   .owner_state = exp->owners,
			   .mem_cache = exp->mem_cache};
	int err;

	pthread_rwlock_rdlock(&exp->lock);
	s.cfg = exp->cfg;
	s.map_errors = exp->map_errors; /* a reload may detach them */
	s.queries = exp->queries;
	s.noted = exp->noted;
	s.stats_held = exp->stats_fd >= 0;
	s.stats_sysctl =
		s.cfg->collectors[COLLECTOR_PROGRAMS] ? s.src->run_stats_sysctl(s.src->ctx) : 0;
	expo__reset(out);
	err = set_static_labels(out, s.cfg);
	if (err)
		goto out;
	prefetch_start(&s);

	for (size_t i = 0; i < COLLECTOR_MAX; i++) {
		const struct collector *c = &collectors[i];
		struct collector_result *r = &results[c->id];
		double t0;

		if (!s.cfg->collectors[c->id] || (c->supported && !c->supported(&s)))
			continue;
		t0 = monotonic_seconds();
		s.read_seconds = 0;
		err = c->collect(&s);
		r->enabled = true;
		r->success = !err;
		r->seconds = monotonic_seconds() - t0 + s.read_seconds;
		note_result(exp, c, err);
	}
	collect_self(&s, exp, results);
	err = expo__error(out);
out:
	pthread_rwlock_unlock(&exp->lock);
	scrape__fini(&s);
	return err;
}
