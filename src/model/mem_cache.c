// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mem_cache.h"

struct mem_entry {
	uint32_t id;
	uint64_t bytes;
	double read_at; /* < 0: never read */
};

struct mem_cache {
	pthread_mutex_t lock;
	struct mem_entry *entries; /* ascending id */
	size_t nr;
	atomic_bool failed_once;
};

int mem_cache__new(struct mem_cache **out)
{
	struct mem_cache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

bool mem_cache__first_failure(struct mem_cache *c)
{
	return !atomic_exchange(&c->failed_once, true);
}

void mem_cache__free(struct mem_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->entries);
	free(c);
}

/* Oldest first; equally old in id order, so the same maps win every time. */
static int cmp_read_at(const void *a, const void *b, void *arg)
{
	const struct mem_entry *e = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (e[i].read_at != e[j].read_at)
		return e[i].read_at < e[j].read_at ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* Read entry i now; -ENOENT drops it. */
static void read_one(struct mem_entry *e, double now, mem_read_fn read, void *arg,
		     struct mem_pass *st, bool *gone)
{
	uint64_t bytes;
	int err = read(arg, e->id, &bytes);

	if (err == -ENOENT) {
		*gone = true;
		return;
	}
	if (err) {
		st->last_err = err; /* an older figure, if any, is kept */
		return;
	}
	e->bytes = bytes;
	e->read_at = now;
	st->read++;
}

int mem_cache__pass(struct mem_cache *c, const uint32_t *ids, const bool *changes, size_t n,
		    double now, unsigned int max_age, unsigned int budget, mem_read_fn read,
		    void *arg, uint64_t *bytes, bool *known, struct mem_pass *st)
{
	struct mem_entry *next = NULL;
	size_t *stale = NULL, nr_stale = 0, j = 0;
	bool *gone = NULL;
	int err = 0;

	memset(st, 0, sizeof(*st));
	for (size_t i = 1; i < n; i++)
		if (ids[i] <= ids[i - 1])
			return -EINVAL;
	next = calloc(n ? n : 1, sizeof(*next));
	stale = calloc(n ? n : 1, sizeof(*stale));
	gone = calloc(n ? n : 1, sizeof(*gone));
	if (!next || !stale || !gone) {
		err = -ENOMEM;
		goto out;
	}

	pthread_mutex_lock(&c->lock);
	/* Both ascending: carry over the figures of maps still exported. */
	for (size_t i = 0; i < n; i++) {
		while (j < c->nr && c->entries[j].id < ids[i])
			j++;
		if (j < c->nr && c->entries[j].id == ids[i])
			next[i] = c->entries[j];
		else
			next[i] = (struct mem_entry){.id = ids[i], .read_at = -1};
	}
	/* Maps never read first, in id order; then the oldest stale figures that may change. */
	for (size_t i = 0; i < n; i++) {
		if (next[i].read_at >= 0) {
			if (changes[i] && now - next[i].read_at > max_age)
				stale[nr_stale++] = i;
			continue;
		}
		if (budget) {
			budget--;
			read_one(&next[i], now, read, arg, st, &gone[i]);
		}
	}
	if (nr_stale > budget) /* only the oldest get read */
		qsort_r(stale, nr_stale, sizeof(*stale), cmp_read_at, next);
	for (size_t k = 0; k < nr_stale && k < budget; k++)
		read_one(&next[stale[k]], now, read, arg, st, &gone[stale[k]]);

	j = 0;
	for (size_t i = 0; i < n; i++) {
		known[i] = !gone[i] && next[i].read_at >= 0;
		bytes[i] = known[i] ? next[i].bytes : 0;
		if (gone[i])
			continue;
		if (!known[i]) {
			st->unknown++;
			continue;
		}
		if (next[i].read_at != now)
			st->cached++;
		if (changes[i] && now - next[i].read_at > st->max_age)
			st->max_age = now - next[i].read_at;
		next[j++] = next[i];
	}
	free(c->entries);
	c->entries = next;
	c->nr = j;
	next = NULL;
	pthread_mutex_unlock(&c->lock);
out:
	free(next);
	free(stale);
	free(gone);
	return err;
}
