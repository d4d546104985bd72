// SPDX-License-Identifier: Apache-2.0
/*
 * Loads OBJ (perf_link.bpf.o) and attaches each program the way libbpf
 * does by default, through a perf_event link where the kernel has them;
 * prints "attached NAME PROG_ID" or "refused NAME -ERRNO" per program.
 * Then attaches the kprobe program once more the old way, without a
 * link (a kprobe perf event and PERF_EVENT_IOC_SET_BPF, as BCC and
 * bpftrace do), on KPROBE_IOCTL_FUNC: "attached-ioctl NAME PROG_ID FUNC"
 * or "refused-ioctl NAME -ERRNO FUNC". Then multi-probe links, each with
 * a program of its own (a kernel refusing one refuses only that):
 * kprobe_multi and kretprobe_multi on kprobe_multi_syms
 * and uprobe_multi on two functions of this very binary, printing
 * "attached-multi NAME PROG_ID LINK_ID COUNT" or "refused-multi NAME
 * -ERRNO", and "uprobe-path PATH" (the binary, as the kernel resolves
 * it). Then a kretprobe that misses: a tracefs kprobe event on
 * MISS_FUNC with a single instance (maxactive 1), so that while one task
 * sleeps in it the others' returns are missed, with a program of its own
 * on each of two perf events of it, one without a link and one through a
 * perf_event link: "miss-event EVENT ID", "attached-miss-ioctl NAME
 * PROG_ID" and "attached-miss-link NAME PROG_ID LINK_ID", or
 * "refused-miss[-ioctl|-link] NAME -ERRNO" (a kernel without kprobe
 * events refuses the event). Then "ready", and holds everything until
 * SIGTERM, when it removes the event.
 *
 *   perf_link OBJ
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define KPROBE_IOCTL_PROG "bme_pl_kp"
#define KPROBE_IOCTL_FUNC "hrtimer_nanosleep"
/* The kretprobe that misses: its tracefs event, function and programs. */
#define TRACEFS "/sys/kernel/tracing"
#define MISS_EVENT "bpfmap_miss"
#define MISS_FUNC "do_nanosleep"
#define MISS_IOCTL_PROG "bme_pl_miss"
#define MISS_LINK_PROG "bme_pl_missl"
#define ATTACH_PERF_EVENT 41 /* BPF_PERF_EVENT */
/* What the kprobe_multi links probe. */
static const char *kprobe_multi_syms[] = {"do_nanosleep", "hrtimer_nanosleep"};

/* UAPI numbers newer than the build host's linux/bpf.h may know. */
#define ATTACH_KPROBE_MULTI 42 /* BPF_TRACE_KPROBE_MULTI */
#define ATTACH_UPROBE_MULTI 48 /* BPF_TRACE_UPROBE_MULTI */
#define PROBE_MULTI_RETURN 1U /* BPF_F_KPROBE_MULTI_RETURN, BPF_F_UPROBE_MULTI_RETURN */

/* BPF_LINK_CREATE's attributes for uprobe_multi (6.6+), which libbpf 1.1 lacks. */
struct uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 uprobe_flags;
	__u32 pid;
	__u32 pad;
};

/* What the uprobe_multi link probes: two functions of this binary. */
__attribute__((noinline)) void bme_pl_probed_a(void)
{
	__asm__ volatile("");
}

__attribute__((noinline)) void bme_pl_probed_b(void)
{
	__asm__ volatile("");
}

/* The kprobe PMU's type (sysfs): 0 or -errno. */
static int kprobe_pmu_type(void)
{
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
	int type = -1;

	if (!f)
		return -errno;
	if (fscanf(f, "%d", &type) != 1)
		type = -EINVAL;
	fclose(f);
	return type;
}

/* A kprobe on func running prog, attached without a link: the perf event's fd, or -errno. */
static int kprobe_ioctl(int prog_fd, const char *func)
{
	struct perf_event_attr attr = {.size = sizeof(attr)};
	int type = kprobe_pmu_type(), fd;

	if (type < 0)
		return type;
	attr.type = type;
	attr.config1 = (__u64)(unsigned long)func; /* kprobe_func */
	attr.config2 = 0; /* offset */
	fd = syscall(__NR_perf_event_open, &attr, -1 /* pid */, 0 /* cpu */, -1,
		     PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* "return 0": a program of the kprobe type (a multi-probe link's, or any kprobe's); fd or -errno. */
static int kprobe_prog(const char *name, __u32 attach_type)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach_type);
	int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, name, "GPL", insns, 2, &opts);

	return fd < 0 ? -errno : fd;
}

