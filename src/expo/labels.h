/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Label selection and filtering for object series.
 *
 * Each object kind has a fixed schema of labels it can carry. A collector
 * fills one value per schema slot (values[MAP_LABEL_NAME] = "...");
 * the policy from the config then decides whether the object is exported
 * at all (include/exclude regexes, evaluated on every schema label, chosen
 * or not) and which labels its series carry.
 */
#ifndef BPFMAP_LABELS_H
#define BPFMAP_LABELS_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "expo.h"

enum object_kind { OBJECT_MAP, OBJECT_PROG, OBJECT_KIND_MAX };

/*
 * The owner labels (processes holding the object, their containers and
 * pods; several holders' values sorted, unique, ',' joined) come last in
 * both schemas and in the same order as enum owner_field (owners.h).
 */
enum map_label {
	MAP_LABEL_ID,
	MAP_LABEL_NAME,
	MAP_LABEL_TYPE, /* "map_type" */
	MAP_LABEL_PROG, /* names of programs using the map: sorted, unique, ',' joined */
	MAP_LABEL_COMM,
	MAP_LABEL_PID,
	MAP_LABEL_CONTAINER_ID,
	MAP_LABEL_CONTAINER,
	MAP_LABEL_POD,
	MAP_LABEL_NAMESPACE,
	MAP_LABEL_CGROUP,
	MAP_LABEL_MAX,
};

enum prog_label {
	PROG_LABEL_ID,
	PROG_LABEL_NAME,
	PROG_LABEL_TYPE, /* "prog_type" */
	PROG_LABEL_TAG,
	PROG_LABEL_COMM,
	PROG_LABEL_PID,
	PROG_LABEL_CONTAINER_ID,
	PROG_LABEL_CONTAINER,
	PROG_LABEL_POD,
	PROG_LABEL_NAMESPACE,
	PROG_LABEL_CGROUP,
	PROG_LABEL_MAX,
};

#define LABELS_MAX 16 /* >= every *_LABEL_MAX */

/* Schema: label name of each slot of a kind, and the slot count. */
const char *labels_name(enum object_kind kind, int slot);
int labels_count(enum object_kind kind);
/* Slot of a label name for a kind, or -ENOENT. */
int labels_slot(enum object_kind kind, const char *name);
/* "maps" / "programs": the kind's name in the config file. */
const char *labels_kind_name(enum object_kind kind);

struct label_rule {
	int slot;
	char *pattern; /* as written in the config */
	regex_t re; /* POSIX ERE, anchored at both ends like Prometheus relabeling */
};

struct label_policy {
	int selected[LABELS_MAX]; /* slots, in output order; always holds the "id" slot */
	size_t nr_selected;
	struct label_rule *include; /* kept only if every include rule matches */
	size_t nr_include;
	struct label_rule *exclude; /* dropped if any exclude rule matches */
	size_t nr_exclude;
};

/* Compile one rule; 0, or -EINVAL with a message in err (regerror text). */
int label_rule__init(struct label_rule *rule, int slot, const char *pattern, char *err,
		     size_t err_size);
void label_rule__fini(struct label_rule *rule);
void label_policy__fini(struct label_policy *policy); /* frees rules, NULL-safe */

/* values: one string per schema slot (NULL counts as ""). */
bool label_policy__keep(const struct label_policy *policy, const char *const *values);
/* Fills out[] with the selected labels (name, value); returns how many. */
size_t label_policy__select(const struct label_policy *policy, enum object_kind kind,
			    const char *const *values, struct expo_label *out);

#endif
