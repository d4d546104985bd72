// SPDX-License-Identifier: Apache-2.0
/*
 * Owners, from SEC("iter/task_file") and a walk of bpffs: which processes
 * hold each map and program, their containers and pods, and where objects
 * are pinned. Runs before the program and map collectors, which label
 * their series from this scrape's owner table with the helpers below.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
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

int collect_owners(struct scrape *s)
{
	const struct iter_buf *buf;
	struct owner_state *st = s->owner_state;
	uint64_t gen;
	size_t n;
	bool host_pidns;
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
	n = s->owners.nr_tasks * OWNER_VIA_MAX;
	s->owner_sets = calloc(n ? n : 1, sizeof(*s->owner_sets));
	if (!s->owner_sets)
		return -ENOMEM;
	s->owners_valid = true;
	s->owner_gen = gen;

	host_pidns = s->owners.reader_pidns_level == 0;
	if (!host_pidns && !atomic_exchange(&st->warned_pidns, true))
		log_warn(
			"owners: the exporter runs in its own PID namespace and sees only its "
			"processes: objects held by host processes are reported with "
			"owner=\"unknown\"; run it in the host's PID namespace (docker --pid=host, "
			"Kubernetes hostPID: true)");
	expo__family(s->out, "bpfmap_exporter_owners_host_pid_namespace",
		     "1 if the exporter sees every process on the host, 0 if only those of its "
		     "own PID namespace (owners of other processes' objects are then unknown).",
		     EXPO_GAUGE);
	expo__sample(s->out, NULL, 0, host_pidns);
	return 0;
}

/* ---- helpers for the program and map collectors ------------------------------- */

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

void owner_open_info(struct scrape *s, const char *family, const char *kind_name)
{
	char help[256];

	if (!s->owners_valid)
		return;
	snprintf(help, sizeof(help),
		 "A process holding the %s (owner=\"process\"), or owner=\"pinned\", \"none\" "
		 "(kept by the kernel only) or \"unknown\" (not visible); always 1.",
		 kind_name);
	expo__family(s->out, family, help, EXPO_GAUGE);
}

/* A holding task's labels on *_owner_info lines: via, then its fields. */
static struct expo_labels owner_info_set(struct scrape *s, size_t task, enum owner_via via)
{
	size_t slot = task * OWNER_VIA_MAX + via;
	struct expo_label labels[1 + OWNER_FIELD_MAX];
	struct expo_labels set;

	/* Rendered already: a set holds at least via, so it is never empty. */
	if (via < OWNER_VIA_MAX && s->owner_sets[slot].len)
		return s->owner_sets[slot];
	labels[0] = (struct expo_label){"via", owner_via_name(via)};
	for (int f = 0; f < OWNER_FIELD_MAX; f++)
		/* The owner fields' label names, as the map schema spells them. */
		labels[1 + f] = (struct expo_label){labels_name(OBJECT_MAP, MAP_LABEL_COMM + f),
						    owner_task_field(&s->owners.tasks[task], f)};
	set = expo__labels(s->out, labels, 1 + OWNER_FIELD_MAX);
	if (via < OWNER_VIA_MAX)
		s->owner_sets[slot] = set;
	return set;
}

void owner_write_info(struct scrape *s, const char *id, uint32_t kind, uint32_t obj_id,
		      const struct owner_holder *h, size_t nr)
{
	struct expo_label labels[2];
	size_t first;

	if (!s->owners_valid)
		return;
	labels[0] = (struct expo_label){"id", id};
	if (!nr) {
		const char *owner = owner_table__find_pins(&s->owners, kind, obj_id, &first)
					    ? "pinned"
				    : s->owners.reader_pidns_level == 0 ? "none"
									: "unknown";

		labels[1] = (struct expo_label){"owner", owner};
		expo__sample(s->out, labels, 2, 1);
		return;
	}
	labels[1] = (struct expo_label){"owner", "process"};
	for (size_t i = 0; i < nr; i++)
		expo__sample_with_set_u64(s->out, labels, 2, owner_info_set(s, h[i].task, h[i].via),
					  1);
}

