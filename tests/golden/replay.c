// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "replay.h"

static const char *const iter_names[ITER_KIND_MAX] = {
	[ITER_MAPS] = "maps",	[ITER_PROGS] = "progs", [ITER_OWNERS] = "owners",
	[ITER_LINKS] = "links", [ITER_TASKS] = "tasks",
};

static const char *const file_names[ITER_KIND_MAX] = {
	[ITER_MAPS] = "maps.bin",   [ITER_PROGS] = "progs.bin", [ITER_OWNERS] = "owners.bin",
	[ITER_LINKS] = "links.bin", [ITER_TASKS] = "tasks.bin",
};

const char *replay_file_name(enum iter_kind kind)
{
	return file_names[kind];
}

const char *replay_iter_name(enum iter_kind kind)
{
	return iter_names[kind];
}

enum answer_kind { ANS_WALK, ANS_MEMLOCK, ANS_RUN_STATS, ANS_PERF };

struct answer {
	enum answer_kind what;
	uint32_t a, b; /* walk: method, map id; memlock, run_stats: id; perf: tgid, fd */
	int err;
	uint64_t value; /* walk: entries; memlock: bytes */
	struct prog_run_stats stats;
	struct perf_query perf;
};

struct replay {
	struct iter_buf bytes[ITER_KIND_MAX];
	struct answer *answers;
	size_t nr, cap;
	double boot_to_unix;
	int run_stats_sysctl;
};

static const struct answer *find(const struct replay *r, enum answer_kind what, uint32_t a,
				 uint32_t b)
{
	for (size_t i = 0; i < r->nr; i++)
		if (r->answers[i].what == what && r->answers[i].a == a && r->answers[i].b == b)
			return &r->answers[i];
	return NULL;
}

static int replay_read(void *ctx, enum iter_kind kind, struct iter_buf *buf)
{
	const struct iter_buf *rec = &((struct replay *)ctx)->bytes[kind];

	if (buf->cap < rec->len + 1) {
		char *p = realloc(buf->data, rec->len + 1);

		if (!p)
			return -ENOMEM;
		buf->data = p;
		buf->cap = rec->len + 1;
	}
	memcpy(buf->data, rec->data, rec->len);
	buf->len = rec->len;
	return 0;
}

static int replay_count_walk(void *ctx, enum map_count_method how,
			     const struct bpfmap_map_record *rec, struct map_walk_buf *buf,
			     uint64_t *entries)
{
	const struct answer *a = find(ctx, ANS_WALK, how, rec->id);

	(void)buf;
	if (!a)
		return -ENOENT;
	*entries = a->value;
	return a->err;
}

static int replay_map_memlock(void *ctx, uint32_t map_id, uint64_t *bytes)
{
	const struct answer *a = find(ctx, ANS_MEMLOCK, map_id, 0);

	if (!a)
		return -ENOENT;
	*bytes = a->value;
	return a->err;
}

static int replay_prog_run_stats(void *ctx, uint32_t prog_id, struct prog_run_stats *out)
{
	const struct answer *a = find(ctx, ANS_RUN_STATS, prog_id, 0);

	if (!a)
		return -ENOENT;
	*out = a->stats;
	return a->err;
}

static int replay_run_stats_sysctl(void *ctx)
{
	return ((struct replay *)ctx)->run_stats_sysctl;
}

static double replay_boot_to_unix(void *ctx)
{
	return ((struct replay *)ctx)->boot_to_unix;
}

static int replay_walk_pins(void *ctx, struct pin_cache *pins, char *const *roots, size_t nr_roots,
			    struct owner_table *t)
{
	(void)ctx, (void)pins, (void)roots, (void)nr_roots, (void)t;
	return 0;
}

static int replay_task_fd_query(void *ctx, uint32_t tgid, uint32_t fd, struct perf_query *q)
{
	const struct answer *a = find(ctx, ANS_PERF, tgid, fd);

	if (!a)
		return -ENOENT;
	*q = a->perf;
	return a->err;
}

