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
	BPFMAP_COUNT_BATCH = 3, /* read from user space with BPF_MAP_LOOKUP_BATCH */
	BPFMAP_COUNT_OWN = 4, /* the map type's own counter (lpm_trie, queue, devmap_hash, ...) */
	BPFMAP_COUNT_KEYS = 5, /* read from user space one BPF_MAP_GET_NEXT_KEY at a time */
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

/*
 * Owners, from SEC("iter/task_file"): a stream of records, each starting
 * with its __u32 rec_type. A task record describes a task holding BPF
 * objects and is followed by its nr_names cgroup name records (leaf
 * first, the hierarchy root excluded); then come fd records, one per BPF
 * file of that task. A task is described again if the iterator lost
 * track (user space merges by tgid). Perf event records, one per perf
 * event file that carries a BPF program, stand alone (they name their
 * task), each followed by a perf missed record where the kernel keeps
 * a count of the probe's missed hits. An end record closes the stream.
 */
enum bpfmap_owner_rec_type {
	BPFMAP_OWNER_REC_TASK = 1,
	BPFMAP_OWNER_REC_NAME = 2,
	BPFMAP_OWNER_REC_FD = 3,
	BPFMAP_OWNER_REC_END = 4,
	BPFMAP_OWNER_REC_PERF = 5,
	BPFMAP_OWNER_REC_NETNS = 6, /* only in the stream of SEC("iter/task") */
	BPFMAP_OWNER_REC_PERF_MISSED = 7, /* right after a perf record */
};

/* Kinds of BPF object a file can be. */
enum bpfmap_obj_kind {
	BPFMAP_OBJ_MAP = 1,
	BPFMAP_OBJ_PROG = 2,
	BPFMAP_OBJ_LINK = 3,
	/* A perf event file: written as a perf record, never as an fd record. */
	BPFMAP_OBJ_PERF_EVENT = 4,
};

#define BPFMAP_COMM_LEN 16 /* TASK_COMM_LEN */
#define BPFMAP_CGROUP_MAX_DEPTH 32 /* deeper paths keep their leaf-most names */
#define BPFMAP_CGROUP_NAME_LEN 256 /* NAME_MAX + 1: a kernfs name always fits */

/* task record flags */
#define BPFMAP_TASK_CGROUP_TRUNCATED (1U << 0) /* more than MAX_DEPTH levels */

struct bpfmap_owner_task_record {
	__u32 rec_type; /* BPFMAP_OWNER_REC_TASK */
	__u32 tgid; /* in the initial PID namespace */
	__u64 cgroup_id; /* kernfs id of the task's cgroup v2 (the root's if none) */
	char comm[BPFMAP_COMM_LEN]; /* of the thread group leader, NUL-padded */
	__u32 nr_names; /* name records that follow */
	__u32 flags; /* BPFMAP_TASK_* */
};

struct bpfmap_owner_name_record {
	__u32 rec_type; /* BPFMAP_OWNER_REC_NAME */
	__u32 pad;
	char name[BPFMAP_CGROUP_NAME_LEN]; /* NUL-terminated */
};

struct bpfmap_owner_fd_record {
	__u32 rec_type; /* BPFMAP_OWNER_REC_FD */
	__u32 kind; /* enum bpfmap_obj_kind */
	__u32 id; /* map, program or link id */
	__u32 tgid; /* the task described last */
	__u32 fd;
	__u32 prog_id; /* links: the linked program's id (0 if none) */
};

/*
 * A perf event file with a BPF program attached (PERF_EVENT_IOC_SET_BPF,
 * or a perf_event link made from it): user space asks the kernel what it
 * probes with BPF_TASK_FD_QUERY on (tgid, fd). event_id is the event's
 * own id (PERF_FORMAT_ID), the same for every fd of one event, and what
 * a perf_event link's record names (bpfmap_link_record.perf_event_id).
 */
struct bpfmap_owner_perf_record {
	__u32 rec_type; /* BPFMAP_OWNER_REC_PERF */
	__u32 tgid; /* the holding task, in the initial PID namespace */
	__u32 fd;
	__u32 prog_id; /* the program attached to the event */
	__u64 event_id;
};

/*
 * The missed hits of a kprobe or kretprobe event, right after the perf
 * record of a file of that event, only where the kernel keeps the count
 * (struct trace_kprobe in its BTF): what kprobe_profile shows. Perf
 * events of one kprobe event (tracefs kprobe_events, then
 * perf_event_open() on its id) share one count; each kprobe made by
 * perf_event_open() on the kprobe PMU has its own.
 */
struct bpfmap_owner_perf_missed_record {
	__u32 rec_type; /* BPFMAP_OWNER_REC_PERF_MISSED */
	__u32 probe_id; /* the kprobe event's trace event id (tracefs ".../id"); 0: a PMU kprobe */
	__u64 missed; /* kprobe misses, and for a kretprobe also the returns it had no slot for */
};

struct bpfmap_owner_end_record {
	__u32 rec_type; /* BPFMAP_OWNER_REC_END */
	__u32 reader_tgid; /* the reading process, in the initial PID namespace */
	__u32 reader_pidns_level; /* 0: the reader sees every task on the host */
	__u32 pad;
};

