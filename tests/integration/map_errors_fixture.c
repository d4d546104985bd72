// SPDX-License-Identifier: Apache-2.0
/*
 * Fixture of the map_errors suite: maps filled past capacity from BPF
 * and from user space, with every failure counted here, so the exporter's
 * counts can be compared with what really failed.
 *
 * Usage: map_errors_fixture probe
 *          Does this kernel allow fexit trampolines? Loads and attaches
 *          the smallest fexit program on htab_map_update_elem: prints
 *          "fexit allowed" (exit 0) or "fexit refused: REASON" (exit 3).
 *        map_errors_fixture run
 *          Prints "map ROLE ID" for its maps (hash, lru, pcpu, trie, arr,
 *          all with max_entries 8; hom, a hash_of_maps of 2, updated from user
 *          space only, as BPF cannot), then "ready", and reads commands:
 *          "fill": per map, from user space keys 0..15 (BPF_ANY), a key
 *            that is there (BPF_NOEXIST) and one that is not (BPF_EXIST);
 *            then the same from BPF (BPF_PROG_TEST_RUN, keys 100..115).
 *            Prints "fail ROLE ERRNO_NAME N" for every errno seen (user
 *            space and BPF summed), "evict ROLE N" for the LRU map, then
 *            "filled";
 *          "bench N": ns per successful update of an existing key, N
 *            times per map, "bench ROLE user|bpf NS", then "benched";
 *          "close": closes the maps, "closed"; "exit" or EOF: exit 0.
 * Any error: message on stderr, exit 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "map_errors_fixture.skel.h"
#include "map_errors_probe.skel.h"

#define NR_TARGETS 5
#define MAX_ERRNO 128
#define FILL 16 /* keys per fill, twice max_entries */

static const char *const roles[NR_TARGETS] = {"hash", "lru", "pcpu", "trie", "arr"};

static struct map_errors_fixture *skel;
static int ncpus;
/* hash_of_maps (max_entries 2) and its inner map: updated from user space only. */
static int hom_fd = -1, inner_fd = -1;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int probe(void)
{
	struct map_errors_probe *p = map_errors_probe__open_and_load();
	struct bpf_link *link = NULL;
	int err = 0;

	if (!p)
		err = -errno;
	else if (!(link = bpf_program__attach(p->progs.probe_fexit)))
		err = -errno;
	bpf_link__destroy(link);
	map_errors_probe__destroy(p);
	if (err) {
		printf("fexit refused: %s while %s\n", strerror(-err), p ? "attaching" : "loading");
		return 3;
	}
	printf("fexit allowed\n");
	return 0;
}

static struct bpf_map *target_map(int t)
{
	struct bpf_map *m[NR_TARGETS] = {skel->maps.mef_hash, skel->maps.mef_lru,
					 skel->maps.mef_pcpu, skel->maps.mef_trie,
					 skel->maps.mef_arr};

	return m[t];
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("map info: %s", strerror(errno));
	return info.id;
}

/* One update from user space; a per-CPU map takes a value per CPU. */
static int user_update(int t, __u32 k, __u64 flags)
{
	struct {
		__u32 prefixlen;
		__u32 addr;
	} lk = {32, k};
	static __u64 values[1024]; /* per CPU; only the first is ever set */
	int fd = bpf_map__fd(target_map(t));

	values[0] = k;
	if (bpf_map_update_elem(fd, t == 3 ? (void *)&lk : (void *)&k, values, flags))
		return errno;
	return 0;
}

/* count BPF updates from key next (masked), flags; each result counted in the BPF object. */
static void bpf_updates(int t, __u32 next, __u64 flags, int count, __u32 *avg_ns)
{
	char pkt[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = count);

	skel->bss->target = t;
	skel->bss->next_key = next;
	skel->bss->flags = flags;
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.fill_one), &opts))
		die("test run: %s", strerror(errno));
	if (avg_ns)
		*avg_ns = opts.duration;
}

