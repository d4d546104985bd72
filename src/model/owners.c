// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "owners.h"
#include "util.h"

#define ARENA_BLOCK 16384

static void tasks_free(struct owner_table *t)
{
	for (size_t i = 0; i < t->nr_tasks; i++)
		free(t->tasks[i].cgroup);
	t->nr_tasks = 0;
}

static void pins_free(struct owner_table *t)
{
	for (size_t i = 0; i < t->nr_pins; i++)
		free(t->pins[i].path);
	t->nr_pins = 0;
}

static void table_empty(struct owner_table *t)
{
	tasks_free(t);
	pins_free(t);
	t->nr_refs = 0;
	t->nr_perf = 0;
	t->nr_netns = 0;
	memset(t->next_ref, 0, sizeof(t->next_ref));
	free(t->containers);
	free(t->pods);
	t->containers = t->pods = NULL;
	t->nr_containers = t->nr_pods = 0;
	t->stamp = 0;
	t->reader_tgid = 0;
	t->reader_pidns_level = 0;
}

void owner_table__fini(struct owner_table *t)
{
	if (!t)
		return;
	table_empty(t);
	free(t->tasks);
	free(t->refs);
	free(t->pins);
	free(t->perf);
	free(t->netns);
	memset(t, 0, sizeof(*t));
}

/* "/" + names root first; the n name records at p arrive leaf first. */
static char *build_path(const unsigned char *p, uint32_t n, bool truncated)
{
	const size_t rec_size = sizeof(struct bpfmap_owner_name_record);
	const size_t name_off = offsetof(struct bpfmap_owner_name_record, name);
	size_t len = truncated ? 4 : 0, o = 0;
	char *path;

	for (uint32_t i = 0; i < n; i++)
		len += 1 +
		       strnlen((const char *)p + i * rec_size + name_off, BPFMAP_CGROUP_NAME_LEN);
	path = malloc(len + 2);
	if (!path)
		return NULL;
	if (truncated) {
		memcpy(path, "/...", 4);
		o = 4;
	}
	for (uint32_t i = n; i-- > 0;) {
		const char *name = (const char *)p + i * rec_size + name_off;
		size_t l = strnlen(name, BPFMAP_CGROUP_NAME_LEN);

		path[o++] = '/';
		memcpy(path + o, name, l);
		o += l;
	}
	if (!o)
		path[o++] = '/';
	path[o] = '\0';
	return path;
}

static int add_ref(struct owner_table *t, uint32_t kind, uint32_t id, uint32_t task, uint32_t via)
{
	int err = grow_array((void **)&t->refs, &t->cap_refs, t->nr_refs + 1, sizeof(*t->refs));

	if (err)
		return err;
	t->refs[t->nr_refs++] = (struct owner_ref){kind, id, task, via};
	return 0;
}

static int decode_task(struct owner_table *t, const unsigned char *p, size_t left, size_t *used)
{
	struct bpfmap_owner_task_record rec;
	struct owner_task *task;
	size_t names_len;
	int err;

	if (left < sizeof(rec))
		return -EPROTO;
	memcpy(&rec, p, sizeof(rec));
	if (rec.nr_names > BPFMAP_CGROUP_MAX_DEPTH)
		return -EPROTO;
	names_len = (size_t)rec.nr_names * sizeof(struct bpfmap_owner_name_record);
	if (left - sizeof(rec) < names_len)
		return -EPROTO;
	err = grow_array((void **)&t->tasks, &t->cap_tasks, t->nr_tasks + 1, sizeof(*t->tasks));
	if (err)
		return err;
	task = &t->tasks[t->nr_tasks];
	memset(task, 0, sizeof(*task));
	task->tgid = rec.tgid;
	task->cgroup_id = rec.cgroup_id;
	memcpy(task->comm, rec.comm, BPFMAP_COMM_LEN);
	snprintf(task->pid, sizeof(task->pid), "%u", rec.tgid);
	task->container_slot = task->pod_slot = -1;
	for (uint32_t i = 0; i < rec.nr_names; i++) {
		uint32_t type;

		memcpy(&type, p + sizeof(rec) + i * sizeof(struct bpfmap_owner_name_record),
		       sizeof(type));
		if (type != BPFMAP_OWNER_REC_NAME)
			return -EPROTO;
	}
	task->cgroup =
		build_path(p + sizeof(rec), rec.nr_names, rec.flags & BPFMAP_TASK_CGROUP_TRUNCATED);
	if (!task->cgroup)
		return -ENOMEM;
	t->nr_tasks++;
	*used = sizeof(rec) + names_len;
	return 0;
}

