/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A cgroup's path as kernfs names, leaf first: shared by the programs
 * that report a cgroup (a task's in iter_owners, a link's in iter_links).
 * Include after kernel_types.h and bpf_core_read.h.
 */
#ifndef BPFMAP_CGROUP_PATH_BPF_H
#define BPFMAP_CGROUP_PATH_BPF_H

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

/*
 * Levels below the root, at most max (the names that will follow the
 * record); *truncated when the path is deeper than that.
 */
static __always_inline __u32 cgroup_depth(struct kernfs_node *leaf, __u32 max, int *truncated)
{
	struct kernfs_node *kn = leaf;
	__u32 depth = 0;

	for (__u32 i = 0; i < max && kn; i++) {
		kn = kn_parent(kn);
		if (kn)
			depth++;
	}
	*truncated = kn && kn_parent(kn);
	return depth;
}

/*
 * One name record per level, leaf first: rec (rec_size bytes) is written
 * with its name field (name, name_size bytes) filled in each time. 0 if
 * every write went through.
 */
static __always_inline int write_cgroup_names(struct seq_file *seq, struct kernfs_node *kn,
					      __u32 depth, __u32 max, void *rec, __u32 rec_size,
					      char *name, __u32 name_size)
{
	int err = 0;

	for (__u32 i = 0; i < max && i < depth; i++) {
		const char *p = kn ? BPF_CORE_READ(kn, name) : NULL;

		name[0] = '\0';
		if (p)
			bpf_probe_read_kernel_str(name, name_size, p);
		err |= bpf_seq_write(seq, rec, rec_size);
		if (kn)
			kn = kn_parent(kn);
	}
	return err;
}

#endif
