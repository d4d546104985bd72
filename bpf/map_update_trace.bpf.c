// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Failed map updates per map, and LRU evictions, for every map on the
 * host (the map_errors collector).
 *
 * One fexit program per update function of the kernel: user space finds
 * the functions in the kernel's BTF, points each slot below at one with
 * bpf_program__set_attach_target() and leaves the others unloaded. Every
 * target has the shape (struct bpf_map *, key, value, u64 flags) -> int
 * or long, so one body serves them all. A successful update costs the
 * trampoline and one compare; only a failure touches the counters.
 *
 * The programs never run for the functions' callers that bypass them:
 * see the README (collector map_errors) for what is and is not seen.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "records.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* (map id, map type, errno) -> failures, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct bpfmap_map_err_key);
	__type(value, __u64);
} map_errs SEC(".maps");

/* Counts that found map_errs full: reported, never silently dropped. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} map_errs_lost SEC(".maps");

/*
 * The exporter's own maps: an update of map_errs is itself traced (it is
 * a per-CPU hash), and must not count itself. Set before attaching.
 */
__u32 self_ids[BPFMAP_MAP_ERR_SELF_MAX];

/*
 * hash_of_maps updates (from the syscall only) are counted where their
 * own function returns, update_fd, when it is attached: some kernels
 * call htab_map_update_elem on the way, others do not.
 */
__u32 hom_by_fd;

static __always_inline void count(struct bpf_map *map, __u16 err, int hom_only)
{
	struct bpfmap_map_err_key key = {};
	__u64 one = 1, *v;
	__u32 zero = 0;

	key.map_type = (__u16)BPF_CORE_READ(map, map_type);
	if ((key.map_type == BPF_MAP_TYPE_HASH_OF_MAPS) != !!hom_only && (hom_only || hom_by_fd))
		return;
	key.map_id = BPF_CORE_READ(map, id);
	for (int i = 0; i < BPFMAP_MAP_ERR_SELF_MAX; i++)
		if (self_ids[i] == key.map_id)
			return;
	key.err = err;
	v = bpf_map_lookup_elem(&map_errs, &key);
	if (v) {
		/* Atomic: a preempted program on this CPU may hold the same slot. */
		__sync_fetch_and_add(v, 1);
		return;
	}
	if (!bpf_map_update_elem(&map_errs, &key, &one, BPF_NOEXIST))
		return;
	v = bpf_map_lookup_elem(&map_errs, &key); /* lost a race to insert it */
	if (!v)
		v = bpf_map_lookup_elem(&map_errs_lost, &zero);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/*
 * The return value is saved from the whole register; a function returning
 * int leaves its upper half undefined, so only the low 32 bits are read.
 */
#define UPDATE_SLOT(n)                                                                     \
	SEC("fexit")                                                                       \
	int BPF_PROG(update_##n, struct bpf_map *map, void *key, void *value, __u64 flags, \
		     __u64 ret)                                                            \
	{                                                                                  \
		int err = (int)ret;                                                        \
                                                                                           \
		if (err < 0 && err > -BPFMAP_ERR_EVICTED)                                  \
			count(map, (__u16)-err, 0);                                        \
		return 0;                                                                  \
	}

UPDATE_SLOT(0)
UPDATE_SLOT(1)
UPDATE_SLOT(2)
UPDATE_SLOT(3)
UPDATE_SLOT(4)
UPDATE_SLOT(5)
UPDATE_SLOT(6)
UPDATE_SLOT(7)
UPDATE_SLOT(8)
UPDATE_SLOT(9)

/* bpf_fd_htab_map_update_elem: hash_of_maps, from the syscall. */
SEC("fexit")
int BPF_PROG(update_fd, struct bpf_map *map, void *map_file, void *key, void *value, __u64 flags,
	     __u64 ret)
{
	int err = (int)ret;

	if (err < 0 && err > -BPFMAP_ERR_EVICTED)
		count(map, (__u16)-err, 1);
	return 0;
}

/*
 * An LRU hash evicts through its del_from_htab callback: the kernel calls
 * it only to take a node from the table to reuse it, and it returns true
 * when it did. arg is the map's struct bpf_htab, whose first member is
 * its struct bpf_map. The result is a bool: only its low byte is read.
 */
SEC("fexit")
int BPF_PROG(lru_evict, void *arg, void *node, __u64 ret)
{
	if ((__u8)ret)
		count((struct bpf_map *)arg, BPFMAP_ERR_EVICTED, 0);
	return 0;
}
