// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
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
	snapshot_start(&s);

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
	collect_self(&s, &exp->self, results);
	err = expo__error(out);
out:
	pthread_rwlock_unlock(&exp->lock);
	snapshot_fini(&s);
	return err;
}
