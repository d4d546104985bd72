// SPDX-License-Identifier: Apache-2.0
/* The owner table: decoding task_file streams, holder sets, joins, workloads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "owners.h"

#define ID_A "4f2d1c7e9a0b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5"
#define ID_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID_ "1c0b4e2a_5f6d_4e3c_9b8a_7d6e5f4c3b2a"
#define UID "1c0b4e2a-5f6d-4e3c-9b8a-7d6e5f4c3b2a"

struct stream {
	unsigned char *bytes;
	size_t len, cap;
};

static void put(struct stream *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->bytes = realloc(s->bytes, s->cap);
		assert_non_null(s->bytes);
	}
	memcpy(s->bytes + s->len, p, n);
	s->len += n;
}

/* A task whose cgroup path is given root first, "/"-separated (NULL: the root). */
static void put_task(struct stream *s, uint32_t tgid, const char *comm, const char *path,
		     uint32_t flags)
{
	struct bpfmap_owner_task_record rec = {
		.rec_type = BPFMAP_OWNER_REC_TASK,
		.tgid = tgid,
		.cgroup_id = 1000 + tgid,
		.flags = flags,
	};
	char *names[BPFMAP_CGROUP_MAX_DEPTH], *copy = path ? strdup(path) : NULL, *save = NULL;
	uint32_t n = 0;

	memcpy(rec.comm, comm, strnlen(comm, sizeof(rec.comm)));
	for (char *tok = copy ? strtok_r(copy, "/", &save) : NULL; tok;
	     tok = strtok_r(NULL, "/", &save))
		names[n++] = tok;
	rec.nr_names = n;
	put(s, &rec, sizeof(rec));
	while (n-- > 0) { /* leaf first */
		struct bpfmap_owner_name_record name = {.rec_type = BPFMAP_OWNER_REC_NAME};

		snprintf(name.name, sizeof(name.name), "%s", names[n]);
		put(s, &name, sizeof(name));
	}
	free(copy);
}

static void put_fd(struct stream *s, uint32_t tgid, uint32_t kind, uint32_t id, uint32_t prog_id)
{
	struct bpfmap_owner_fd_record rec = {
		.rec_type = BPFMAP_OWNER_REC_FD,
		.kind = kind,
		.id = id,
		.tgid = tgid,
		.fd = 3,
		.prog_id = prog_id,
	};

	put(s, &rec, sizeof(rec));
}

static void put_end(struct stream *s, uint32_t level)
{
	struct bpfmap_owner_end_record rec = {
		.rec_type = BPFMAP_OWNER_REC_END,
		.reader_tgid = 4242,
		.reader_pidns_level = level,
	};

	put(s, &rec, sizeof(rec));
}

#define POD_PATH                                                                        \
	"kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/" \
	"cri-containerd-" ID_A ".scope"

/*
 * tgid 100 in container A (pod), 50 in container B, 10 and 9 in container A
 * too, 7 on the host (root cgroup). 100 is described twice.
 */
static void build(struct stream *s)
{
	memset(s, 0, sizeof(*s));
	put_task(s, 100, "agent", POD_PATH, 0);
	put_fd(s, 100, BPFMAP_OBJ_MAP, 5, 0);
	put_fd(s, 100, BPFMAP_OBJ_PROG, 7, 0);
	put_fd(s, 100, BPFMAP_OBJ_LINK, 9, 7);
	put_fd(s, 100, BPFMAP_OBJ_LINK, 11, 8); /* prog 8: held only through a link */
	put_task(s, 50, "loader", "docker/" ID_B, 0);
	put_fd(s, 50, BPFMAP_OBJ_MAP, 5, 0);
	put_fd(s, 50, BPFMAP_OBJ_MAP, 5, 0); /* two fds of one map */
	put_task(s, 100, "agent", POD_PATH, 0); /* described again */
	put_fd(s, 100, BPFMAP_OBJ_MAP, 6, 0);
	put_fd(s, 100, BPFMAP_OBJ_PROG, 8, 0); /* now also directly: fd wins over link */
	put_task(s, 10, "agent", POD_PATH, 0);
	put_fd(s, 10, BPFMAP_OBJ_MAP, 5, 0);
	put_task(s, 9, "agent", POD_PATH, 0);
	put_fd(s, 9, BPFMAP_OBJ_MAP, 12, 0);
	put_task(s, 7, "systemd", NULL, 0);
	put_fd(s, 7, BPFMAP_OBJ_PROG, 13, 0);
	put_end(s, 0);
}

static int task_of(const struct owner_table *t, uint32_t tgid)
{
	for (size_t i = 0; i < t->nr_tasks; i++) {
		if (t->tasks[i].tgid == tgid)
			return (int)i;
	}
	fail_msg("no task %u", tgid);
	return -1;
}

