// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "log.h"
#include "objinfo.h"

static bool links_supported(const struct iters *it)
{
	return iters__available(it, ITER_LINKS);
}

/*
 * In run order: programs and maps label their owners from this scrape's
 * owner table; maps and links need the programs of this scrape for their
 * joins.
 */
static const struct collector collectors[] = {
	{"owners", COLLECTOR_OWNERS, collect_owners, NULL},
	{"programs", COLLECTOR_PROGRAMS, collect_programs, NULL},
	{"maps", COLLECTOR_MAPS, collect_maps, NULL},
	{"links", COLLECTOR_LINKS, collect_links, links_supported},
};

_Static_assert(sizeof(collectors) / sizeof(collectors[0]) == COLLECTOR_MAX,
	       "every collector_id has one entry");

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void scrape__fini(struct scrape *s)
{
	iter_buf__fini(&s->buf);
	map_table__fini(&s->maps);
	prog_table__fini(&s->progs);
	map_use_index__fini(&s->uses);
	owner_table__fini(&s->owners);
	link_table__fini(&s->links);
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

static int set_static_labels(struct expo *out, const struct config *cfg)
{
	struct expo_label labels[64];
	size_t n = cfg->nr_static_labels;

	if (n > sizeof(labels) / sizeof(labels[0]))
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		labels[i].name = cfg->static_labels[i].name;
		labels[i].value = cfg->static_labels[i].value;
	}
	return expo__set_const_labels(out, labels, n);
}

enum map_count_method exporter_count_method(const struct config *cfg, const struct iters *iters)
{
	return map_count_method(cfg->counting_mode, iters__has_elem_count_kfunc(iters),
				iters__has_elem_iter(iters));
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
	struct scrape s = {.iters = exp->iters,
			   .out = out,
			   .owner_state = exp->owners,
			   .mem_cache = exp->mem_cache};
	int err;

	pthread_rwlock_rdlock(&exp->lock);
	s.cfg = exp->cfg;
	s.stats_held = exp->stats_fd >= 0;
	s.stats_sysctl = s.cfg->collectors[COLLECTOR_PROGRAMS] ? objinfo_run_stats_sysctl() : 0;
	expo__reset(out);
	err = set_static_labels(out, s.cfg);
	if (err)
		goto out;

	for (size_t i = 0; i < COLLECTOR_MAX; i++) {
		const struct collector *c = &collectors[i];
		struct collector_result *r = &results[c->id];
		double t0;

		if (!s.cfg->collectors[c->id] || (c->supported && !c->supported(s.iters)))
			continue;
		t0 = now_seconds();
		err = c->collect(&s);
		r->enabled = true;
		r->success = !err;
		r->seconds = now_seconds() - t0;
		note_result(exp, c, err);
	}
	collect_self(&s, exp, results);
	err = expo__error(out);
out:
	pthread_rwlock_unlock(&exp->lock);
	scrape__fini(&s);
	return err;
}
