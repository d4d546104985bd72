/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collectors and the scrape that runs them.
 *
 * A scrape is fresh every time. What it reads is read once, by the first
 * collector that needs it, into the snapshot (snapshot.c: the scrape_*()
 * functions below), and only read afterwards; the collectors are writers
 * that turn it into series, in table order, and never call each other.
 * The self collector then reports every collector's duration and success.
 * A failing collector costs only its own series. The scrape's questions
 * to the kernel go through its source (scrape_source.h), except those of
 * attach_netlink, attach_cgroup and map_errors (sockets, cgroup fds and
 * map reads of their own).
 */
#ifndef BPFMAP_COLLECTOR_H
#define BPFMAP_COLLECTOR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "expo.h"
#include "iter.h"
#include "map_count.h"
#include "owners.h"
#include "resolve.h"
#include "map_errors.h"
#include "mem_cache.h"
#include "records_decode.h"
#include "perf_attach.h"
#include "scrape_source.h"

/*
 * The owners collector's state across scrapes: name and pin caches, and
 * the lock that keeps the exporter's own brief opening of pinned objects
 * (to identify them) out of every task_file read.
 */
struct owner_state;

int owner_state__new(struct owner_state **out);
void owner_state__free(struct owner_state *st); /* NULL-safe */

/*
 * Conditions inside a collector that go on over many scrapes: logged when
 * they start and when they end (scrape_note()), never on every scrape.
 */
enum scrape_note {
	NOTE_MAPS_WITHOUT_PROGRAMS, /* the programs read failed: maps go without the join */
	NOTE_FLOW_QUERY_FAILS, /* a namespace's flow dissector query failed */
	NOTE_NSID_FAILS, /* a namespace's id in the exporter's could not be asked */
	NOTE_TASKS_FAIL, /* the task iterator's read failed: processes are entered instead */
	NOTE_MAX,
};

/*
 * Whether the kernel answers the attachment collectors' queries (cgroup
 * BPF_PROG_QUERY: CAP_NET_ADMIN, or CAP_SYS_ADMIN since 6.10;
 * BPF_TASK_FD_QUERY: CAP_SYS_ADMIN) with the capabilities kept.
 */
struct attach_queries {
	bool cgroups;
	bool perf_events;
};

/* Facts of the exporter's start-up that the self collector reports. */
struct self_facts {
	double start_time; /* unix seconds, for process_start_time_seconds */
	bool map_errors_probed; /* the collector was on at start-up: its programs were tried */
	/* What the kernel allowed then (feature gauges; a reload may detach them). */
	bool map_errors_fexit, map_errors_evictions;
};

/* What lives for the exporter's whole run; shared by concurrent scrapes. */
struct exporter {
	pthread_rwlock_t lock; /* scrapes read cfg, a reload swaps it */
	struct config *cfg;
	struct iters *iters;
	struct scrape_source source; /* what scrapes ask: the kernel, through iters */
	struct owner_state *owners;
	struct mem_cache *mem_cache; /* map memory figures, kept between scrapes */
	/* NULL: collector off at start-up, unavailable, or turned off by a reload */
	struct map_errors *map_errors;
	struct self_facts self; /* what the self collector reports of the start-up */
	/* The queries the attachment collectors make, as allowed once serving. */
	struct attach_queries queries;
	int stats_fd; /* BPF_ENABLE_STATS, held while cfg->run_stats asks; -1 if not */
	atomic_bool failing[COLLECTOR_MAX]; /* to log a collector's failures once */
	atomic_bool noted[NOTE_MAX]; /* which scrape_note conditions hold */
};

/*
 * A scrape's kernel time is its iterator reads, and the task_file walk
 * (owners) is the longest: the other iterators are read meanwhile on a
 * second thread, so a scrape waits about as long as the longest read,
 * not their sum.
 */
struct prefetch {
	pthread_t thread;
	bool running; /* the thread is still to be joined */
	const struct scrape_source *src;
	enum iter_kind order[ITER_KIND_MAX]; /* the reads, in the order collectors need them */
	size_t nr_reads;
	bool want[ITER_KIND_MAX]; /* read by the thread (in order), not consumed yet */
	struct iter_buf buf[ITER_KIND_MAX];
	int err[ITER_KIND_MAX];
	double seconds[ITER_KIND_MAX]; /* each read's duration */
	pthread_mutex_t lock; /* guards done */
	pthread_cond_t cond; /* a read is done */
	bool done[ITER_KIND_MAX];
};

