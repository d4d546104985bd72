// SPDX-License-Identifier: Apache-2.0
/*
 * Owner test fixture: creates or takes BPF objects in the ways that
 * matter for ownership, prints their ids, then holds what it kept until
 * SIGTERM or SIGINT (exit 0). Linked statically, so the same binary runs
 * on the host and alone in a FROM scratch container.
 *
 * Usage: owner_fixture CMD... where CMD is one of
 *   map NAME            a hash map (16 entries max, 3 inserted), fd kept
 *   hold ID             an fd of an existing map, by id (CAP_SYS_ADMIN)
 *   holdlink ID         an fd of an existing link, by id
 *   prog NAME MAP       a socket filter using map MAP; MAP's fd is closed,
 *                       so the map is held only through the program
 *   linkprog NAME       a raw tracepoint program (task_rename), attached
 *                       by a link; only the link's fd is kept
 *   sockprog NAME MAP   a socket filter using MAP, attached to a socket;
 *                       both fds closed: no process holds either
 *   pin MAP PATH        pin map MAP at PATH (bpffs) and close its fd
 *   many N PREFIX       N hash maps named PREFIX0, PREFIX1, ... (for
 *                       measurements; the fd limit is raised as needed)
 *
 * stdout: "map NAME ID", "prog NAME ID", "link NAME ID", "held ID",
 * "heldlink ID", "many N" lines,
 * then "ready". Any error: a message on stderr, exit 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#define MAX_MAPS 16

struct named_fd {
	char name[BPF_OBJ_NAME_LEN];
	int fd;
};

static struct named_fd maps[MAX_MAPS];
static int nr_maps;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "owner_fixture: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void check_name(const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= BPF_OBJ_NAME_LEN ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.") != len)
		die("bad object name '%s'", name);
}

static __u32 id_of(int fd)
{
	/* Map, program and link info all start with type and id. */
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("get info of fd %d: %s", fd, strerror(errno));
	return info.id;
}

static int *map_fd(const char *name)
{
	for (int i = 0; i < nr_maps; i++) {
		if (!strcmp(maps[i].name, name) && maps[i].fd >= 0)
			return &maps[i].fd;
	}
	die("no open map '%s'", name);
}

static void cmd_map(const char *name)
{
	struct named_fd *m;

	check_name(name);
	if (nr_maps == MAX_MAPS)
		die("too many maps");
	m = &maps[nr_maps++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, sizeof(__u32), sizeof(__u64), 16, NULL);
	if (m->fd < 0)
		die("create map %s: %s", name, strerror(errno));
	for (__u32 key = 0; key < 3; key++) {
		__u64 value = key;

		if (bpf_map_update_elem(m->fd, &key, &value, BPF_NOEXIST))
			die("update map %s: %s", name, strerror(errno));
	}
	printf("map %s %u\n", name, id_of(m->fd));
}

/* r1 = &map (or nothing); r0 = 0; exit. */
static int load(enum bpf_prog_type type, const char *name, int map)
{
	struct bpf_insn insns[4];
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 1);
	int n = 0, fd;

	check_name(name);
	memset(insns, 0, sizeof(insns));
	if (map >= 0) {
		insns[0] = (struct bpf_insn){.code = BPF_LD | BPF_DW | BPF_IMM,
					     .dst_reg = BPF_REG_1,
					     .src_reg = BPF_PSEUDO_MAP_FD,
					     .imm = map};
		n = 2;
	}
	insns[n++] = (struct bpf_insn){.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0};
	insns[n++] = (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};
	fd = bpf_prog_load(type, name, "GPL", insns, (size_t)n, &opts);
	if (fd < 0)
		die("load program %s: %s\n%s", name, strerror(errno), log);
	return fd;
}

static void cmd_prog(const char *name, const char *map)
{
	int *mfd = map_fd(map);
	int fd = load(BPF_PROG_TYPE_SOCKET_FILTER, name, *mfd);

	close(*mfd);
	*mfd = -1;
	printf("prog %s %u\n", name, id_of(fd));
}

static void cmd_linkprog(const char *name)
{
	int fd = load(BPF_PROG_TYPE_RAW_TRACEPOINT, name, -1), link;

	link = bpf_raw_tracepoint_open("task_rename", fd);
	if (link < 0)
		die("attach %s to task_rename: %s", name, strerror(errno));
	printf("prog %s %u\nlink %s %u\n", name, id_of(fd), name, id_of(link));
	close(fd);
}

