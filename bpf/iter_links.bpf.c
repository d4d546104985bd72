// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One bpfmap_link_record per BPF link (5.19+), with what the link is
 * attached to, each followed by the names of its cgroup's path for
 * cgroup links, of its file's path for uprobe_multi links. Probe
 * links carry their missed hits where the kernel counts them:
 * kprobe_multi links, and perf_event links of kprobes
 * (kprobe_missed.bpf.h). Record layout in records.h.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "records.h"
#include "cgroup_path.bpf.h"
#include "kprobe_missed.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* UAPI link types newer than the build host's linux/bpf.h may know. */
#define LINK_TYPE_KPROBE_MULTI 8
#define LINK_TYPE_NETFILTER 10
#define LINK_TYPE_TCX 11
#define LINK_TYPE_UPROBE_MULTI 12
#define LINK_TYPE_NETKIT 13

/* BPF_F_KPROBE_MULTI_RETURN, BPF_F_UPROBE_MULTI_RETURN */
#define PROBE_MULTI_RETURN 1U

/* Mount points a file's path may cross on its way to the namespace's root. */
#define FILE_PATH_MOUNTS 8

/* The link-type struct of type t that embeds link as "link" (CO-RE: offset relocated). */
#define link_container(link, t) ((struct t *)((void *)(link)-bpf_core_field_offset(struct t, link)))

/*
 * Fields that exist only on some kernels are read in subprograms of
 * their own, called behind bpf_core_field_exists(): inlined, clang may
 * compute a field's address before the branch, and the verifier would
 * meet the relocation libbpf poisoned for the missing field. A call the
 * branch skips is never verified. (6.17 moved every attach type into
 * struct bpf_link; cgroup_path.bpf.h does the same for kernfs_node.parent.)
 */
static __noinline __u32 attach_type_6_17(struct bpf_link *link)
{
	return BPF_CORE_READ(link, attach_type);
}

static __noinline __u32 cgroup_attach_type(struct bpf_link *link)
{
	struct bpf_cgroup_link___pre_6_17 *cg = (void *)link_container(link, bpf_cgroup_link);

	return BPF_CORE_READ(cg, type);
}

static __noinline __u32 tracing_attach_type(struct bpf_link *link)
{
	return BPF_CORE_READ((struct bpf_tracing_link___pre_6_17 *)link, attach_type);
}

static __noinline __u32 tcx_attach_type(struct bpf_link *link)
{
	struct tcx_link___pre_6_17 *tcx = (void *)link_container(link, tcx_link);

	return BPF_CORE_READ(tcx, location);
}

static __noinline __u32 netns_attach_type(struct bpf_link *link)
{
	struct bpf_netns_link___pre_6_17 *ns = (void *)link_container(link, bpf_netns_link);

	return BPF_CORE_READ(ns, type);
}

/* Link types newer than some kernels: their structs exist only there. */
static __noinline struct net_device *tcx_dev(struct bpf_link *link)
{
	return BPF_CORE_READ(link_container(link, tcx_link), dev);
}

static __noinline struct net_device *netkit_dev(struct bpf_link *link)
{
	return BPF_CORE_READ(link_container(link, netkit_link), dev);
}

static __noinline void netfilter_hook(struct bpf_link *link, struct bpfmap_link_record *rec)
{
	struct bpf_nf_link *nf = link_container(link, bpf_nf_link);

	rec->target_kind = BPFMAP_LINK_TARGET_NETFILTER;
	rec->nf_pf = BPF_CORE_READ(nf, hook_ops.pf);
	rec->nf_hooknum = BPF_CORE_READ(nf, hook_ops.hooknum);
	rec->nf_priority = BPF_CORE_READ(nf, hook_ops.priority);
	rec->netns_ino = BPF_CORE_READ(nf, net, ns.inum);
}

