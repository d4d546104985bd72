// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One bpfmap_map_record per BPF map on the host. */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "records.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * 6.6+: sums the per-CPU element counters that hash maps keep. User
 * space loads dump_map_kfunc only where the kernel's BTF has it, and
 * dump_bpf_map elsewhere: kernels before 5.18 reject any call to an
 * unresolved kfunc, even dead code. Weak, so the object still opens.
 */
extern s64 bpf_map_sum_elem_count(const struct bpf_map *map) __ksym __weak;

/* Map types whose kernel implementation maintains map->elem_count. */
static __always_inline int keeps_elem_count(enum bpf_map_type type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		return 1;
	default:
		return 0;
	}
}

/* The struct of type t that embeds map as its member "map" (CO-RE: offset relocated). */
#define map_container(map, t) ((struct t *)((void *)(map)-bpf_core_field_offset(struct t, map)))

/*
 * Map types whose implementation keeps its own fill figure: the count,
 * and for ring buffers the producer and consumer positions. A type this
 * kernel lacks (or lays out differently) is left without one.
 */
static __always_inline void own_counts(struct bpf_map *map, struct bpfmap_map_record *rec)
{
	switch (rec->type) {
	case BPF_MAP_TYPE_LPM_TRIE:
		if (!bpf_core_field_exists(struct lpm_trie, n_entries))
			return;
		rec->entries = BPF_CORE_READ(map_container(map, lpm_trie), n_entries);
		break;
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK: {
		struct bpf_queue_stack *qs = map_container(map, bpf_queue_stack);
		__u32 head, tail, size;

		if (!bpf_core_field_exists(struct bpf_queue_stack, size))
			return;
		/* Read without the map's lock: a snapshot, as the kfunc's sum is. */
		head = BPF_CORE_READ(qs, head);
		tail = BPF_CORE_READ(qs, tail);
		size = BPF_CORE_READ(qs, size);
		if (!size || head >= size || tail >= size)
			return;
		rec->entries = head >= tail ? head - tail : head + size - tail;
		break;
	}
	case BPF_MAP_TYPE_DEVMAP_HASH:
		if (!bpf_core_field_exists(struct bpf_dtab, items))
			return;
		rec->entries = BPF_CORE_READ(map_container(map, bpf_dtab), items);
		break;
	case BPF_MAP_TYPE_SOCKHASH:
		if (!bpf_core_field_exists(struct bpf_shtab, count))
			return;
		rec->entries = BPF_CORE_READ(map_container(map, bpf_shtab), count.counter);
		break;
	case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF: {
		struct bpf_ringbuf *rb;

		if (!bpf_core_field_exists(struct bpf_ringbuf_map, rb))
			return;
		rb = BPF_CORE_READ(map_container(map, bpf_ringbuf_map), rb);
		if (!rb)
			return;
		/* Consumer first: the producer is then never behind it. */
		rec->ring_consumer_pos = BPF_CORE_READ(rb, consumer_pos);
		rec->ring_producer_pos = BPF_CORE_READ(rb, producer_pos);
		rec->rec_flags |= BPFMAP_MAP_HAS_RING_POS;
		return; /* a byte count, not entries */
	}
	default:
		return;
	}
	rec->count_method = BPFMAP_COUNT_OWN;
}

static __always_inline int dump_map(struct bpf_iter__bpf_map *ctx, int use_kfunc)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_map *map = ctx->map;
	struct bpfmap_map_record rec = {};

	if (!map)
		return 0;

	rec.id = map->id;
	rec.type = map->map_type;
	rec.key_size = map->key_size;
	rec.value_size = map->value_size;
	rec.max_entries = map->max_entries;
	rec.flags = map->map_flags;
	/* Direct loads: the kernel zero-fills the name, so no string helper is needed. */
	__builtin_memcpy(rec.name, map->name, sizeof(rec.name));

	if (use_kfunc && bpf_map_sum_elem_count && keeps_elem_count(rec.type)) {
		rec.entries = bpf_map_sum_elem_count(map);
		rec.count_method = BPFMAP_COUNT_KFUNC;
	} else {
		own_counts(map, &rec);
	}

	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}

SEC("iter/bpf_map")
int dump_bpf_map(struct bpf_iter__bpf_map *ctx)
{
	return dump_map(ctx, 0);
}

SEC("iter/bpf_map")
int dump_map_kfunc(struct bpf_iter__bpf_map *ctx)
{
	return dump_map(ctx, 1);
}