static void test_decode(void **state)
{
	struct owner_table t = {0};
	struct stream s;
	size_t first, n;

	(void)state;
	build(&s);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);
	assert_int_equal(t.nr_tasks, 5);
	for (size_t i = 1; i < t.nr_tasks; i++)
		assert_true(t.tasks[i - 1].tgid < t.tasks[i].tgid);
	assert_int_equal(t.reader_tgid, 4242);
	assert_int_equal(t.reader_pidns_level, 0);
	{
		const struct owner_task *a = &t.tasks[task_of(&t, 100)];

		assert_string_equal(a->comm, "agent");
		assert_string_equal(a->pid, "100");
		assert_int_equal(a->cgroup_id, 1100);
		assert_string_equal(a->cgroup, "/" POD_PATH);
		assert_string_equal(t.tasks[task_of(&t, 7)].cgroup, "/");
	}

	n = owner_table__find(&t, BPFMAP_OBJ_MAP, 5, &first);
	assert_int_equal(n, 3); /* 10, 50, 100: one ref each, in tgid order */
	assert_int_equal(t.tasks[t.refs[first].task].tgid, 10);
	assert_int_equal(t.tasks[t.refs[first + 1].task].tgid, 50);
	assert_int_equal(t.tasks[t.refs[first + 2].task].tgid, 100);
	n = owner_table__find(&t, BPFMAP_OBJ_PROG, 7, &first);
	assert_int_equal(n, 1);
	assert_int_equal(t.refs[first].via, OWNER_VIA_FD);
	n = owner_table__find(&t, BPFMAP_OBJ_PROG, 8, &first);
	assert_int_equal(n, 1);
	assert_int_equal(t.refs[first].via, OWNER_VIA_FD);
	n = owner_table__find(&t, BPFMAP_OBJ_LINK, 11, &first);
	assert_int_equal(n, 1);
	assert_int_equal(owner_table__find(&t, BPFMAP_OBJ_MAP, 7, &first), 0);
	assert_int_equal(owner_table__find(&t, BPFMAP_OBJ_PROG, 5, &first), 0);
	assert_int_equal(owner_table__find(&t, BPFMAP_OBJ_MAP, 99, &first), 0);

	/* Decoding again empties the table first. */
	s.len = 0;
	put_task(&s, 1, "one", NULL, 0);
	put_fd(&s, 1, BPFMAP_OBJ_LINK, 2, 3);
	put_end(&s, 2);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);
	assert_int_equal(t.nr_tasks, 1);
	assert_int_equal(t.nr_refs, 2);
	assert_int_equal(t.reader_pidns_level, 2);
	n = owner_table__find(&t, BPFMAP_OBJ_PROG, 3, &first);
	assert_int_equal(n, 1);
	assert_int_equal(t.refs[first].via, OWNER_VIA_LINK);
	/* An empty but complete stream: no holders at all. */
	s.len = 0;
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);
	assert_int_equal(t.nr_tasks, 0);
	owner_table__fini(&t);
	owner_table__fini(NULL);
	free(s.bytes);
}

/* The range of (kind, id), by a plain scan. */
static size_t scan_range(const struct owner_table *t, uint32_t kind, uint32_t id, size_t *first)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nr_refs; i++) {
		if (t->refs[i].kind == kind && t->refs[i].id == id && !n++)
			*first = i;
	}
	return n;
}

