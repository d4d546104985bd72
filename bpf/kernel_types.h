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
	u32 attach_btf_id; /* tracing: the BTF id of its target, as loaded */
	const char *attach_func_name; /* tracing: its target function, as loaded */
	struct btf *btf; /* the program's own BTF */
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
	enum bpf_attach_type expected_attach_type;
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

/* ---- iter/task_file (owners), iter/bpf_link ---- */

struct bpf_link {
	u32 id;
	enum bpf_link_type type;
	struct bpf_prog *prog;
	u32 flags; /* link_create's flags, newer kernels; before, in some link types */
	enum bpf_attach_type attach_type; /* 6.17+; before, in some link types */
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

struct net;

/* NULL once the task has exited (exit_task_namespaces). */
struct nsproxy {
	struct net *net_ns;
};

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
	struct task_struct *group_leader;
	struct css_set *cgroups;
	struct pid *thread_pid;
	struct nsproxy *nsproxy;
};

struct qstr {
	const unsigned char *name;
};

struct super_block {
	unsigned long s_magic;
};

struct dentry {
	struct dentry *d_parent; /* itself at the root of its file system */
	struct qstr d_name;
	struct super_block *d_sb;
};

struct vfsmount {
	struct dentry *mnt_root;
};

/* A mount: embeds the vfsmount a struct path names, as "mnt". */
struct mount {
	struct mount *mnt_parent; /* itself at the root of its mount namespace */
	struct dentry *mnt_mountpoint; /* where it is mounted, in the parent */
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file_operations {
	void *owner;
};

struct inode {
	unsigned long i_ino;
};

struct file {
	const struct file_operations *f_op;
	struct inode *f_inode;
	struct path f_path;
	void *private_data;
};

struct list_head {
	struct list_head *next;
};

/*
 * Kprobe events (kernel/trace/trace_kprobe.c, trace_probe.h), for their
 * missed count: a perf event's trace_event_call is embedded in a
 * trace_probe_event, whose probes list holds trace_probes, each embedded
 * in a trace_kprobe. Kernels without kprobe events have none of these.
 */
struct trace_event {
	int type; /* the event's id (tracefs ".../id"); 0 for a kprobe the PMU made */
};

struct trace_event_call {
	struct trace_event event;
	int flags; /* TRACE_EVENT_FL_*: an anonymous enum, so its values come from user space */
};

struct trace_probe_event {
	struct trace_event_call call;
	struct list_head probes; /* of struct trace_probe, by list: the first is the primary */
};

struct trace_probe {
	struct list_head list;
	struct trace_probe_event *event;
};

struct kprobe {
	unsigned long nmissed; /* hits while a kprobe handler ran (recursion) */
};

struct kretprobe {
	struct kprobe kp;
	void *handler; /* set for a return probe only */
	int nmissed; /* returns not probed: no free instance (maxactive) */
};

struct trace_kprobe {
	struct kretprobe rp; /* rp.kp for an entry probe */
	struct trace_probe tp;
};

/* A perf event file's private_data; prog is set by PERF_EVENT_IOC_SET_BPF or a perf_event link. */
struct perf_event {
	u64 id;
	struct bpf_prog *prog;
	struct trace_event_call *tp_event; /* trace events (tracepoints, k/uprobes) only */
};

struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	u32 fd;
	struct file *file;
};

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
};

/* --- links (iter/bpf_link, 5.19+) --- */

struct ns_common {
	unsigned int inum;
};

struct net {
	struct ns_common ns;
};

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	char name[16];
	int ifindex;
	possible_net_t nd_net;
};

struct bpf_cgroup_link {
	struct bpf_link link;
	struct cgroup *cgroup;
};

struct bpf_cgroup_link___pre_6_17 {
	enum bpf_attach_type type;
};

struct bpf_xdp_link {
	struct bpf_link link;
	struct net_device *dev;
};

struct tcx_link { /* 6.6+ */
	struct bpf_link link;
	struct net_device *dev;
};

struct netkit_link { /* 6.7+ */
	struct bpf_link link;
	struct net_device *dev;
};

/* tcx and netkit links before 6.17: the attach type, as "location". */
struct tcx_link___pre_6_17 {
	u32 location;
};

struct bpf_tramp_link {
	struct bpf_link link;
};

/* key: (the target program's id << 32) | the target's BTF id, for a program target. */
struct bpf_trampoline {
	u64 key;
};

struct bpf_tracing_link {
	struct bpf_tramp_link link;
	struct bpf_trampoline *trampoline; /* 5.10+ */
	struct bpf_prog *tgt_prog;
};

/* A program's BTF, to name the function a tracing link targets in it. */
struct btf_type {
	u32 name_off;
};

struct btf {
	struct btf_type **types;
	const char *strings;
	u32 nr_types;
	u32 start_id; /* split BTF (5.11+): a module's; a program's starts at 0 */
};

struct bpf_tracing_link___pre_6_17 {
	enum bpf_attach_type attach_type;
};

struct tracepoint {
	const char *name;
};

struct bpf_raw_event_map {
	struct tracepoint *tp;
};

struct bpf_raw_tp_link {
	struct bpf_link link;
	struct bpf_raw_event_map *btp;
};

struct nf_hook_ops {
	u8 pf;
	unsigned int hooknum;
	int priority;
};

struct bpf_nf_link { /* 6.4+ */
	struct bpf_link link;
	struct nf_hook_ops hook_ops;
	struct net *net;
};

struct bpf_iter_reg {
	const char *target;
};

struct bpf_iter_target_info {
	const struct bpf_iter_reg *reg_info;
};

struct bpf_iter_link {
	struct bpf_link link;
	struct bpf_iter_target_info *tinfo;
};

struct bpf_netns_link {
	struct bpf_link link;
	struct net *net;
};

struct bpf_netns_link___pre_6_17 {
	enum bpf_attach_type type;
};

struct bpf_perf_link { /* 5.15+ */
	struct bpf_link link;
	struct file *perf_file;
};

/* fprobe (5.18+, CONFIG_FPROBE): what kprobe_multi links are made of. */
struct fprobe {
	unsigned long nmissed; /* hits not handed to the handler (recursion, no rethook) */
	void *exit_handler; /* kprobe_multi sets it for return probes only (before sessions) */
};

struct bpf_kprobe_multi_link {
	struct bpf_link link;
	struct fprobe fp;
	u32 cnt; /* functions */
	u32 flags; /* BPF_F_KPROBE_MULTI_RETURN, some kernels; others keep it in bpf_link */
};

struct uprobe_consumer {
	void *ret_handler; /* uprobe_multi sets it for return probes only (before sessions) */
};

struct bpf_uprobe {
	struct uprobe_consumer consumer;
};

struct bpf_uprobe_multi_link { /* 6.6+ */
	struct path path; /* the probed file */
	struct bpf_link link;
	u32 cnt; /* offsets */
	u32 flags; /* BPF_F_UPROBE_MULTI_RETURN, some kernels; others keep it in bpf_link */
	struct bpf_uprobe *uprobes; /* cnt of them */
};

struct bpf_iter__bpf_link {
	struct bpf_iter_meta *meta;
	struct bpf_link *link;
};

#pragma clang attribute pop

#endif /* BPFMAP_KERNEL_TYPES_H */