/* One scrape's working set. */
struct scrape {
	const struct config *cfg;
	const struct scrape_source *src; /* every question to the kernel goes here */
	struct expo *out;
	struct iter_buf buf; /* for reads that were not prefetched */
	struct prefetch pre;
	double read_seconds; /* prefetched reads the running collector used, minus its wait */
	struct map_table maps;
	struct prog_table progs;
	bool progs_read; /* scrape_programs() ran: progs_err is its result */
	int progs_err;
	bool progs_valid; /* progs and uses hold this scrape's programs */
	struct map_use_index uses;
	/* scrape_map_rows() ran: map_rows_err is its result */
	bool map_rows_built;
	int map_rows_err;
	struct map_rows *map_rows;
	struct map_count count; /* how the maps collector counted entries */
	bool count_valid; /* the maps collector ran: count holds this scrape's results */
	struct owner_state *owner_state;
	struct owner_table owners;
	bool owners_read; /* scrape_owners() ran: owners_err is its result */
	int owners_err;
	bool owners_valid; /* owners was read in this scrape: labels may use it */
	/*
	 * Each holding task's labels on *_owner_info, per enum owner_via,
	 * rendered the first time a line needs them (len 0 until then).
	 */
	struct expo_labels *owner_sets;
	uint64_t owner_gen; /* the owners collector's generation in this scrape, 0 if none */
	struct mem_cache *mem_cache;
	struct mem_pass mem; /* what the maps collector's memory pass did */
	bool mem_valid;
	bool stats_held; /* the exporter holds the kernel's run-time statistics on */
	struct attach_queries queries; /* the exporter's, for this scrape */
	atomic_bool *noted; /* the exporter's, for scrape_note() */
	int stats_sysctl; /* kernel.bpf_stats_enabled: 1, 0, or -errno */
	struct link_table links;
	bool links_read; /* scrape_links() ran: links_err is its result */
	int links_err;
	struct perf_attach_table perf; /* where perf events' programs are attached */
	bool perf_read; /* scrape_perf_attach() ran: perf_err is its result */
	int perf_err;
	struct map_errors *map_errors; /* NULL: not loaded */
	struct map_err_table map_errs;
};

struct collector_result {
	bool enabled;
	bool success;
	double seconds;
};

struct collector {
	const char *name;
	enum collector_id id;
	int (*collect)(struct scrape *s); /* 0 or -errno */
	/* NULL, or false where the kernel lacks what it reads: it does not run at all. */
	bool (*supported)(const struct scrape *s);
};

/*
 * An iterator's records for this scrape: prefetched if it was, else read
 * now into s->buf. A prefetched *buf is valid until the scrape ends;
 * s->buf only until the next read that was not prefetched: decode it
 * first.
 */
int scrape_read(struct scrape *s, enum iter_kind kind, const struct iter_buf **buf);

/* Start the reads the enabled collectors need (prefetch); free everything read. */
void snapshot_start(struct scrape *s);
void snapshot_fini(struct scrape *s);

/*
 * This scrape's owner table (s->owners): the task_file read, pins,
 * container and pod names. The owners collector reads it; 0 or -errno.
 */
int scrape_owners(struct scrape *s);

/* This scrape's links (s->links), read on the first call; 0 or -errno on every call. */
int scrape_links(struct scrape *s);

/*
 * This scrape's programs (s->progs) and the map -> programs index
 * (s->uses), read on the first call, whichever collector makes it; 0 or
 * the read's -errno on every call. Map series join them and links follow
 * them, so they do not depend on program series being exported.
 */
int scrape_programs(struct scrape *s);

/*
 * Whether condition n holds in this scrape: 1 if it starts now (log it),
 * -1 if it ended now (log that), 0 if nothing changed.
 */
int scrape_note(struct scrape *s, enum scrape_note n, bool holds);

struct map_row {
	const struct bpfmap_map_record *rec;
	size_t map_index; /* rec's in s->maps: the count walk fills it in */
	char id[12];
	char name[BPFMAP_NAME_LEN + 1];
	const char *type;
	const char *values[MAP_LABEL_MAX]; /* the label schema's view of this row */
	size_t first_holder, nr_holders; /* in struct map_owners.holders */
	size_t first_use, nr_uses; /* programs using the map, in s->uses */
};

/* The holders of every kept map, back to back. */
struct map_owners {
	struct owner_set set; /* one map's, reused */
	struct owner_holder *holders;
	size_t nr, cap;
	struct str_arena strings; /* joined owner label values */
};

/* The kept maps of a scrape, in ascending id order. */
struct map_rows {
	struct map_row *rows;
	uint32_t *ids; /* of the kept maps, ascending: for pins, memory and map_errors */
	size_t nr;
	struct map_owners owners;
	char *prog_names; /* every kept map's joined program names, back to back */
};

/*
 * This scrape's maps (s->maps), joined with programs and owners and
 * filtered by the maps filters, built on the first call (snapshot.c),
 * whichever collector makes it; 0 or its -errno on every call.
 */
int scrape_map_rows(struct scrape *s, struct map_rows **out);
/* The kept maps' ids, ascending, once scrape_map_rows() succeeded. */
void scrape_kept_maps(const struct scrape *s, const uint32_t **ids, size_t *nr);
void map_rows__free(struct map_rows *r); /* NULL-safe */