/* owner_table__find starts where it ended last: right in any order of asking. */
static void test_find_in_any_order(void **state)
{
	struct owner_table t = {0};
	struct stream s = {0};
	uint32_t order[3 * 201], seed = 1;
	size_t nr = 0;

	(void)state;
	/* Maps 1..199: every third has no holder, others one to three. */
	for (uint32_t tgid = 1; tgid <= 3; tgid++) {
		put_task(&s, tgid, "holder", NULL, 0);
		for (uint32_t id = 1; id < 200; id++) {
			if (id % 3 && id % tgid == 0)
				put_fd(&s, tgid, id % 7 ? BPFMAP_OBJ_MAP : BPFMAP_OBJ_PROG, id, 0);
		}
	}
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);

	/*
	 * As the collectors ask, each kind in ascending id order, maps and the
	 * programs using them by turns: after a kind's first range, every one
	 * starts where that kind's last search ended, so none is searched for.
	 */
	{
		bool seen[BPFMAP_OBJ_PROG + 1] = {false};

		for (uint32_t id = 0; id <= 200; id++) {
			for (uint32_t kind = BPFMAP_OBJ_MAP; kind <= BPFMAP_OBJ_PROG; kind++) {
				size_t first = 0, want_first = 0;
				size_t want = scan_range(&t, kind, id, &want_first);

				if (want && seen[kind])
					assert_int_equal(t.next_ref[kind], want_first);
				seen[kind] |= want > 0;
				assert_int_equal(owner_table__find(&t, kind, id, &first), want);
				if (want)
					assert_int_equal(first, want_first);
			}
		}
	}

	for (uint32_t id = 0; id <= 200; id++) /* ascending, each asked twice */
		order[nr++] = id, order[nr++] = id;
	for (uint32_t id = 200; id > 0; id--) /* descending */
		order[nr++] = id;
	for (size_t round = 0; round < 4; round++) {
		for (size_t i = 0; i < nr; i++) {
			uint32_t kinds[] = {BPFMAP_OBJ_MAP, BPFMAP_OBJ_PROG};

			for (size_t k = 0; k < 2; k++) {
				size_t first = 0, want_first = 0;
				size_t n = owner_table__find(&t, kinds[k], order[i], &first);
				size_t want = scan_range(&t, kinds[k], order[i], &want_first);

				assert_int_equal(n, want);
				if (want)
					assert_int_equal(first, want_first);
			}
		}
		/* Then shuffled (a fixed LCG, so a failure repeats). */
		for (size_t i = nr - 1; i > 0; i--) {
			size_t j;
			uint32_t tmp;

			seed = seed * 1103515245 + 12345;
			j = (seed >> 8) % (i + 1);
			tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
	}
	owner_table__fini(&t);
	free(s.bytes);
}

/*
 * Refs come out sorted by kind, id, tgid, one per (object, task), the fd
 * kept over a link, whatever order the stream lists them in: sorted runs
 * per task (the usual case), shuffled, reversed.
 */
static void test_decode_sorts_any_order(void **state)
{
	enum { TASKS = 5, OBJECTS = 300 };
	static const uint32_t tgids[TASKS] = {40, 7, 300, 12, 7}; /* 7 described twice */
	static bool held[TASKS][3][OBJECTS]; /* by task slot, kind - 1, id */
	uint32_t seed = 7;

	(void)state;
	for (int shape = 0; shape < 3; shape++) {
		struct owner_table t = {0};
		struct stream s = {0};
		size_t want = 0;

		memset(held, 0, sizeof(held));
		for (int k = 0; k < TASKS; k++) {
			uint32_t ids[OBJECTS], n = 0;

			put_task(&s, tgids[k], "holder", NULL, 0);
			for (uint32_t id = 1; id < OBJECTS; id++) {
				seed = seed * 1103515245 + 12345;
				if ((seed >> 16) % 3 == 0)
					ids[n++] = id;
			}
			/* shape 0: ascending, one sorted run per task, as the iterator gives */
			for (uint32_t i = 0; shape && i + 1 < n; i++) {
				uint32_t j, tmp;

				if (shape == 2 && i >= n / 2)
					break;
				seed = seed * 1103515245 + 12345;
				j = shape == 1 ? i + (seed >> 8) % (n - i) /* shuffled */
					       : n - 1 - i; /* reversed */
				tmp = ids[i];
				ids[i] = ids[j];
				ids[j] = tmp;
			}
			for (uint32_t i = 0; i < n; i++) {
				/* Kinds by id range: ascending ids are ascending (kind, id). */
				uint32_t kind = 1 + ids[i] * 3 / OBJECTS;

				put_fd(&s, tgids[k], kind, ids[i], 0);
				held[k][kind - 1][ids[i]] = true;
			}
		}
		put_end(&s, 0);
		assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);

		for (uint32_t kind = 1; kind <= 3; kind++) {
			for (uint32_t id = 1; id < OBJECTS; id++) {
				bool by[TASKS] = {false};

				for (int k = 0; k < TASKS; k++)
					by[k] = held[k][kind - 1][id];
				by[1] = by[1] || by[4]; /* the same tgid */
				for (int k = 0; k < TASKS - 1; k++)
					want += by[k];
			}
		}
		assert_int_equal(t.nr_refs, want);
		for (size_t i = 0; i + 1 < t.nr_refs; i++) {
			const struct owner_ref *x = &t.refs[i], *y = &t.refs[i + 1];
			uint32_t xt = t.tasks[x->task].tgid, yt = t.tasks[y->task].tgid;

			assert_true(x->kind < y->kind || (x->kind == y->kind && x->id < y->id) ||
				    (x->kind == y->kind && x->id == y->id && xt < yt));
		}
		for (size_t i = 0; i < t.nr_refs; i++) {
			const struct owner_ref *x = &t.refs[i];
			uint32_t tgid = t.tasks[x->task].tgid;
			bool found = false;

			for (int k = 0; k < TASKS; k++)
				found |= tgids[k] == tgid && held[k][x->kind - 1][x->id];
			assert_true(found);
		}
		owner_table__fini(&t);
		free(s.bytes);
	}
}

