// SPDX-License-Identifier: Apache-2.0
/* Record decoding and the map <-> program join, on hand-made byte streams. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "records_decode.h"

struct stream {
	unsigned char bytes[8192];
	size_t len;
};

static void put(struct stream *s, const void *p, size_t n)
{
	assert_true(s->len + n <= sizeof(s->bytes));
	if (n)
		memcpy(s->bytes + s->len, p, n);
	s->len += n;
}

static void put_prog(struct stream *s, uint32_t id, const char *name, const uint32_t *ids,
		     uint32_t nr_ids)
{
	struct bpfmap_prog_record rec = {.id = id, .nr_map_ids = nr_ids};

	memcpy(rec.name, name, strnlen(name, sizeof(rec.name)));
	put(s, &rec, sizeof(rec));
	put(s, ids, nr_ids * sizeof(*ids));
}

static void maps_whole_records(void **state)
{
	struct bpfmap_map_record recs[3] = {{.id = 1}, {.id = 2}, {.id = 9}};
	struct map_table t = {};

	(void)state;
	assert_int_equal(records_decode_maps(recs, sizeof(recs), &t), 0);
	assert_int_equal(t.nr, 3);
	assert_int_equal(t.maps[2].id, 9);
	/* an empty read is valid: a host with no maps */
	assert_int_equal(records_decode_maps(NULL, 0, &t), 0);
	assert_int_equal(t.nr, 0);
	map_table__fini(&t);
}

static void maps_partial_record_rejected(void **state)
{
	struct bpfmap_map_record recs[2] = {};
	struct map_table t = {};

	(void)state;
	assert_int_equal(records_decode_maps(recs, sizeof(recs) - 1, &t), -EPROTO);
	assert_int_equal(t.nr, 0);
	map_table__fini(&t);
}

/*
 * The iterator walks ids upwards; a repeated map would be joined with its
 * programs once per copy, past the buffer sized for one (found by the
 * scrape fuzzer's review): rejected, as a torn stream is.
 */
static void maps_out_of_order_rejected(void **state)
{
	struct bpfmap_map_record repeated[3] = {{.id = 4}, {.id = 4}, {.id = 5}};
	struct bpfmap_map_record downwards[2] = {{.id = 9}, {.id = 3}};
	struct map_table t = {};

	(void)state;
	assert_int_equal(records_decode_maps(repeated, sizeof(repeated), &t), -EPROTO);
	assert_int_equal(t.nr, 0);
	assert_int_equal(records_decode_maps(downwards, sizeof(downwards), &t), -EPROTO);
	assert_int_equal(t.nr, 0);
	map_table__fini(&t);
}

static void progs_out_of_order_rejected(void **state)
{
	struct prog_table t = {};
	struct stream s = {};

	(void)state;
	put_prog(&s, 10, "a", NULL, 0);
	put_prog(&s, 10, "again", NULL, 0);
	assert_int_equal(records_decode_progs(s.bytes, s.len, &t), -EPROTO);
	prog_table__fini(&t);
}

static void progs_with_map_ids(void **state)
{
	const uint32_t a[] = {5, 7}, b[] = {7};
	struct prog_table t = {};
	struct stream s = {};

	(void)state;
	put_prog(&s, 10, "a", a, 2);
	put_prog(&s, 11, "nomaps", NULL, 0);
	put_prog(&s, 12, "b", b, 1);
	assert_int_equal(records_decode_progs(s.bytes, s.len, &t), 0);
	assert_int_equal(t.nr, 3);
	assert_int_equal(t.nr_map_ids, 3);
	assert_int_equal(t.progs[0].rec.nr_map_ids, 2);
	assert_int_equal(t.map_ids[t.progs[0].first_map_id + 1], 7);
	assert_int_equal(t.map_ids[t.progs[2].first_map_id], 7);
	prog_table__fini(&t);
}

static void progs_torn_stream_rejected(void **state)
{
	const uint32_t ids[] = {1, 2, 3};
	struct prog_table t = {};
	struct stream s = {};

	(void)state;
	put_prog(&s, 1, "p", ids, 3);
	/* ids cut short */
	assert_int_equal(records_decode_progs(s.bytes, s.len - 2, &t), -EPROTO);
	/* header cut short */
	assert_int_equal(records_decode_progs(s.bytes, 10, &t), -EPROTO);
	prog_table__fini(&t);
}

static void progs_absurd_count_rejected(void **state)
{
	struct bpfmap_prog_record rec = {.id = 1, .nr_map_ids = BPFMAP_MAX_PROG_MAPS + 1};
	struct prog_table t = {};

	(void)state;
	assert_int_equal(records_decode_progs(&rec, sizeof(rec), &t), -EPROTO);
	prog_table__fini(&t);
}

