// SPDX-License-Identifier: Apache-2.0
/*
 * Loads OBJ (perf_link.bpf.o) and attaches each program the way libbpf
 * does by default, through a perf_event link where the kernel has them;
 * prints "attached NAME PROG_ID" or "refused NAME -ERRNO" per program.
 * Then attaches the kprobe program once more the old way, without a
 * link (a kprobe perf event and PERF_EVENT_IOC_SET_BPF, as BCC and
 * bpftrace do), on KPROBE_IOCTL_FUNC: "attached-ioctl NAME PROG_ID FUNC"
 * or "refused-ioctl NAME -ERRNO FUNC". Then "ready", and holds
 * everything until SIGTERM.
 *
 *   perf_link OBJ
 */
#include <errno.h>
#include <signal.h>
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
	printf("ready\n");
	fflush(stdout);
	pause(); /* SIGTERM ends it; the kernel detaches everything */
	return 0;
}