static void test_paths(void **state)
{
	struct owner_table t = {0};
	struct stream s = {0};
	char deep[BPFMAP_CGROUP_MAX_DEPTH * 3 + 1] = "";

	(void)state;
	for (int i = 0; i < BPFMAP_CGROUP_MAX_DEPTH; i++)
		strcat(deep, "/d");
	put_task(&s, 1, "a", deep, BPFMAP_TASK_CGROUP_TRUNCATED);
	put_fd(&s, 1, BPFMAP_OBJ_MAP, 1, 0);
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);
	assert_int_equal(strncmp(t.tasks[0].cgroup, "/.../d/d/", 9), 0);
	assert_int_equal(strlen(t.tasks[0].cgroup), 4 + 2 * BPFMAP_CGROUP_MAX_DEPTH);
	owner_table__fini(&t);
	free(s.bytes);
}

/* Every way a stream can be wrong: -EPROTO, an empty table, no leak (ASan). */
static void test_torn_streams(void **state)
{
	struct owner_table t = {0};
	struct stream s, bad = {0};

	(void)state;
	build(&s);
	/* Cut anywhere: never accepted (the end record is last). */
	for (size_t len = 0; len < s.len; len++) {
		if (owner_table__decode(&t, s.bytes, len) != -EPROTO)
			fail_msg("a stream cut at %zu of %zu bytes was accepted", len, s.len);
		assert_int_equal(t.nr_tasks, 0);
		assert_int_equal(t.nr_refs, 0);
	}
	/* An fd before any task. */
	put_fd(&bad, 1, BPFMAP_OBJ_MAP, 1, 0);
	put_end(&bad, 0);
	assert_int_equal(owner_table__decode(&t, bad.bytes, bad.len), -EPROTO);
	/* An fd of another tgid than the task described. */
	bad.len = 0;
	put_task(&bad, 1, "a", NULL, 0);
	put_fd(&bad, 2, BPFMAP_OBJ_MAP, 1, 0);
	put_end(&bad, 0);
	assert_int_equal(owner_table__decode(&t, bad.bytes, bad.len), -EPROTO);
	/* Unknown kind, id 0. */
	bad.len = 0;
	put_task(&bad, 1, "a", NULL, 0);
	put_fd(&bad, 1, 4, 1, 0);
	put_end(&bad, 0);
	assert_int_equal(owner_table__decode(&t, bad.bytes, bad.len), -EPROTO);
	bad.len = 0;
	put_task(&bad, 1, "a", NULL, 0);
	put_fd(&bad, 1, BPFMAP_OBJ_MAP, 0, 0);
	put_end(&bad, 0);
	assert_int_equal(owner_table__decode(&t, bad.bytes, bad.len), -EPROTO);
	/* Something after the end. */
	bad.len = 0;
	put_end(&bad, 0);
	put_task(&bad, 1, "a", NULL, 0);
	assert_int_equal(owner_table__decode(&t, bad.bytes, bad.len), -EPROTO);
	bad.len = 0;
	put_end(&bad, 0);
	put_end(&bad, 0);
	assert_int_equal(owner_table__decode(&t, bad.bytes, bad.len), -EPROTO);
	/* A name record where a task or fd record belongs. */
	{
		struct bpfmap_owner_name_record name = {.rec_type = BPFMAP_OWNER_REC_NAME};

		bad.len = 0;
		put(&bad, &name, sizeof(name));
		put_end(&bad, 0);
		assert_int_equal(owner_table__decode(&t, bad.bytes, bad.len), -EPROTO);
	}
	/* A task announcing more names than it has, or than allowed, or a wrong one. */
	{
		struct bpfmap_owner_task_record rec = {
			.rec_type = BPFMAP_OWNER_REC_TASK, .tgid = 1, .nr_names = 2};
		struct bpfmap_owner_name_record name = {.rec_type = BPFMAP_OWNER_REC_NAME};

		bad.len = 0;
		put(&bad, &rec, sizeof(rec));
		put(&bad, &name, sizeof(name));
		put_end(&bad, 0);
		assert_int_equal(owner_table__decode(&t, bad.bytes, bad.len), -EPROTO);
		rec.nr_names = BPFMAP_CGROUP_MAX_DEPTH + 1;
		bad.len = 0;
		put(&bad, &rec, sizeof(rec));
		for (int i = 0; i < BPFMAP_CGROUP_MAX_DEPTH + 1; i++)
			put(&bad, &name, sizeof(name));
		put_end(&bad, 0);
		assert_int_equal(owner_table__decode(&t, bad.bytes, bad.len), -EPROTO);
		rec.nr_names = 1;
		name.rec_type = BPFMAP_OWNER_REC_FD;
		bad.len = 0;
		put(&bad, &rec, sizeof(rec));
		put(&bad, &name, sizeof(name));
		put_end(&bad, 0);
		assert_int_equal(owner_table__decode(&t, bad.bytes, bad.len), -EPROTO);
	}
	/* A name without its NUL stays within its record. */
	{
		struct bpfmap_owner_name_record name = {.rec_type = BPFMAP_OWNER_REC_NAME};

		bad.len = 0;
		put_task(&bad, 1, "a", NULL, 0);
		bad.len -= sizeof(struct bpfmap_owner_task_record);
		{
			struct bpfmap_owner_task_record rec = {
				.rec_type = BPFMAP_OWNER_REC_TASK, .tgid = 1, .nr_names = 1};

			put(&bad, &rec, sizeof(rec));
		}
		memset(name.name, 'x', sizeof(name.name));
		put(&bad, &name, sizeof(name));
		put_fd(&bad, 1, BPFMAP_OBJ_MAP, 1, 0);
		put_end(&bad, 0);
		assert_int_equal(owner_table__decode(&t, bad.bytes, bad.len), 0);
		assert_int_equal(strlen(t.tasks[0].cgroup), 1 + BPFMAP_CGROUP_NAME_LEN);
	}
	owner_table__fini(&t);
	free(s.bytes);
	free(bad.bytes);
}