static int cmp_task_order(const void *a, const void *b, void *arg)
{
	const struct owner_task *tasks = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (tasks[x].tgid != tasks[y].tgid)
		return tasks[x].tgid < tasks[y].tgid ? -1 : 1;
	return x < y ? -1 : x > y; /* the first description of a tgid wins */
}

/* By kind, id, task (tasks are in tgid order by then), via. */
static bool ref_before(const struct owner_ref *x, const struct owner_ref *y)
{
	if (x->kind != y->kind)
		return x->kind < y->kind;
	if (x->id != y->id)
		return x->id < y->id;
	if (x->task != y->task)
		return x->task < y->task;
	return x->via < y->via;
}

/* The end of the sorted run that starts at i. */
static size_t run_end(const struct owner_ref *r, size_t i, size_t n)
{
	while (++i < n && !ref_before(&r[i], &r[i - 1]))
		;
	return i;
}

/*
 * The iterator lists each task's files in fd order, and a process mostly
 * opens objects in the order of their ids, so refs come as a few long
 * sorted runs, one or more per holder: a natural merge sort takes a pass
 * per halving of the runs, not log2(n) passes with a call per comparison.
 */
static int sort_refs(struct owner_table *t)
{
	size_t n = t->nr_refs, runs;
	struct owner_ref *scratch, *src = t->refs, *dst, *swap;

	if (run_end(src, 0, n) >= n)
		return 0;
	dst = scratch = malloc(n * sizeof(*scratch));
	if (!scratch)
		return -ENOMEM;
	do {
		size_t i = 0;

		for (runs = 0; i < n; runs++) {
			size_t a = i, a_end = run_end(src, i, n), b = a_end;
			size_t b_end = b < n ? run_end(src, b, n) : n, o = a;

			while (a < a_end && b < b_end)
				dst[o++] = ref_before(&src[b], &src[a]) ? src[b++] : src[a++];
			while (a < a_end)
				dst[o++] = src[a++];
			while (b < b_end)
				dst[o++] = src[b++];
			i = b_end;
		}
		swap = src;
		src = dst;
		dst = swap;
	} while (runs > 1);
	if (src == scratch)
		memcpy(t->refs, scratch, n * sizeof(*scratch));
	free(scratch);
	return 0;
}

/*
 * Merge tasks described more than once (a lost session, or a thread with
 * its own file table) into one per tgid, sorted by tgid; refs follow.
 */
static int merge_tasks(struct owner_table *t)
{
	uint32_t *order = NULL, *remap = NULL;
	struct owner_task *merged = NULL;
	size_t n = t->nr_tasks, m = 0, r = 0;
	int err = 0;

	if (!n)
		return 0;
	order = calloc(n, sizeof(*order));
	remap = calloc(n, sizeof(*remap));
	merged = calloc(n, sizeof(*merged));
	if (!order || !remap || !merged) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof(*order), cmp_task_order, t->tasks);
	for (size_t i = 0; i < n; i++) {
		struct owner_task *task = &t->tasks[order[i]];

		if (m && merged[m - 1].tgid == task->tgid) {
			free(task->cgroup);
		} else {
			merged[m++] = *task;
		}
		remap[order[i]] = (uint32_t)(m - 1);
	}
	free(t->tasks);
	t->tasks = merged;
	t->cap_tasks = n;
	t->nr_tasks = m;
	merged = NULL;

	for (size_t i = 0; i < t->nr_refs; i++)
		t->refs[i].task = remap[t->refs[i].task];
	err = sort_refs(t);
	if (err)
		goto out;
	/* One ref per (object, task): the first, most direct, survives. */
	for (size_t i = 0; i < t->nr_refs; i++) {
		const struct owner_ref *x = &t->refs[i];

		if (r && t->refs[r - 1].kind == x->kind && t->refs[r - 1].id == x->id &&
		    t->refs[r - 1].task == x->task)
			continue;
		t->refs[r++] = *x;
	}
	t->nr_refs = r;
