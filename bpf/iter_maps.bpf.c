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
	bpf_probe_read_kernel_str(rec.name, sizeof(rec.name), map->name);

	if (use_kfunc && bpf_map_sum_elem_count && keeps_elem_count(rec.type)) {
		rec.entries = bpf_map_sum_elem_count(map);
		rec.count_method = BPFMAP_COUNT_KFUNC;
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