static void test_sets_and_joins(void **state)
{
	struct owner_table t = {0};
	struct owner_set set = {0};
	struct str_arena arena = {0};
	struct stream s;
	const char *v;

	(void)state;
	build(&s);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);
	owner_table__parse_cgroups(&t);
	/* Names as the resolver would set them. */
	strcpy(t.tasks[task_of(&t, 100)].container, "agent");
	strcpy(t.tasks[task_of(&t, 100)].pod, "cilium-x");
	strcpy(t.tasks[task_of(&t, 100)].namespace, "kube-system");
	strcpy(t.tasks[task_of(&t, 10)].container, "agent");
	strcpy(t.tasks[task_of(&t, 10)].pod, "cilium-x");
	strcpy(t.tasks[task_of(&t, 10)].namespace, "kube-system");
	strcpy(t.tasks[task_of(&t, 50)].container, "loader");

	/* Map 5 directly, plus map 5 through prog 7 (held by 100 again). */
	assert_int_equal(owner_set__add(&set, &t, BPFMAP_OBJ_MAP, 5, -1), 0);
	assert_int_equal(owner_set__add(&set, &t, BPFMAP_OBJ_PROG, 7, OWNER_VIA_PROGRAM), 0);
	owner_set__finish(&set, &t);
	assert_int_equal(set.nr, 3);
	assert_int_equal(t.tasks[set.h[2].task].tgid, 100);
	assert_int_equal(set.h[2].via, OWNER_VIA_FD); /* the most direct way wins */

	assert_string_equal(owner_set__join(&set, &t, OWNER_PID, &arena), "10,50,100");
	assert_string_equal(owner_set__join(&set, &t, OWNER_COMM, &arena), "agent,loader");
	assert_string_equal(owner_set__join(&set, &t, OWNER_CONTAINER, &arena), "agent,loader");
	assert_string_equal(owner_set__join(&set, &t, OWNER_CONTAINER_ID, &arena), ID_B "," ID_A);
	assert_string_equal(owner_set__join(&set, &t, OWNER_POD, &arena), "cilium-x");
	assert_string_equal(owner_set__join(&set, &t, OWNER_NAMESPACE, &arena), "kube-system");
	assert_string_equal(owner_set__join(&set, &t, OWNER_CGROUP, &arena),
			    "/docker/" ID_B ",/" POD_PATH);
	/* One distinct value: the task's own string, no copy. */
	v = owner_set__join(&set, &t, OWNER_POD, &arena);
	assert_ptr_equal(v, t.tasks[task_of(&t, 10)].pod);

	/* Map 6: one holder; prog 8: link and fd from the same task -> fd. */
	owner_set__clear(&set);
	assert_int_equal(owner_set__add(&set, &t, BPFMAP_OBJ_PROG, 8, -1), 0);
	owner_set__finish(&set, &t);
	assert_int_equal(set.nr, 1);
	assert_string_equal(owner_via_name(set.h[0].via), "fd");
	/* No holder: every field is empty. */
	owner_set__clear(&set);
	assert_int_equal(owner_set__add(&set, &t, BPFMAP_OBJ_MAP, 99, -1), 0);
	owner_set__finish(&set, &t);
	assert_int_equal(set.nr, 0);
	for (int f = 0; f < OWNER_FIELD_MAX; f++)
		assert_string_equal(owner_set__join(&set, &t, f, &arena), "");
	/* Host process: no container fields. */
	owner_set__clear(&set);
	assert_int_equal(owner_set__add(&set, &t, BPFMAP_OBJ_PROG, 13, -1), 0);
	owner_set__finish(&set, &t);
	assert_string_equal(owner_set__join(&set, &t, OWNER_COMM, &arena), "systemd");
	assert_string_equal(owner_set__join(&set, &t, OWNER_CONTAINER_ID, &arena), "");
	assert_string_equal(owner_set__join(&set, &t, OWNER_CGROUP, &arena), "/");

	assert_string_equal(owner_via_name(OWNER_VIA_LINK), "link");
	assert_string_equal(owner_via_name(OWNER_VIA_PROGRAM), "program");
	assert_string_equal(owner_via_name(OWNER_VIA_MAX), "");

	str_arena__fini(&arena);
	owner_set__fini(&set);
	owner_table__fini(&t);
	free(s.bytes);
}