out:
	free(order);
	free(remap);
	free(merged);
	return err;
}

int owner_table__decode(struct owner_table *t, const void *buf, size_t len)
{
	const unsigned char *p = buf, *end = p + len;
	bool ended = false, after_perf = false;
	int64_t current = -1; /* the task described last */
	int err = 0;

	table_empty(t);
	while (p < end) {
		uint32_t type;
		size_t used = 0;

		if (ended || (size_t)(end - p) < sizeof(type)) {
			err = -EPROTO;
			goto out;
		}
		memcpy(&type, p, sizeof(type));
		/* A missed record belongs to the perf record right before it. */
		if (type == BPFMAP_OWNER_REC_PERF_MISSED && !after_perf) {
			err = -EPROTO;
			goto out;
		}
		after_perf = type == BPFMAP_OWNER_REC_PERF;
		switch (type) {
		case BPFMAP_OWNER_REC_TASK:
			err = decode_task(t, p, (size_t)(end - p), &used);
			current = (int64_t)t->nr_tasks - 1;
			break;
		case BPFMAP_OWNER_REC_FD: {
			struct bpfmap_owner_fd_record rec;

			used = sizeof(rec);
			if ((size_t)(end - p) < used || current < 0) {
				err = -EPROTO;
				break;
			}
			memcpy(&rec, p, sizeof(rec));
			if (rec.tgid != t->tasks[current].tgid || !rec.id ||
			    rec.kind < BPFMAP_OBJ_MAP || rec.kind > BPFMAP_OBJ_LINK) {
				err = -EPROTO;
				break;
			}
			err = add_ref(t, rec.kind, rec.id, (uint32_t)current, OWNER_VIA_FD);
			if (!err && rec.kind == BPFMAP_OBJ_LINK && rec.prog_id)
				err = add_ref(t, BPFMAP_OBJ_PROG, rec.prog_id, (uint32_t)current,
					      OWNER_VIA_LINK);
			break;
		}
		case BPFMAP_OWNER_REC_PERF: {
			struct bpfmap_owner_perf_record rec;

			used = sizeof(rec);
			if ((size_t)(end - p) < used) {
				err = -EPROTO;
				break;
			}
			memcpy(&rec, p, sizeof(rec));
			if (!rec.prog_id || !rec.tgid) {
				err = -EPROTO;
				break;
			}
			err = grow_array((void **)&t->perf, &t->cap_perf, t->nr_perf + 1,
					 sizeof(*t->perf));
			if (!err)
				t->perf[t->nr_perf++] =
					(struct owner_perf){.tgid = rec.tgid,
							    .fd = rec.fd,
							    .prog_id = rec.prog_id,
							    .event_id = rec.event_id};
			break;
		}
		case BPFMAP_OWNER_REC_PERF_MISSED: {
			struct bpfmap_owner_perf_missed_record rec;
			struct owner_perf *perf = &t->perf[t->nr_perf - 1];

			used = sizeof(rec);
			if ((size_t)(end - p) < used) {
				err = -EPROTO;
				break;
			}
			memcpy(&rec, p, sizeof(rec));
			perf->has_missed = true;
			perf->probe_id = rec.probe_id;
			perf->missed = rec.missed;
			break;
		}
		case BPFMAP_OWNER_REC_NETNS: {
			struct bpfmap_owner_netns_record rec;

			used = sizeof(rec);
			if ((size_t)(end - p) < used) {
				err = -EPROTO;
				break;
			}
			memcpy(&rec, p, sizeof(rec));
			if (!rec.tgid || !rec.netns_ino) {
				err = -EPROTO;
				break;
			}
			err = grow_array((void **)&t->netns, &t->cap_netns, t->nr_netns + 1,
					 sizeof(*t->netns));
			if (!err)
				t->netns[t->nr_netns++] = (struct owner_netns){
					rec.tgid, rec.netns_ino, rec.tid ? rec.tid : rec.tgid};
			break;
		}
		case BPFMAP_OWNER_REC_END: {
			struct bpfmap_owner_end_record rec;

			used = sizeof(rec);
			if ((size_t)(end - p) < used) {
				err = -EPROTO;
				break;
			}
			memcpy(&rec, p, sizeof(rec));
			t->reader_tgid = rec.reader_tgid;
			t->reader_pidns_level = rec.reader_pidns_level;
			ended = true;
			break;
		}
		default: /* a name record outside a task, or garbage */
			err = -EPROTO;
		}
		if (err)
			goto out;
		p += used;
	}
	if (!ended) {
		err = -EPROTO;
		goto out;
	}
	err = merge_tasks(t);
out:
	if (err)
		table_empty(t);
	return err;
}

