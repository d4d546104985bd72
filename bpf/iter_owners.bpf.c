// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Who holds which BPF object: for every open file that is a BPF map,
 * program or link, the holding task (described once, with its cgroup
 * path) and the object's id; and every perf event file that carries a
 * BPF program (kprobes, uprobes, tracepoints attached through perf
 * events), for user space to ask where it is attached. Record layout in
 * records.h.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "records.h"
#include "cgroup_path.bpf.h"
#include "owners_end.bpf.h"
#include "kprobe_missed.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Per read session (meta->session_id): the task described last, so a task
 * holding many objects is described once. Kept in one of two places, each
 * variant creating only its own (see load_owners_variant in src/kernel/iter.c):
 *
 * - dump_task_file_cast: the reading thread's task storage (5.11+, so on
 *   every kernel with bpf_rdonly_cast): no hashing, nothing to clean up.
 *   A thread that reads two sessions by turns only has tasks described
 *   again, as the session id is checked too.
 * - dump_task_file: an LRU hash keyed by session. Concurrent readers have
 *   their own sessions; a lost entry only has a task described again.
 */
struct last_task {
	__u64 session;
	__u64 task;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct last_task);
} readers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} sessions SEC(".maps");

/*
 * BPF files are anon-inode files whose dentry is named after the object
 * kind ("bpf-map", "bpf-prog", "bpf_link" or "bpf-link"). Reading the name
 * needs no kernel symbol (comparing f_op with &bpf_map_fops needs
 * CONFIG_KALLSYMS_ALL, which many kernels lack).
 *
 * This runs for every open file on the host, so it costs one helper call:
 * the pointers are loaded directly (the file is a trusted BTF pointer) and
 * the name is read as two little-endian words. Names this short live in
 * the dentry's inline buffer, which is longer than 16 bytes.
 */
#define WORD(a, b, c, d, e, f, g, h)                                                             \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | \
	 (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)

static __always_inline __u32 name_kind(struct dentry *dentry)
{
	const unsigned char *p = dentry->d_name.name;
	__u64 name[2];

	if (!p || bpf_probe_read_kernel(name, sizeof(name), p) < 0)
		return 0;
	if (name[0] == WORD('b', 'p', 'f', '-', 'm', 'a', 'p', 0))
		return BPFMAP_OBJ_MAP;
	/* perf_event_open()'s file: "[perf_event]", 12 characters. */
	if (name[0] == WORD('[', 'p', 'e', 'r', 'f', '_', 'e', 'v') &&
	    (name[1] & 0xffffffffffULL) == WORD('e', 'n', 't', ']', 0, 0, 0, 0))
		return BPFMAP_OBJ_PERF_EVENT;
	/* The other three names are 8 characters: the terminating NUL follows. */
	if ((name[1] & 0xff) != 0)
		return 0;
	if (name[0] == WORD('b', 'p', 'f', '-', 'p', 'r', 'o', 'g'))
		return BPFMAP_OBJ_PROG;
	/* A new link's file is "bpf_link"; one opened from a pin or by id is "bpf-link". */
	if (name[0] == WORD('b', 'p', 'f', '_', 'l', 'i', 'n', 'k') ||
	    name[0] == WORD('b', 'p', 'f', '-', 'l', 'i', 'n', 'k'))
		return BPFMAP_OBJ_LINK;
	return 0;
}

/* A file named like a BPF object on a real file system is not one. */
#define ANON_INODE_FS_MAGIC 0x09041934

/*
 * Learned from files the name check recognised: the inode every anon-inode
 * file shares and the f_op of each kind (two slots for links: some kernels
 * give links with a poll method their own file_operations). Kernel data
 * that never moves, so what one read learns holds for every later one:
 * a BPF file is then recognised from its struct file alone, and other
 * files are turned away without touching their dentry.
 */
#define LEARNED_FOPS 5
static const void *learned_anon_inode;
static const void *learned_fops[LEARNED_FOPS];

/* Slot i holds: 0 maps, 1 programs, 2 and 3 links, 4 perf events. */
static __always_inline __u32 learned_kind(int i)
{
	return i == 0	? BPFMAP_OBJ_MAP
	       : i == 1 ? BPFMAP_OBJ_PROG
	       : i == 4 ? BPFMAP_OBJ_PERF_EVENT
			: BPFMAP_OBJ_LINK;
}