/* Many holders: joins past the small fixed buffer, numeric pid order. */
static void test_many_holders(void **state)
{
	struct owner_table t = {0};
	struct owner_set set = {0};
	struct str_arena arena = {0};
	struct stream s = {0};
	char want[4096] = "";

	(void)state;
	for (uint32_t tgid = 40; tgid > 0; tgid--) {
		char comm[16];

		snprintf(comm, sizeof(comm), "c%u", tgid % 7);
		put_task(&s, tgid, comm, NULL, 0);
		put_fd(&s, tgid, BPFMAP_OBJ_MAP, 1, 0);
	}
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);
	assert_int_equal(owner_set__add(&set, &t, BPFMAP_OBJ_MAP, 1, -1), 0);
	owner_set__finish(&set, &t);
	assert_int_equal(set.nr, 40);
	for (uint32_t tgid = 1; tgid <= 40; tgid++)
		sprintf(want + strlen(want), "%s%u", tgid > 1 ? "," : "", tgid);
	assert_string_equal(owner_set__join(&set, &t, OWNER_PID, &arena), want);
	assert_string_equal(owner_set__join(&set, &t, OWNER_COMM, &arena), "c0,c1,c2,c3,c4,c5,c6");
	str_arena__fini(&arena);
	owner_set__fini(&set);
	owner_table__fini(&t);
	free(s.bytes);
}

static void test_pins(void **state)
{
	struct owner_table t = {0};
	size_t first;

	(void)state;
	assert_int_equal(owner_table__add_pin(&t, BPFMAP_OBJ_MAP, 5, "/sys/fs/bpf/b"), 0);
	assert_int_equal(owner_table__add_pin(&t, BPFMAP_OBJ_PROG, 5, "/sys/fs/bpf/p"), 0);
	assert_int_equal(owner_table__add_pin(&t, BPFMAP_OBJ_MAP, 5, "/sys/fs/bpf/a"), 0);
	assert_int_equal(owner_table__add_pin(&t, BPFMAP_OBJ_MAP, 2, "/sys/fs/bpf/z"), 0);
	owner_table__sort_pins(&t);
	assert_int_equal(owner_table__find_pins(&t, BPFMAP_OBJ_MAP, 5, &first), 2);
	assert_string_equal(t.pins[first].path, "/sys/fs/bpf/a");
	assert_string_equal(t.pins[first + 1].path, "/sys/fs/bpf/b");
	assert_int_equal(owner_table__find_pins(&t, BPFMAP_OBJ_PROG, 5, &first), 1);
	assert_int_equal(owner_table__find_pins(&t, BPFMAP_OBJ_MAP, 3, &first), 0);
	owner_table__fini(&t);
}

