// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "records_decode.h"

int records_decode_maps(const void *buf, size_t len, struct map_table *out)
{
	size_t n = len / sizeof(struct bpfmap_map_record);
	int err;

	out->nr = 0;
	if (len % sizeof(struct bpfmap_map_record))
		return -EPROTO;
	err = grow_array((void **)&out->maps, &out->cap, n, sizeof(*out->maps));
	if (err)
		return err;
	if (n)
		memcpy(out->maps, buf, n * sizeof(*out->maps));
	/* The iterator walks ids upwards: the joins size their buffers on it. */
	for (size_t i = 1; i < n; i++)
		if (out->maps[i].id <= out->maps[i - 1].id)
			return -EPROTO;
	out->nr = n;
	return 0;
}

int records_decode_progs(const void *buf, size_t len, struct prog_table *out)
{
	const unsigned char *p = buf, *end = p + len;
	int err;

	out->nr = 0;
	out->nr_map_ids = 0;
	while (p < end) {
		struct prog_entry *e;
		size_t ids_len;

		if ((size_t)(end - p) < sizeof(struct bpfmap_prog_record))
			return -EPROTO;
		err = grow_array((void **)&out->progs, &out->cap, out->nr + 1, sizeof(*out->progs));
		if (err)
			return err;
		e = &out->progs[out->nr];
		memcpy(&e->rec, p, sizeof(e->rec));
		p += sizeof(e->rec);
		/* Ascending, as the iterator walks them: programs are found by bisection. */
		if (out->nr && e->rec.id <= out->progs[out->nr - 1].rec.id)
			return -EPROTO;

		if (e->rec.nr_map_ids > BPFMAP_MAX_PROG_MAPS)
			return -EPROTO;
		ids_len = (size_t)e->rec.nr_map_ids * sizeof(uint32_t);
		if ((size_t)(end - p) < ids_len)
			return -EPROTO;
		err = grow_array((void **)&out->map_ids, &out->cap_map_ids,
				 out->nr_map_ids + e->rec.nr_map_ids, sizeof(*out->map_ids));
		if (err)
			return err;
		e->first_map_id = out->nr_map_ids;
		if (ids_len)
			memcpy(out->map_ids + out->nr_map_ids, p, ids_len);
		out->nr_map_ids += e->rec.nr_map_ids;
		p += ids_len;
		out->nr++;
	}
	return 0;
}

int records_decode_links(const void *buf, size_t len, struct link_table *out)
{
	const unsigned char *p = buf, *end = p + len;
	int err;

	out->nr = 0;
	out->nr_names = 0;
	while (p < end) {
		struct link_entry *e;
		size_t names_len;

		if ((size_t)(end - p) < sizeof(struct bpfmap_link_record))
			return -EPROTO;
		err = grow_array((void **)&out->links, &out->cap, out->nr + 1, sizeof(*out->links));
		if (err)
			return err;
		e = &out->links[out->nr];
		memcpy(&e->rec, p, sizeof(e->rec));
		p += sizeof(e->rec);
		/* Strings from the kernel are NUL-terminated there; trust nothing. */
		e->rec.ifname[BPFMAP_IFNAME_LEN - 1] = '\0';
		e->rec.target[BPFMAP_LINK_TARGET_LEN - 1] = '\0';

		if (e->rec.nr_path_names > BPFMAP_LINK_PATH_DEPTH)
			return -EPROTO;
		names_len = (size_t)e->rec.nr_path_names * sizeof(struct bpfmap_link_path_name);
		if ((size_t)(end - p) < names_len)
			return -EPROTO;
		err = grow_array((void **)&out->names, &out->cap_names,
				 out->nr_names + e->rec.nr_path_names, sizeof(*out->names));
		if (err)
			return err;
		e->first_name = out->nr_names;
		if (names_len)
			memcpy(out->names + out->nr_names, p, names_len);
		for (uint32_t i = 0; i < e->rec.nr_path_names; i++)
			out->names[out->nr_names + i].name[BPFMAP_LINK_PATH_NAME_LEN - 1] = '\0';
		out->nr_names += e->rec.nr_path_names;
		p += names_len;
		out->nr++;
	}
	return 0;
}

size_t link_path(const struct link_table *t, const struct link_entry *e, char *out, size_t size)
{
	size_t len = 0;

	if (size)
		out[0] = '\0';
	if (!e->rec.nr_path_names)
		return (size_t)snprintf(out, size, "/");
	/* Names are leaf first: the path is written from the last one. */
	for (uint32_t i = e->rec.nr_path_names; i-- > 0;) {
		const char *name = t->names[e->first_name + i].name;
		int n = snprintf(len < size ? out + len : NULL, len < size ? size - len : 0, "/%s",
				 name);

		if (n > 0)
			len += (size_t)n;
	}
	return len;
}