static __always_inline void learn(const void *f_op, const void *inode, __u32 kind)
{
	learned_anon_inode = inode;
#pragma unroll
	for (int i = 0; i < LEARNED_FOPS; i++) {
		if (learned_kind(i) != kind)
			continue;
		if (learned_fops[i] == f_op)
			return;
		if (!learned_fops[i]) {
			learned_fops[i] = f_op;
			return;
		}
	}
}

static __always_inline __u32 file_kind(struct file *file)
{
	const void *f_op = file->f_op, *inode = file->f_inode;
	struct dentry *dentry;
	struct super_block *sb;
	__u32 kind;

	if (learned_anon_inode && inode != learned_anon_inode)
		return 0;
#pragma unroll
	for (int i = 0; i < LEARNED_FOPS; i++) {
		if (f_op && f_op == learned_fops[i])
			return learned_kind(i);
	}
	/*
	 * Not learned yet, or another anon-inode file (eventfd, epoll, ...).
	 * Only now the path: since 6.11 it sits in a cache line of its own.
	 */
	dentry = file->f_path.dentry;
	if (!dentry)
		return 0;
	kind = name_kind(dentry);
	if (!kind)
		return 0;
	sb = dentry->d_sb;
	if (!sb || sb->s_magic != ANON_INODE_FS_MAGIC)
		return 0;
	learn(f_op, inode, kind);
	return kind;
}

/* The task record and its cgroup names; 0 if every write went through. */
static __always_inline int describe_task(struct seq_file *seq, struct task_struct *task)
{
	struct bpfmap_owner_task_record rec = {.rec_type = BPFMAP_OWNER_REC_TASK};
	struct bpfmap_owner_name_record name = {.rec_type = BPFMAP_OWNER_REC_NAME};
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct kernfs_node *leaf;
	int truncated;
	int err;

	rec.tgid = BPF_CORE_READ(task, tgid);
	bpf_probe_read_kernel_str(rec.comm, sizeof(rec.comm), leader ? leader->comm : task->comm);
	leaf = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	if (leaf)
		rec.cgroup_id = BPF_CORE_READ(leaf, id);

	/* The header says how many names follow. */
	rec.nr_names = cgroup_depth(leaf, BPFMAP_CGROUP_MAX_DEPTH, &truncated);
	if (truncated)
		rec.flags |= BPFMAP_TASK_CGROUP_TRUNCATED;
	err = bpf_seq_write(seq, &rec, sizeof(rec));
	err |= write_cgroup_names(seq, leaf, rec.nr_names, BPFMAP_CGROUP_MAX_DEPTH, &name,
				  sizeof(name), name.name, sizeof(name.name));
	return err;
}

/* After the last file: closes the stream and says who read it. */
static __always_inline void end_stream(struct seq_file *seq, __u64 session, int use_cast)
{
	write_owners_end(seq);
	if (!use_cast)
		bpf_map_delete_elem(&sessions, &session);
}

/* Was task the last one described in this session? See "readers". */
static __always_inline int described_last(__u64 session, __u64 task, struct last_task **reader,
					  int use_cast)
{
	__u64 *last;

	if (use_cast) {
		*reader = bpf_task_storage_get(&readers, bpf_get_current_task_btf(), 0,
					       BPF_LOCAL_STORAGE_GET_F_CREATE);
		return *reader && (*reader)->session == session && (*reader)->task == task;
	}
	last = bpf_map_lookup_elem(&sessions, &session);
	return last && *last == task;
}

static __always_inline void remember_described(__u64 session, __u64 task, struct last_task *reader,
					       int use_cast)
{
	if (!use_cast) {
		bpf_map_update_elem(&sessions, &session, &task, BPF_ANY);
	} else if (reader) {
		reader->session = session;
		reader->task = task;
	}
}

/*
 * private_data is a void pointer. Where the kernel has bpf_rdonly_cast
 * (6.2+), it is cast to the object's type and read with plain loads;
 * before, each field costs a bpf_probe_read_kernel() call, a tenth of a
 * scrape's CPU at 10k maps. User space loads dump_task_file_cast only
 * where the kernel's BTF has the kfunc, as for iter_maps' kfunc.
 */
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym __weak;
#define CAST(type, p) ((type *)bpf_rdonly_cast((p), bpf_core_type_id_kernel(type)))

