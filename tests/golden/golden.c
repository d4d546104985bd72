// SPDX-License-Identifier: Apache-2.0
/*
 * A scrape replayed from a recording (replay.h): the collectors,
 * joins, filters and label selection of exporter__scrape(), with no
 * kernel and no root.
 *
 * Usage: golden RECORDING CONFIG   the exposition on stdout
 *
 * Scrapes twice and fails if the two differ: a scrape must not depend on
 * the one before. Families that depend on the running process (build,
 * durations, process_*) are left out of the output; everything else is
 * exactly what a live scrape would serve for the same kernel answers.
 * attach_netlink and attach_cgroup ask the kernel through sockets and
 * cgroup fds of their own and cannot be replayed: a config that turns
 * them on is refused. map_errors needs its programs loaded: it never runs
 * here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "log.h"
#include "replay.h"
#include "util.h"

static bool family_in(const char *name, size_t len, const char *const *names, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		size_t n = strlen(names[i]);

		/* "process_*" names a prefix */
		if (names[i][n - 1] == '*' ? len >= n - 1 && !strncmp(name, names[i], n - 1)
					   : len == n && !strncmp(name, names[i], len))
			return true;
	}
	return false;
}

/* Families whose values come from this process, not from the recording. */
static const char *const process_families[] = {
	"bpfmap_exporter_build_info",
	"bpfmap_exporter_scrape_collector_duration_seconds",
	"process_*",
};

/*
 * What the map memory cache read in this scrape, and how old its figures
 * are: the second scrape finds the figures the first read, by design
 * (mem_cache.h).
 */
static const char *const cache_families[] = {
	"bpfmap_exporter_map_memory_maps",
	"bpfmap_exporter_map_memory_max_age_seconds",
};

/* The exposition without the families named, into a new string. */
static char *without(const char *data, size_t len, const char *const *names, size_t nr)
{
	char *out = malloc(len + 1), *w = out;
	bool skip = false;

	if (!out)
		return NULL;
	for (const char *p = data, *end = data + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7))
			skip = family_in(p + 7, strcspn(p + 7, " \n"), names, nr);
		else if (p[0] != '#')
			skip = family_in(p, strcspn(p, "{ \n"), names, nr);
		if (!skip) {
			memcpy(w, p, n);
			w += n;
		}
		p += n;
	}
	*w = '\0';
	return out;
}

/* The first line where the second scrape differs from the first. */
static void report_difference(const char *first, const char *second)
{
	size_t at = 0, line = 1;

	while (first[at] && first[at] == second[at])
		if (first[at++] == '\n')
			line++;
	while (at > 0 && first[at - 1] != '\n')
		at--;
	fprintf(stderr,
		"a second scrape of the same recording differs from the first, at line %zu:\n"
		"first:  %.*s\nsecond: %.*s\n",
		line, (int)strcspn(first + at, "\n"), first + at, (int)strcspn(second + at, "\n"),
		second + at);
}

static char *scrape(struct exporter *exp, struct expo *out)
{
	const char *data;
	size_t len;
	int err = exporter__scrape(exp, out);

	if (err) {
		fprintf(stderr, "scrape: %s\n", strerror(-err));
		return NULL;
	}
	data = expo__data(out, &len);
	return without(data, len, process_families, ARRAY_SIZE(process_families));
}

int main(int argc, char **argv)
{
	struct exporter exp = {.stats_fd = -1};
	struct replay *r = NULL;
	struct expo *out = NULL;
	char err_msg[512], *first = NULL, *second = NULL, *a = NULL, *b = NULL;
	int ret = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: %s RECORDING CONFIG\n", argv[0]);
		return 2;
	}
	log_set_level(LOG_ERROR);
	pthread_rwlock_init(&exp.lock, NULL);
	exp.cfg = config__load_file(argv[2], err_msg, sizeof(err_msg));
	if (!exp.cfg) {
		fprintf(stderr, "%s: %s\n", argv[2], err_msg);
		goto out;
	}
	if (exp.cfg->collectors[COLLECTOR_ATTACH_NETLINK] ||
	    exp.cfg->collectors[COLLECTOR_ATTACH_CGROUP]) {
		fprintf(stderr,
			"%s: attach_netlink and attach_cgroup ask the kernel through sockets and "
			"cgroup fds of their own and cannot be replayed: turn them off\n",
			argv[2]);
		goto out;
	}
	/* Owners' names come from files under rootfs: the fixture's, never the host's. */
	if (exp.cfg->collectors[COLLECTOR_OWNERS] && !strcmp(exp.cfg->rootfs, "/")) {
		fprintf(stderr,
			"%s: the owners collector reads names under paths.rootfs: set it "
			"to the fixture root (\"@ROOTFS@\"), not the host's\n",
			argv[2]);
		goto out;
	}
	/* Perf event queries are recorded answers (cgroup queries are not). */
	exp.queries.perf_events = true;
	if (replay__load(argv[1], &r, &exp.source) || owner_state__new(&exp.owners) ||
	    mem_cache__new(&exp.mem_cache) || !(out = expo__new()))
		goto out;
	first = scrape(&exp, out);
	second = first ? scrape(&exp, out) : NULL;
	if (!second)
		goto out;
	/* Two scrapes give the same series: none depends on the scrape before. */
	a = without(first, strlen(first), cache_families, ARRAY_SIZE(cache_families));
	b = without(second, strlen(second), cache_families, ARRAY_SIZE(cache_families));
	if (!a || !b || strcmp(a, b)) {
		if (a && b)
			report_difference(a, b);
		goto out;
	}
	fputs(first, stdout);
	ret = fflush(stdout) ? 1 : 0;
out:
	free(first);
	free(second);
	free(a);
	free(b);
	expo__free(out);
	mem_cache__free(exp.mem_cache);
	owner_state__free(exp.owners);
	replay__free(r);
	config__free(exp.cfg);
	return ret;
}
