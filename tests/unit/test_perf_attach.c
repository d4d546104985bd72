// SPDX-License-Identifier: Apache-2.0
/* Perf event attachments: one query per event, what is skipped, and the target spelling. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <linux/bpf.h>

#include "perf_attach.h"

#define ENOTSUPP_ 524 /* the kernel's "not supported", as user space sees it */

static const char *target(uint32_t fd_type, const char *name, uint64_t offset, uint64_t addr)
{
	static char buf[256];
	size_t n = perf_attach_target(fd_type, name, offset, addr, buf, sizeof(buf));

	assert_int_equal(n, strlen(buf));
	return buf;
}

static void test_targets(void **state)
{
	char small[8];

	(void)state;
	assert_string_equal(target(BPF_FD_TYPE_KPROBE, "do_nanosleep", 0, 0), "do_nanosleep");
	assert_string_equal(target(BPF_FD_TYPE_KPROBE, "do_nanosleep", 0x10, 0),
			    "do_nanosleep+0x10");
	assert_string_equal(target(BPF_FD_TYPE_KRETPROBE, "vfs_read", 0, 0), "vfs_read");
	/* A kprobe given by address has no name. */
	assert_string_equal(target(BPF_FD_TYPE_KPROBE, "", 0, 0xffffffff81000000ULL),
			    "0xffffffff81000000");
	assert_string_equal(target(BPF_FD_TYPE_UPROBE, "/bin/bash", 814112, 0),
			    "/bin/bash:0xc6c20");
	assert_string_equal(target(BPF_FD_TYPE_URETPROBE, "/usr/lib/libc.so.6", 0, 0),
			    "/usr/lib/libc.so.6:0x0");
	assert_string_equal(target(BPF_FD_TYPE_TRACEPOINT, "sys_enter_openat", 0, 0),
			    "sys_enter_openat");
	assert_string_equal(target(BPF_FD_TYPE_RAW_TRACEPOINT, "sched_switch", 0, 0),
			    "sched_switch");
	assert_string_equal(target(BPF_FD_TYPE_TRACEPOINT, NULL, 0, 0), "");
	/* Cut to size, terminated, and the needed length said. */
	assert_int_equal(
		perf_attach_target(BPF_FD_TYPE_UPROBE, "/bin/bash", 1, 0, small, sizeof(small)),
		strlen("/bin/bash:0x1"));
	assert_string_equal(small, "/bin/ba");
	assert_int_equal(perf_attach_target(BPF_FD_TYPE_KPROBE, "f", 0, 0, NULL, 0), 1);

	assert_string_equal(perf_attach_type_name(BPF_FD_TYPE_KPROBE), "kprobe");
	assert_string_equal(perf_attach_type_name(BPF_FD_TYPE_KRETPROBE), "kretprobe");
	assert_string_equal(perf_attach_type_name(BPF_FD_TYPE_UPROBE), "uprobe");
	assert_string_equal(perf_attach_type_name(BPF_FD_TYPE_URETPROBE), "uretprobe");
	assert_string_equal(perf_attach_type_name(BPF_FD_TYPE_TRACEPOINT), "tracepoint");
	assert_string_equal(perf_attach_type_name(BPF_FD_TYPE_RAW_TRACEPOINT), "raw_tracepoint");
	assert_null(perf_attach_type_name(99));
}

/* A perf record without a missed count. */
#define PERF(t, f, p, e)                                                \
	{                                                               \
		.tgid = (t), .fd = (f), .prog_id = (p), .event_id = (e) \
	}

/* A fake kernel: fd -> answer; fds not listed are closed. */
struct fake {
	struct {
		uint32_t fd;
		int err;
		uint32_t prog_id, fd_type;
		const char *name;
		uint64_t offset;
	} fds[8];
	size_t nr;
	unsigned int calls;
};

static int fake_query(void *ctx, uint32_t tgid, uint32_t fd, struct perf_query *q)
{
	struct fake *f = ctx;

	(void)tgid;
	f->calls++;
	for (size_t i = 0; i < f->nr; i++) {
		if (f->fds[i].fd != fd)
			continue;
		if (f->fds[i].err)
			return f->fds[i].err;
		q->prog_id = f->fds[i].prog_id;
		q->fd_type = f->fds[i].fd_type;
		q->offset = f->fds[i].offset;
		q->addr = 0;
		snprintf(q->name, sizeof(q->name), "%s", f->fds[i].name);
		return 0;
	}
	return -EBADF;
}