static int read_file(const char *dir, const char *name, struct iter_buf *buf)
{
	char path[4096];
	FILE *f;
	long size;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		err = -EIO;
	if (!err && !(buf->data = malloc((size_t)size + 1)))
		err = -ENOMEM;
	if (!err && fread(buf->data, 1, (size_t)size, f) != (size_t)size)
		err = -EIO;
	if (!err)
		buf->len = buf->cap = (size_t)size;
	fclose(f);
	return err;
}

static int method_by_name(const char *name)
{
	for (int m = 0; m < MAP_COUNT_METHOD_MAX; m++)
		if (!strcmp(name, map_count_method_name(m)))
			return m;
	return -1;
}

static int iter_by_name(const char *name)
{
	for (int k = 0; k < ITER_KIND_MAX; k++)
		if (!strcmp(name, iter_names[k]))
			return k;
	return -1;
}

static int parse_fact(struct replay *r, struct source_facts *facts, const char *line)
{
	char name[32], arg[32];
	long long v;
	double d;
	int k;

	if (sscanf(line, "fact iter %31s %lld", arg, &v) == 2 && (k = iter_by_name(arg)) >= 0)
		facts->iter[k] = v;
	else if (sscanf(line, "fact count %31s %lld", arg, &v) == 2 &&
		 (k = method_by_name(arg)) >= 0)
		facts->count.err[k] = (int)v;
	else if (sscanf(line, "fact boot_to_unix %lf", &d) == 1)
		r->boot_to_unix = d;
	else if (sscanf(line, "fact %31s %lld", name, &v) != 2)
		return -EINVAL;
	else if (!strcmp(name, "elem_count_kfunc"))
		facts->elem_count_kfunc = v;
	else if (!strcmp(name, "elem_iter"))
		facts->elem_iter = v;
	else if (!strcmp(name, "map_mem_usage"))
		facts->map_mem_usage = v;
	else if (!strcmp(name, "page_size"))
		facts->page_size = (uint64_t)v;
	else if (!strcmp(name, "run_stats_sysctl"))
		r->run_stats_sysctl = (int)v;
	else if (strcmp(name, "boot_to_unix"))
		return -EINVAL;
	return 0;
}

/* "<value>" or "-errno": the answer's error, or 0 and its value. */
static int parse_result(const char *s, int *err, uint64_t *value)
{
	if (s[0] == '-') {
		*err = atoi(s);
		return *err < 0 ? 0 : -EINVAL;
	}
	*err = 0;
	return sscanf(s, "%" SCNu64, value) == 1 ? 0 : -EINVAL;
}

static int parse_answer(struct answer *a, const char *line)
{
	char word[32], res[32], misses[32];
	int n = 0;

	memset(a, 0, sizeof(*a));
	if (sscanf(line, "walk %31s %" SCNu32 " %31s", word, &a->b, res) == 3) {
		int m = method_by_name(word);

		a->what = ANS_WALK;
		a->a = (uint32_t)m;
		return m < 0 ? -EINVAL : parse_result(res, &a->err, &a->value);
	}
	if (sscanf(line, "memlock %" SCNu32 " %31s", &a->a, res) == 2) {
		a->what = ANS_MEMLOCK;
		return parse_result(res, &a->err, &a->value);
	}
	if (sscanf(line, "run_stats %" SCNu32 " %31s", &a->a, res) == 2) {
		a->what = ANS_RUN_STATS;
		if (res[0] == '-')
			return parse_result(res, &a->err, &a->value);
		if (sscanf(line, "run_stats %*u %" SCNu64 " %" SCNu64 " %31s",
			   &a->stats.run_time_ns, &a->stats.run_cnt, misses) != 3)
			return -EINVAL;
		a->stats.has_recursion_misses = strcmp(misses, "-") != 0;
		if (a->stats.has_recursion_misses)
			a->stats.recursion_misses = strtoull(misses, NULL, 10);
		return 0;
	}
	if (sscanf(line, "perf %" SCNu32 " %" SCNu32 " %31s", &a->a, &a->b, res) == 3) {
		a->what = ANS_PERF;
		if (res[0] == '-')
			return parse_result(res, &a->err, &a->value);
		if (sscanf(line, "perf %*u %*u %" SCNu32 " %" SCNu32 " %" SCNu64 " %" SCNu64 " %n",
			   &a->perf.prog_id, &a->perf.fd_type, &a->perf.offset, &a->perf.addr,
			   &n) != 4 ||
		    !n)
			return -EINVAL;
		snprintf(a->perf.name, sizeof(a->perf.name), "%s", line + n);
		return 0;
	}
	return -EINVAL;
}