static __always_inline __u32 object_id(void *obj, __u32 kind, __u32 *prog_id, int use_cast)
{
	if (use_cast) {
		switch (kind) {
		case BPFMAP_OBJ_MAP:
			return CAST(struct bpf_map, obj)->id;
		case BPFMAP_OBJ_PROG:
			return CAST(struct bpf_prog, obj)->aux->id;
		default: {
			struct bpf_link *link = CAST(struct bpf_link, obj);

			if (link->prog)
				*prog_id = link->prog->aux->id;
			return link->id;
		}
		}
	}
	switch (kind) {
	case BPFMAP_OBJ_MAP:
		return BPF_CORE_READ((struct bpf_map *)obj, id);
	case BPFMAP_OBJ_PROG:
		return BPF_CORE_READ((struct bpf_prog *)obj, aux, id);
	default: {
		struct bpf_prog *prog = BPF_CORE_READ((struct bpf_link *)obj, prog);

		if (prog)
			*prog_id = BPF_CORE_READ(prog, aux, id);
		return BPF_CORE_READ((struct bpf_link *)obj, id);
	}
	}
}

/*
 * A perf event with a program: one stand-alone record, and the missed
 * record of its kprobe where the kernel keeps a count. Most perf events
 * (perf, profilers, BPF output buffers) carry no program and cost
 * nothing more.
 */
static __always_inline void dump_perf_event(struct seq_file *seq, struct task_struct *task,
					    __u32 fd, void *obj, int use_cast)
{
	struct bpfmap_owner_perf_record rec = {.rec_type = BPFMAP_OWNER_REC_PERF};
	struct bpfmap_owner_perf_missed_record missed = {.rec_type = BPFMAP_OWNER_REC_PERF_MISSED};
	struct bpf_prog *prog;
	__s64 n;

	/* A kernel built without perf events: the load must not fail on this dead code. */
	if (!bpf_core_type_exists(struct perf_event))
		return;
	if (use_cast) {
		struct perf_event *event = CAST(struct perf_event, obj);

		prog = event->prog;
		if (!prog)
			return;
		rec.prog_id = prog->aux->id;
		rec.event_id = event->id;
	} else {
		prog = BPF_CORE_READ((struct perf_event *)obj, prog);
		if (!prog)
			return;
		rec.prog_id = BPF_CORE_READ(prog, aux, id);
		rec.event_id = BPF_CORE_READ((struct perf_event *)obj, id);
	}
	rec.tgid = task->tgid;
	rec.fd = fd;
	/* Both in one call: a call whose output overflowed is run again whole. */
	bpf_seq_write(seq, &rec, sizeof(rec));
	n = perf_event_kprobe_missed(obj, &missed.probe_id);
	if (n < 0)
		return;
	missed.missed = n;
	bpf_seq_write(seq, &missed, sizeof(missed));
}

static __always_inline int dump_file(struct bpf_iter__task_file *ctx, int use_cast)
{
	struct seq_file *seq = ctx->meta->seq;
	__u64 session = ctx->meta->session_id;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct bpfmap_owner_fd_record rec = {.rec_type = BPFMAP_OWNER_REC_FD};
	struct last_task *reader = NULL;
	__u64 task_key;
	void *obj;
	int err = 0;

	if (!task) {
		end_stream(seq, session, use_cast);
		return 0;
	}
	if (!file)
		return 0;
	rec.kind = file_kind(file);
	if (!rec.kind)
		return 0;

	obj = file->private_data;
	if (!obj)
		return 0;
	if (rec.kind == BPFMAP_OBJ_PERF_EVENT) {
		dump_perf_event(seq, task, ctx->fd, obj, use_cast);
		return 0;
	}
	rec.id = object_id(obj, rec.kind, &rec.prog_id, use_cast);
	rec.tgid = task->tgid;
	rec.fd = ctx->fd;

	/*
	 * The session's entry changes only when the task does: an update per
	 * file would cost more than the rest of this program.
	 */
	task_key = (__u64)(unsigned long)task;
	if (described_last(session, task_key, &reader, use_cast)) {
		bpf_seq_write(seq, &rec, sizeof(rec));
		return 0;
	}
	err = describe_task(seq, task);
	err |= bpf_seq_write(seq, &rec, sizeof(rec));
	/*
	 * A call whose output overflowed the buffer is discarded and run again
	 * by the kernel: only a call that went through may skip the description.
	 */
	if (!err)
		remember_described(session, task_key, reader, use_cast);
	return 0;
}

SEC("iter/task_file")
int dump_task_file(struct bpf_iter__task_file *ctx)
{
	return dump_file(ctx, 0);
}

SEC("iter/task_file")
int dump_task_file_cast(struct bpf_iter__task_file *ctx)
{
	return dump_file(ctx, 1);
}