static __u32 count_keys(int t)
{
	__u64 key[2], next[2];
	int fd = bpf_map__fd(target_map(t));
	__u32 n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

static const char *errno_name(int e)
{
	switch (e) {
	case E2BIG:
		return "E2BIG";
	case ENOSPC:
		return "ENOSPC";
	case ENOMEM:
		return "ENOMEM";
	case EEXIST:
		return "EEXIST";
	case ENOENT:
		return "ENOENT";
	case EBUSY:
		return "EBUSY";
	case EINVAL:
		return "EINVAL";
	default:
		return "OTHER";
	}
}

static void fill(void)
{
	static __u64 user[NR_TARGETS][MAX_ERRNO];

	memset(skel->bss->results, 0, sizeof(skel->bss->results));
	memset(user, 0, sizeof(user));
	for (int t = 0; t < NR_TARGETS; t++) {
		/* The LRU keeps its newest key: that one is sure to be there. */
		__u32 present = t == 1 ? FILL - 1 : 0;
		int e;

		for (__u32 k = 0; k < FILL; k++) {
			e = user_update(t, k, BPF_ANY);
			user[t][e < MAX_ERRNO ? e : 0]++;
		}
		e = user_update(t, present, BPF_NOEXIST);
		user[t][e < MAX_ERRNO ? e : 0]++;
		e = user_update(t, 1000, BPF_EXIST);
		user[t][e < MAX_ERRNO ? e : 0]++;

		bpf_updates(t, 100, BPF_ANY, FILL, NULL);
		bpf_updates(t, t == 1 ? 100 + FILL - 1 : 0, BPF_NOEXIST, 1, NULL);
		bpf_updates(t, 2000, BPF_EXIST, 1, NULL);
	}
	for (int t = 0; t < NR_TARGETS; t++) {
		for (int e = 1; e < MAX_ERRNO; e++) {
			__u64 n = user[t][e] + skel->bss->results[t][e];

			if (!n)
				continue;
			if (!strcmp(errno_name(e), "OTHER"))
				die("%s: %llu updates failed with errno %d", roles[t],
				    (unsigned long long)n, e);
			printf("fail %s %s %llu\n", roles[t], errno_name(e), (unsigned long long)n);
		}
		printf("# %s: %llu user space and %llu BPF updates succeeded\n", roles[t],
		       (unsigned long long)user[t][0],
		       (unsigned long long)skel->bss->results[t][0]);
	}
	{
		__u64 hom[MAX_ERRNO] = {};
		__u32 inner = (__u32)inner_fd;

		for (__u32 k = 0; k < 4; k++) {
			int e = bpf_map_update_elem(hom_fd, &k, &inner, BPF_ANY) ? errno : 0;

			hom[e < MAX_ERRNO ? e : 0]++;
		}
		hom[bpf_map_update_elem(hom_fd, &(__u32){0}, &inner, BPF_NOEXIST) ? errno : 0]++;
		hom[bpf_map_update_elem(hom_fd, &(__u32){1000}, &inner, BPF_EXIST) ? errno : 0]++;
		for (int e = 1; e < MAX_ERRNO; e++)
			if (hom[e])
				printf("fail hom %s %llu\n", errno_name(e),
				       (unsigned long long)hom[e]);
	}
	/*
	 * Every successful BPF_ANY update above inserted a new key, and none
	 * was deleted: what the LRU holds less than that, it evicted.
	 */
	printf("evict lru %llu\n",
	       (unsigned long long)(user[1][0] + skel->bss->results[1][0] - count_keys(1)));
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Updates of key 0, which every map holds after the first: the success path. */
static void bench(int n)
{
	for (int t = 0; t < NR_TARGETS; t++) {
		__u32 bpf_ns;
		double t0;

		if (user_update(t, 0, BPF_ANY))
			die("bench %s: key 0 does not update", roles[t]);
		t0 = now_ns();
		for (int i = 0; i < n; i++)
			user_update(t, 0, BPF_ANY);
		printf("bench %s user %.0f\n", roles[t], (now_ns() - t0) / n);
		skel->data->key_mask = 0;
		bpf_updates(t, 0, BPF_ANY, n, &bpf_ns);
		skel->data->key_mask = 0xffffffff;
		printf("bench %s bpf %u\n", roles[t], bpf_ns);
	}
}

int main(int argc, char **argv)
{
	char line[128];

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(silent);
	if (argc == 2 && !strcmp(argv[1], "probe"))
		return probe();
	if (argc != 2 || strcmp(argv[1], "run"))
		die("usage: %s probe|run", argv[0]);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || ncpus > 1024)
		die("possible CPUs: %d", ncpus);
	skel = map_errors_fixture__open_and_load();
	if (!skel)
		die("load: %s", strerror(errno));
	for (int t = 0; t < NR_TARGETS; t++)
		printf("map %s %u\n", roles[t], map_id(bpf_map__fd(target_map(t))));
	inner_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "mef_inner", 4, 8, 4, NULL);
	if (inner_fd < 0)
		die("inner map: %s", strerror(errno));
	{
		LIBBPF_OPTS(bpf_map_create_opts, o, .inner_map_fd = inner_fd);

		hom_fd = bpf_map_create(BPF_MAP_TYPE_HASH_OF_MAPS, "mef_hom", 4, 4, 2, &o);
	}
	if (hom_fd < 0)
		die("hash_of_maps: %s", strerror(errno));
	printf("map hom %u\n", map_id(hom_fd));
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		int n;

		if (!strcmp(line, "fill\n")) {
			fill();
			printf("filled\n");
		} else if (sscanf(line, "bench %d", &n) == 1 && n > 0) {
			bench(n);
			printf("benched\n");
		} else if (!strcmp(line, "close\n")) {
			map_errors_fixture__destroy(skel);
			skel = NULL;
			close(hom_fd);
			close(inner_fd);
			printf("closed\n");
		} else if (!strcmp(line, "exit\n")) {
			break;
		} else {
			die("unknown command: %s", line);
		}
	}
	map_errors_fixture__destroy(skel);
	return 0;
}