/* Where 6.17+ keeps it for every link; before, a few link types kept their own. */
static __always_inline void attach_type(struct bpf_link *link, struct bpfmap_link_record *rec)
{
	if (bpf_core_field_exists(link->attach_type))
		rec->attach_type = attach_type_6_17(link);
	else if (rec->type == BPF_LINK_TYPE_CGROUP &&
		 bpf_core_field_exists(struct bpf_cgroup_link___pre_6_17, type))
		rec->attach_type = cgroup_attach_type(link);
	else if (rec->type == BPF_LINK_TYPE_TRACING &&
		 bpf_core_field_exists(struct bpf_tracing_link___pre_6_17, attach_type))
		rec->attach_type = tracing_attach_type(link);
	else if ((rec->type == LINK_TYPE_TCX || rec->type == LINK_TYPE_NETKIT) &&
		 bpf_core_field_exists(struct tcx_link___pre_6_17, location))
		rec->attach_type = tcx_attach_type(link);
	else if (rec->type == BPF_LINK_TYPE_NETNS &&
		 bpf_core_field_exists(struct bpf_netns_link___pre_6_17, type))
		rec->attach_type = netns_attach_type(link);
	else
		return;
	rec->flags |= BPFMAP_LINK_HAS_ATTACH_TYPE;
}

static __always_inline void netdev(struct net_device *dev, struct bpfmap_link_record *rec)
{
	if (!dev)
		return; /* the device is gone: the link is detached */
	rec->target_kind = BPFMAP_LINK_TARGET_NETDEV;
	rec->ifindex = BPF_CORE_READ(dev, ifindex);
	bpf_probe_read_kernel_str(rec->ifname, sizeof(rec->ifname), dev->name);
	rec->netns_ino = BPF_CORE_READ(dev, nd_net.net, ns.inum);
}

/*
 * Before 6.17 a multi-probe link keeps no attach type of its own; its
 * program's expected attach type is the one it was created with.
 */
static __always_inline void probe_attach_type(struct bpf_link *link, struct bpfmap_link_record *rec)
{
	if (rec->flags & BPFMAP_LINK_HAS_ATTACH_TYPE)
		return;
	rec->attach_type = BPF_CORE_READ(link, prog, expected_attach_type);
	rec->flags |= BPFMAP_LINK_HAS_ATTACH_TYPE;
}

/* link_create's flags, where newer kernels keep them for every link. */
static __noinline __u32 link_flags(struct bpf_link *link)
{
	return BPF_CORE_READ(link, flags);
}

static __noinline __u32 kprobe_multi_flags(struct bpf_link *link)
{
	return BPF_CORE_READ(link_container(link, bpf_kprobe_multi_link), flags);
}

/* Kernels that kept no flags: a return probe is the one with an exit handler. */
static __noinline __u32 kprobe_multi_exit_handler(struct bpf_link *link)
{
	void *h = BPF_CORE_READ(link_container(link, bpf_kprobe_multi_link), fp.exit_handler);

	return h ? PROBE_MULTI_RETURN : 0;
}

static __noinline __u64 kprobe_multi_missed(struct bpf_link *link)
{
	return BPF_CORE_READ(link_container(link, bpf_kprobe_multi_link), fp.nmissed);
}

/*
 * kprobe_multi (5.18+, kernels built with fprobe): how many functions,
 * whether on return, and the hits fprobe could not hand to the program
 * (fprobe.nmissed, what the kernel's own link info reports from 6.7).
 */
static __noinline void kprobe_multi(struct bpf_link *link, struct bpfmap_link_record *rec)
{
	__u32 flags = 0;

	rec->target_kind = BPFMAP_LINK_TARGET_KPROBE_MULTI;
	probe_attach_type(link, rec);
	rec->nr_probes = BPF_CORE_READ(link_container(link, bpf_kprobe_multi_link), cnt);
	if (bpf_core_field_exists(struct bpf_kprobe_multi_link, flags))
		flags = kprobe_multi_flags(link);
	else if (bpf_core_field_exists(link->flags))
		flags = link_flags(link);
	else if (bpf_core_field_exists(struct bpf_kprobe_multi_link, fp.exit_handler))
		flags = kprobe_multi_exit_handler(link);
	if (flags & PROBE_MULTI_RETURN)
		rec->flags |= BPFMAP_LINK_PROBE_RETURN;
	if (bpf_core_field_exists(struct bpf_kprobe_multi_link, fp.nmissed)) {
		rec->missed = kprobe_multi_missed(link);
		rec->flags |= BPFMAP_LINK_HAS_MISSED;
	}
}