int owner_table__add_pin(struct owner_table *t, uint32_t kind, uint32_t id, const char *path)
{
	char *copy;
	int err = grow_array((void **)&t->pins, &t->cap_pins, t->nr_pins + 1, sizeof(*t->pins));

	if (err)
		return err;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	t->pins[t->nr_pins++] = (struct owner_pin){kind, id, copy};
	return 0;
}

static int cmp_pin(const void *a, const void *b)
{
	const struct owner_pin *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return strcmp(x->path, y->path);
}

void owner_table__sort_pins(struct owner_table *t)
{
	if (t->nr_pins)
		qsort(t->pins, t->nr_pins, sizeof(*t->pins), cmp_pin);
}

/*
 * The range of (kind, id) in an array sorted by kind then id, whose
 * elements (refs, pins) all start with __u32 kind, __u32 id.
 */
static size_t find_range(const void *base, size_t nr, size_t stride, uint32_t kind, uint32_t id,
			 size_t *first)
{
	size_t lo = 0, hi = nr, end;
	uint32_t key[2];

#define KEY_AT(i) (memcpy(key, (const char *)base + (i)*stride, sizeof(key)), key)
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const uint32_t *k = KEY_AT(mid);

		if (k[0] < kind || (k[0] == kind && k[1] < id))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < nr; end++) {
		const uint32_t *k = KEY_AT(end);

		if (k[0] != kind || k[1] != id)
			break;
	}
#undef KEY_AT
	*first = lo;
	return end - lo;
}

static bool ref_is(const struct owner_table *t, size_t i, uint32_t kind, uint32_t id)
{
	return i < t->nr_refs && t->refs[i].kind == kind && t->refs[i].id == id;
}

size_t owner_table__find(struct owner_table *t, uint32_t kind, uint32_t id, size_t *first)
{
	bool known_kind = kind < sizeof(t->next_ref) / sizeof(t->next_ref[0]);
	size_t i = known_kind ? t->next_ref[kind] : 0, n;

	/* next_ref is where a range ended or a search would insert: a match starts a range. */
	if (known_kind && ref_is(t, i, kind, id)) {
		for (n = 1; ref_is(t, i + n, kind, id); n++)
			;
		*first = i;
	} else {
		n = find_range(t->refs, t->nr_refs, sizeof(*t->refs), kind, id, first);
	}
	if (known_kind)
		t->next_ref[kind] = *first + n;
	return n;
}

size_t owner_table__find_pins(const struct owner_table *t, uint32_t kind, uint32_t id,
			      size_t *first)
{
	return find_range(t->pins, t->nr_pins, sizeof(*t->pins), kind, id, first);
}

void owner_table__parse_cgroups(struct owner_table *t)
{
	for (size_t i = 0; i < t->nr_tasks; i++) {
		struct owner_task *task = &t->tasks[i];

		cgroup_path_parse(task->cgroup, &task->cg);
		memcpy(task->pod_uid, task->cg.pod_uid, sizeof(task->pod_uid));
	}
}

