/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The few kernel types the iterators read, declared by hand for CO-RE.
 *
 * Why not a generated vmlinux.h: it would tie the build to the kernel of
 * the build host (a container build may not see one), adds 130k lines to
 * review, and hides what we depend on. With preserve_access_index, libbpf
 * relocates every field below by name against the running kernel's BTF,
 * so offsets that differ between kernels (they do, 6.1 vs 6.18) are fixed
 * at load time. Only fields listed here are read; order does not matter.
 */
#ifndef BPFMAP_KERNEL_TYPES_H
#define BPFMAP_KERNEL_TYPES_H

#include <linux/types.h>
#include <linux/bpf.h> /* enum bpf_map_type, enum bpf_prog_type */

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
	u64 session_id;
	u64 seq_num;
};

struct bpf_map {
	enum bpf_map_type map_type;
	u32 key_size;
	u32 value_size;
	u32 max_entries;
	u32 map_flags;
	u32 id;
	char name[16];
};

struct bpf_prog_aux {
	u32 used_map_cnt;
	u32 id;
	u32 verified_insns; /* 5.16+ */
	u64 load_time;
	struct bpf_map **used_maps;
	char name[16];
};

struct bpf_prog {
	u16 pages; /* fdinfo's memlock is pages * PAGE_SIZE */
	enum bpf_prog_type type;
	u32 len; /* instructions */
	u32 jited_len;
	u8 tag[8];
	struct bpf_prog_aux *aux;
};

/*
 * Map types that keep their own fill figure. Each embeds struct bpf_map
 * as "map"; the iterator steps from the map to its container with
 * bpf_core_field_offset(), so the embedding offset is relocated too.
 */
struct lpm_trie {
	struct bpf_map map;
	unsigned long n_entries; /* entries inserted (not the trie's inner nodes) */
};

struct bpf_queue_stack {
	struct bpf_map map;
	u32 head, tail;
	u32 size; /* max_entries + 1: one slot always stays empty */
};

struct bpf_dtab {
	struct bpf_map map;
	u32 items; /* devmap_hash only */
};

typedef struct {
	int counter;
} atomic_t;

struct bpf_shtab {
	struct bpf_map map;
	atomic_t count; /* sockhash: entries */
};

struct bpf_ringbuf {
	unsigned long consumer_pos;
	unsigned long producer_pos;
};

struct bpf_ringbuf_map {
	struct bpf_map map;
	struct bpf_ringbuf *rb;
};

struct bpf_iter__bpf_map {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
};

struct bpf_iter__bpf_prog {
	struct bpf_iter_meta *meta;
	struct bpf_prog *prog;
};

/* 5.9+: one call per element of the map the link was attached to. */
struct bpf_iter__bpf_map_elem {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
	void *key;
	void *value;
};

#pragma clang attribute pop

#endif /* BPFMAP_KERNEL_TYPES_H */
