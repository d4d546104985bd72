// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "log.h"

/*
 * In run order: programs and maps label their owners from this scrape's
 * owner table; maps need the programs of this scrape for their join.
 */
static const struct collector collectors[] = {
	{"owners", COLLECTOR_OWNERS, collect_owners},
	{"programs", COLLECTOR_PROGRAMS, collect_programs},
	{"maps", COLLECTOR_MAPS, collect_maps},
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

int exporter__scrape(struct exporter *exp, struct expo *out)
{
	struct collector_result results[COLLECTOR_MAX] = {};
	struct scrape s = {.iters = exp->iters, .out = out, .owner_state = exp->owners};
	int err;

	pthread_rwlock_rdlock(&exp->lock);
	s.cfg = exp->cfg;
	expo__reset(out);
	err = set_static_labels(out, s.cfg);
	if (err)
		goto out;

	for (size_t i = 0; i < COLLECTOR_MAX; i++) {
		const struct collector *c = &collectors[i];
		struct collector_result *r = &results[c->id];
		double t0;

		if (!s.cfg->collectors[c->id])
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