static int load_answers(struct replay *r, struct source_facts *facts, const char *dir)
{
	char path[4096], line[PERF_QUERY_NAME_MAX + 128];
	unsigned lineno = 0;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/answers.txt", dir);
	f = fopen(path, "r");
	if (!f) {
		err = -errno;
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return err;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (!strncmp(line, "fact ", 5)) {
			err = parse_fact(r, facts, line);
		} else {
			err = grow_array((void **)&r->answers, &r->cap, r->nr + 1,
					 sizeof(*r->answers));
			if (!err)
				err = parse_answer(&r->answers[r->nr], line);
			if (!err)
				r->nr++;
		}
		if (err == -EINVAL)
			fprintf(stderr, "%s:%u: cannot read \"%s\"\n", path, lineno, line);
	}
	fclose(f);
	return err;
}

static void source_init(struct scrape_source *src, struct replay *r)
{
	*src = (struct scrape_source){
		.ctx = r,
		.read = replay_read,
		.count_walk = replay_count_walk,
		.map_memlock = replay_map_memlock,
		.prog_run_stats = replay_prog_run_stats,
		.run_stats_sysctl = replay_run_stats_sysctl,
		.boot_to_unix = replay_boot_to_unix,
		.walk_pins = replay_walk_pins,
		.task_fd_query = replay_task_fd_query,
	};
}

int replay__load(const char *dir, struct replay **out, struct scrape_source *src)
{
	struct replay *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	source_init(src, r);
	/* A method the recording does not name is one the kernel refused. */
	for (int m = 0; m < MAP_COUNT_METHOD_MAX; m++)
		src->facts.count.err[m] = -ENOTSUP;
	err = load_answers(r, &src->facts, dir);
	for (int k = 0; !err && k < ITER_KIND_MAX; k++) {
		if (!src->facts.iter[k])
			continue;
		err = read_file(dir, file_names[k], &r->bytes[k]);
		if (err)
			fprintf(stderr, "%s/%s: %s\n", dir, file_names[k], strerror(-err));
	}
	if (err) {
		replay__free(r);
		return err;
	}
	*out = r;
	return 0;
}

int replay__from_bytes(const void *const bytes[ITER_KIND_MAX], const size_t lens[ITER_KIND_MAX],
		       struct replay **out, struct scrape_source *src)
{
	struct replay *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	source_init(src, r);
	for (int k = 0; k < ITER_KIND_MAX; k++) {
		r->bytes[k].data = malloc(lens[k] + 1);
		if (!r->bytes[k].data) {
			replay__free(r);
			return -ENOMEM;
		}
		memcpy(r->bytes[k].data, bytes[k], lens[k]);
		r->bytes[k].len = r->bytes[k].cap = lens[k];
		src->facts.iter[k] = true;
	}
	for (int m = 0; m < MAP_COUNT_METHOD_MAX; m++)
		src->facts.count.err[m] = m == MAP_COUNT_METHOD_KEYS ? 0 : -EPERM;
	src->facts.page_size = 4096;
	r->boot_to_unix = 1.7e9;
	*out = r;
	return 0;
}

void replay__free(struct replay *r)
{
	if (!r)
		return;
	for (int k = 0; k < ITER_KIND_MAX; k++)
		iter_buf__fini(&r->bytes[k]);
	free(r->answers);
	free(r);
}