/* The slot of the first task (below i) with the same key, or a new one. */
static int assign_slots(struct owner_table *t, bool pods, struct owner_workload **out,
			size_t *nr_out)
{
	struct owner_workload *w = NULL;
	size_t nr = 0;

	for (size_t i = 0; i < t->nr_tasks; i++) {
		struct owner_task *task = &t->tasks[i];
		const char *key = pods ? task->pod_uid : task->cg.container_id;
		int *slot = pods ? &task->pod_slot : &task->container_slot;

		*slot = -1;
		if (!key[0])
			continue;
		for (size_t j = 0; j < nr; j++) {
			const struct owner_task *other = &t->tasks[w[j].task];

			if (!strcmp(key, pods ? other->pod_uid : other->cg.container_id)) {
				*slot = (int)j;
				break;
			}
		}
		if (*slot >= 0)
			continue;
		if (!w) {
			w = calloc(t->nr_tasks, sizeof(*w));
			if (!w)
				return -ENOMEM;
		}
		w[nr].task = (uint32_t)i;
		*slot = (int)nr++;
	}
	*out = w;
	*nr_out = nr;
	return 0;
}

int owner_table__index_workloads(struct owner_table *t)
{
	int err;

	free(t->containers);
	free(t->pods);
	t->containers = t->pods = NULL;
	t->nr_containers = t->nr_pods = 0;
	err = assign_slots(t, false, &t->containers, &t->nr_containers);
	if (!err)
		err = assign_slots(t, true, &t->pods, &t->nr_pods);
	return err;
}

const char *owner_task_field(const struct owner_task *task, enum owner_field f)
{
	switch (f) {
	case OWNER_COMM:
		return task->comm;
	case OWNER_PID:
		return task->pid;
	case OWNER_CONTAINER_ID:
		return task->cg.container_id;
	case OWNER_CONTAINER:
		return task->container;
	case OWNER_POD:
		return task->pod;
	case OWNER_NAMESPACE:
		return task->namespace;
	case OWNER_CGROUP:
		return task->cgroup ? task->cgroup : "";
	default:
		return "";
	}
}

const char *owner_via_name(enum owner_via via)
{
	static const char *const names[OWNER_VIA_MAX] = {
		[OWNER_VIA_FD] = "fd",
		[OWNER_VIA_LINK] = "link",
		[OWNER_VIA_PROGRAM] = "program",
	};

	return (unsigned int)via < OWNER_VIA_MAX ? names[via] : "";
}

/* ---- holder sets ------------------------------------------------------------ */

int owner_set__add(struct owner_set *s, struct owner_table *t, uint32_t kind, uint32_t id, int via)
{
	size_t first, n = owner_table__find(t, kind, id, &first);
	int err = grow_array((void **)&s->h, &s->cap, s->nr + n, sizeof(*s->h));

	if (err)
		return err;
	for (size_t i = first; i < first + n; i++) {
		s->h[s->nr].task = t->refs[i].task;
		s->h[s->nr].via = via >= 0 ? (uint32_t)via : t->refs[i].via;
		s->nr++;
	}
	return 0;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct owner_holder *x = a, *y = b;

	/* Tasks are sorted by tgid, so their indices order holders by tgid. */
	if (x->task != y->task)
		return x->task < y->task ? -1 : 1;
	return x->via < y->via ? -1 : x->via > y->via;
}

void owner_set__finish(struct owner_set *s, const struct owner_table *t)
{
	size_t r = 0;

	(void)t;
	if (s->nr > 1)
		qsort(s->h, s->nr, sizeof(*s->h), cmp_holder);
	for (size_t i = 0; i < s->nr; i++) {
		if (r && s->h[r - 1].task == s->h[i].task)
			continue;
		s->h[r++] = s->h[i];
	}
	s->nr = r;
}

void owner_set__clear(struct owner_set *s)
{
	s->nr = 0;
}

void owner_set__fini(struct owner_set *s)
{
	if (!s)
		return;
	free(s->h);
	memset(s, 0, sizeof(*s));
}