/* The offset in this binary's file of the code at addr (/proc/self/maps); 0 if none. */
static __u64 file_offset(const void *addr)
{
	unsigned long start, end, off, a = (unsigned long)addr;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	__u64 ret = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %lx", &start, &end, &off) == 3 && a >= start &&
		    a < end) {
			ret = a - start + off;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* A kprobe_multi (uprobe_multi if path) link of a new program: its fd or -errno. */
static int multi_link(int prog_fd, const char *path, __u32 flags)
{
	if (!path) {
		LIBBPF_OPTS(bpf_link_create_opts, opts);
		int fd;

		opts.kprobe_multi.syms = kprobe_multi_syms;
		opts.kprobe_multi.cnt = 2;
		opts.kprobe_multi.flags = flags;
		fd = bpf_link_create(prog_fd, 0, ATTACH_KPROBE_MULTI, &opts);
		return fd < 0 ? -errno : fd;
	} else {
		__u64 offsets[] = {file_offset((void *)bme_pl_probed_a),
				   file_offset((void *)bme_pl_probed_b)};
		struct uprobe_multi_attr attr = {
			.prog_fd = prog_fd,
			.attach_type = ATTACH_UPROBE_MULTI,
			.path = (__u64)(uintptr_t)path,
			.offsets = (__u64)(uintptr_t)offsets,
			.cnt = 2,
			.uprobe_flags = flags,
		};
		int fd;

		if (!offsets[0] || !offsets[1])
			return -ENOENT;
		fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
		return fd < 0 ? -errno : fd;
	}
}

static void attach_multi(const char *name, __u32 attach_type, const char *path, __u32 flags)
{
	struct bpf_prog_info pinfo = {};
	struct bpf_link_info linfo = {};
	__u32 plen = sizeof(pinfo), llen = sizeof(linfo);
	int prog_fd = kprobe_prog(name, attach_type), link_fd;

	if (prog_fd < 0) {
		printf("refused-multi %s %d\n", name, prog_fd);
		return;
	}
	link_fd = multi_link(prog_fd, path, flags);
	if (link_fd < 0) {
		printf("refused-multi %s %d\n", name, link_fd);
		close(prog_fd);
		return;
	}
	bpf_obj_get_info_by_fd(prog_fd, &pinfo, &plen);
	bpf_obj_get_info_by_fd(link_fd, &linfo, &llen);
	printf("attached-multi %s %u %u 2\n", name, pinfo.id, linfo.id);
	/* Both fds stay open: the link lives as long as this process. */
}

/* Write line to a tracefs file: 0 or -errno. */
static int tracefs_write(const char *file, const char *line)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC), err = 0;
	ssize_t len = (ssize_t)strlen(line);

	if (fd < 0)
		return -errno;
	if (write(fd, line, len) != len)
		err = -errno;
	close(fd);
	return err;
}

/* The kretprobe event with one instance: its trace event id, or -errno. */
static int miss_event_create(void)
{
	FILE *f;
	int id = -EINVAL, err;

	/* One a killed run left behind is made again. */
	tracefs_write(TRACEFS "/kprobe_events", "-:kprobes/" MISS_EVENT "\n");
	err = tracefs_write(TRACEFS "/kprobe_events", "r1:" MISS_EVENT " " MISS_FUNC "\n");
	if (err)
		return err;
	f = fopen(TRACEFS "/events/kprobes/" MISS_EVENT "/id", "r");
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &id) != 1)
		id = -EINVAL;
	fclose(f);
	return id;
}