static void test_workloads(void **state)
{
	struct owner_table t = {0};
	struct owner_set set = {0};
	struct stream s;
	int a, b;

	(void)state;
	build(&s);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);
	owner_table__parse_cgroups(&t);
	assert_int_equal(owner_table__index_workloads(&t), 0);
	assert_int_equal(t.nr_containers, 2); /* A (tgids 9, 10, 100) and B (50) */
	assert_int_equal(t.nr_pods, 1);
	a = t.tasks[task_of(&t, 100)].container_slot;
	b = t.tasks[task_of(&t, 50)].container_slot;
	assert_int_equal(t.tasks[task_of(&t, 10)].container_slot, a);
	assert_int_not_equal(a, b);
	assert_int_equal(t.tasks[task_of(&t, 7)].container_slot, -1);
	assert_int_equal(t.tasks[task_of(&t, 7)].pod_slot, -1);
	assert_int_equal(t.tasks[task_of(&t, 50)].pod_slot, -1);
	assert_string_equal(t.tasks[task_of(&t, 100)].pod_uid, UID);

	/* Map 5 (held in A twice and in B): once for A, once for B, once for the pod. */
	assert_int_equal(owner_set__add(&set, &t, BPFMAP_OBJ_MAP, 5, -1), 0);
	owner_set__finish(&set, &t);
	owner_table__count(&t, &set, BPFMAP_OBJ_MAP, 100, true, 40);
	owner_set__clear(&set);
	assert_int_equal(owner_set__add(&set, &t, BPFMAP_OBJ_MAP, 12, -1), 0);
	owner_set__finish(&set, &t);
	owner_table__count(&t, &set, BPFMAP_OBJ_MAP, 8, false, 0);
	owner_set__clear(&set);
	assert_int_equal(owner_set__add(&set, &t, BPFMAP_OBJ_PROG, 7, -1), 0);
	owner_set__finish(&set, &t);
	owner_table__count(&t, &set, BPFMAP_OBJ_PROG, 0, false, 0);

	assert_int_equal(t.containers[a].maps, 2);
	assert_int_equal(t.containers[a].max_entries, 108);
	assert_int_equal(t.containers[a].entries, 40);
	assert_true(t.containers[a].entries_known);
	assert_int_equal(t.containers[a].progs, 1);
	assert_int_equal(t.containers[b].maps, 1);
	assert_int_equal(t.containers[b].progs, 0);
	assert_int_equal(t.pods[0].maps, 2);
	assert_int_equal(t.pods[0].progs, 1);
	owner_set__fini(&set);
	owner_table__fini(&t);
	free(s.bytes);
}

static void put_perf(struct stream *s, uint32_t tgid, uint32_t fd, uint32_t prog_id,
		     uint64_t event_id)
{
	struct bpfmap_owner_perf_record rec = {
		.rec_type = BPFMAP_OWNER_REC_PERF,
		.tgid = tgid,
		.fd = fd,
		.prog_id = prog_id,
		.event_id = event_id,
	};

	put(s, &rec, sizeof(rec));
}

/* Perf event records stand alone, hold no object, and are kept in stream order. */
static void test_perf_records(void **state)
{
	struct owner_table t = {0};
	struct stream s = {0};
	size_t first;

	(void)state;
	put_perf(&s, 300, 12, 41, 9001); /* before any task: it names its own */
	put_task(&s, 100, "agent", NULL, 0);
	put_fd(&s, 100, BPFMAP_OBJ_PROG, 41, 0);
	put_perf(&s, 100, 14, 41, 9002);
	put_perf(&s, 100, 15, 41, 9002); /* a dup'd fd of one event */
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);
	assert_int_equal(t.nr_perf, 3);
	assert_int_equal(t.perf[0].tgid, 300);
	assert_int_equal(t.perf[0].fd, 12);
	assert_int_equal(t.perf[0].prog_id, 41);
	assert_true(t.perf[0].event_id == 9001);
	assert_int_equal(t.perf[2].fd, 15);
	assert_true(t.perf[2].event_id == 9002);
	/* Only the fd holds the program: tgid 300 is no holder. */
	assert_int_equal(t.nr_tasks, 1);
	assert_int_equal(owner_table__find(&t, BPFMAP_OBJ_PROG, 41, &first), 1);

	/* Decoding again empties the list; a torn or program-less record is refused. */
	s.len = 0;
	put_perf(&s, 1, 3, 7, 1);
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);
	assert_int_equal(t.nr_perf, 1);
	assert_int_equal(
		owner_table__decode(&t, s.bytes, sizeof(struct bpfmap_owner_perf_record) - 4),
		-EPROTO);
	assert_int_equal(t.nr_perf, 0);
	s.len = 0;
	put_perf(&s, 1, 3, 0, 1);
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), -EPROTO);
	owner_table__fini(&t);
	free(s.bytes);
}

static void put_perf_missed(struct stream *s, uint32_t probe_id, uint64_t missed)
{
	struct bpfmap_owner_perf_missed_record rec = {
		.rec_type = BPFMAP_OWNER_REC_PERF_MISSED,
		.probe_id = probe_id,
		.missed = missed,
	};

	put(s, &rec, sizeof(rec));
}

