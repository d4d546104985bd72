/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The owner table of one scrape: which tasks hold which BPF objects
 * (decoded from the task_file iterator, bpf/records.h), where objects are
 * pinned, and per-workload counters. No I/O here: the owners collector
 * fills the names it resolves, the map and program collectors read it.
 */
#ifndef BPFMAP_OWNERS_H
#define BPFMAP_OWNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup_path.h"
#include "records.h"

/* How a task holds an object, most direct first. */
enum owner_via {
	OWNER_VIA_FD, /* an fd of the object itself */
	OWNER_VIA_LINK, /* programs: an fd of a link to it */
	OWNER_VIA_PROGRAM, /* maps: an fd of a program (or its link) using it */
	OWNER_VIA_MAX,
};

/* The per-holder values that become labels, in label schema order. */
enum owner_field {
	OWNER_COMM,
	OWNER_PID,
	OWNER_CONTAINER_ID,
	OWNER_CONTAINER,
	OWNER_POD,
	OWNER_NAMESPACE,
	OWNER_CGROUP,
	OWNER_FIELD_MAX,
};

#define OWNER_NAME_MAX 256 /* container, pod and namespace names, NUL included */

struct owner_task {
	uint32_t tgid;
	uint64_t cgroup_id;
	char comm[BPFMAP_COMM_LEN + 1];
	char pid[12];
	char *cgroup; /* path from the hierarchy root, "/" for the root */
	struct cgroup_info cg; /* parsed from cgroup */
	/* Filled by the owners collector; "" when unknown. */
	char container[OWNER_NAME_MAX];
	char pod[OWNER_NAME_MAX];
	char namespace[OWNER_NAME_MAX];
	char pod_uid[CGROUP_POD_UID_MAX + 1];
	/* Workload slots (owner_table__index_workloads), -1 for none. */
	int container_slot, pod_slot;
};

/* owner_ref and owner_pin both start with kind, id: one search serves both. */
struct owner_ref {
	uint32_t kind; /* enum bpfmap_obj_kind */
	uint32_t id;
	uint32_t task; /* index into tasks */
	uint32_t via; /* enum owner_via */
};

struct owner_pin {
	uint32_t kind;
	uint32_t id;
	char *path;
};

/*
 * A perf event file carrying a BPF program (bpfmap_owner_perf_record),
 * and its kprobe's missed count if the kernel keeps one
 * (bpfmap_owner_perf_missed_record).
 */
struct owner_perf {
	uint32_t tgid;
	uint32_t fd;
	uint32_t prog_id;
	uint64_t event_id;
	bool has_missed;
	uint32_t probe_id; /* the kprobe event's trace event id; 0: a PMU kprobe */
	uint64_t missed;
};

/* A process and its network namespace (bpfmap_owner_netns_record). */
struct owner_netns {
	uint32_t tgid;
	uint32_t ino;
	uint32_t tid; /* the thread read: tgid, unless the process's leader has exited */
};

/* Per container or pod: what its tasks hold. */
struct owner_workload {
	uint32_t task; /* a task of the workload, for its labels */
	uint64_t stamp; /* the last object counted, so an object counts once */
	uint64_t maps, progs, max_entries, entries;
	bool entries_known; /* some counted map had an entry count */
};

struct owner_table {
	struct owner_task *tasks; /* sorted by tgid, unique */
	size_t nr_tasks, cap_tasks;
	struct owner_ref *refs; /* sorted by kind, id, tgid; one per (object, task) */
	size_t nr_refs, cap_refs;
	/*
	 * Per kind: where its last owner_table__find() range ended. Per kind,
	 * so a map's lookups of the programs using it do not lose the maps' place.
	 */
	size_t next_ref[BPFMAP_OBJ_LINK + 1];
	struct owner_pin *pins; /* sorted by kind, id, path */
	size_t nr_pins, cap_pins;
	struct owner_workload *containers, *pods;
	size_t nr_containers, nr_pods;
	struct owner_perf *perf; /* in stream order: fds of one event may repeat */
	size_t nr_perf, cap_perf;
	struct owner_netns *netns; /* in stream order (the task iterator's: by tgid) */
	size_t nr_netns, cap_netns;
	uint64_t stamp;
	uint32_t reader_tgid;
	uint32_t reader_pidns_level; /* 0: every task on the host was visible */
};

/*
 * Decode a whole task_file read into t (emptied first). Tasks described
 * twice are merged by tgid; a link fd also holds its program (via link).
 * Perf event records land in t->perf (they hold no object of their own),
 * with the missed record that may follow each; netns records (the task
 * iterator's stream) in t->netns.
 * -EPROTO for a stream that is torn, out of order or without its end
 * record; -ENOMEM.
 */
int owner_table__decode(struct owner_table *t, const void *buf, size_t len);
/* Record a pinned path; call owner_table__sort_pins() once all are added. */
int owner_table__add_pin(struct owner_table *t, uint32_t kind, uint32_t id, const char *path);
void owner_table__sort_pins(struct owner_table *t);
/*
 * The refs (or pins) of one object: index of the first and how many.
 * Objects of a kind asked for in id order, as the collectors walk them,
 * are found where the kind's last range ended, without a search.
 */
size_t owner_table__find(struct owner_table *t, uint32_t kind, uint32_t id, size_t *first);
size_t owner_table__find_pins(const struct owner_table *t, uint32_t kind, uint32_t id,
			      size_t *first);
/* Fill cg and pod_uid from each task's cgroup path. */
void owner_table__parse_cgroups(struct owner_table *t);
/* Group tasks into containers (by id) and pods (by uid); after names are set. */
int owner_table__index_workloads(struct owner_table *t);
void owner_table__fini(struct owner_table *t);

/* A task's value of one field ("" if unknown). */
const char *owner_task_field(const struct owner_task *task, enum owner_field f);
const char *owner_via_name(enum owner_via via); /* "fd", "link", "program" */

/* The holders of one object: (task, via), sorted by tgid, one per task. */
struct owner_holder {
	uint32_t task;
	uint32_t via;
};

struct owner_set {
	struct owner_holder *h;
	size_t nr, cap;
};

/* Add an object's holders; via >= 0 overrides theirs (maps held through a program). */
int owner_set__add(struct owner_set *s, struct owner_table *t, uint32_t kind, uint32_t id, int via);
/* Sort and de-duplicate: one entry per task, keeping its most direct via. */
void owner_set__finish(struct owner_set *s, const struct owner_table *t);
void owner_set__clear(struct owner_set *s);
void owner_set__fini(struct owner_set *s);

/* Stable strings for joined values, freed all at once. */
struct str_arena {
	struct arena_block *head;
};

char *str_arena__dup(struct str_arena *a, const char *s, size_t len);
void str_arena__fini(struct str_arena *a);

/*
 * One field over a holder set: values sorted (pids numerically),
 * de-duplicated, empty ones dropped, joined with ','. Returns "" for none,
 * the task's own string for one value, or a string in a; NULL on ENOMEM.
 */
const char *owner_set__join(const struct owner_set *s, const struct owner_table *t,
			    enum owner_field f, struct str_arena *a);

/*
 * Count one object for every container and pod among its holders (each
 * at most once). Maps pass max_entries and, when known, entries.
 */
void owner_table__count(struct owner_table *t, const struct owner_set *s, uint32_t kind,
			uint64_t max_entries, bool entries_known, uint64_t entries);

#endif