static void test_table(void **state)
{
	struct fake f = {
		.fds =
			{
				{10, 0, 7, BPF_FD_TYPE_UPROBE, "/bin/bash", 0x20},
				{11, 0, 7, BPF_FD_TYPE_UPROBE, "/bin/bash", 0x20},
				{21, 0, 8, BPF_FD_TYPE_TRACEPOINT, "sys_enter_openat", 0},
				{30, -EOPNOTSUPP, 0, 0, "",
				 0}, /* a perf_event program: not described */
				{40, 0, 99, BPF_FD_TYPE_KPROBE, "other",
				 0}, /* reused for another program */
			},
		.nr = 5,
	};
	const struct owner_perf recs[] = {
		PERF(100, 11, 7, 500), /* two fds of event 500, asked once */
		PERF(100, 10, 7, 500),
		PERF(100, 20, 8, 300), /* closed: the next fd of the event answers */
		PERF(200, 21, 8, 300),
		PERF(100, 30, 9, 400),
		PERF(100, 40, 5, 600), /* its only fd now names another program: gone */
	};
	struct perf_attach_table t = {0};
	const struct perf_attach *a;

	(void)state;
	assert_int_equal(perf_attach_table__read(&t, recs, 6, fake_query, &f), 0);
	assert_int_equal(t.nr, 2);
	assert_int_equal(t.gone, 1);
	assert_int_equal(t.unsupported, 1);
	/* 500 once, 300 twice (20 closed), 400 once, 600 once. */
	assert_int_equal(f.calls, 5);
	a = perf_attach_table__find(&t, 500);
	assert_non_null(a);
	assert_int_equal(a->prog_id, 7);
	assert_int_equal(a->fd_type, BPF_FD_TYPE_UPROBE);
	assert_string_equal(a->target, "/bin/bash:0x20");
	a = perf_attach_table__find(&t, 300);
	assert_non_null(a);
	assert_string_equal(a->target, "sys_enter_openat");
	assert_null(perf_attach_table__find(&t, 400));
	assert_null(perf_attach_table__find(&t, 600));

	/* A refusal other than a closed fd fails the read, and empties the table. */
	f.fds[2].err = -EPERM;
	assert_int_equal(perf_attach_table__read(&t, recs, 6, fake_query, &f), -EPERM);
	assert_int_equal(t.nr, 0);
	assert_int_equal(perf_attach_table__read(&t, recs, 0, fake_query, &f), 0);
	perf_attach_table__fini(&t);
	perf_attach_table__fini(NULL);
}

/* An fd closed and reused for a socket says "not supported": the event's next fd still answers. */
static void test_reused_for_other_file(void **state)
{
	struct fake f = {
		.fds = {{50, -ENOTSUPP_, 0, 0, "", 0},
			{51, 0, 7, BPF_FD_TYPE_KPROBE, "do_nanosleep", 0}},
		.nr = 2,
	};
	const struct owner_perf recs[] = {PERF(100, 50, 7, 700), PERF(100, 51, 7, 700)};
	struct perf_attach_table t = {0};

	(void)state;
	assert_int_equal(perf_attach_table__read(&t, recs, 2, fake_query, &f), 0);
	assert_int_equal(t.nr, 1);
	assert_int_equal(t.unsupported, 0);
	assert_string_equal(perf_attach_table__find(&t, 700)->target, "do_nanosleep");
	/* Its last fd saying so: the event is one the kernel does not describe. */
	f.fds[1].err = -EOPNOTSUPP;
	assert_int_equal(perf_attach_table__read(&t, recs, 2, fake_query, &f), 0);
	assert_int_equal(t.nr, 0);
	assert_int_equal(t.unsupported, 1);
	perf_attach_table__fini(&t);
}

/* A kprobe's missed count: the highest its fds' records gave; none where the kernel keeps none. */
static void test_missed(void **state)
{
	struct fake f = {
		.fds = {{60, 0, 7, BPF_FD_TYPE_KRETPROBE, "do_nanosleep", 0},
			{61, 0, 7, BPF_FD_TYPE_KRETPROBE, "do_nanosleep", 0},
			{62, 0, 8, BPF_FD_TYPE_UPROBE, "/bin/bash", 0x20}},
		.nr = 3,
	};
	const struct owner_perf recs[] = {
		{.tgid = 100,
		 .fd = 60,
		 .prog_id = 7,
		 .event_id = 800,
		 .has_missed = true,
		 .probe_id = 1500,
		 .missed = 3},
		{.tgid = 100,
		 .fd = 61,
		 .prog_id = 7,
		 .event_id = 800,
		 .has_missed = true,
		 .probe_id = 1500,
		 .missed = 5}, /* read a moment later */
		{.tgid = 100, .fd = 62, .prog_id = 8, .event_id = 900},
	};
	struct perf_attach_table t = {0};
	const struct perf_attach *a;

	(void)state;
	assert_int_equal(perf_attach_table__read(&t, recs, 3, fake_query, &f), 0);
	assert_int_equal(t.nr, 2);
	a = perf_attach_table__find(&t, 800);
	assert_non_null(a);
	assert_true(a->has_missed);
	assert_int_equal(a->probe_id, 1500);
	assert_true(a->missed == 5);
	a = perf_attach_table__find(&t, 900);
	assert_non_null(a);
	assert_false(a->has_missed);
	perf_attach_table__fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_reused_for_other_file),
		cmocka_unit_test(test_missed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