size_t link_probe_target(const struct link_table *t, const struct link_entry *e, char *out,
			 size_t size)
{
	const struct bpfmap_link_record *rec = &e->rec;
	const char *plural = rec->nr_probes == 1 ? "" : "s";
	size_t len;
	int n;

	if (rec->target_kind != BPFMAP_LINK_TARGET_UPROBE_MULTI)
		return (size_t)snprintf(out, size, "%u function%s", rec->nr_probes, plural);
	len = link_path(t, e, out, size);
	n = snprintf(len < size ? out + len : NULL, len < size ? size - len : 0, " (%u offset%s)",
		     rec->nr_probes, plural);
	return len + (n > 0 ? (size_t)n : 0);
}

#define ATTACH_KPROBE_SESSION 56 /* BPF_TRACE_KPROBE_SESSION */
#define ATTACH_UPROBE_SESSION 57 /* BPF_TRACE_UPROBE_SESSION */

const char *link_probe_attach_type(const struct bpfmap_link_record *rec)
{
	bool ret = rec->flags & BPFMAP_LINK_PROBE_RETURN;
	bool session = (rec->flags & BPFMAP_LINK_HAS_ATTACH_TYPE) &&
		       (rec->attach_type == ATTACH_KPROBE_SESSION ||
			rec->attach_type == ATTACH_UPROBE_SESSION);

	if (rec->target_kind == BPFMAP_LINK_TARGET_KPROBE_MULTI)
		return session ? "kprobe_session" : ret ? "kretprobe_multi" : "kprobe_multi";
	return session ? "uprobe_session" : ret ? "uretprobe_multi" : "uprobe_multi";
}

static int cmp_use(const void *a, const void *b, void *arg)
{
	const struct map_use *x = a, *y = b;
	const struct prog_table *progs = arg;
	const struct bpfmap_prog_record *px, *py;
	int c;

	if (x->map_id != y->map_id)
		return x->map_id < y->map_id ? -1 : 1;
	px = &progs->progs[x->prog_index].rec;
	py = &progs->progs[y->prog_index].rec;
	c = strncmp(px->name, py->name, BPFMAP_NAME_LEN);
	if (c)
		return c;
	return px->id < py->id ? -1 : px->id > py->id;
}

int map_use_index__build(struct map_use_index *idx, const struct prog_table *progs)
{
	int err;

	idx->nr = 0;
	err = grow_array((void **)&idx->uses, &idx->cap, progs->nr_map_ids, sizeof(*idx->uses));
	if (err)
		return err;
	for (size_t i = 0; i < progs->nr; i++) {
		const struct prog_entry *e = &progs->progs[i];

		for (uint32_t j = 0; j < e->rec.nr_map_ids; j++) {
			uint32_t id = progs->map_ids[e->first_map_id + j];

			if (!id)
				continue;
			idx->uses[idx->nr].map_id = id;
			idx->uses[idx->nr].prog_index = i;
			idx->nr++;
		}
	}
	if (idx->nr) /* qsort on an empty, possibly NULL array is undefined */
		qsort_r(idx->uses, idx->nr, sizeof(*idx->uses), cmp_use, (void *)progs);
	return 0;
}

size_t map_use_index__find(const struct map_use_index *idx, uint32_t map_id, size_t *first)
{
	size_t lo = 0, hi = idx->nr, end;

	while (lo < hi) { /* lower bound of map_id */
		size_t mid = lo + (hi - lo) / 2;

		if (idx->uses[mid].map_id < map_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < idx->nr && idx->uses[end].map_id == map_id; end++)
		;
	*first = lo;
	return end - lo;
}

void map_table__fini(struct map_table *t)
{
	free(t->maps);
	memset(t, 0, sizeof(*t));
}

void prog_table__fini(struct prog_table *t)
{
	free(t->progs);
	free(t->map_ids);
	memset(t, 0, sizeof(*t));
}

void link_table__fini(struct link_table *t)
{
	free(t->links);
	free(t->names);
	memset(t, 0, sizeof(*t));
}

void map_use_index__fini(struct map_use_index *idx)
{
	free(idx->uses);
	memset(idx, 0, sizeof(*idx));
}

void records_name(char out[BPFMAP_NAME_LEN + 1], const char name[BPFMAP_NAME_LEN])
{
	memcpy(out, name, BPFMAP_NAME_LEN);
	out[BPFMAP_NAME_LEN] = '\0';
}