/* Where a file's path walk is: a dentry and the mount it is seen in. */
struct file_walk {
	struct dentry *d;
	struct vfsmount *mnt;
};

static __noinline __u32 uprobe_multi_flags(struct bpf_link *link)
{
	return BPF_CORE_READ(link_container(link, bpf_uprobe_multi_link), flags);
}

/* Kernels that kept no flags: a return probe's consumers have a return handler. */
static __noinline __u32 uprobe_multi_ret_handler(struct bpf_link *link)
{
	void *h = BPF_CORE_READ(link_container(link, bpf_uprobe_multi_link), uprobes,
				consumer.ret_handler);

	return h ? PROBE_MULTI_RETURN : 0;
}

/* uprobe_multi (6.6+): how many offsets, whether on return, and where its file is. */
static __noinline void uprobe_multi(struct bpf_link *link, struct bpfmap_link_record *rec,
				    struct file_walk *w)
{
	struct bpf_uprobe_multi_link *um = link_container(link, bpf_uprobe_multi_link);
	__u32 flags = 0;

	rec->target_kind = BPFMAP_LINK_TARGET_UPROBE_MULTI;
	probe_attach_type(link, rec);
	rec->nr_probes = BPF_CORE_READ(um, cnt);
	if (bpf_core_field_exists(struct bpf_uprobe_multi_link, flags))
		flags = uprobe_multi_flags(link);
	else if (bpf_core_field_exists(link->flags))
		flags = link_flags(link);
	else if (bpf_core_field_exists(struct bpf_uprobe_multi_link, uprobes))
		flags = uprobe_multi_ret_handler(link);
	if (flags & PROBE_MULTI_RETURN)
		rec->flags |= BPFMAP_LINK_PROBE_RETURN;
	w->d = BPF_CORE_READ(um, path.dentry);
	w->mnt = BPF_CORE_READ(um, path.mnt);
}

/*
 * The next name of a file's path, leaf first, as d_path() would spell it
 * (NULL at the root of the mount namespace): at the root of a mount the
 * walk goes on from its mount point in the parent mount.
 */
static __always_inline struct dentry *file_walk_next(struct file_walk *w)
{
	for (int i = 0; i < FILE_PATH_MOUNTS; i++) {
		struct dentry *d = w->d, *parent;
		struct vfsmount *mnt = w->mnt;
		struct mount *m, *up;

		if (!d || !mnt)
			return NULL;
		if (d != BPF_CORE_READ(mnt, mnt_root)) {
			parent = BPF_CORE_READ(d, d_parent);
			if (!parent || parent == d)
				return NULL;
			w->d = parent;
			return d;
		}
		m = (void *)mnt - bpf_core_field_offset(struct mount, mnt);
		up = BPF_CORE_READ(m, mnt_parent);
		if (!up || up == m)
			return NULL;
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = (void *)up + bpf_core_field_offset(struct mount, mnt);
	}
	return NULL;
}

/* Names of the path, at most max; *truncated when there are more. */
static __always_inline __u32 file_depth(struct file_walk w, __u32 max, int *truncated)
{
	__u32 depth = 0;

	for (__u32 i = 0; i < max; i++) {
		if (!file_walk_next(&w))
			break;
		depth++;
	}
	*truncated = depth == max && file_walk_next(&w);
	return depth;
}

/* One name record per name, leaf first, as write_cgroup_names() does. */
static __always_inline int write_file_names(struct seq_file *seq, struct file_walk w, __u32 depth,
					    __u32 max, struct bpfmap_link_path_name *rec)
{
	int err = 0;

	for (__u32 i = 0; i < max && i < depth; i++) {
		struct dentry *d = file_walk_next(&w);
		const unsigned char *p = d ? BPF_CORE_READ(d, d_name.name) : NULL;

		rec->name[0] = '\0';
		if (p)
			bpf_probe_read_kernel_str(rec->name, sizeof(rec->name), p);
		err |= bpf_seq_write(seq, rec, sizeof(*rec));
	}
	return err;
}