void owner_write_pins(struct scrape *s, const char *family, const char *kind_name, uint32_t kind,
		      const uint32_t *ids, size_t nr)
{
	char help[160];

	if (!s->owners_valid || !s->owners.nr_pins)
		return;
	snprintf(help, sizeof(help),
		 "A path where the %s is pinned in bpffs (paths.bpffs); always 1.", kind_name);
	expo__family(s->out, family, help, EXPO_GAUGE);
	for (size_t i = 0; i < nr; i++) {
		size_t first, n = owner_table__find_pins(&s->owners, kind, ids[i], &first);
		char id[12];

		snprintf(id, sizeof(id), "%u", ids[i]);
		for (size_t p = first; p < first + n; p++) {
			const struct expo_label labels[] = {{"id", id},
							    {"path", s->owners.pins[p].path}};

			expo__sample(s->out, labels, 2, 1);
		}
	}
}

enum workload_value { WL_MAPS, WL_PROGS, WL_MAX_ENTRIES, WL_ENTRIES };

static bool workload_value(const struct owner_workload *w, enum workload_value v, uint64_t *out)
{
	switch (v) {
	case WL_MAPS:
		*out = w->maps;
		return w->maps > 0;
	case WL_PROGS:
		*out = w->progs;
		return w->progs > 0;
	case WL_MAX_ENTRIES:
		*out = w->max_entries;
		return w->maps > 0;
	default:
		*out = w->entries;
		return w->entries_known;
	}
}

void owner_write_workloads(struct scrape *s, uint32_t kind)
{
	static const struct {
		const char *name, *help;
		enum workload_value v;
		bool pods;
		uint32_t kind;
	} families[] = {
		{"ebpf_container_maps", "Maps held by a container's processes.", WL_MAPS, false,
		 BPFMAP_OBJ_MAP},
		{"ebpf_container_map_max_entries",
		 "Summed capacity of the maps held by a container's processes.", WL_MAX_ENTRIES,
		 false, BPFMAP_OBJ_MAP},
		{"ebpf_container_map_entries",
		 "Summed entries of the maps held by a container's processes, over maps with a "
		 "known count.",
		 WL_ENTRIES, false, BPFMAP_OBJ_MAP},
		{"ebpf_pod_maps", "Maps held by a pod's processes.", WL_MAPS, true, BPFMAP_OBJ_MAP},
		{"ebpf_pod_map_max_entries",
		 "Summed capacity of the maps held by a pod's processes.", WL_MAX_ENTRIES, true,
		 BPFMAP_OBJ_MAP},
		{"ebpf_pod_map_entries",
		 "Summed entries of the maps held by a pod's processes, over maps with a known "
		 "count.",
		 WL_ENTRIES, true, BPFMAP_OBJ_MAP},
		{"ebpf_container_programs", "Programs held by a container's processes.", WL_PROGS,
		 false, BPFMAP_OBJ_PROG},
		{"ebpf_pod_programs", "Programs held by a pod's processes.", WL_PROGS, true,
		 BPFMAP_OBJ_PROG},
	};
	const struct owner_table *t = &s->owners;

	if (!s->owners_valid)
		return;
	for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
		const struct owner_workload *w = families[f].pods ? t->pods : t->containers;
		size_t nr = families[f].pods ? t->nr_pods : t->nr_containers;

		if (families[f].kind != kind)
			continue;
		expo__family(s->out, families[f].name, families[f].help, EXPO_GAUGE);
		for (size_t i = 0; i < nr; i++) {
			const struct owner_task *task = &t->tasks[w[i].task];
			struct expo_label labels[4];
			size_t n = 0;
			uint64_t value;

			if (!workload_value(&w[i], families[f].v, &value))
				continue;
			if (families[f].pods) {
				labels[n++] = (struct expo_label){"pod_uid", task->pod_uid};
			} else {
				labels[n++] =
					(struct expo_label){"container_id", task->cg.container_id};
				labels[n++] = (struct expo_label){"container", task->container};
			}
			labels[n++] = (struct expo_label){"pod", task->pod};
			labels[n++] = (struct expo_label){"namespace", task->namespace};
			expo__sample_u64(s->out, labels, n, value);
		}
	}
}
