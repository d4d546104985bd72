// SPDX-License-Identifier: Apache-2.0
/*
 * The owner families of any object kind (*_owner_info, *_pin_info, the
 * per-container and per-pod counts), written from the snapshot's owner
 * table for the map and program writers: a library of theirs, never a
 * writer itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "log.h"
#include "util.h"

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

	if (!s->owner_sets) {
		size_t n = s->owners.nr_tasks * OWNER_VIA_MAX;

		s->owner_sets = calloc(n ? n : 1, sizeof(*s->owner_sets));
	}
	/* Rendered already: a set holds at least via, so it is never empty. */
	if (via < OWNER_VIA_MAX && s->owner_sets && s->owner_sets[slot].len)
		return s->owner_sets[slot];
	labels[0] = (struct expo_label){"via", owner_via_name(via)};
	for (int f = 0; f < OWNER_FIELD_MAX; f++)
		/* The owner fields' label names, as the map schema spells them. */
		labels[1 + f] = (struct expo_label){labels_name(OBJECT_MAP, MAP_LABEL_COMM + f),
						    owner_task_field(&s->owners.tasks[task], f)};
	set = expo__labels(s->out, labels, 1 + OWNER_FIELD_MAX);
	if (via < OWNER_VIA_MAX && s->owner_sets)
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