static void join_sorted_by_map_then_name(void **state)
{
	const uint32_t z[] = {7, 5}, a[] = {7, 0}, m[] = {7};
	struct map_use_index idx = {};
	struct prog_table t = {};
	struct stream s = {};
	size_t first, n;

	(void)state;
	put_prog(&s, 29, "mid", m, 1);
	put_prog(&s, 30, "zeta", z, 2);
	put_prog(&s, 31, "alpha", a, 2); /* id 0: a slot that vanished while read */
	assert_int_equal(records_decode_progs(s.bytes, s.len, &t), 0);
	assert_int_equal(map_use_index__build(&idx, &t), 0);
	assert_int_equal(idx.nr, 4); /* the id 0 slot is skipped */

	n = map_use_index__find(&idx, 7, &first);
	assert_int_equal(n, 3);
	assert_string_equal(t.progs[idx.uses[first].prog_index].rec.name, "alpha");
	assert_string_equal(t.progs[idx.uses[first + 1].prog_index].rec.name, "mid");
	assert_string_equal(t.progs[idx.uses[first + 2].prog_index].rec.name, "zeta");

	n = map_use_index__find(&idx, 5, &first);
	assert_int_equal(n, 1);
	assert_int_equal(t.progs[idx.uses[first].prog_index].rec.id, 30);

	assert_int_equal(map_use_index__find(&idx, 6, &first), 0);
	assert_int_equal(map_use_index__find(&idx, 1000, &first), 0);
	map_use_index__fini(&idx);
	prog_table__fini(&t);
}

static void join_of_nothing(void **state)
{
	struct map_use_index idx = {};
	struct prog_table t = {};
	size_t first;

	(void)state;
	/* A host with no programs: nothing allocated, nothing to sort, nothing found. */
	assert_int_equal(records_decode_progs(NULL, 0, &t), 0);
	assert_int_equal(map_use_index__build(&idx, &t), 0);
	assert_int_equal(map_use_index__find(&idx, 1, &first), 0);
	map_use_index__fini(&idx);
	prog_table__fini(&t);
}

static void name_without_nul_is_bounded(void **state)
{
	char raw[BPFMAP_NAME_LEN], out[BPFMAP_NAME_LEN + 1];

	(void)state;
	memset(raw, 'x', sizeof(raw));
	records_name(out, raw);
	assert_int_equal(strlen(out), BPFMAP_NAME_LEN);
}

static void put_link(struct stream *s, uint32_t id, const char *const *names, uint32_t nr)
{
	struct bpfmap_link_record rec = {.id = id, .nr_path_names = nr};

	if (nr)
		rec.target_kind = BPFMAP_LINK_TARGET_CGROUP;
	memset(rec.target, 'x', sizeof(rec.target)); /* no NUL: must be bounded */
	put(s, &rec, sizeof(rec));
	for (uint32_t i = 0; i < nr; i++) {
		struct bpfmap_link_path_name n = {};

		strcpy(n.name, names[i]);
		put(s, &n, sizeof(n));
	}
}

/* Links with and without cgroup names; the path is built root first. */
static void links_with_cgroup_paths(void **state)
{
	static const char *const leaf_first[] = {"c.scope", "b.slice", "a"};
	struct link_table t = {};
	struct stream s = {};
	char path[64];

	(void)state;
	put_link(&s, 4, NULL, 0);
	put_link(&s, 7, leaf_first, 3);
	put_link(&s, 9, leaf_first, 1);
	assert_int_equal(records_decode_links(s.bytes, s.len, &t), 0);
	assert_int_equal(t.nr, 3);
	assert_int_equal(t.links[1].rec.id, 7);
	assert_int_equal(strlen(t.links[0].rec.target), BPFMAP_LINK_TARGET_LEN - 1);
	assert_int_equal(link_path(&t, &t.links[1], path, sizeof(path)), 18);
	assert_string_equal(path, "/a/b.slice/c.scope");
	link_path(&t, &t.links[2], path, sizeof(path));
	assert_string_equal(path, "/c.scope");
	link_path(&t, &t.links[0], path, sizeof(path));
	assert_string_equal(path, "/");
	/* Cut to the buffer, NUL-terminated, the full length returned. */
	assert_int_equal(link_path(&t, &t.links[1], path, 8), 18);
	assert_string_equal(path, "/a/b.sl");

	/* A torn stream, and a count of names no kernel would write. */
	assert_int_equal(records_decode_links(s.bytes, s.len - 1, &t), -EPROTO);
	s.len = 0;
	put_link(&s, 1, leaf_first, 1);
	((struct bpfmap_link_record *)s.bytes)->nr_path_names = BPFMAP_LINK_PATH_DEPTH + 1;
	assert_int_equal(records_decode_links(s.bytes, s.len, &t), -EPROTO);
	assert_int_equal(records_decode_links(NULL, 0, &t), 0);
	assert_int_equal(t.nr, 0);
	link_table__fini(&t);
}

