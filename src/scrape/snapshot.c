// SPDX-License-Identifier: Apache-2.0
/*
 * The snapshot: what a scrape reads, read once by the first writer that
 * needs it (iterator reads overlapped on a second thread, decoding,
 * joins, owner and container names, label values, the maps filters'
 * verdict), then only read. Writers (collect_*.c) take it and write
 * series; none calls another.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "collector.h"
#include "grow.h"
#include "log.h"
#include "pins.h"
#include "resolve.h"
#include "util.h"

_Static_assert(RESOLVE_NAME_MAX == OWNER_NAME_MAX, "resolved names fit owner tasks");
_Static_assert(MAP_LABEL_CGROUP - MAP_LABEL_COMM == OWNER_CGROUP - OWNER_COMM &&
		       MAP_LABEL_COMM + OWNER_FIELD_MAX == MAP_LABEL_MAX,
	       "map owner labels follow enum owner_field");
_Static_assert(PROG_LABEL_CGROUP - PROG_LABEL_COMM == OWNER_CGROUP - OWNER_COMM &&
		       PROG_LABEL_COMM + OWNER_FIELD_MAX == PROG_LABEL_MAX,
	       "program owner labels follow enum owner_field");

struct owner_state {
	/*
	 * Held across the task_file read and the pin walk: the walk opens each
	 * new pin for an instant, and a concurrent read would report the
	 * exporter as a holder of that object.
	 */
	pthread_mutex_t lock;
	struct pin_cache *pins;
	struct resolver *resolver;
	atomic_uint_fast64_t generation;
	atomic_bool warned_pidns;
};

int owner_state__new(struct owner_state **out)
{
	struct owner_state *st = calloc(1, sizeof(*st));
	int err;

	*out = NULL;
	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	err = pin_cache__new(&st->pins);
	if (!err)
		err = resolver__new(&st->resolver);
	if (err) {
		owner_state__free(st);
		return err;
	}
	*out = st;
	return 0;
}

