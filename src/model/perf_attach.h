/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Programs attached to perf events: kprobes, uprobes and tracepoints
 * attached with PERF_EVENT_IOC_SET_BPF or through a perf_event link.
 * The owners' task_file read finds every perf event file carrying a
 * program (owner_table.perf); one BPF_TASK_FD_QUERY per event then says
 * what it probes. The query is passed in, so the table and the target
 * spelling are unit-testable without a kernel.
 */
#ifndef BPFMAP_PERF_ATTACH_H
#define BPFMAP_PERF_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "owners.h"

#define PERF_QUERY_NAME_MAX 4096 /* a function, tracepoint or binary path (PATH_MAX) */

/* What BPF_TASK_FD_QUERY says about one fd. */
struct perf_query {
	uint32_t prog_id;
	uint32_t fd_type; /* BPF_FD_TYPE_* */
	uint64_t offset; /* probe_offset */
	uint64_t addr; /* probe_addr: a kprobe given by address */
	char name[PERF_QUERY_NAME_MAX]; /* NUL-terminated, may be empty */
};

/* Ask the kernel about (tgid, fd): 0 or -errno. */
typedef int (*perf_query_fn)(void *ctx, uint32_t tgid, uint32_t fd, struct perf_query *out);

struct perf_attach {
	uint64_t event_id;
	uint32_t prog_id;
	uint32_t fd_type;
	char *target; /* owned; perf_attach_target()'s spelling */
	/*
	 * A kprobe's missed count, where the kernel keeps it (owner_perf):
	 * the highest its fds' records gave, as each was read a moment
	 * apart. Events of one kprobe event share probe_id (non-zero) and
	 * their count.
	 */
	bool has_missed;
	uint32_t probe_id;
	uint64_t missed;
};

struct perf_attach_table {
	struct perf_attach *a; /* sorted by event_id, one per event */
	size_t nr, cap;
	size_t gone; /* events whose every fd was closed before the query */
	size_t unsupported; /* events the kernel does not describe (perf_event programs) */
};

/*
 * One query per event (fds of one event, dup'd or inherited, are asked
 * once; the next fd if one was closed meanwhile). t is emptied first.
 * 0, or the first -errno that is not a closed fd or an event the kernel
 * does not describe (-EPERM without CAP_SYS_ADMIN; -ENOMEM).
 */
int perf_attach_table__read(struct perf_attach_table *t, const struct owner_perf *recs, size_t nr,
			    perf_query_fn query, void *ctx);
/* The attachment of one event, or NULL. */
const struct perf_attach *perf_attach_table__find(const struct perf_attach_table *t,
						  uint64_t event_id);
void perf_attach_table__fini(struct perf_attach_table *t);

/* As bpftool perf spells the kind: "kprobe", "uretprobe", "tracepoint", ...; NULL if unknown. */
const char *perf_attach_type_name(uint32_t fd_type);

/*
 * Where, as one string: kprobes "func", "func+0x10", or "0xffffffff8..."
 * for a probe given by address; uprobes "/path/binary:0x1a2b" (the
 * offset in the file); tracepoints the name the kernel gives. Returns
 * the length it needed (as snprintf); buf is always terminated.
 */
size_t perf_attach_target(uint32_t fd_type, const char *name, uint64_t offset, uint64_t addr,
			  char *buf, size_t size);

#endif
