// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Who holds which BPF object: for every open file that is a BPF map,
 * program or link, the holding task (described once, with its cgroup
 * path) and the object's id. Record layout in records.h.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "records.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Per read session (meta->session_id): the task described last, so a task
 * holding many objects is described once. Concurrent readers have their
 * own sessions; a lost entry only makes the task be described again.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} sessions SEC(".maps");

/*
 * BPF files are anon-inode files whose dentry is named after the object
 * kind ("bpf-map", "bpf-prog", "bpf_link" or "bpf-link"). Reading the name needs no kernel symbol (comparing f_op with
 * &bpf_map_fops needs CONFIG_KALLSYMS_ALL, which many kernels lack).
 */
/* name equals want (8 characters): compared through the terminating NUL. */
static __always_inline int name_is(const char *name, const char *want)
{
#pragma unroll
	for (int i = 0; i < 9; i++) {
		if (name[i] != want[i])
			return 0;
	}
	return 1;
}

static __always_inline __u32 file_kind(struct file *file)
{
	const unsigned char *p = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	char name[16] = {};

	if (!p || bpf_probe_read_kernel_str(name, 10, p) < 0)
		return 0;
	if (name_is(name, "bpf-map\0"))
		return BPFMAP_OBJ_MAP;
	if (name_is(name, "bpf-prog"))
		return BPFMAP_OBJ_PROG;
	/* A new link's file is "bpf_link"; one opened from a pin or by id is "bpf-link". */
	if (name_is(name, "bpf_link") || name_is(name, "bpf-link"))
		return BPFMAP_OBJ_LINK;
	return 0;
}

/*
 * kernfs_node.parent became __parent in 6.15. Each spelling is read in its
 * own subprogram: inlined, clang computes both field addresses before the
 * bpf_core_field_exists() branch, and the verifier then meets the
 * relocation libbpf poisoned for the missing field (seen on 6.1 and 6.12).
 * A call the branch skips is never verified.
 */
static __noinline struct kernfs_node *kn_parent_6_15(struct kernfs_node *kn)
{
	return BPF_CORE_READ(kn, __parent);
}

static __noinline struct kernfs_node *kn_parent_pre_6_15(struct kernfs_node___pre_6_15 *kn)
{
	return BPF_CORE_READ(kn, parent);
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return kn_parent_6_15(kn);
	return kn_parent_pre_6_15((struct kernfs_node___pre_6_15 *)kn);
}

/* The task record and its cgroup names; 0 if every write went through. */
static __always_inline int describe_task(struct seq_file *seq, struct task_struct *task)
{
	struct bpfmap_owner_task_record rec = {.rec_type = BPFMAP_OWNER_REC_TASK};
	struct bpfmap_owner_name_record name = {.rec_type = BPFMAP_OWNER_REC_NAME};
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct kernfs_node *kn, *leaf;
	__u32 depth = 0, i;
	int err;

	rec.tgid = BPF_CORE_READ(task, tgid);
	bpf_probe_read_kernel_str(rec.comm, sizeof(rec.comm), leader ? leader->comm : task->comm);
	leaf = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	if (leaf)
		rec.cgroup_id = BPF_CORE_READ(leaf, id);

	/* Count the levels below the root first: the header says how many follow. */
	kn = leaf;
	for (i = 0; i < BPFMAP_CGROUP_MAX_DEPTH && kn; i++) {
		kn = kn_parent(kn);
		if (kn)
			depth++;
	}
	if (kn && kn_parent(kn))
		rec.flags |= BPFMAP_TASK_CGROUP_TRUNCATED;
	rec.nr_names = depth;
	err = bpf_seq_write(seq, &rec, sizeof(rec));

	kn = leaf;
	for (i = 0; i < BPFMAP_CGROUP_MAX_DEPTH && i < depth; i++) {
		const char *p = kn ? BPF_CORE_READ(kn, name) : NULL;

		name.name[0] = '\0';
		if (p)
			bpf_probe_read_kernel_str(name.name, sizeof(name.name), p);
		err |= bpf_seq_write(seq, &name, sizeof(name));
		if (kn)
			kn = kn_parent(kn);
	}
	return err;
}

/* After the last file: closes the stream and says who read it. */
static __always_inline void end_stream(struct seq_file *seq, __u64 session)
{
	struct bpfmap_owner_end_record end = {.rec_type = BPFMAP_OWNER_REC_END};
	struct task_struct *reader = (struct task_struct *)bpf_get_current_task();

	end.reader_tgid = bpf_get_current_pid_tgid() >> 32;
	end.reader_pidns_level = BPF_CORE_READ(reader, thread_pid, level);
	bpf_seq_write(seq, &end, sizeof(end));
	bpf_map_delete_elem(&sessions, &session);
}

SEC("iter/task_file")
int dump_task_file(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	__u64 session = ctx->meta->session_id;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct bpfmap_owner_fd_record rec = {.rec_type = BPFMAP_OWNER_REC_FD};
	__u64 task_key, *last;
	void *obj;
	int err = 0;

	if (!task) {
		end_stream(seq, session);
		return 0;
	}
	if (!file)
		return 0;
	rec.kind = file_kind(file);
	if (!rec.kind)
		return 0;

	obj = BPF_CORE_READ(file, private_data);
	if (!obj)
		return 0;
	switch (rec.kind) {
	case BPFMAP_OBJ_MAP:
		rec.id = BPF_CORE_READ((struct bpf_map *)obj, id);
		break;
	case BPFMAP_OBJ_PROG:
		rec.id = BPF_CORE_READ((struct bpf_prog *)obj, aux, id);
		break;
	default: {
		struct bpf_prog *prog = BPF_CORE_READ((struct bpf_link *)obj, prog);

		rec.id = BPF_CORE_READ((struct bpf_link *)obj, id);
		if (prog)
			rec.prog_id = BPF_CORE_READ(prog, aux, id);
	}
	}
	rec.tgid = BPF_CORE_READ(task, tgid);
	rec.fd = ctx->fd;

	task_key = (__u64)(unsigned long)task;
	last = bpf_map_lookup_elem(&sessions, &session);
	if (!last || *last != task_key)
		err = describe_task(seq, task);
	err |= bpf_seq_write(seq, &rec, sizeof(rec));
	/*
	 * A call whose output overflowed the buffer is discarded and run again
	 * by the kernel: only a call that went through may skip the description.
	 */
	if (!err)
		bpf_map_update_elem(&sessions, &session, &task_key, BPF_ANY);
	return 0;
}