/* Multi-probe links: counted targets, return and session attach types, missed counts. */
static void links_multi_probe_targets(void **state)
{
	static const char *const leaf_first[] = {"bash", "bin", "usr"};
	struct bpfmap_link_record km = {
		.id = 20,
		.type = 8, /* kprobe_multi */
		.target_kind = BPFMAP_LINK_TARGET_KPROBE_MULTI,
		.flags = BPFMAP_LINK_HAS_MISSED,
		.nr_probes = 1200,
		.missed = 7,
	};
	struct bpfmap_link_record um = {
		.id = 21,
		.type = 12, /* uprobe_multi */
		.target_kind = BPFMAP_LINK_TARGET_UPROBE_MULTI,
		.flags = BPFMAP_LINK_PROBE_RETURN,
		.nr_probes = 1,
		.nr_path_names = 3,
	};
	struct link_table t = {};
	struct stream s = {};
	char buf[64];

	(void)state;
	put(&s, &km, sizeof(km));
	put(&s, &um, sizeof(um));
	for (uint32_t i = 0; i < 3; i++) {
		struct bpfmap_link_path_name n = {};

		strcpy(n.name, leaf_first[i]);
		put(&s, &n, sizeof(n));
	}
	assert_int_equal(records_decode_links(s.bytes, s.len, &t), 0);
	assert_int_equal(t.nr, 2);
	assert_int_equal(t.links[0].rec.missed, 7);
	assert_true(t.links[0].rec.flags & BPFMAP_LINK_HAS_MISSED);
	assert_false(t.links[1].rec.flags & BPFMAP_LINK_HAS_MISSED);

	assert_int_equal(link_probe_target(&t, &t.links[0], buf, sizeof(buf)), 14);
	assert_string_equal(buf, "1200 functions");
	assert_string_equal(link_probe_attach_type(&t.links[0].rec), "kprobe_multi");
	assert_int_equal(link_probe_target(&t, &t.links[1], buf, sizeof(buf)), 24);
	assert_string_equal(buf, "/usr/bin/bash (1 offset)");
	assert_string_equal(link_probe_attach_type(&t.links[1].rec), "uretprobe_multi");
	/* Cut to the buffer, NUL-terminated, the full length returned; sized first. */
	assert_int_equal(link_probe_target(&t, &t.links[1], buf, 12), 24);
	assert_string_equal(buf, "/usr/bin/ba");
	assert_int_equal(link_probe_target(&t, &t.links[1], NULL, 0), 24);
	assert_int_equal(link_probe_target(&t, &t.links[1], buf, 16), 24);
	assert_string_equal(buf, "/usr/bin/bash (");

	/* A return probe, one function; sessions (6.17+ attach types) win over flags. */
	t.links[0].rec.flags |= BPFMAP_LINK_PROBE_RETURN;
	t.links[0].rec.nr_probes = 1;
	link_probe_target(&t, &t.links[0], buf, sizeof(buf));
	assert_string_equal(buf, "1 function");
	assert_string_equal(link_probe_attach_type(&t.links[0].rec), "kretprobe_multi");
	t.links[0].rec.flags |= BPFMAP_LINK_HAS_ATTACH_TYPE;
	t.links[0].rec.attach_type = 56;
	assert_string_equal(link_probe_attach_type(&t.links[0].rec), "kprobe_session");
	t.links[1].rec.flags |= BPFMAP_LINK_HAS_ATTACH_TYPE;
	t.links[1].rec.attach_type = 48; /* trace_uprobe_multi */
	assert_string_equal(link_probe_attach_type(&t.links[1].rec), "uretprobe_multi");
	t.links[1].rec.attach_type = 57;
	assert_string_equal(link_probe_attach_type(&t.links[1].rec), "uprobe_session");

	/* The path names torn off: rejected. */
	assert_int_equal(records_decode_links(s.bytes, s.len - 1, &t), -EPROTO);
	link_table__fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(maps_whole_records),
		cmocka_unit_test(maps_partial_record_rejected),
		cmocka_unit_test(maps_out_of_order_rejected),
		cmocka_unit_test(progs_out_of_order_rejected),
		cmocka_unit_test(progs_with_map_ids),
		cmocka_unit_test(progs_torn_stream_rejected),
		cmocka_unit_test(progs_absurd_count_rejected),
		cmocka_unit_test(join_sorted_by_map_then_name),
		cmocka_unit_test(join_of_nothing),
		cmocka_unit_test(name_without_nul_is_bounded),
		cmocka_unit_test(links_with_cgroup_paths),
		cmocka_unit_test(links_multi_probe_targets),
	};

	return cmocka_run_group_tests_name("records", tests, NULL, NULL);
}
