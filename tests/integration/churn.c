// SPDX-License-Identifier: Apache-2.0
/*
 * Churn fixture: creates and destroys BPF maps, programs and holder
 * processes continuously, logging each object's life so a test can tell
 * whether a scrape showed an object that was already gone.
 *
 * Usage: churn PREFIX SECONDS
 *
 * stdout, one event a line, times from CLOCK_MONOTONIC in ns:
 *   + map ID NS      the map exists (logged after creation returned)
 *   - map ID NS      our last reference closed (logged after close returned)
 *   + prog ID NS / - prog ID NS
 *   done COUNT       objects created in all
 * Maps are named PREFIX_c, programs PREFIX_cp.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#define LIVE_MAX 32 /* objects alive at once */
#define CHILDREN_MAX 64

struct object {
	int map_fd, prog_fd;
	__u32 map_id, prog_id;
	unsigned long long born_ns;
};

struct child {
	pid_t pid;
	unsigned long long forked_ns;
};

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("churn: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("map info: %s", strerror(errno));
	return info.id;
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("prog info: %s", strerror(errno));
	return info.id;
}

/* A socket filter that references the map (ld_imm64) and returns 0. */
static int load_prog(const char *name, int map_fd)
{
	struct bpf_insn insns[4] = {
		{.code = BPF_LD | BPF_DW | BPF_IMM,
		 .dst_reg = BPF_REG_1,
		 .src_reg = BPF_PSEUDO_MAP_FD,
		 .imm = map_fd},
		{0},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
		{.code = BPF_JMP | BPF_EXIT},
	};

	return bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, name, "GPL", insns, 4, NULL);
}

static void create(struct object *o, const char *prefix, unsigned int seq)
{
	char name[BPF_OBJ_NAME_LEN];
	__u64 value = seq;
	__u32 key;

	snprintf(name, sizeof(name), "%s_c", prefix);
	o->map_fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, sizeof(key), sizeof(value), 16, NULL);
	if (o->map_fd < 0)
		die("create map: %s", strerror(errno));
	for (key = 0; key < seq % 17; key++)
		if (bpf_map_update_elem(o->map_fd, &key, &value, BPF_ANY) && errno != E2BIG)
			die("update: %s", strerror(errno));
	o->map_id = map_id(o->map_fd);
	o->born_ns = now_ns();
	printf("+ map %u %llu\n", o->map_id, o->born_ns);

	o->prog_fd = -1;
	if (seq % 3 == 0) {
		snprintf(name, sizeof(name), "%s_cp", prefix);
		o->prog_fd = load_prog(name, o->map_fd);
		if (o->prog_fd < 0)
			die("load prog: %s", strerror(errno));
		o->prog_id = prog_id(o->prog_fd);
		printf("+ prog %u %llu\n", o->prog_id, now_ns());
	}
}

/* Children forked while o was open hold it too: reap them before closing. */
static void reap_holders(struct child *kids, int *nr_kids, unsigned long long born_ns)
{
	for (int i = 0; i < *nr_kids;) {
		if (kids[i].forked_ns >= born_ns) {
			waitpid(kids[i].pid, NULL, 0);
			kids[i] = kids[--*nr_kids];
		} else {
			i++;
		}
	}
}

static void destroy(struct object *o, struct child *kids, int *nr_kids)
{
	reap_holders(kids, nr_kids, o->born_ns);
	if (o->prog_fd >= 0) {
		close(o->prog_fd);
		printf("- prog %u %llu\n", o->prog_id, now_ns());
	}
	close(o->map_fd);
	printf("- map %u %llu\n", o->map_id, now_ns());
}

int main(int argc, char **argv)
{
	struct object live[LIVE_MAX];
	struct child kids[CHILDREN_MAX];
	unsigned long long deadline;
	int nr_live = 0, nr_kids = 0, oldest = 0;
	unsigned int seq = 0;

	if (argc != 3 || strlen(argv[1]) > 6 || atoi(argv[2]) <= 0)
		die("usage: churn PREFIX(<=6 chars) SECONDS");
	deadline = now_ns() + atoi(argv[2]) * 1000000000ULL;

	while (now_ns() < deadline) {
		struct object *o;

		if (nr_live == LIVE_MAX) { /* recycle the oldest slot */
			destroy(&live[oldest], kids, &nr_kids);
			o = &live[oldest];
			oldest = (oldest + 1) % LIVE_MAX;
		} else {
			o = &live[nr_live++];
		}
		create(o, argv[1], seq++);

		/* Now and then a short-lived holder process inherits every fd. */
		if (seq % 4 == 0 && nr_kids < CHILDREN_MAX) {
			pid_t pid;

			fflush(stdout);
			pid = fork();
			if (pid < 0)
				die("fork: %s", strerror(errno));
			if (pid == 0) {
				usleep(5000 + (seq % 10) * 5000);
				_exit(0);
			}
			kids[nr_kids].pid = pid;
			kids[nr_kids].forked_ns = now_ns();
			nr_kids++;
		}
		fflush(stdout);
		usleep(1000);
	}
	for (int i = 0; i < nr_live; i++)
		destroy(&live[(oldest + i) % LIVE_MAX], kids, &nr_kids);
	reap_holders(kids, &nr_kids, 0);
	printf("done %u\n", seq);
	return fflush(stdout) ? 1 : 0;
}
