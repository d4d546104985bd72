/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The whole BPF <-> user-space ABI of bpfmap_exporter.
 *
 * Iterator programs write these records with bpf_seq_write(); user space
 * reads them as raw bytes. Fixed-width fields only, explicit padding, and
 * sizes pinned by _Static_assert so both compilers agree on the layout.
 */
#ifndef BPFMAP_RECORDS_H
#define BPFMAP_RECORDS_H

#include <linux/types.h> /* __u32 and friends, on both sides */

#define BPFMAP_NAME_LEN 16 /* BPF_OBJ_NAME_LEN */
#define BPFMAP_TAG_LEN 8 /* BPF_TAG_SIZE */

/*
 * The kernel rejects programs that use more maps than this at load time
 * (MAX_USED_MAPS is 64), but BPF_PROG_BIND_MAP can add more afterwards;
 * the iterator writes up to this many ids and flags the record if a
 * program holds even more.
 */
#define BPFMAP_MAX_PROG_MAPS 1024

/* How map_record.entries was obtained. */
enum bpfmap_count_method {
	BPFMAP_COUNT_NONE = 0, /* the kernel keeps no count for this map */
	BPFMAP_COUNT_KFUNC = 1, /* bpf_map_sum_elem_count() */
	BPFMAP_COUNT_ITER = 2, /* walked with SEC("iter/bpf_map_elem"): the fallback */
	BPFMAP_COUNT_BATCH = 3, /* hash_of_maps (no element iterator): batched lookups */
	BPFMAP_COUNT_OWN = 4, /* the map type's own counter (lpm_trie, queue, devmap_hash, ...) */
};

/* map record flags (map_record.rec_flags) */
#define BPFMAP_MAP_HAS_RING_POS (1U << 0) /* ringbuf, user_ringbuf: ring_* are valid */

/* One per map, from SEC("iter/bpf_map"). */
struct bpfmap_map_record {
	__u32 id;
	__u32 type; /* enum bpf_map_type */
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 flags; /* map_flags */
	__u32 count_method; /* enum bpfmap_count_method */
	__u32 rec_flags; /* BPFMAP_MAP_* */
	__s64 entries; /* valid only if count_method != NONE */
	char name[BPFMAP_NAME_LEN]; /* NUL-padded, may be empty */
	/* Ring buffers: bytes ever produced and consumed (positions only grow). */
	__u64 ring_producer_pos;
	__u64 ring_consumer_pos;
};

/* record flags */
#define BPFMAP_PROG_MAPS_TRUNCATED (1U << 0)
#define BPFMAP_PROG_HAS_VERIFIED_INSNS (1U << 1)

/*
 * One per program, from SEC("iter/bpf_prog"), immediately followed by
 * nr_map_ids __u32 map ids (the maps the program uses).
 */
struct bpfmap_prog_record {
	__u32 id;
	__u32 type; /* enum bpf_prog_type */
	__u32 jited_len; /* bytes */
	__u32 xlated_len; /* bytes */
	__u32 verified_insns;
	__u32 nr_map_ids; /* number of __u32 ids after this record */
	__u32 flags; /* BPFMAP_PROG_* */
	__u32 pages; /* prog->pages: what fdinfo reports as memlock, in pages */
	__u64 load_time_ns; /* CLOCK_BOOTTIME */
	__u8 tag[BPFMAP_TAG_LEN];
	char name[BPFMAP_NAME_LEN];
};

/*
 * One per walk of SEC("iter/bpf_map_elem") over a single map, written
 * after its last element: the number of elements the walk visited.
 */
struct bpfmap_elem_count_record {
	__u32 map_id; /* the map walked, so a reader can check it got the right one */
	__u32 pad;
	__u64 entries;
};

/* What a link is attached to: which fields of bpfmap_link_record say it. */
enum bpfmap_link_target {
	BPFMAP_LINK_TARGET_NONE = 0, /* unknown to us, or detached */
	BPFMAP_LINK_TARGET_CGROUP = 1, /* cgroup_id, and the cgroup's path as name records */
	BPFMAP_LINK_TARGET_NETDEV = 2, /* ifindex, ifname, netns_ino: xdp, tcx, netkit */
	BPFMAP_LINK_TARGET_FUNC = 3, /* tracing: target (function), target_btf_id, target_prog_id */
	BPFMAP_LINK_TARGET_TRACEPOINT = 4, /* raw_tracepoint: target */
	BPFMAP_LINK_TARGET_NETFILTER = 5, /* nf_pf, nf_hooknum, nf_priority, netns_ino */
	BPFMAP_LINK_TARGET_ITER = 6, /* target: the iterator's name */
	BPFMAP_LINK_TARGET_NETNS = 7, /* netns_ino: flow dissector, sk_lookup */
};

/* link record flags */
#define BPFMAP_LINK_HAS_ATTACH_TYPE (1U << 0) /* attach_type is valid */
#define BPFMAP_LINK_CGROUP_TRUNCATED (1U << 1) /* deeper than BPFMAP_LINK_CGROUP_DEPTH */

#define BPFMAP_IFNAME_LEN 16 /* IFNAMSIZ */
#define BPFMAP_LINK_TARGET_LEN 64 /* longer names are cut (NUL-terminated) */
#define BPFMAP_LINK_CGROUP_DEPTH 32 /* deeper paths keep their leaf-most names */
#define BPFMAP_LINK_CGROUP_NAME_LEN 256 /* NAME_MAX + 1: a kernfs name always fits */

/*
 * One per link, from SEC("iter/bpf_link") (5.19+), immediately followed
 * by nr_cgroup_names bpfmap_link_cgroup_name records: the names of the
 * link's cgroup and its ancestors, leaf first, the root excluded.
 */
struct bpfmap_link_record {
	__u32 id;
	__u32 type; /* enum bpf_link_type */
	__u32 prog_id;
	__u32 attach_type; /* enum bpf_attach_type, if BPFMAP_LINK_HAS_ATTACH_TYPE */
	__u32 flags; /* BPFMAP_LINK_* */
	__u32 target_kind; /* enum bpfmap_link_target */
	__u64 cgroup_id; /* kernfs id: the inode number of the cgroup's directory */
	__u32 ifindex;
	__u32 netns_ino; /* inode of the network namespace (as in /proc/PID/ns/net) */
	__u32 target_btf_id;
	__u32 target_prog_id; /* tracing a BPF program (freplace, fentry on BPF) */
	__s32 nf_priority;
	__u32 nf_pf; /* NFPROTO_* */
	__u32 nf_hooknum;
	__u32 nr_cgroup_names;
	char ifname[BPFMAP_IFNAME_LEN];
	char target[BPFMAP_LINK_TARGET_LEN];
};

struct bpfmap_link_cgroup_name {
	char name[BPFMAP_LINK_CGROUP_NAME_LEN]; /* NUL-terminated */
};

_Static_assert(sizeof(struct bpfmap_map_record) == 72, "map record ABI");
_Static_assert(sizeof(struct bpfmap_elem_count_record) == 16, "elem count record ABI");
_Static_assert(sizeof(struct bpfmap_prog_record) == 64, "prog record ABI");
_Static_assert(sizeof(struct bpfmap_link_record) == 144, "link record ABI");
_Static_assert(sizeof(struct bpfmap_link_cgroup_name) == 256, "cgroup name record ABI");

#endif /* BPFMAP_RECORDS_H */