/* ---- string arena -------------------------------------------------------------- */

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	char data[];
};

char *str_arena__dup(struct str_arena *a, const char *s, size_t len)
{
	struct arena_block *b = a->head;
	char *out;

	if (!b || b->size - b->used < len + 1) {
		size_t size = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;

		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->size = size;
		a->head = b;
	}
	out = b->data + b->used;
	memcpy(out, s, len);
	out[len] = '\0';
	b->used += len + 1;
	return out;
}

void str_arena__fini(struct str_arena *a)
{
	while (a && a->head) {
		struct arena_block *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}

struct join_ctx {
	const struct owner_table *t;
	enum owner_field f;
};

static int cmp_values(const void *a, const void *b, void *arg)
{
	const struct join_ctx *c = arg;
	const struct owner_task *x = &c->t->tasks[*(const uint32_t *)a];
	const struct owner_task *y = &c->t->tasks[*(const uint32_t *)b];

	if (c->f == OWNER_PID)
		return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
	return strcmp(owner_task_field(x, c->f), owner_task_field(y, c->f));
}

const char *owner_set__join(const struct owner_set *s, const struct owner_table *t,
			    enum owner_field f, struct str_arena *a)
{
	struct join_ctx c = {t, f};
	uint32_t small[16], *idx = small;
	const char *only = NULL, *prev = NULL, *res = NULL;
	size_t n = 0, len = 0, o = 0;
	char *buf = NULL;

	/* The common cases, one holder or one distinct value, need no copy. */
	for (size_t i = 0; i < s->nr; i++) {
		const char *v = owner_task_field(&t->tasks[s->h[i].task], f);

		if (!v[0])
			continue;
		if (!only)
			only = v;
		else if (strcmp(only, v))
			n = 1;
	}
	if (!only)
		return "";
	if (!n)
		return only;

	if (s->nr > ARRAY_SIZE(small)) {
		idx = calloc(s->nr, sizeof(*idx));
		if (!idx)
			return NULL;
	}
	n = 0;
	for (size_t i = 0; i < s->nr; i++) {
		const char *v = owner_task_field(&t->tasks[s->h[i].task], f);

		if (v[0]) {
			idx[n++] = s->h[i].task;
			len += strlen(v) + 1;
		}
	}
	qsort_r(idx, n, sizeof(*idx), cmp_values, &c);
	buf = malloc(len + 1);
	if (!buf)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const char *v = owner_task_field(&t->tasks[idx[i]], f);
		size_t l = strlen(v);

		if (prev && !strcmp(prev, v))
			continue;
		if (o)
			buf[o++] = ',';
		memcpy(buf + o, v, l);
		o += l;
		prev = v;
	}
	res = str_arena__dup(a, buf, o);
out:
	free(buf);
	if (idx != small)
		free(idx);
	return res;
}

/* ---- workloads ------------------------------------------------------------------ */

static void count_one(struct owner_workload *w, uint64_t stamp, uint32_t kind, uint64_t max_entries,
		      bool entries_known, uint64_t entries)
{
	if (w->stamp == stamp)
		return;
	w->stamp = stamp;
	if (kind == BPFMAP_OBJ_PROG) {
		w->progs++;
		return;
	}
	w->maps++;
	w->max_entries += max_entries;
	if (entries_known) {
		w->entries += entries;
		w->entries_known = true;
	}
}

void owner_table__count(struct owner_table *t, const struct owner_set *s, uint32_t kind,
			uint64_t max_entries, bool entries_known, uint64_t entries)
{
	t->stamp++;
	for (size_t i = 0; i < s->nr; i++) {
		const struct owner_task *task = &t->tasks[s->h[i].task];

		if (task->container_slot >= 0 && (size_t)task->container_slot < t->nr_containers)
			count_one(&t->containers[task->container_slot], t->stamp, kind, max_entries,
				  entries_known, entries);
		if (task->pod_slot >= 0 && (size_t)task->pod_slot < t->nr_pods)
			count_one(&t->pods[task->pod_slot], t->stamp, kind, max_entries,
				  entries_known, entries);
	}
}
