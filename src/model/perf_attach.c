// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "grow.h"
#include "perf_attach.h"
#include "util.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's own "not supported", as user space sees it */
#endif

const char *perf_attach_type_name(uint32_t fd_type)
{
	static const char *const names[] = {
		[BPF_FD_TYPE_RAW_TRACEPOINT] = "raw_tracepoint",
		[BPF_FD_TYPE_TRACEPOINT] = "tracepoint",
		[BPF_FD_TYPE_KPROBE] = "kprobe",
		[BPF_FD_TYPE_KRETPROBE] = "kretprobe",
		[BPF_FD_TYPE_UPROBE] = "uprobe",
		[BPF_FD_TYPE_URETPROBE] = "uretprobe",
	};

	return fd_type < ARRAY_SIZE(names) ? names[fd_type] : NULL;
}

size_t perf_attach_target(uint32_t fd_type, const char *name, uint64_t offset, uint64_t addr,
			  char *buf, size_t size)
{
	unsigned long long off = offset, a = addr;
	char dummy[1];
	int n;

	if (!size) {
		buf = dummy;
		size = sizeof(dummy);
	}
	if (!name)
		name = "";
	switch (fd_type) {
	case BPF_FD_TYPE_KPROBE:
	case BPF_FD_TYPE_KRETPROBE:
		if (!name[0])
			n = snprintf(buf, size, "0x%llx", a);
		else if (off)
			n = snprintf(buf, size, "%s+0x%llx", name, off);
		else
			n = snprintf(buf, size, "%s", name);
		break;
	case BPF_FD_TYPE_UPROBE:
	case BPF_FD_TYPE_URETPROBE:
		n = snprintf(buf, size, "%s:0x%llx", name, off);
		break;
	default:
		n = snprintf(buf, size, "%s", name);
		break;
	}
	return n < 0 ? 0 : (size_t)n;
}

static int cmp_event(const void *a, const void *b)
{
	const struct owner_perf *x = a, *y = b;

	if (x->event_id != y->event_id)
		return x->event_id < y->event_id ? -1 : 1;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

static void table_empty(struct perf_attach_table *t)
{
	for (size_t i = 0; i < t->nr; i++)
		free(t->a[i].target);
	t->nr = 0;
	t->gone = t->unsupported = 0;
}

/* Ask about the fds of one event until one answers. 1 added, 0 none, or -errno. */
static int read_event(struct perf_attach_table *t, const struct owner_perf *fds, size_t n,
		      perf_query_fn query, void *ctx, struct perf_query *q)
{
	struct perf_attach *a;
	size_t len;
	int err = -ENOENT;

	for (size_t i = 0; i < n; i++) {
		err = query(ctx, fds[i].tgid, fds[i].fd, q);
		/* The fd now names another event: closed and reused meanwhile. */
		if (!err && q->prog_id != fds[i].prog_id)
			err = -ENOENT;
		/*
		 * Reused for a file that is no perf event (a socket, ...), the
		 * fd answers "not supported": another fd of the event may still
		 * be open. Only the last fd's answer classifies the event.
		 */
		if ((err == -EOPNOTSUPP || err == -ENOTSUPP || err == -EINVAL) && i + 1 < n)
			continue;
		if (err != -ENOENT && err != -ESRCH && err != -EBADF)
			break;
	}
	if (err == -ENOENT || err == -ESRCH || err == -EBADF) {
		t->gone++;
		return 0;
	}
	if (err == -EOPNOTSUPP || err == -ENOTSUPP || err == -EINVAL ||
	    (!err && !perf_attach_type_name(q->fd_type))) {
		t->unsupported++;
		return 0;
	}
	if (err)
		return err;
	err = grow_array((void **)&t->a, &t->cap, t->nr + 1, sizeof(*t->a));
	if (err)
		return err;
	q->name[sizeof(q->name) - 1] = '\0';
	a = &t->a[t->nr];
	*a = (struct perf_attach){
		.event_id = fds[0].event_id, .prog_id = q->prog_id, .fd_type = q->fd_type};
	for (size_t i = 0; i < n; i++) {
		if (!fds[i].has_missed || (a->has_missed && fds[i].missed <= a->missed))
			continue;
		a->has_missed = true;
		a->probe_id = fds[i].probe_id;
		a->missed = fds[i].missed;
	}
	len = perf_attach_target(q->fd_type, q->name, q->offset, q->addr, NULL, 0);
	a->target = malloc(len + 1);
	if (!a->target)
		return -ENOMEM;
	perf_attach_target(q->fd_type, q->name, q->offset, q->addr, a->target, len + 1);
	t->nr++;
	return 1;
}

int perf_attach_table__read(struct perf_attach_table *t, const struct owner_perf *recs, size_t nr,
			    perf_query_fn query, void *ctx)
{
	struct owner_perf *sorted = NULL;
	struct perf_query *q = NULL;
	int err = 0;

	table_empty(t);
	if (!nr)
		return 0;
	sorted = malloc(nr * sizeof(*sorted));
	q = malloc(sizeof(*q));
	if (!sorted || !q) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(sorted, recs, nr * sizeof(*sorted));
	qsort(sorted, nr, sizeof(*sorted), cmp_event);
	for (size_t i = 0, j; i < nr && err >= 0; i = j) {
		for (j = i + 1; j < nr && sorted[j].event_id == sorted[i].event_id; j++)
			;
		err = read_event(t, sorted + i, j - i, query, ctx, q);
	}
	err = err < 0 ? err : 0;
out:
	if (err)
		table_empty(t);
	free(sorted);
	free(q);
	return err;
}

const struct perf_attach *perf_attach_table__find(const struct perf_attach_table *t,
						  uint64_t event_id)
{
	size_t lo = 0, hi = t->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->a[mid].event_id == event_id)
			return &t->a[mid];
		if (t->a[mid].event_id < event_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void perf_attach_table__fini(struct perf_attach_table *t)
{
	if (!t)
		return;
	table_empty(t);
	free(t->a);
	memset(t, 0, sizeof(*t));
}