/* The cgroup's id and depth; the names are written after the record. */
static __always_inline struct kernfs_node *cgroup(struct bpf_link *link,
						  struct bpfmap_link_record *rec)
{
	struct kernfs_node *leaf;
	int truncated;

	leaf = BPF_CORE_READ(link_container(link, bpf_cgroup_link), cgroup, kn);
	if (!leaf)
		return NULL; /* the cgroup is gone */
	rec->target_kind = BPFMAP_LINK_TARGET_CGROUP;
	rec->cgroup_id = BPF_CORE_READ(leaf, id);
	rec->nr_path_names = cgroup_depth(leaf, BPFMAP_LINK_PATH_DEPTH, &truncated);
	if (truncated)
		rec->flags |= BPFMAP_LINK_PATH_TRUNCATED;
	return leaf;
}

/*
 * The function of the BPF program a tracing link targets (freplace,
 * fentry on BPF), as the link has it: its trampoline's key holds the
 * function's BTF id in the target program's BTF. The tracing program's
 * own attach_func_name names the target it was loaded for, which an
 * freplace program re-attached elsewhere leaves behind: libxdp moves
 * each program to a new dispatcher when one is added or removed, and
 * may load it against the dispatcher's main function first. NULL where
 * the kernel lacks the trampoline's key (before 5.10) or the BTF has no
 * such id.
 */
static __always_inline const char *prog_target_func(struct bpf_link *link, struct bpf_prog *tgt,
						    struct bpfmap_link_record *rec)
{
	struct bpf_trampoline *tr;
	struct btf_type *t = NULL;
	struct btf_type **types;
	struct btf *btf;
	u32 id;

	if (!bpf_core_field_exists(struct bpf_tracing_link, trampoline))
		return NULL;
	tr = BPF_CORE_READ((struct bpf_tracing_link *)link, trampoline);
	btf = BPF_CORE_READ(tgt, aux, btf);
	if (!tr || !btf)
		return NULL;
	id = (u32)BPF_CORE_READ(tr, key);
	/* A program's BTF stands alone: its ids start at 0. */
	if (bpf_core_field_exists(btf->start_id) && BPF_CORE_READ(btf, start_id))
		return NULL;
	if (!id || id >= BPF_CORE_READ(btf, nr_types))
		return NULL;
	types = BPF_CORE_READ(btf, types);
	if (!types || bpf_probe_read_kernel(&t, sizeof(t), types + id) || !t)
		return NULL;
	rec->target_btf_id = id;
	return BPF_CORE_READ(btf, strings) + BPF_CORE_READ(t, name_off);
}