/* A kprobe's missed count follows its perf record; anywhere else the stream is refused. */
static void test_perf_missed_records(void **state)
{
	struct owner_table t = {0};
	struct stream s = {0};

	(void)state;
	put_perf(&s, 100, 14, 41, 9002);
	put_perf_missed(&s, 1234, 7);
	put_perf(&s, 100, 15, 42, 9003); /* a uprobe: no count */
	put_perf(&s, 100, 16, 43, 9004);
	put_perf_missed(&s, 0, 0); /* a PMU kprobe that missed nothing */
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);
	assert_int_equal(t.nr_perf, 3);
	assert_true(t.perf[0].has_missed);
	assert_int_equal(t.perf[0].probe_id, 1234);
	assert_true(t.perf[0].missed == 7);
	assert_false(t.perf[1].has_missed);
	assert_true(t.perf[2].has_missed);
	assert_int_equal(t.perf[2].probe_id, 0);
	assert_true(t.perf[2].missed == 0);

	/* Torn, first in the stream, after a task, twice after one perf record. */
	s.len = 0;
	put_perf(&s, 100, 14, 41, 9002);
	put_perf_missed(&s, 1, 7);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len - 4), -EPROTO);
	s.len = 0;
	put_perf_missed(&s, 1, 7);
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), -EPROTO);
	s.len = 0;
	put_task(&s, 100, "agent", NULL, 0);
	put_perf_missed(&s, 1, 7);
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), -EPROTO);
	s.len = 0;
	put_perf(&s, 100, 14, 41, 9002);
	put_perf_missed(&s, 1, 7);
	put_perf_missed(&s, 1, 7);
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), -EPROTO);
	owner_table__fini(&t);
	free(s.bytes);
}

static void put_netns_tid(struct stream *s, uint32_t tgid, uint32_t ino, uint32_t tid)
{
	struct bpfmap_owner_netns_record rec = {
		.rec_type = BPFMAP_OWNER_REC_NETNS,
		.tgid = tgid,
		.netns_ino = ino,
		.tid = tid,
	};

	put(s, &rec, sizeof(rec));
}

/* As the iterator writes a process whose leader lives: tid is the tgid. */
static void put_netns(struct stream *s, uint32_t tgid, uint32_t ino)
{
	struct bpfmap_owner_netns_record rec = {
		.rec_type = BPFMAP_OWNER_REC_NETNS,
		.tgid = tgid,
		.netns_ino = ino,
		.tid = tgid,
	};

	put(s, &rec, sizeof(rec));
}

/*
 * The task iterator's stream: every process and its namespace, in order,
 * then the end record with the reader's PID-namespace level. No task is
 * described: those records name no holder of anything.
 */
static void test_netns_records(void **state)
{
	struct owner_table t = {0};
	struct stream s = {0};

	(void)state;
	put_netns(&s, 1, 4026531840);
	put_netns(&s, 812, 4026532201);
	put_netns(&s, 813, 4026532201);
	/* A process whose leader exited: two live threads, each its own record. */
	put_netns_tid(&s, 900, 4026532202, 901);
	put_netns_tid(&s, 900, 4026532202, 905);
	/* From an iterator before the tid was written: the tgid. */
	put_netns_tid(&s, 950, 4026532203, 0);
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);
	assert_int_equal(t.nr_netns, 6);
	assert_int_equal(t.netns[0].tgid, 1);
	assert_int_equal(t.netns[0].tid, 1);
	assert_true(t.netns[0].ino == 4026531840u);
	assert_int_equal(t.netns[2].tgid, 813);
	assert_true(t.netns[2].ino == 4026532201u);
	assert_int_equal(t.netns[3].tgid, 900);
	assert_int_equal(t.netns[3].tid, 901);
	assert_int_equal(t.netns[4].tid, 905);
	assert_true(t.netns[4].ino == 4026532202u);
	assert_int_equal(t.netns[5].tgid, 950);
	assert_int_equal(t.netns[5].tid, 950);
	assert_int_equal(t.nr_tasks, 0);
	assert_int_equal(t.nr_refs, 0);
	assert_int_equal(t.reader_pidns_level, 0);

	/* A reader in a PID namespace of its own sees only its processes: the level says so. */
	s.len = 0;
	put_netns(&s, 7, 4026532300);
	put_end(&s, 1);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), 0);
	assert_int_equal(t.nr_netns, 1);
	assert_int_equal(t.reader_pidns_level, 1);

	/* Torn, without its end, or naming no process or namespace: refused, and emptied. */
	assert_int_equal(
		owner_table__decode(&t, s.bytes, sizeof(struct bpfmap_owner_netns_record) - 4),
		-EPROTO);
	assert_int_equal(t.nr_netns, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, sizeof(struct bpfmap_owner_netns_record)),
			 -EPROTO);
	s.len = 0;
	put_netns(&s, 0, 4026532300);
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), -EPROTO);
	s.len = 0;
	put_netns(&s, 7, 0);
	put_end(&s, 0);
	assert_int_equal(owner_table__decode(&t, s.bytes, s.len), -EPROTO);
	owner_table__fini(&t);
	free(s.bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_torn_streams),
		cmocka_unit_test(test_sets_and_joins),
		cmocka_unit_test(test_many_holders),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_workloads),
		cmocka_unit_test(test_find_in_any_order),
		cmocka_unit_test(test_decode_sorts_any_order),
		cmocka_unit_test(test_perf_records),
		cmocka_unit_test(test_perf_missed_records),
		cmocka_unit_test(test_netns_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
