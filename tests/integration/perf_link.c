// SPDX-License-Identifier: Apache-2.0
/*
 * Loads OBJ (perf_link.bpf.o) and attaches each program the way libbpf
 * does by default, through a perf_event link where the kernel has them;
 * prints "attached NAME PROG_ID" or "refused NAME -ERRNO" per program,
 * then "ready", and holds everything until SIGTERM.
 *
 *   perf_link OBJ
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

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
	printf("ready\n");
	fflush(stdout);
	pause(); /* SIGTERM ends it; the kernel detaches everything */
	return 0;
}