void owner_state__free(struct owner_state *st)
{
	if (!st)
		return;
	pin_cache__free(st->pins);
	resolver__free(st->resolver);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* Names of every holding task's container and pod (cached by the resolver). */
static void resolve_names(struct scrape *s, uint64_t gen)
{
	struct resolver *r = s->owner_state->resolver;
	double now = monotonic_seconds();

	for (size_t i = 0; i < s->owners.nr_tasks; i++) {
		struct owner_task *task = &s->owners.tasks[i];
		struct resolved_names n;

		resolver__lookup(r, s->cfg->rootfs, &task->cg, gen, now, &n);
		memcpy(task->container, n.container, sizeof(n.container));
		memcpy(task->pod, n.pod, sizeof(n.pod));
		memcpy(task->namespace, n.namespace, sizeof(n.namespace));
		memcpy(task->pod_uid, n.pod_uid, sizeof(n.pod_uid));
	}
	resolver__sweep(r, gen);
}

/*
 * Under this scrape's generation: a container that no process holding BPF
 * objects runs in is forgotten by the next scrape's sweep and read anew,
 * a few small files per cgroup link.
 */
void owner_resolve_info(struct scrape *s, const struct cgroup_info *cg, struct resolved_names *out)
{
	memset(out, 0, sizeof(*out));
	if (!s->owner_gen || !s->owner_state || (!cg->container_id[0] && !cg->pod_uid[0]))
		return;
	resolver__lookup(s->owner_state->resolver, s->cfg->rootfs, cg, s->owner_gen,
			 monotonic_seconds(), out);
}

void owner_resolve_cgroup(struct scrape *s, const char *path, struct cgroup_info *cg,
			  struct resolved_names *out)
{
	cgroup_path_parse(path, cg);
	owner_resolve_info(s, cg, out);
}

/* ---- reads ---------------------------------------------------------------- */

/* Each read is handed over as soon as it is done: a collector waits for its own only. */
static void *prefetch_run(void *arg)
{
	struct prefetch *pre = arg;

	for (size_t i = 0; i < pre->nr_reads; i++) {
		enum iter_kind k = pre->order[i];
		double t0 = monotonic_seconds();

		pre->err[k] = pre->src->read(pre->src->ctx, k, &pre->buf[k]);
		pre->seconds[k] = monotonic_seconds() - t0;
		pthread_mutex_lock(&pre->lock);
		pre->done[k] = true;
		pthread_cond_broadcast(&pre->cond);
		pthread_mutex_unlock(&pre->lock);
	}
	return NULL;
}

/*
 * On another CPU than this thread's: a new thread starts on its parent's
 * CPU, and while the parent reads an iterator in the kernel it may wait
 * there for a scheduler tick before an idle CPU takes it.
 */
static int prefetch_spawn(struct prefetch *pre)
{
	pthread_attr_t attr;
	cpu_set_t cpus;
	int cpu = sched_getcpu(), err;

	if (pthread_attr_init(&attr))
		return -1;
	if (cpu >= 0 && !sched_getaffinity(0, sizeof(cpus), &cpus) && CPU_ISSET(cpu, &cpus) &&
	    CPU_COUNT(&cpus) > 1) {
		CPU_CLR(cpu, &cpus);
		pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	}
	err = pthread_create(&pre->thread, &attr, prefetch_run, pre);
	pthread_attr_destroy(&attr);
	return err;
}

/*
 * The iterators the enabled collectors other than owners read, on their
 * own thread, in the order the collectors need them: programs are
 * formatted while the maps are still read. Programs are read for maps
 * and links too (scrape_programs()).
 */
void snapshot_start(struct scrape *s)
{
	const bool *on = s->cfg->collectors;
	bool links = on[COLLECTOR_LINKS] && s->src->facts.iter[ITER_LINKS];
	const struct {
		bool needed;
		enum iter_kind kind;
	} reads[] = {
		{on[COLLECTOR_PROGRAMS] || on[COLLECTOR_MAPS] || links, ITER_PROGS},
		{on[COLLECTOR_MAPS], ITER_MAPS},
		{links, ITER_LINKS},
	};
	bool any = false;

	s->pre.src = s->src;
	for (size_t i = 0; i < ARRAY_SIZE(reads); i++) {
		bool want = reads[i].needed && s->src->facts.iter[reads[i].kind];

		s->pre.want[reads[i].kind] = want;
		if (want)
			s->pre.order[s->pre.nr_reads++] = reads[i].kind;
		any |= want;
	}
	/* Without owners there is nothing to overlap with. */
	if (!any || !s->cfg->collectors[COLLECTOR_OWNERS])
		goto alone;
	pthread_mutex_init(&s->pre.lock, NULL);
	pthread_cond_init(&s->pre.cond, NULL);
	if (prefetch_spawn(&s->pre)) {
		pthread_cond_destroy(&s->pre.cond);
		pthread_mutex_destroy(&s->pre.lock);
		goto alone;
	}
	s->pre.running = true;
	return;
alone:
	memset(s->pre.want, 0, sizeof(s->pre.want)); /* each collector reads its own */
	s->pre.nr_reads = 0;
}

static void prefetch_join(struct scrape *s)
{
	if (s->pre.running) {
		pthread_join(s->pre.thread, NULL);
		pthread_cond_destroy(&s->pre.cond);
		pthread_mutex_destroy(&s->pre.lock);
		s->pre.running = false;
	}
}

int scrape_read(struct scrape *s, enum iter_kind kind, const struct iter_buf **buf)
{
	double t0;

	if (!s->pre.want[kind]) {
		*buf = &s->buf;
		return s->src->read(s->src->ctx, kind, &s->buf);
	}
	t0 = monotonic_seconds();
	pthread_mutex_lock(&s->pre.lock);
	while (!s->pre.done[kind])
		pthread_cond_wait(&s->pre.cond, &s->pre.lock);
	pthread_mutex_unlock(&s->pre.lock);
	/* The collector's duration counts the read, not its wait for it. */
	s->read_seconds += s->pre.seconds[kind] - (monotonic_seconds() - t0);
	s->pre.want[kind] = false;
	*buf = &s->pre.buf[kind];
	return s->pre.err[kind];
}

int scrape_programs(struct scrape *s)
{
	const struct iter_buf *buf;
	int err;

	if (s->progs_read)
		return s->progs_err;
	s->progs_read = true;
	err = scrape_read(s, ITER_PROGS, &buf);
	if (!err)
		err = records_decode_progs(buf->data, buf->len, &s->progs);
	if (!err)
		err = map_use_index__build(&s->uses, &s->progs);
	s->progs_err = err;
	s->progs_valid = !err;
	return err;
}

int scrape_note(struct scrape *s, enum scrape_note n, bool holds)
{
	bool held = atomic_exchange(&s->noted[n], holds);

	return holds == held ? 0 : holds ? 1 : -1;
}

const struct prog_entry *scrape_find_prog(const struct prog_table *progs, uint32_t id)
{
	size_t lo = 0, hi = progs->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (progs->progs[mid].rec.id == id)
			return &progs->progs[mid];
		if (progs->progs[mid].rec.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * This scrape's owner table: the task_file read, the pins, container and
 * pod names. Only where the owners collector is on: owner labels are
 * empty otherwise.
 */
static int read_owners(struct scrape *s)
{
	const struct iter_buf *buf;
	struct owner_state *st = s->owner_state;
	uint64_t gen;
	int err;

	if (!st)
		return -EINVAL;
	gen = atomic_fetch_add(&st->generation, 1) + 1;
	pthread_mutex_lock(&st->lock);
	err = scrape_read(s, ITER_OWNERS, &buf);
	if (!err)
		err = owner_table__decode(&s->owners, buf->data, buf->len);
	if (!err)
		err = s->src->walk_pins(s->src->ctx, st->pins, s->cfg->bpffs, s->cfg->nr_bpffs,
					&s->owners);
	pthread_mutex_unlock(&st->lock);
	if (err)
		return err;

	owner_table__parse_cgroups(&s->owners);
	resolve_names(s, gen);
	err = owner_table__index_workloads(&s->owners);
	if (err)
		return err;
	s->owners_valid = true;
	s->owner_gen = gen;
	if (s->owners.reader_pidns_level != 0 && !atomic_exchange(&st->warned_pidns, true))
		log_warn(
			"owners: the exporter runs in its own PID namespace and sees only its "
			"processes: objects held by host processes are reported with "
			"owner=\"unknown\"; run it in the host's PID namespace (docker --pid=host, "
			"Kubernetes hostPID: true)");
	return 0;
}

int scrape_owners(struct scrape *s)
{
	if (!s->owners_read) {
		s->owners_read = true;
		s->owners_err = read_owners(s);
	}
	return s->owners_err;
}

/* This scrape's links (s->links), read on the first call; 0 or -errno on every call. */
int scrape_links(struct scrape *s)
{
	const struct iter_buf *buf;
	int err;

	if (s->links_read)
		return s->links_err;
	s->links_read = true;
	err = scrape_read(s, ITER_LINKS, &buf);
	if (!err)
		err = records_decode_links(buf->data, buf->len, &s->links);
	s->links_err = err;
	return err;
}

int scrape_perf_attach(struct scrape *s)
{
	struct owner_table local = {0};
	const struct owner_table *t = &s->owners;
	const struct iter_buf *buf;
	int err = 0;

	if (s->perf_read)
		return s->perf_err;
	s->perf_read = true;
	if (!s->owners_valid) {
		/* The owners collector is off or failed: its read, for the perf events only. */
		err = scrape_read(s, ITER_OWNERS, &buf);
		if (!err)
			err = owner_table__decode(&local, buf->data, buf->len);
		if (err)
			goto out;
		t = &local;
	}
	/*
	 * The records name tasks by their pids on the host; the query looks a
	 * pid up in the exporter's own PID namespace. Outside the host's
	 * (no hostPID), it would miss, or ask another task.
	 */
	if (t->reader_pidns_level != 0) {
		err = -ESRCH;
		goto out;
	}
	err = perf_attach_table__read(&s->perf, t->perf, t->nr_perf, s->src->task_fd_query,
				      s->src->ctx);
out:
	owner_table__fini(&local);
	s->perf_err = err;
	return err;
}

/* ---- label values, built once ------------------------------------------------ */

int owner_object_labels(struct scrape *s, uint32_t kind, uint32_t id, size_t first_use,
			size_t nr_uses, struct owner_set *set, struct str_arena *a,
			const char **values)
{
	int err;

	owner_set__clear(set);
	for (int f = 0; f < OWNER_FIELD_MAX; f++)
		values[f] = "";
	if (!s->owners_valid)
		return 0;
	err = owner_set__add(set, &s->owners, kind, id, -1);
	if (!err && kind == BPFMAP_OBJ_MAP && s->cfg->owners_via_programs) {
		for (size_t u = first_use; !err && u < first_use + nr_uses; u++) {
			uint32_t prog_id = s->progs.progs[s->uses.uses[u].prog_index].rec.id;

			err = owner_set__add(set, &s->owners, BPFMAP_OBJ_PROG, prog_id,
					     OWNER_VIA_PROGRAM);
		}
	}
	if (err)
		return err;
	owner_set__finish(set, &s->owners);
	for (int f = 0; f < OWNER_FIELD_MAX; f++) {
		values[f] = owner_set__join(set, &s->owners, f, a);
		if (!values[f])
			return -ENOMEM;
	}
	return 0;
}

/*
 * Program and map types newer than the libbpf we build with (UAPI numbers
 * are stable): named by us, so a netfilter program is not "unknown".
 */
static const char *prog_type_name(uint32_t type)
{
	const char *name = libbpf_bpf_prog_type_str(type);

	if (!name && type == 32)
		name = "netfilter"; /* 6.4 */
	return name ? name : "unknown";
}

static const char *map_type_name(uint32_t type)
{
	const char *name = libbpf_bpf_map_type_str(type);

	if (!name && type == 33)
		name = "arena"; /* 6.9 */
	return name ? name : "unknown";
}

int prog_labels__build(struct scrape *s, const struct prog_entry *e, struct prog_labels *l,
		       struct owner_set *set, struct str_arena *a)
{
	const char *type = prog_type_name(e->rec.type);

	expo_format_u64(e->rec.id, l->id);
	records_name(l->name, e->rec.name);
	for (int i = 0; i < BPFMAP_TAG_LEN; i++) {
		l->tag[2 * i] = "0123456789abcdef"[e->rec.tag[i] >> 4];
		l->tag[2 * i + 1] = "0123456789abcdef"[e->rec.tag[i] & 0xf];
	}
	l->tag[2 * BPFMAP_TAG_LEN] = '\0';
	l->values[PROG_LABEL_ID] = l->id;
	l->values[PROG_LABEL_NAME] = l->name;
	l->values[PROG_LABEL_TYPE] = type;
	l->values[PROG_LABEL_TAG] = l->tag;
	return owner_object_labels(s, BPFMAP_OBJ_PROG, e->rec.id, 0, 0, set, a,
				   &l->values[PROG_LABEL_COMM]);
}

bool prog_labels__kept(const struct scrape *s, const struct prog_labels *l)
{
	return label_policy__keep(&s->cfg->policy[OBJECT_PROG], l->values);
}

/* Attach types libbpf 1.1 does not know (UAPI numbers are stable). */
static const struct {
	unsigned int type;
	const char *name;
} new_attach_types[] = {
	{45, "netfilter"},
	{46, "tcx_ingress"},
	{47, "tcx_egress"},
	{48, "trace_uprobe_multi"},
	{49, "cgroup_unix_connect"},
	{50, "cgroup_unix_sendmsg"},
	{51, "cgroup_unix_recvmsg"},
	{52, "cgroup_unix_getpeername"},
	{53, "cgroup_unix_getsockname"},
	{54, "netkit_primary"},
	{55, "netkit_peer"},
};

const char *link_attach_type_name(uint32_t type, char *buf, size_t size)
{
	const char *name = libbpf_bpf_attach_type_str(type);

	for (size_t i = 0; !name && i < ARRAY_SIZE(new_attach_types); i++)
		if (new_attach_types[i].type == type)
			name = new_attach_types[i].name;
	if (!name) {
		snprintf(buf, size, "%u", type);
		name = buf;
	}
	return name;
}

/* ---- the maps' rows ---------------------------------------------------------- */

/*
 * Writes the sorted, de-duplicated names of the programs using a map
 * into out (sized by the caller for the worst case); returns its length.
 */
static size_t join_prog_names(const struct scrape *s, const struct map_row *row, char *out)
{
	const char *prev = NULL;
	size_t len = 0;

	for (size_t i = row->first_use; i < row->first_use + row->nr_uses; i++) {
		const char *name = s->progs.progs[s->uses.uses[i].prog_index].rec.name;
		size_t name_len = strnlen(name, BPFMAP_NAME_LEN);

		if (!name_len || (prev && !strncmp(prev, name, BPFMAP_NAME_LEN)))
			continue;
		if (len)
			out[len++] = ',';
		memcpy(out + len, name, name_len);
		len += name_len;
		prev = name;
	}
	out[len] = '\0';
	return len;
}

/* Keep the holders of a kept row (the set is reused for the next map). */
static int keep_holders(struct map_owners *o, struct map_row *row)
{
	int err = grow_array((void **)&o->holders, &o->cap, o->nr + o->set.nr, sizeof(*o->holders));

	if (err)
		return err;
	if (o->set.nr)
		memcpy(o->holders + o->nr, o->set.h, o->set.nr * sizeof(*o->holders));
	row->first_holder = o->nr;
	row->nr_holders = o->set.nr;
	o->nr += o->set.nr;
	return 0;
}

void map_rows__free(struct map_rows *r)
{
	if (!r)
		return;
	owner_set__fini(&r->owners.set);
	free(r->owners.holders);
	str_arena__fini(&r->owners.strings);
	free(r->prog_names);
	free(r->ids);
	free(r->rows);
	free(r);
}

static int build_rows(struct scrape *s, struct map_rows *r)
{
	const struct iter_buf *buf;
	const struct label_policy *policy = &s->cfg->policy[OBJECT_MAP];
	char *next_names;
	int err;

	/*
	 * The join with programs (the prog label, ebpf_map_program_info, owners
	 * through programs) is part of the map series: read them whether or not
	 * program series are exported. A kernel without the iterator, or a
	 * read that failed, leaves maps without it, never without their series.
	 */
	if (s->src->facts.iter[ITER_PROGS]) {
		err = scrape_programs(s);
		switch (scrape_note(s, NOTE_MAPS_WITHOUT_PROGRAMS, err != 0)) {
		case 1:
			log_warn("maps: reading programs failed (%s): map series go without "
				 "prog and ebpf_map_program_info until it works again",
				 strerror(-err));
			break;
		case -1:
			log_info("maps: programs read again, map series joined with them");
			break;
		}
	}
	err = scrape_read(s, ITER_MAPS, &buf);
	if (!err)
		err = records_decode_maps(buf->data, buf->len, &s->maps);
	if (err)
		return err;

	/* Worst case of every map's joined program names, so no pointer moves. */
	r->rows = calloc(s->maps.nr ? s->maps.nr : 1, sizeof(*r->rows));
	r->ids = calloc(s->maps.nr ? s->maps.nr : 1, sizeof(*r->ids));
	r->prog_names = malloc(s->uses.nr * (BPFMAP_NAME_LEN + 1) + s->maps.nr + 1);
	if (!r->rows || !r->ids || !r->prog_names)
		return -ENOMEM;
	next_names = r->prog_names;
	/* In ascending id order, as the iterator returns maps: the budget goes to older maps. */
	for (size_t i = 0; i < s->maps.nr; i++) {
		struct map_row *row = &r->rows[r->nr];
		const struct bpfmap_map_record *rec = &s->maps.maps[i];

		row->rec = rec;
		row->map_index = i;
		expo_format_u64(rec->id, row->id);
		records_name(row->name, rec->name);
		row->type = map_type_name(rec->type);
		row->values[MAP_LABEL_ID] = row->id;
		row->values[MAP_LABEL_NAME] = row->name;
		row->values[MAP_LABEL_TYPE] = row->type;
		row->values[MAP_LABEL_PROG] = next_names;
		row->first_use = row->nr_uses = 0;
		if (s->progs_valid)
			row->nr_uses = map_use_index__find(&s->uses, rec->id, &row->first_use);
		/* Joined before the filters, which may select on them. */
		join_prog_names(s, row, next_names);
		err = owner_object_labels(s, BPFMAP_OBJ_MAP, rec->id, row->first_use, row->nr_uses,
					  &r->owners.set, &r->owners.strings,
					  &row->values[MAP_LABEL_COMM]);
		if (err)
			return err;
		if (!label_policy__keep(policy, row->values))
			continue;
		err = keep_holders(&r->owners, row);
		if (err)
			return err;
		next_names += strlen(next_names) + 1;
		r->ids[r->nr++] = rec->id;
	}
	return 0;
}

int scrape_map_rows(struct scrape *s, struct map_rows **out)
{
	if (!s->map_rows_built) {
		s->map_rows_built = true;
		s->map_rows = calloc(1, sizeof(*s->map_rows));
		s->map_rows_err = s->map_rows ? build_rows(s, s->map_rows) : -ENOMEM;
	}
	*out = s->map_rows;
	return s->map_rows_err;
}

void scrape_kept_maps(const struct scrape *s, const uint32_t **ids, size_t *nr)
{
	*ids = s->map_rows ? s->map_rows->ids : NULL;
	*nr = s->map_rows ? s->map_rows->nr : 0;
}

void snapshot_fini(struct scrape *s)
{
	prefetch_join(s);
	for (int k = 0; k < ITER_KIND_MAX; k++)
		iter_buf__fini(&s->pre.buf[k]);
	iter_buf__fini(&s->buf);
	map_rows__free(s->map_rows);
	map_table__fini(&s->maps);
	prog_table__fini(&s->progs);
	map_use_index__fini(&s->uses);
	owner_table__fini(&s->owners);
	free(s->owner_sets);
	link_table__fini(&s->links);
	perf_attach_table__fini(&s->perf);
	map_err_table__fini(&s->map_errs);
}
