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
	enum bpf_prog_type type;
	u32 len; /* instructions */
	u32 jited_len;
	u8 tag[8];
	struct bpf_prog_aux *aux;
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

/* ---- iter/task_file (owners) ---- */

struct bpf_link {
	u32 id;
	struct bpf_prog *prog;
};

struct kernfs_node {
	struct kernfs_node *__parent; /* 6.15+ */
	const char *name;
	u64 id; /* the cgroup id, 5.5+ */
};

/* Before 6.15 the parent pointer was called "parent". */
struct kernfs_node___pre_6_15 {
	struct kernfs_node *parent;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct css_set {
	struct cgroup *dfl_cgrp;
};

struct pid {
	unsigned int level; /* 0 in the initial PID namespace */
};

struct task_struct {
	int tgid;
	char comm[16];
	struct task_struct *group_leader;
	struct css_set *cgroups;
	struct pid *thread_pid;
};

struct qstr {
	const unsigned char *name;
};

struct dentry {
	struct qstr d_name;
};

struct path {
	struct dentry *dentry;
};

struct file {
	struct path f_path;
	void *private_data;
};

struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	u32 fd;
	struct file *file;
};

#pragma clang attribute pop

#endif /* BPFMAP_KERNEL_TYPES_H */