/*
 * Every process's network namespace, from SEC("iter/task")
 * (iter_tasks.bpf.c): one record per thread group leader, then an end
 * record, a stream of its own decoded as owners are. The task_file
 * stream describes only tasks that hold a BPF file, and a pod's
 * processes seldom do. The namespace is read from the task itself: no
 * ptrace access, unlike /proc/PID/ns/net. Exiting tasks are left out.
 * A process whose leader has exited while other threads live (its
 * /proc/PID/ns/net is gone) has a record per live thread instead: tid
 * names the thread, and /proc/TID/ns/net its namespace.
 */
struct bpfmap_owner_netns_record {
	__u32 rec_type; /* BPFMAP_OWNER_REC_NETNS */
	__u32 tgid; /* in the initial PID namespace */
	__u32 netns_ino; /* the inode /proc/TID/ns/net names */
	__u32 tid; /* the thread read, in the initial PID namespace; 0: tgid */
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
	BPFMAP_LINK_TARGET_KPROBE_MULTI = 8, /* nr_probes: functions; PROBE_RETURN, HAS_MISSED */
	/* nr_probes: offsets; the file's path as name records; PROBE_RETURN */
	BPFMAP_LINK_TARGET_UPROBE_MULTI = 9,
};

/* link record flags */
#define BPFMAP_LINK_HAS_ATTACH_TYPE (1U << 0) /* attach_type is valid */
#define BPFMAP_LINK_PATH_TRUNCATED (1U << 1) /* deeper than BPFMAP_LINK_PATH_DEPTH */
#define BPFMAP_LINK_PROBE_RETURN (1U << 2) /* kprobe_multi, uprobe_multi: return probes */
/* missed is valid: the kernel keeps a count (kprobe_multi; perf_event links of kprobes) */
#define BPFMAP_LINK_HAS_MISSED (1U << 3)

#define BPFMAP_IFNAME_LEN 16 /* IFNAMSIZ */
#define BPFMAP_LINK_TARGET_LEN 64 /* longer names are cut (NUL-terminated) */
#define BPFMAP_LINK_PATH_DEPTH 32 /* deeper paths keep their leaf-most names */
#define BPFMAP_LINK_PATH_NAME_LEN 256 /* NAME_MAX + 1: a kernfs or dentry name always fits */

/*
 * One per link, from SEC("iter/bpf_link") (5.19+), immediately followed
 * by nr_path_names bpfmap_link_path_name records, leaf first, the root
 * excluded: for cgroup links the names of the link's cgroup and its
 * ancestors; for uprobe_multi links those of the probed file and its
 * directories up to the root of its mount namespace.
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
	__u32 nr_path_names;
	char ifname[BPFMAP_IFNAME_LEN];
	char target[BPFMAP_LINK_TARGET_LEN];
	__u64 perf_event_id; /* perf_event links: the event's id (0 if none) */
	__u32 nr_probes; /* kprobe_multi: functions; uprobe_multi: offsets */
	__u32 pad;
	__u64 missed; /* probe hits the program missed, if BPFMAP_LINK_HAS_MISSED */
};

struct bpfmap_link_path_name {
	char name[BPFMAP_LINK_PATH_NAME_LEN]; /* NUL-terminated */
};

/*
 * Failed map updates and LRU evictions, counted by the fexit programs of
 * map_errors.bpf.c in a per-CPU hash that user space reads and sums.
 * err is the positive errno the update returned; BPFMAP_ERR_EVICTED
 * (never an errno) counts an LRU map's evictions instead.
 */
#define BPFMAP_ERR_EVICTED 0xffff

struct bpfmap_map_err_key {
	__u32 map_id;
	__u16 map_type; /* enum bpf_map_type, to tell an array's E2BIG from a full hash */
	__u16 err; /* positive errno, or BPFMAP_ERR_EVICTED */
};

/*
 * The exporter's own maps, skipped by the programs (their ids, 0: unused
 * slot): the map_errors object's three and the iterators' (iters__map_ids()).
 */
#define BPFMAP_MAP_ERR_SELF_MAX 32

_Static_assert(sizeof(struct bpfmap_map_record) == 72, "map record ABI");
_Static_assert(sizeof(struct bpfmap_elem_count_record) == 16, "elem count record ABI");
_Static_assert(sizeof(struct bpfmap_prog_record) == 64, "prog record ABI");
_Static_assert(sizeof(struct bpfmap_link_record) == 168, "link record ABI");
_Static_assert(sizeof(struct bpfmap_link_path_name) == 256, "link path name record ABI");
_Static_assert(sizeof(struct bpfmap_owner_task_record) == 40, "owner task record ABI");
_Static_assert(sizeof(struct bpfmap_owner_name_record) == 264, "owner name record ABI");
_Static_assert(sizeof(struct bpfmap_owner_fd_record) == 24, "owner fd record ABI");
_Static_assert(sizeof(struct bpfmap_owner_end_record) == 16, "owner end record ABI");
_Static_assert(sizeof(struct bpfmap_owner_perf_record) == 24, "owner perf record ABI");
_Static_assert(sizeof(struct bpfmap_owner_netns_record) == 16, "owner netns record ABI");
_Static_assert(sizeof(struct bpfmap_owner_perf_missed_record) == 16,
	       "owner perf missed record ABI");
_Static_assert(sizeof(struct bpfmap_map_err_key) == 8, "map error key ABI");

#endif /* BPFMAP_RECORDS_H */