static __always_inline void target(struct bpf_link *link, struct bpfmap_link_record *rec)
{
	const char *name = NULL;

	switch (rec->type) {
	case BPF_LINK_TYPE_XDP:
		netdev(BPF_CORE_READ(link_container(link, bpf_xdp_link), dev), rec);
		return;
	case LINK_TYPE_TCX:
		if (bpf_core_type_exists(struct tcx_link))
			netdev(tcx_dev(link), rec);
		return;
	case LINK_TYPE_NETKIT:
		if (bpf_core_type_exists(struct netkit_link))
			netdev(netkit_dev(link), rec);
		return;
	case BPF_LINK_TYPE_TRACING: {
		struct bpf_prog_aux *aux = BPF_CORE_READ(link, prog, aux);
		struct bpf_prog *tgt = BPF_CORE_READ((struct bpf_tracing_link *)link, tgt_prog);

		rec->target_kind = BPFMAP_LINK_TARGET_FUNC;
		rec->target_btf_id = BPF_CORE_READ(aux, attach_btf_id);
		if (tgt)
			rec->target_prog_id = BPF_CORE_READ(tgt, aux, id);
		name = tgt ? prog_target_func(link, tgt, rec) : NULL;
		if (!name)
			name = BPF_CORE_READ(aux, attach_func_name);
		break;
	}
	case BPF_LINK_TYPE_RAW_TRACEPOINT:
		rec->target_kind = BPFMAP_LINK_TARGET_TRACEPOINT;
		name = BPF_CORE_READ(link_container(link, bpf_raw_tp_link), btp, tp, name);
		break;
	case BPF_LINK_TYPE_ITER:
		rec->target_kind = BPFMAP_LINK_TARGET_ITER;
		name = BPF_CORE_READ(link_container(link, bpf_iter_link), tinfo, reg_info, target);
		break;
	case BPF_LINK_TYPE_NETNS: {
		struct net *net = BPF_CORE_READ(link_container(link, bpf_netns_link), net);

		if (net) {
			rec->target_kind = BPFMAP_LINK_TARGET_NETNS;
			rec->netns_ino = BPF_CORE_READ(net, ns.inum);
		}
		return;
	}
	case LINK_TYPE_NETFILTER:
		if (bpf_core_type_exists(struct bpf_nf_link))
			netfilter_hook(link, rec);
		return;
	case BPF_LINK_TYPE_PERF_EVENT: {
		/*
		 * What it probes, user space asks the kernel on an fd of the
		 * event (BPF_TASK_FD_QUERY): the event's id finds one.
		 */
		struct file *file;
		struct perf_event *event;
		__u32 probe_id = 0;
		__s64 missed;

		/* A kernel built without perf events has neither type: the load must not fail. */
		if (!bpf_core_type_exists(struct bpf_perf_link) ||
		    !bpf_core_type_exists(struct perf_event))
			return;
		file = BPF_CORE_READ(link_container(link, bpf_perf_link), perf_file);
		event = file ? BPF_CORE_READ(file, private_data) : NULL;
		if (!event)
			return;
		rec->perf_event_id = BPF_CORE_READ(event, id);
		/* A kprobe's missed count, as the kernel's link info gives it from 6.7. */
		missed = perf_event_kprobe_missed(event, &probe_id);
		if (missed >= 0) {
			rec->missed = missed;
			rec->flags |= BPFMAP_LINK_HAS_MISSED;
		}
		return;
	}
	default:
		return;
	}
	if (name)
		bpf_probe_read_kernel_str(rec->target, sizeof(rec->target), name);
}

SEC("iter/bpf_link")
int dump_bpf_link(struct bpf_iter__bpf_link *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_link *link = ctx->link;
	/* The names are written after the record: they share the stack (512 bytes in all). */
	union {
		struct bpfmap_link_record rec;
		struct bpfmap_link_path_name name;
	} buf = {};
	struct bpfmap_link_record *rec = &buf.rec;
	struct file_walk file = {};
	struct kernfs_node *kn = NULL;
	struct bpf_prog *prog;
	int truncated = 0;
	__u32 nr_names;

	if (!link)
		return 0;
	rec->id = link->id;
	rec->type = link->type;
	prog = link->prog;
	if (prog)
		rec->prog_id = BPF_CORE_READ(prog, aux, id);
	attach_type(link, rec);
	if (rec->type == BPF_LINK_TYPE_CGROUP) {
		kn = cgroup(link, rec);
	} else if (rec->type == LINK_TYPE_KPROBE_MULTI) {
		if (bpf_core_type_exists(struct bpf_kprobe_multi_link))
			kprobe_multi(link, rec);
	} else if (rec->type == LINK_TYPE_UPROBE_MULTI) {
		if (bpf_core_type_exists(struct bpf_uprobe_multi_link)) {
			uprobe_multi(link, rec, &file);
			rec->nr_path_names = file_depth(file, BPFMAP_LINK_PATH_DEPTH, &truncated);
			if (truncated)
				rec->flags |= BPFMAP_LINK_PATH_TRUNCATED;
		}
	} else {
		target(link, rec);
	}
	nr_names = rec->nr_path_names;
	bpf_seq_write(seq, rec, sizeof(*rec));
	__builtin_memset(&buf.name, 0, sizeof(buf.name));
	if (kn)
		write_cgroup_names(seq, kn, nr_names, BPFMAP_LINK_PATH_DEPTH, &buf.name,
				   sizeof(buf.name), buf.name.name, sizeof(buf.name.name));
	else if (nr_names)
		write_file_names(seq, file, nr_names, BPFMAP_LINK_PATH_DEPTH, &buf.name);
	return 0;
}
