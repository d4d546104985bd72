// SPDX-License-Identifier: Apache-2.0
/*
 * Benchmark population: many BPF maps and programs, held by several
 * processes in cgroups of their own, as on a busy node.
 *
 * Usage: objects PREFIX MAPS PROGS HOLDERS [CGROUP_ROOT]
 *
 * Maps cycle through hash (with elements), array, LRU hash and per-CPU
 * hash; each program uses two maps. HOLDERS child processes (each in
 * CGROUP_ROOT/PREFIX-<i> when a cgroup v2 root is given) create and hold
 * a share each. Prints "ready" once all hold theirs, waits for EOF on
 * stdin, then removes everything it made.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("objects: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static const enum bpf_map_type types[] = {
	BPF_MAP_TYPE_HASH,
	BPF_MAP_TYPE_ARRAY,
	BPF_MAP_TYPE_LRU_HASH,
	BPF_MAP_TYPE_PERCPU_HASH,
};

static int create_map(const char *prefix, int i, int nr_cpus)
{
	enum bpf_map_type type = types[i % 4];
	__u64 value[512] = {};
	char name[BPF_OBJ_NAME_LEN];
	__u32 key;
	int fd;

	snprintf(name, sizeof(name), "%s_%d", prefix, i % 100000);
	fd = bpf_map_create(type, name, sizeof(key), sizeof(__u64), 64, NULL);
	if (fd < 0)
		die("create map %d: %s", i, strerror(errno));
	if (type != BPF_MAP_TYPE_ARRAY && nr_cpus <= 512)
		for (key = 0; key < (__u32)(i % 33); key++)
			if (bpf_map_update_elem(fd, &key, value, BPF_ANY))
				die("update map %d: %s", i, strerror(errno));
	return fd;
}

static int load_prog(const char *prefix, int i, int map1, int map2)
{
	struct bpf_insn insns[6] = {
		{.code = BPF_LD | BPF_DW | BPF_IMM,
		 .dst_reg = BPF_REG_1,
		 .src_reg = BPF_PSEUDO_MAP_FD,
		 .imm = map1},
		{0},
		{.code = BPF_LD | BPF_DW | BPF_IMM,
		 .dst_reg = BPF_REG_1,
		 .src_reg = BPF_PSEUDO_MAP_FD,
		 .imm = map2},
		{0},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	char name[BPF_OBJ_NAME_LEN];
	int fd;

	snprintf(name, sizeof(name), "%s_p%d", prefix, i % 10000);
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, name, "GPL", insns, 6, NULL);
	if (fd < 0)
		die("load prog %d: %s", i, strerror(errno));
	return fd;
}

static void join_cgroup(const char *root, const char *prefix, int i)
{
	char path[512], pid[32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s-%d", root, prefix, i);
	if (mkdir(path, 0755) && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
	strncat(path, "/cgroup.procs", sizeof(path) - strlen(path) - 1);
	fd = open(path, O_WRONLY);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		die("join %s: %s", path, strerror(errno));
	close(fd);
}

/*
 * One holder: joins its cgroup, creates its share of the maps (index h
 * modulo the holder count) and of the programs (each using two of its own
 * maps), reports on the pipe, and holds them until killed. Each process
 * holds only its share of the fds: the limit on open files cannot always
 * be raised (that needs CAP_SYS_RESOURCE).
 */
static void holder(const char *prefix, const char *cgroot, int h, int nr_holders, int nr_maps,
		   int nr_progs, int ready_fd)
{
	int nr_cpus = libbpf_num_possible_cpus(), nr_own = 0, first = -1, prev = -1;
	struct rlimit lim;
	char ok = 1;

	if (!getrlimit(RLIMIT_NOFILE, &lim)) {
		lim.rlim_cur = lim.rlim_max; /* as high as this process may go */
		setrlimit(RLIMIT_NOFILE, &lim);
	}
	if (cgroot)
		join_cgroup(cgroot, prefix, h);
	for (int i = h; i < nr_maps; i += nr_holders) {
		int fd = create_map(prefix, i, nr_cpus);

		if (first < 0)
			first = fd;
		prev = fd;
		nr_own++;
	}
	for (int i = h; i < nr_progs && nr_own >= 2; i += nr_holders)
		load_prog(prefix, i, first, prev);
	if (write(ready_fd, &ok, 1) != 1)
		die("report ready: %s", strerror(errno));
	close(ready_fd);
	pause();
	_exit(0);
}

int main(int argc, char **argv)
{
	int nr_maps, nr_progs, nr_holders, pipefd[2];
	const char *prefix, *cgroot;
	pid_t *kids;
	char c;

	if (argc < 5 || argc > 6)
		die("usage: objects PREFIX MAPS PROGS HOLDERS [CGROUP_ROOT]");
	prefix = argv[1];
	nr_maps = atoi(argv[2]);
	nr_progs = atoi(argv[3]);
	nr_holders = atoi(argv[4]);
	cgroot = argc == 6 ? argv[5] : NULL;
	if (nr_maps < 2 * nr_holders || nr_progs < 0 || nr_holders < 1)
		die("need at least 2 maps per holder and 1 holder");
	kids = calloc(nr_holders, sizeof(*kids));
	if (!kids || pipe(pipefd))
		die("set-up: %s", strerror(errno));

	for (int h = 0; h < nr_holders; h++) {
		kids[h] = fork();
		if (kids[h] < 0)
			die("fork: %s", strerror(errno));
		if (kids[h] == 0) {
			close(pipefd[0]);
			holder(prefix, cgroot, h, nr_holders, nr_maps, nr_progs, pipefd[1]);
		}
	}
	close(pipefd[1]);
	for (int h = 0; h < nr_holders; h++)
		if (read(pipefd[0], &c, 1) != 1)
			die("a holder failed (see above)");
	printf("ready\n");
	fflush(stdout);

	while (read(0, &c, 1) > 0)
		;
	for (int h = 0; h < nr_holders; h++) {
		char path[512];

		kill(kids[h], SIGKILL);
		waitpid(kids[h], NULL, 0);
		if (cgroot) {
			snprintf(path, sizeof(path), "%s/%s-%d", cgroot, prefix, h);
			rmdir(path);
		}
	}
	free(kids);
	return 0;
}