static void cmd_sockprog(const char *name, const char *map)
{
	int *mfd = map_fd(map);
	int fd = load(BPF_PROG_TYPE_SOCKET_FILTER, name, *mfd);
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	/* No traffic: the socket is never bound or used, it only keeps the program. */
	if (sock < 0 || setsockopt(sock, SOL_SOCKET, SO_ATTACH_BPF, &fd, sizeof(fd)))
		die("attach %s to a socket: %s", name, strerror(errno));
	printf("prog %s %u\n", name, id_of(fd));
	close(fd);
	close(*mfd);
	*mfd = -1;
}

static void cmd_pin(const char *map, const char *path)
{
	int *mfd = map_fd(map);

	if (bpf_obj_pin(*mfd, path))
		die("pin %s at %s: %s", map, path, strerror(errno));
	close(*mfd);
	*mfd = -1;
}

static void cmd_hold(const char *arg)
{
	char *end;
	unsigned long id = strtoul(arg, &end, 10);
	int fd;

	if (!*arg || *end || !id || id > 0xffffffffUL)
		die("bad map id '%s'", arg);
	fd = bpf_map_get_fd_by_id((__u32)id);
	if (fd < 0)
		die("get map %lu: %s", id, strerror(errno));
	printf("held %lu\n", id);
}

static void cmd_many(const char *count, const char *prefix)
{
	char *end, name[BPF_OBJ_NAME_LEN];
	unsigned long n = strtoul(count, &end, 10);
	struct rlimit lim;

	if (!*count || *end || !n || n > 1000000)
		die("bad count '%s'", count);
	if (getrlimit(RLIMIT_NOFILE, &lim) || lim.rlim_max < n + 64)
		die("the fd limit allows fewer than %lu maps", n);
	lim.rlim_cur = lim.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &lim))
		die("raise the fd limit: %s", strerror(errno));
	for (unsigned long i = 0; i < n; i++) {
		int fd;

		snprintf(name, sizeof(name), "%s%lu", prefix, i);
		check_name(name);
		fd = bpf_map_create(BPF_MAP_TYPE_HASH, name, sizeof(__u32), sizeof(__u64), 16,
				    NULL);
		if (fd < 0)
			die("create map %s: %s", name, strerror(errno));
	}
	printf("many %lu\n", n);
}

/* A link opened by id: its file is named "bpf-link", not "bpf_link". */
static void cmd_holdlink(const char *arg)
{
	char *end;
	unsigned long id = strtoul(arg, &end, 10);

	if (!*arg || *end || !id || id > 0xffffffffUL)
		die("bad link id '%s'", arg);
	if (bpf_link_get_fd_by_id((__u32)id) < 0)
		die("get link %lu: %s", id, strerror(errno));
	printf("heldlink %lu\n", id);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block, old;
	int i = 1;

	/* Blocked until we wait, so a signal between "ready" and pause is not lost. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	while (i < argc) {
		const char *cmd = argv[i];
		int need = -1; /* arguments the command takes */

		if (!strcmp(cmd, "map") || !strcmp(cmd, "hold") || !strcmp(cmd, "linkprog") ||
		    !strcmp(cmd, "holdlink"))
			need = 1;
		else if (!strcmp(cmd, "prog") || !strcmp(cmd, "sockprog") || !strcmp(cmd, "pin") ||
			 !strcmp(cmd, "many"))
			need = 2;
		if (need < 0 || i + need > argc - 1)
			die("usage: owner_fixture CMD... (see the source); at '%s'", cmd);
		if (!strcmp(cmd, "map"))
			cmd_map(argv[i + 1]);
		else if (!strcmp(cmd, "hold"))
			cmd_hold(argv[i + 1]);
		else if (!strcmp(cmd, "holdlink"))
			cmd_holdlink(argv[i + 1]);
		else if (!strcmp(cmd, "linkprog"))
			cmd_linkprog(argv[i + 1]);
		else if (!strcmp(cmd, "prog"))
			cmd_prog(argv[i + 1], argv[i + 2]);
		else if (!strcmp(cmd, "sockprog"))
			cmd_sockprog(argv[i + 1], argv[i + 2]);
		else if (!strcmp(cmd, "many"))
			cmd_many(argv[i + 1], argv[i + 2]);
		else
			cmd_pin(argv[i + 1], argv[i + 2]);
		i += need + 1;
	}
	printf("ready\n");
	if (fflush(stdout))
		die("write stdout: %s", strerror(errno));
	while (!stop)
		sigsuspend(&old);
	return 0;
}