/* A perf event of trace event id on every task of CPU 0: its fd, or -errno. */
static int trace_event_open(int id)
{
	struct perf_event_attr attr = {.size = sizeof(attr)};
	int fd;

	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = id;
	attr.sample_period = 1;
	fd = syscall(__NR_perf_event_open, &attr, -1 /* pid */, 0 /* cpu */, -1,
		     PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static __u32 prog_id(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	bpf_obj_get_info_by_fd(prog_fd, &info, &len);
	return info.id;
}

/* The fds the missing kretprobe's attachments hold, closed before the event is removed. */
static int miss_fds[5] = {-1, -1, -1, -1, -1};

static void attach_miss(void)
{
	int id = miss_event_create(), prog_fd, fd, link_fd;
	struct bpf_link_info linfo = {};
	__u32 llen = sizeof(linfo);

	if (id < 0) {
		printf("refused-miss %s %d\n", MISS_EVENT, id);
		return;
	}
	printf("miss-event %s %d\n", MISS_EVENT, id);
	/* Without a link: PERF_EVENT_IOC_SET_BPF, as BCC and bpftrace do. */
	prog_fd = kprobe_prog(MISS_IOCTL_PROG, 0);
	fd = prog_fd < 0 ? prog_fd : trace_event_open(id);
	if (fd >= 0 &&
	    (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0))) {
		int err = -errno;

		close(fd);
		fd = err;
	}
	if (fd < 0) {
		printf("refused-miss-ioctl %s %d\n", MISS_IOCTL_PROG, fd);
	} else {
		printf("attached-miss-ioctl %s %u\n", MISS_IOCTL_PROG, prog_id(prog_fd));
		miss_fds[0] = fd;
	}
	if (prog_fd >= 0)
		miss_fds[1] = prog_fd;
	/* Through a perf_event link, on another perf event of the same kprobe event. */
	prog_fd = kprobe_prog(MISS_LINK_PROG, 0);
	fd = prog_fd < 0 ? prog_fd : trace_event_open(id);
	link_fd = fd < 0 ? fd : bpf_link_create(prog_fd, fd, ATTACH_PERF_EVENT, NULL);
	if (fd >= 0 && link_fd < 0)
		link_fd = -errno;
	if (link_fd < 0) {
		printf("refused-miss-link %s %d\n", MISS_LINK_PROG, link_fd);
	} else {
		bpf_obj_get_info_by_fd(link_fd, &linfo, &llen);
		printf("attached-miss-link %s %u %u\n", MISS_LINK_PROG, prog_id(prog_fd), linfo.id);
		miss_fds[2] = link_fd;
	}
	if (fd >= 0)
		miss_fds[3] = fd; /* kept open, as libbpf does: where the link's target is asked */
	if (prog_fd >= 0)
		miss_fds[4] = prog_fd;
}

/* Closes what holds the event, then removes it: a host with kprobe events keeps no trace. */
static void remove_miss(void)
{
	for (size_t i = 0; i < sizeof(miss_fds) / sizeof(miss_fds[0]); i++) {
		if (miss_fds[i] >= 0)
			close(miss_fds[i]);
	}
	/* The kernel may free the closed events a moment later: busy until then. */
	for (int i = 0; i < 40; i++) {
		if (tracefs_write(TRACEFS "/kprobe_events", "-:kprobes/" MISS_EVENT "\n") != -EBUSY)
			break;
		usleep(50 * 1000);
	}
}

static void on_term(int sig)
{
	(void)sig;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_prog_info info;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJ\n", argv[0]);
		return 2;
	}
	libbpf_set_print(quiet);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "open %s: %d\n", argv[1], -errno);
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "load %s: %d\n", argv[1], err);
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
	{
		__u32 len = sizeof(info);
		struct bpf_link *link = bpf_program__attach(prog);

		if (!link) {
			printf("refused %s %d\n", bpf_program__name(prog), -errno);
			continue;
		}
		memset(&info, 0, sizeof(info));
		bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);
		printf("attached %s %u\n", bpf_program__name(prog), info.id);
	}
	prog = bpf_object__find_program_by_name(obj, KPROBE_IOCTL_PROG);
	if (prog) {
		__u32 len = sizeof(info);
		int fd = kprobe_ioctl(bpf_program__fd(prog), KPROBE_IOCTL_FUNC);

		memset(&info, 0, sizeof(info));
		bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);
		if (fd < 0)
			printf("refused-ioctl %s %d %s\n", KPROBE_IOCTL_PROG, fd,
			       KPROBE_IOCTL_FUNC);
		else
			printf("attached-ioctl %s %u %s\n", KPROBE_IOCTL_PROG, info.id,
			       KPROBE_IOCTL_FUNC);
	}
	attach_multi("bme_pl_km", ATTACH_KPROBE_MULTI, NULL, 0);
	attach_multi("bme_pl_kretm", ATTACH_KPROBE_MULTI, NULL, PROBE_MULTI_RETURN);
	{
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n > 0) {
			exe[n] = '\0';
			printf("uprobe-path %s\n", exe);
			attach_multi("bme_pl_um", ATTACH_UPROBE_MULTI, exe, 0);
			attach_multi("bme_pl_uretm", ATTACH_UPROBE_MULTI, exe, PROBE_MULTI_RETURN);
		}
	}
	attach_miss();
	signal(SIGTERM, on_term);
	printf("ready\n");
	fflush(stdout);
	pause(); /* until SIGTERM; the kernel detaches the rest at exit */
	remove_miss();
	return 0;
}
