/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration: YAML (libyaml) -> struct config.
 *
 * The embedded default (src/default_config.yaml, compiled in) is parsed
 * by the same code as a user's file. Every error names file:line:column.
 */
#ifndef BPFMAP_CONFIG_H
#define BPFMAP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "labels.h"
#include "log.h"

/* The collectors a config can switch on and off; collector.c implements them. */
enum collector_id {
	COLLECTOR_MAPS,
	COLLECTOR_PROGRAMS,
	COLLECTOR_OWNERS,
	COLLECTOR_LINKS,
	COLLECTOR_MAP_ERRORS,
	COLLECTOR_ATTACH_NETLINK,
	COLLECTOR_ATTACH_CGROUP,
	COLLECTOR_ATTACH_PERF_EVENT,
	COLLECTOR_MAX,
};
/* "maps", "programs", "owners", "links", "map_errors", "attach_netlink",
 * "attach_cgroup", "attach_perf_event" */
extern const char *const collector_names[COLLECTOR_MAX];

/* counting.method: how hash maps get their entry counts. */
enum counting_mode {
	COUNTING_AUTO, /* the kernel's kfunc where it exists (6.6+), else the best walk */
	COUNTING_WALK, /* the best walk the kernel allows, even where the kfunc exists */
	COUNTING_ITERATOR, /* walks with the bpf_map_elem iterator only */
	COUNTING_BATCH, /* walks with batched lookups only */
	COUNTING_KEYS, /* walks one key at a time only */
	COUNTING_NONE, /* no entry counts */
	COUNTING_MODE_MAX,
};
extern const char *const counting_mode_names[COUNTING_MODE_MAX]; /* "auto", ... */

struct static_label {
	char *name;
	char *value; /* after ${ENV} expansion */
};

struct config {
	/* web: */
	char *listen_address; /* ":2112", "127.0.0.1:2112", "[::1]:2112" */
	char *telemetry_path; /* starts with '/' */
	unsigned int max_connections;
	unsigned int max_connections_per_ip;
	unsigned int timeout_seconds;
	/* log: */
	enum log_level log_level;
	/* collectors: */
	bool collectors[COLLECTOR_MAX];
	/* labels: + filters: */
	struct label_policy policy[OBJECT_KIND_MAX];
	/* static_labels: */
	struct static_label *static_labels;
	size_t nr_static_labels;
	/* compat: */
	bool seed_metrics; /* also export ebpf_map_curr_elem_count */
	/* counting: */
	enum counting_mode counting_mode;
	unsigned int fallback_max_entries; /* per scrape: max_entries summed over walked maps */
	/* paths: */
	char *rootfs; /* host files (kubelet, container runtimes) are read under it */
	char **bpffs; /* bpffs directories walked for pinned objects */
	size_t nr_bpffs;
	/* owners: */
	bool owners_via_programs; /* a map is also owned by its programs' holders */
	/* programs: */
	bool run_stats; /* hold the kernel's BPF run-time statistics on (BPF_ENABLE_STATS) */
	/* memory: */
	unsigned int memory_max_age_seconds; /* a map's memory is re-read when older */
	unsigned int memory_reads_per_scrape; /* maps whose fdinfo a scrape may read; 0: none */
};

/* The embedded default, as YAML text. */
extern const char config_default_yaml[];

/*
 * Parse YAML text. name is used in messages ("<embedded>", a path).
 * Returns a new config, or NULL with "name:line:col: message" in err.
 */
struct config *config__parse(const char *name, const char *text, size_t len, char *err,
			     size_t err_size);
/* Read and parse a file; a missing/unreadable file is an error in err too. */
struct config *config__load_file(const char *path, char *err, size_t err_size);
struct config *config__load_default(char *err, size_t err_size);
void config__free(struct config *cfg); /* NULL-safe */

/* The rules for web.telemetry_path, shared with the --web.telemetry-path flag. */
#define CONFIG_TELEMETRY_PATH_RULE                                                 \
	"must start with \"/\", not be \"/\" itself, and hold no spaces, control " \
	"characters or any of ?#\"'<>&\\"
bool config_telemetry_path_valid(const char *path);

#endif
