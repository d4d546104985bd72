// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "map_walk.h"

#define BATCH_MIN 256
#define BATCH_MAX (1U << 24) /* elements in one bucket: far beyond any real map */

void map_walk_buf__fini(struct map_walk_buf *b)
{
	free(b->keys);
	free(b->values);
	*b = (struct map_walk_buf){0};
}

/* At least size bytes at *p, grown (never shrunk) across the maps of a scrape. */
static int reserve(void **p, size_t *cap, size_t size)
{
	void *q;

	if (size <= *cap)
		return 0;
	q = realloc(*p, size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = size;
	return 0;
}

/* The bytes one element's value takes in a lookup: per-CPU maps copy every CPU's. */
static int value_bytes(const struct bpfmap_map_record *rec, size_t *size)
{
	size_t value = rec->value_size ? rec->value_size : 1;
	int cpus;

	switch (rec->type) {
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		cpus = libbpf_num_possible_cpus();
		if (cpus < 0)
			return cpus;
		*size = ((value + 7) & ~(size_t)7) * (size_t)cpus;
		return 0;
	default:
		*size = value;
		return 0;
	}
}

int map_walk_batch(struct map_walk_buf *b, const struct bpfmap_map_record *rec, uint64_t *entries)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t key = rec->key_size ? rec->key_size : 1, value;
	uint32_t batch = 0, count, cap = BATCH_MIN;
	uint64_t total = 0;
	bool first = true;
	int map_fd, err;

	err = value_bytes(rec, &value);
	if (err)
		return err;
	map_fd = bpf_map_get_fd_by_id(rec->id);
	if (map_fd < 0)
		return -errno;
	for (;;) {
		err = reserve(&b->keys, &b->keys_size, cap * key);
		if (!err)
			err = reserve(&b->values, &b->values_size, cap * value);
		if (err)
			goto out;
		count = cap;
		/* libbpf returns -errno. The batch token of a hash map is a bucket index. */
		err = bpf_map_lookup_batch(map_fd, first ? NULL : &batch, &batch, b->keys,
					   b->values, &count, &opts);
		if (err == -ENOSPC && count == 0 && cap < BATCH_MAX) {
			/* One bucket holds more than cap elements: retry it with more room. */
			cap *= 2;
			continue;
		}
		if (err && err != -ENOENT)
			goto out;
		total += count;
		first = false;
		if (err) { /* -ENOENT: no bucket left */
			err = 0;
			break;
		}
	}
	*entries = total;
out:
	close(map_fd);
	return err;
}

int map_walk_keys(struct map_walk_buf *b, const struct bpfmap_map_record *rec, uint64_t *entries)
{
	size_t key = rec->key_size ? rec->key_size : 1;
	uint64_t total = 0;
	void *prev = NULL, *next;
	int map_fd, err;

	/* Where the walk stands, the next key, and the first (to notice a restart). */
	err = reserve(&b->keys, &b->keys_size, 3 * key);
	if (err)
		return err;
	map_fd = bpf_map_get_fd_by_id(rec->id);
	if (map_fd < 0)
		return -errno;
	next = b->keys;
	for (;;) {
		err = bpf_map_get_next_key(map_fd, prev, next);
		if (err == -ENOENT) { /* past the last key */
			err = 0;
			break;
		}
		if (err)
			goto out;
		/*
		 * The kernel starts over from the first key when the one we
		 * stand on was deleted: seeing the first key again, or more
		 * keys than fit, means this walk counted some twice.
		 */
		if (total == 0)
			memcpy((char *)b->keys + 2 * key, next, key);
		else if (!memcmp((char *)b->keys + 2 * key, next, key))
			err = -EAGAIN;
		if (!err && ++total > rec->max_entries)
			err = -EAGAIN;
		if (err)
			goto out;
		prev = next;
		next = (char *)b->keys + (next == b->keys ? key : 0);
	}
	*entries = total;
out:
	close(map_fd);
	return err;
}

void map_walk_probe(int *batch_err, int *keys_err)
{
	struct bpfmap_map_record rec = {
		.type = BPF_MAP_TYPE_HASH,
		.key_size = sizeof(uint32_t),
		.value_size = sizeof(uint32_t),
		.max_entries = 1,
	};
	struct bpf_map_info info = {};
	uint32_t info_len = sizeof(info), key = 0, value = 0;
	struct map_walk_buf buf = {0};
	uint64_t entries = 0;
	int fd, err;

	*batch_err = *keys_err = 0;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "bpfmap_probe", rec.key_size, rec.value_size,
			    rec.max_entries, NULL);
	err = fd < 0 ? -errno : bpf_map_update_elem(fd, &key, &value, BPF_ANY);
	if (!err)
		err = bpf_obj_get_info_by_fd(fd, &info, &info_len);
	if (err) {
		*batch_err = *keys_err = err;
		goto out;
	}
	rec.id = info.id;
	/* The map is ours and quiet: anything but its one element is a refusal. */
	*batch_err = map_walk_batch(&buf, &rec, &entries);
	if (!*batch_err && entries != 1)
		*batch_err = -EPROTO;
	*keys_err = map_walk_keys(&buf, &rec, &entries);
	if (!*keys_err && entries != 1)
		*keys_err = -EPROTO;
out:
	map_walk_buf__fini(&buf);
	if (fd >= 0)
		close(fd);
}