/*
 * A program's label values, one per enum prog_label slot: built in one
 * place (prog_labels__build()) for the programs collector and for the
 * links, which are exported exactly when their program passes the
 * programs filters.
 */
struct prog_labels {
	char id[12];
	char name[BPFMAP_NAME_LEN + 1];
	char tag[2 * BPFMAP_TAG_LEN + 1];
	const char *values[PROG_LABEL_MAX];
};

/*
 * Fills l for program e; its owner values live in a, its holders in set
 * (both reused by the caller across programs). 0 or -errno.
 */
int prog_labels__build(struct scrape *s, const struct prog_entry *e, struct prog_labels *l,
		       struct owner_set *set, struct str_arena *a);
/* Does the program pass the programs filters (filters.programs)? */
bool prog_labels__kept(const struct scrape *s, const struct prog_labels *l);

int collect_owners(struct scrape *s);
int collect_programs(struct scrape *s);
int collect_maps(struct scrape *s);
int collect_links(struct scrape *s);
int collect_map_errors(struct scrape *s);
/*
 * Asked once capabilities are dropped: a refused query would fail its
 * collector on every scrape; instead it does not run (one log line).
 */
void attach_queries_probe(struct attach_queries *q, const struct config *cfg);
int collect_attach_netlink(struct scrape *s);
int collect_attach_cgroup(struct scrape *s);
int collect_attach_perf_event(struct scrape *s);

/*
 * This scrape's perf event attachments (s->perf), asked of the kernel on
 * the first call, whichever collector makes it (attach_perf_event, or
 * links for their perf_event links' targets): from the owners collector's
 * read, or a read of the task_file iterator where owners did not run.
 * 0 or -errno on every call.
 */
int scrape_perf_attach(struct scrape *s);

/* An attach type as libbpf names it ("cgroup_inet_ingress"), or its number in buf. */
const char *link_attach_type_name(uint32_t type, char *buf, size_t size);

/* ebpf_prog_attach_info's HELP: links and link-less attachments share the family. */
#define PROG_ATTACH_HELP                                                                    \
	"A program's attachment, through a link (link_id) or without one (via); always 1. " \
	"Join on id with program series."

/* A program of this scrape's table (ascending ids), or NULL. */
const struct prog_entry *scrape_find_prog(const struct prog_table *progs, uint32_t id);

/*
 * For the program and map writers (snapshot.c, owner_series.c). An object's
 * holders: after owner_object_labels(), values[0..OWNER_FIELD_MAX) are
 * its owner label values (strings live in a, or the owner table). A map
 * also gets the holders of the programs using it: s->uses entries
 * [first_use, first_use + nr_uses) (0, 0 for programs).
 */
int owner_object_labels(struct scrape *s, uint32_t kind, uint32_t id, size_t first_use,
			size_t nr_uses, struct owner_set *set, struct str_arena *a,
			const char **values);
/* Open "<prefix>_owner_info": then owner_write_info() per object. */
void owner_open_info(struct scrape *s, const char *family, const char *kind_name);
void owner_write_info(struct scrape *s, const char *id, uint32_t kind, uint32_t obj_id,
		      const struct owner_holder *h, size_t nr);
/* "<prefix>_pin_info{id, path}" for the given objects. */
void owner_write_pins(struct scrape *s, const char *family, const char *kind_name, uint32_t kind,
		      const uint32_t *ids, size_t nr);
/* Per-container and per-pod families of a kind, after owner_table__count(). */
void owner_write_workloads(struct scrape *s, uint32_t kind);
/*
 * The container id and pod uid a cgroup path names (cg), and their
 * names through the owners' resolver (out, "" where unknown, and always
 * when the owners collector did not run in this scrape). For links
 * attached to a cgroup.
 */
void owner_resolve_cgroup(struct scrape *s, const char *path, struct cgroup_info *cg,
			  struct resolved_names *out);
/* The same from a parsed path: for the holders of a network namespace. */
void owner_resolve_info(struct scrape *s, const struct cgroup_info *cg, struct resolved_names *out);
void collect_self(struct scrape *s, const struct self_facts *facts,
		  const struct collector_result results[COLLECTOR_MAX]);

/* The entry counting method a config gives on this kernel. */
enum map_count_method exporter_count_method(const struct config *cfg,
					    const struct source_facts *facts);

/* Are program run statistics being counted, so worth reporting? */
bool scrape_run_stats_on(const struct scrape *s);

/*
 * Hold the kernel's run-time statistics on, or let them go, as
 * cfg->run_stats says. At start-up, and on reload under the write lock.
 */
void exporter_apply_run_stats(struct exporter *exp);

/* Run one full scrape into out (reset first). 0, or -errno if out failed. */
int exporter__scrape(struct exporter *exp, struct expo *out);

#endif
