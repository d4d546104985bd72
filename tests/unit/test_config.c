// SPDX-License-Identifier: Apache-2.0
/* Config parsing: defaults, overlay, every error with its exact position. */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NAME "t.yaml"

static struct config *parse(const char *yaml, char *err, size_t err_size)
{
	return config__parse(NAME, yaml, strlen(yaml), err, err_size);
}

static struct config *must_parse(const char *yaml)
{
	char err[1024] = "";
	struct config *cfg = parse(yaml, err, sizeof(err));

	if (!cfg)
		fail_msg("unexpected error: %s\n--- input:\n%s", err, yaml);
	return cfg;
}

/* The whole message must equal want, or (prefix) start with it. */
static void check_error(const char *yaml, const char *want, bool prefix, const char *file, int line)
{
	char err[1024] = "";
	struct config *cfg = parse(yaml, err, sizeof(err));
	bool ok = prefix ? !strncmp(err, want, strlen(want)) : !strcmp(err, want);

	if (cfg) {
		config__free(cfg);
		fail_msg("%s:%d: parsed, expected error \"%s\"\n--- input:\n%s", file, line, want,
			 yaml);
	}
	if (!ok)
		fail_msg("%s:%d: error\n  got:  \"%s\"\n  want: \"%s\"%s\n--- input:\n%s", file,
			 line, err, want, prefix ? "..." : "", yaml);
}

#define expect_error(yaml, want) check_error(yaml, want, false, __FILE__, __LINE__)
#define expect_error_prefix(yaml, want) check_error(yaml, want, true, __FILE__, __LINE__)

static void assert_selected(const struct label_policy *p, const int *want, size_t n)
{
	assert_int_equal(p->nr_selected, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(p->selected[i], want[i]);
}

static const int default_map_labels[] = {MAP_LABEL_ID,	 MAP_LABEL_NAME,     MAP_LABEL_TYPE,
					 MAP_LABEL_PROG, MAP_LABEL_COMM,     MAP_LABEL_CONTAINER,
					 MAP_LABEL_POD,	 MAP_LABEL_NAMESPACE};
static const int default_prog_labels[] = {
	PROG_LABEL_ID,	      PROG_LABEL_NAME, PROG_LABEL_TYPE,	    PROG_LABEL_COMM,
	PROG_LABEL_CONTAINER, PROG_LABEL_POD,  PROG_LABEL_NAMESPACE};

/* The values of src/config/default_config.yaml. */
static void assert_defaults(const struct config *cfg)
{
	assert_non_null(cfg);
	assert_string_equal(cfg->listen_address, ":2112");
	assert_string_equal(cfg->telemetry_path, "/metrics");
	assert_int_equal(cfg->max_connections, 64);
	assert_int_equal(cfg->max_connections_per_ip, 16);
	assert_int_equal(cfg->timeout_seconds, 10);
	assert_int_equal(cfg->log_level, LOG_INFO);
	assert_true(cfg->collectors[COLLECTOR_MAPS]);
	assert_true(cfg->collectors[COLLECTOR_PROGRAMS]);
	assert_selected(&cfg->policy[OBJECT_MAP], default_map_labels,
			ARRAY_SIZE(default_map_labels));
	assert_selected(&cfg->policy[OBJECT_PROG], default_prog_labels,
			ARRAY_SIZE(default_prog_labels));
	for (int k = 0; k < OBJECT_KIND_MAX; k++) {
		assert_int_equal(cfg->policy[k].nr_include, 0);
		assert_int_equal(cfg->policy[k].nr_exclude, 0);
	}
	assert_int_equal(cfg->nr_static_labels, 0);
	assert_false(cfg->seed_metrics);
	assert_int_equal(cfg->counting_mode, COUNTING_AUTO);
	assert_int_equal(cfg->fallback_max_entries, 1000000);
	assert_true(cfg->collectors[COLLECTOR_OWNERS]);
	assert_string_equal(cfg->rootfs, "/");
	assert_int_equal(cfg->nr_bpffs, 1);
	assert_string_equal(cfg->bpffs[0], "/sys/fs/bpf");
	assert_true(cfg->owners_via_programs);
	assert_true(cfg->collectors[COLLECTOR_LINKS]);
	assert_false(cfg->collectors[COLLECTOR_MAP_ERRORS]); /* opt-in: a cost on every update */
	assert_false(cfg->run_stats);
	assert_int_equal(cfg->memory_max_age_seconds, 60);
	assert_int_equal(cfg->memory_reads_per_scrape, 1000);
}

static void test_default(void **state)
{
	char err[256] = "";
	struct config *cfg = config__load_default(err, sizeof(err));

	(void)state;
	assert_string_equal(err, "");
	assert_defaults(cfg);
	config__free(cfg);
	config__free(NULL);
	assert_string_equal(collector_names[COLLECTOR_MAPS], "maps");
	assert_string_equal(collector_names[COLLECTOR_PROGRAMS], "programs");
	assert_string_equal(collector_names[COLLECTOR_OWNERS], "owners");
	assert_string_equal(collector_names[COLLECTOR_LINKS], "links");
	assert_string_equal(collector_names[COLLECTOR_MAP_ERRORS], "map_errors");
	assert_string_equal(collector_names[COLLECTOR_ATTACH_NETLINK], "attach_netlink");
	assert_string_equal(collector_names[COLLECTOR_ATTACH_CGROUP], "attach_cgroup");
	assert_string_equal(collector_names[COLLECTOR_ATTACH_PERF_EVENT], "attach_perf_event");
}

static void test_empty_inputs(void **state)
{
	static const char *const inputs[] = {
		"",
		"\n\n",
		"# only a comment\n",
		"---\n",
		"---\n...\n",
		"~\n",
		"{}\n",
		/* null sections set nothing */
		"web:\nlog:\ncollectors:\nfilters:\ncompat:\npaths:\nowners:\n",
		"web: {}\nfilters:\n  maps: {}\n",
	};
	char err[256];
	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		cfg = must_parse(inputs[i]);
		assert_defaults(cfg);
		config__free(cfg);
	}
	cfg = config__parse(NAME, NULL, 0, err, sizeof(err));
	assert_defaults(cfg);
	config__free(cfg);

	/* The default file read as a user's file changes nothing. */
	cfg = must_parse(config_default_yaml);
	assert_defaults(cfg);
	config__free(cfg);
}

static void test_overlay(void **state)
{
	const int *maps = default_map_labels;
	static const int progs[] = {PROG_LABEL_ID, PROG_LABEL_TAG};
	struct config *cfg;

	(void)state;
	cfg = must_parse("web:\n"
			 "  max_connections: 5\n"
			 "labels:\n"
			 "  programs: [id, tag]\n"
			 "collectors:\n"
			 "  programs: false\n");
	/* Set keys change ... */
	assert_int_equal(cfg->max_connections, 5);
	assert_selected(&cfg->policy[OBJECT_PROG], progs, ARRAY_SIZE(progs));
	assert_false(cfg->collectors[COLLECTOR_PROGRAMS]);
	/* ... their siblings keep the default. */
	assert_string_equal(cfg->listen_address, ":2112");
	assert_string_equal(cfg->telemetry_path, "/metrics");
	assert_int_equal(cfg->timeout_seconds, 10);
	assert_true(cfg->collectors[COLLECTOR_MAPS]);
	assert_selected(&cfg->policy[OBJECT_MAP], maps, ARRAY_SIZE(default_map_labels));
	assert_int_equal(cfg->log_level, LOG_INFO);
	assert_false(cfg->seed_metrics);
	config__free(cfg);
}

static void test_paths_owners(void **state)
{
	static const int maps[] = {MAP_LABEL_ID, MAP_LABEL_PID, MAP_LABEL_CGROUP,
				   MAP_LABEL_CONTAINER_ID};
	struct config *cfg;

	(void)state;
	cfg = must_parse("paths:\n"
			 "  rootfs: /host\n"
			 "  bpffs: [/host/sys/fs/bpf, /run/cilium/bpffs]\n"
			 "owners:\n"
			 "  via_programs: false\n"
			 "collectors:\n"
			 "  owners: off\n"
			 "labels:\n"
			 "  maps: [id, pid, cgroup, container_id]\n"
			 "filters:\n"
			 "  maps:\n"
			 "    include: {namespace: kube-system, pod: \"cilium-.*\"}\n");
	assert_string_equal(cfg->rootfs, "/host");
	assert_int_equal(cfg->nr_bpffs, 2);
	assert_string_equal(cfg->bpffs[0], "/host/sys/fs/bpf");
	assert_string_equal(cfg->bpffs[1], "/run/cilium/bpffs");
	assert_false(cfg->owners_via_programs);
	assert_false(cfg->collectors[COLLECTOR_OWNERS]);
	assert_selected(&cfg->policy[OBJECT_MAP], maps, ARRAY_SIZE(maps));
	assert_int_equal(cfg->policy[OBJECT_MAP].include[0].slot, MAP_LABEL_NAMESPACE);
	assert_int_equal(cfg->policy[OBJECT_MAP].include[1].slot, MAP_LABEL_POD);
	config__free(cfg);

	/* No bpffs to walk at all; the rest keeps its default. */
	cfg = must_parse("paths:\n  bpffs: []\n");
	assert_int_equal(cfg->nr_bpffs, 0);
	assert_string_equal(cfg->rootfs, "/");
	config__free(cfg);

	expect_error("paths:\n  rootfs: host\n",
		     "t.yaml:2:11: paths.rootfs: expected an absolute path, got \"host\"");
	expect_error("paths:\n  rootfs:\n",
		     "t.yaml:2:10: paths.rootfs: expected a string, got null");
	expect_error("paths:\n  bpffs: /sys/fs/bpf\n",
		     "t.yaml:2:10: paths.bpffs: expected a sequence of paths, got \"/sys/fs/bpf\"");
	expect_error("paths:\n  bpffs: [/sys/fs/bpf, bpf]\n",
		     "t.yaml:2:24: paths.bpffs: expected an absolute path, got \"bpf\"");
	expect_error("paths:\n  bpffs: [[a]]\n",
		     "t.yaml:2:11: paths.bpffs: expected a string, got a sequence");
	expect_error("paths:\n  procfs: /proc\n",
		     "t.yaml:2:3: paths: unknown key \"procfs\" (allowed: rootfs, bpffs)");
	expect_error("owners:\n  via_programs: 1\n",
		     "t.yaml:2:17: owners.via_programs: expected a boolean (true or false), got "
		     "\"1\"");
	expect_error("owners:\n  via_links: true\n",
		     "t.yaml:2:3: owners: unknown key \"via_links\" (allowed: via_programs)");
	/* Owner label names and the owner series' own labels are not static labels. */
	expect_error("static_labels: {pod: x}\n",
		     "t.yaml:1:17: static_labels: label name \"pod\" collides with a label of maps "
		     "series");
	expect_error(
		"static_labels: {owner: x}\n",
		"t.yaml:1:17: static_labels: label name \"owner\" collides with a label of the "
		"exporter's own metrics");
}

static void test_full(void **state)
{
	static const int maps[] = {MAP_LABEL_ID, MAP_LABEL_TYPE};
	static const int progs[] = {PROG_LABEL_ID, PROG_LABEL_TAG, PROG_LABEL_NAME,
				    PROG_LABEL_TYPE};
	struct config *cfg;

	(void)state;
	cfg = must_parse("web:\n"
			 "  listen_address: \"[::1]:9435\"\n"
			 "  telemetry_path: /bpf/metrics\n"
			 "  max_connections: 10000\n"
			 "  timeout_seconds: 3600\n"
			 "log:\n"
			 "  level: debug\n"
			 "collectors:\n"
			 "  maps: no\n"
			 "  programs: yes\n"
			 "labels:\n"
			 "  maps:\n"
			 "    - id\n"
			 "    - map_type\n"
			 "  programs: [id, tag, name, prog_type]\n"
			 "filters:\n"
			 "  maps:\n"
			 "    include: { name: 'cilium_.*', map_type: hash }\n"
			 "    exclude:\n"
			 "      prog: ''\n"
			 "  programs:\n"
			 "    exclude: { tag: \"[0-9a-f]{16}\" }\n"
			 "static_labels:\n"
			 "  cluster: prod\n"
			 "  node_role: \"worker\"\n"
			 "compat:\n"
			 "  seed_metrics: true\n"
			 "programs:\n"
			 "  run_stats: true\n"
			 "memory:\n"
			 "  max_age_seconds: 0\n"
			 "  reads_per_scrape: 4294967295\n");
	assert_true(cfg->run_stats);
	assert_int_equal(cfg->memory_max_age_seconds, 0);
	assert_int_equal(cfg->memory_reads_per_scrape, 4294967295U);
	assert_string_equal(cfg->listen_address, "[::1]:9435");
	assert_string_equal(cfg->telemetry_path, "/bpf/metrics");
	assert_int_equal(cfg->max_connections, 10000);
	assert_int_equal(cfg->timeout_seconds, 3600);
	assert_int_equal(cfg->log_level, LOG_DEBUG);
	assert_false(cfg->collectors[COLLECTOR_MAPS]);
	assert_true(cfg->collectors[COLLECTOR_PROGRAMS]);
	assert_selected(&cfg->policy[OBJECT_MAP], maps, ARRAY_SIZE(maps));
	assert_selected(&cfg->policy[OBJECT_PROG], progs, ARRAY_SIZE(progs));

	/* Rules in document order, with the pattern as written. */
	assert_int_equal(cfg->policy[OBJECT_MAP].nr_include, 2);
	assert_int_equal(cfg->policy[OBJECT_MAP].include[0].slot, MAP_LABEL_NAME);
	assert_string_equal(cfg->policy[OBJECT_MAP].include[0].pattern, "cilium_.*");
	assert_int_equal(cfg->policy[OBJECT_MAP].include[1].slot, MAP_LABEL_TYPE);
	assert_string_equal(cfg->policy[OBJECT_MAP].include[1].pattern, "hash");
	assert_int_equal(cfg->policy[OBJECT_MAP].nr_exclude, 1);
	assert_int_equal(cfg->policy[OBJECT_MAP].exclude[0].slot, MAP_LABEL_PROG);
	assert_string_equal(cfg->policy[OBJECT_MAP].exclude[0].pattern, "");
	assert_int_equal(cfg->policy[OBJECT_PROG].nr_include, 0);
	assert_int_equal(cfg->policy[OBJECT_PROG].nr_exclude, 1);
	assert_int_equal(cfg->policy[OBJECT_PROG].exclude[0].slot, PROG_LABEL_TAG);

	/* The compiled rules are the ones keep() applies. */
	{
		const char *ok[MAP_LABEL_MAX] = {"1", "cilium_ct4", "hash", "bpf_lxc"};
		const char *unused[MAP_LABEL_MAX] = {"2", "cilium_ct4", "hash", NULL};
		const char *other[MAP_LABEL_MAX] = {"3", "cilium", "hash", "bpf_lxc"};

		assert_true(label_policy__keep(&cfg->policy[OBJECT_MAP], ok));
		assert_false(label_policy__keep(&cfg->policy[OBJECT_MAP], unused));
		assert_false(label_policy__keep(&cfg->policy[OBJECT_MAP], other));
	}

	assert_int_equal(cfg->nr_static_labels, 2);
	assert_string_equal(cfg->static_labels[0].name, "cluster");
	assert_string_equal(cfg->static_labels[0].value, "prod");
	assert_string_equal(cfg->static_labels[1].name, "node_role");
	assert_string_equal(cfg->static_labels[1].value, "worker");
	assert_true(cfg->seed_metrics);
	config__free(cfg);
}

/* A user's filters and static labels replace the defaults' as a whole. */
static void test_overlay_replaces_mappings(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = must_parse("filters:\n"
			 "  maps:\n"
			 "    include: {name: a}\n"
			 "static_labels: {x: \"1\"}\n");
	assert_int_equal(cfg->policy[OBJECT_MAP].nr_include, 1);
	assert_int_equal(cfg->policy[OBJECT_MAP].nr_exclude, 0);
	assert_int_equal(cfg->nr_static_labels, 1);
	config__free(cfg);

	/* null clears */
	cfg = must_parse("filters:\n  maps:\n    include:\nstatic_labels:\n");
	assert_int_equal(cfg->policy[OBJECT_MAP].nr_include, 0);
	assert_int_equal(cfg->nr_static_labels, 0);
	config__free(cfg);
}

static void test_bools(void **state)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", "ON"};
	static const char *const no[] = {"false", "False", "FALSE", "no", "NO", "off", "Off"};
	char yaml[128];
	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		snprintf(yaml, sizeof(yaml), "compat: {seed_metrics: %s}\n", yes[i]);
		cfg = must_parse(yaml);
		assert_true(cfg->seed_metrics);
		config__free(cfg);
	}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
		snprintf(yaml, sizeof(yaml), "collectors: {maps: %s}\n", no[i]);
		cfg = must_parse(yaml);
		assert_false(cfg->collectors[COLLECTOR_MAPS]);
		config__free(cfg);
	}
	expect_error(
		"collectors:\n  maps: maybe\n",
		"t.yaml:2:9: collectors.maps: expected a boolean (true or false), got \"maybe\"");
	/* Quoted, it is a string. */
	expect_error(
		"collectors:\n  maps: \"true\"\n",
		"t.yaml:2:9: collectors.maps: expected a boolean (true or false), got \"true\"");
	expect_error(
		"memory:\n  max_age_seconds: 86401\n",
		"t.yaml:2:20: memory.max_age_seconds: expected an integer from 0 to 86400, got "
		"\"86401\"");
	expect_error(
		"compat:\n  seed_metrics: 1\n",
		"t.yaml:2:17: compat.seed_metrics: expected a boolean (true or false), got \"1\"");
	expect_error(
		"compat:\n  seed_metrics:\n",
		"t.yaml:2:16: compat.seed_metrics: expected a boolean (true or false), got null");
}

static void test_unknown_keys(void **state)
{
	(void)state;
	expect_error("webb: {}\n", "t.yaml:1:1: unknown key \"webb\" (allowed: web, log, "
				   "collectors, labels, filters, static_labels, compat, counting, "
				   "paths, owners, programs, memory)");
	expect_error("web:\n  port: 1\n",
		     "t.yaml:2:3: web: unknown key \"port\" (allowed: listen_address, "
		     "telemetry_path, max_connections, max_connections_per_ip, timeout_seconds)");
	expect_error("log: {lvl: info}\n", "t.yaml:1:7: log: unknown key \"lvl\" (allowed: level)");
	expect_error("collectors:\n  nodes: true\n",
		     "t.yaml:2:3: collectors: unknown key \"nodes\" (allowed: maps, programs, "
		     "owners, links, map_errors, attach_netlink, attach_cgroup, "
		     "attach_perf_event)");
	expect_error("programs:\n  stats: true\n",
		     "t.yaml:2:3: programs: unknown key \"stats\" (allowed: run_stats)");
	expect_error("memory:\n  max_age: 1\n",
		     "t.yaml:2:3: memory: unknown key \"max_age\" (allowed: max_age_seconds, "
		     "reads_per_scrape)");
	expect_error("labels:\n  progs: [id]\n",
		     "t.yaml:2:3: labels: unknown key \"progs\" (allowed: maps, programs)");
	expect_error("filters:\n  maps:\n    includes: {}\n",
		     "t.yaml:3:5: filters.maps: unknown key \"includes\" (allowed: include, "
		     "exclude)");
	expect_error("compat:\n  seed: true\n",
		     "t.yaml:2:3: compat: unknown key \"seed\" (allowed: seed_metrics)");
	/* Keys are case-sensitive; odd bytes are escaped in the message. */
	expect_error("Web: {}\n", "t.yaml:1:1: unknown key \"Web\" (allowed: web, log, "
				  "collectors, labels, filters, static_labels, compat, counting, "
				  "paths, owners, programs, memory)");
	expect_error("\"w\\teb\": {}\n", "t.yaml:1:1: unknown key \"w\\x09eb\" (allowed: web, "
					 "log, collectors, labels, filters, static_labels, "
					 "compat, counting, paths, owners, programs, memory)");
	expect_error("? [a]\n: 1\n", "t.yaml:1:3: expected a string key, got a sequence");
	expect_error("web:\n  ~: 1\n", "t.yaml:2:3: web: expected a string key, got null");
}

static void test_wrong_types(void **state)
{
	(void)state;
	expect_error("hello\n", "t.yaml:1:1: expected a mapping, got \"hello\"");
	expect_error("- web\n", "t.yaml:1:1: expected a mapping, got a sequence");
	expect_error("web: 5\n", "t.yaml:1:6: web: expected a mapping, got \"5\"");
	expect_error("web:\n  - listen_address\n", "t.yaml:2:3: web: expected a mapping, got a "
						   "sequence");
	expect_error("filters:\n  maps: [include]\n",
		     "t.yaml:2:9: filters.maps: expected a mapping, got a sequence");
	expect_error("filters:\n  maps:\n    include: name\n",
		     "t.yaml:3:14: filters.maps.include: expected a mapping, got \"name\"");
	expect_error("static_labels: [a]\n",
		     "t.yaml:1:16: static_labels: expected a mapping, got a sequence");
	expect_error("web:\n  listen_address: {a: b}\n",
		     "t.yaml:2:19: web.listen_address: expected a string, got a mapping");
	expect_error("web:\n  telemetry_path:\n",
		     "t.yaml:2:18: web.telemetry_path: expected a string, got null");
	expect_error("log:\n  level: [info]\n",
		     "t.yaml:2:10: log.level: expected a string, got a sequence");
	expect_error("web:\n  telemetry_path: \"/a\\0b\"\n",
		     "t.yaml:2:19: web.telemetry_path: NUL characters are not allowed");
}

static void test_listen_address(void **state)
{
	static const char *const good[] = {
		":2112",
		":1",
		":65535",
		"127.0.0.1:9000",
		"0.0.0.0:80",
		"localhost:80",
		"[::1]:2112",
		"[::]:2112",
		"[2001:db8::1]:443",
		"[::ffff:10.0.0.1]:80",
	};
	/* Host names other than localhost: http.c binds numeric addresses only. */
	static const char *const bad[] = {
		"2112",
		":0",
		":65536",
		":99999",
		"127.0.0.1:",
		":",
		"::1:80",
		"[::1]80",
		"[::1]:",
		"[]:80",
		"[zz]:80",
		"[::1%]:80",
		"[fe80::1%eth0]:80",
		"a b:80",
		":+80",
		": 80",
		":08x",
		"",
		"[::1",
		"h/x:80",
		"my-host.example:1",
		"1.2.3:80",
		"256.0.0.1:80",
		"[127.0.0.1]:80",
		"LOCALHOST:80",
	};
	char yaml[256], want[512];
	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(yaml, sizeof(yaml), "web:\n  listen_address: \"%s\"\n", good[i]);
		cfg = must_parse(yaml);
		assert_string_equal(cfg->listen_address, good[i]);
		config__free(cfg);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(yaml, sizeof(yaml), "web:\n  listen_address: \"%s\"\n", bad[i]);
		snprintf(want, sizeof(want),
			 "t.yaml:2:19: web.listen_address: invalid address \"%s\": expected "
			 "\":PORT\", \"IPV4:PORT\", \"[IPV6]:PORT\" or \"localhost:PORT\", PORT "
			 "from 1 to 65535",
			 bad[i]);
		expect_error(yaml, want);
	}
}

static void test_telemetry_path(void **state)
{
	static const char *const bad[] = {"metrics", "/", "", "/a b", "/m?x=1", "/m#x", "/a<b"};
	struct config *cfg;

	(void)state;
	cfg = must_parse("web: {telemetry_path: /x}\n");
	assert_string_equal(cfg->telemetry_path, "/x");
	config__free(cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char yaml[128], want[512];

		snprintf(yaml, sizeof(yaml), "web:\n  telemetry_path: \"%s\"\n", bad[i]);
		snprintf(want, sizeof(want), "t.yaml:2:19: web.telemetry_path: %s, got \"%s\"",
			 CONFIG_TELEMETRY_PATH_RULE, bad[i]);
		expect_error(yaml, want);
	}
}

static void test_integers(void **state)
{
	static const char *const bad[] = {
		"0", "10001", "-1", "+5", "0x10", "1.5", "abc", "\"5\"", "99999999999999999999"};
	char yaml[256], want[512];
	struct config *cfg;

	(void)state;
	cfg = must_parse("web:\n  max_connections: 1\n  timeout_seconds: 007\n");
	assert_int_equal(cfg->max_connections, 1);
	assert_int_equal(cfg->timeout_seconds, 7);
	config__free(cfg);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *shown = bad[i][0] == '"' ? "5" : bad[i];

		snprintf(yaml, sizeof(yaml), "web:\n  max_connections: %s\n", bad[i]);
		snprintf(want, sizeof(want),
			 "t.yaml:2:20: web.max_connections: expected an integer from 1 to 10000, "
			 "got \"%s\"",
			 shown);
		expect_error(yaml, want);
	}
	expect_error("web:\n  timeout_seconds: 3601\n",
		     "t.yaml:2:20: web.timeout_seconds: expected an integer from 1 to 3600, got "
		     "\"3601\"");
	expect_error("web:\n  timeout_seconds: 0\n",
		     "t.yaml:2:20: web.timeout_seconds: expected an integer from 1 to 3600, got "
		     "\"0\"");
	expect_error("web:\n  timeout_seconds: [1]\n",
		     "t.yaml:2:20: web.timeout_seconds: expected an integer from 1 to 3600, got a "
		     "sequence");
}

static void test_counting(void **state)
{
	struct config *cfg;

	(void)state;
	for (int m = 0; m < COUNTING_MODE_MAX; m++) {
		char yaml[128];

		snprintf(yaml, sizeof(yaml), "counting:\n  method: %s\n", counting_mode_names[m]);
		cfg = must_parse(yaml);
		assert_int_equal(cfg->counting_mode, m);
		assert_int_equal(cfg->fallback_max_entries, 1000000); /* sibling kept */
		config__free(cfg);
	}
	cfg = must_parse("counting:\n  fallback_max_entries: 0\n");
	assert_int_equal(cfg->fallback_max_entries, 0);
	assert_int_equal(cfg->counting_mode, COUNTING_AUTO);
	config__free(cfg);
	cfg = must_parse("counting: {fallback_max_entries: 4294967295}\n");
	assert_int_equal(cfg->fallback_max_entries, 4294967295u);
	config__free(cfg);

	expect_error("counting:\n  method: kfunc\n",
		     "t.yaml:2:11: counting.method: unknown method \"kfunc\" (allowed: auto, "
		     "walk, iterator, batch, keys, none)");
	expect_error("counting:\n  method: [auto]\n",
		     "t.yaml:2:11: counting.method: expected a string, got a sequence");
	expect_error("counting:\n  fallback_max_entries: 4294967296\n",
		     "t.yaml:2:25: counting.fallback_max_entries: expected an integer from 0 to "
		     "4294967295, got \"4294967296\"");
	expect_error("counting:\n  fallback_max_entries: -1\n",
		     "t.yaml:2:25: counting.fallback_max_entries: expected an integer from 0 to "
		     "4294967295, got \"-1\"");
	expect_error("counting:\n  budget: 5\n",
		     "t.yaml:2:3: counting: unknown key \"budget\" (allowed: method, "
		     "fallback_max_entries)");
}

static void test_log_level(void **state)
{
	static const struct {
		const char *name;
		enum log_level level;
	} levels[] = {
		{"debug", LOG_DEBUG},
		{"info", LOG_INFO},
		{"warn", LOG_WARN},
		{"error", LOG_ERROR},
	};
	char yaml[64];
	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		snprintf(yaml, sizeof(yaml), "log:\n  level: %s\n", levels[i].name);
		cfg = must_parse(yaml);
		assert_int_equal(cfg->log_level, levels[i].level);
		config__free(cfg);
	}
	expect_error(
		"log:\n  level: verbose\n",
		"t.yaml:2:10: log.level: unknown level \"verbose\" (allowed: debug, info, warn, "
		"error)");
	expect_error("log:\n  level: INFO\n",
		     "t.yaml:2:10: log.level: unknown level \"INFO\" (allowed: debug, info, warn, "
		     "error)");
}

static void test_labels(void **state)
{
	static const int reordered[] = {MAP_LABEL_NAME, MAP_LABEL_ID};
	struct config *cfg;

	(void)state;
	cfg = must_parse("labels:\n  maps: [name, id]\n");
	assert_selected(&cfg->policy[OBJECT_MAP], reordered, ARRAY_SIZE(reordered));
	config__free(cfg);

	expect_error(
		"labels:\n  maps: [id, foo]\n",
		"t.yaml:2:14: labels.maps: unknown label \"foo\" (allowed: id, name, map_type, "
		"prog, comm, pid, container_id, container, pod, namespace, cgroup)");
	/* Each kind has its own schema. */
	expect_error("labels:\n  programs: [id, map_type]\n",
		     "t.yaml:2:18: labels.programs: unknown label \"map_type\" (allowed: id, name, "
		     "prog_type, tag, comm, pid, container_id, container, pod, namespace, cgroup)");
	expect_error("labels:\n  maps:\n    - id\n    - name\n    - name\n",
		     "t.yaml:5:7: labels.maps: duplicate label \"name\"");
	expect_error(
		"labels:\n  maps: [name, prog]\n",
		"t.yaml:2:9: labels.maps: must include \"id\": series of objects sharing a name "
		"would collide");
	expect_error(
		"labels:\n  programs: []\n",
		"t.yaml:2:13: labels.programs: must include \"id\": series of objects sharing a "
		"name would collide");
	expect_error("labels:\n  maps: id\n",
		     "t.yaml:2:9: labels.maps: expected a sequence of label names, got \"id\"");
	expect_error("labels:\n  maps:\n",
		     "t.yaml:2:8: labels.maps: expected a sequence of label names, got null");
	expect_error("labels:\n  maps: [id, [name]]\n",
		     "t.yaml:2:14: labels.maps: expected a label name, got a sequence");
	expect_error("labels:\n  maps: [id, \"id\\0\"]\n",
		     "t.yaml:2:14: labels.maps: unknown label \"id\\x00\" (allowed: id, name, "
		     "map_type, prog, comm, pid, container_id, container, pod, namespace, cgroup)");
}

static void test_filters(void **state)
{
	char want[512], rerr[256];
	regex_t re;
	int rc;

	(void)state;
	expect_error("filters:\n  maps:\n    include:\n      tag: x\n",
		     "t.yaml:4:7: filters.maps.include: unknown label \"tag\" (allowed: id, name, "
		     "map_type, prog, comm, pid, container_id, container, pod, namespace, cgroup)");
	expect_error("filters:\n  programs:\n    exclude: {prog: x}\n",
		     "t.yaml:3:15: filters.programs.exclude: unknown label \"prog\" (allowed: id, "
		     "name, prog_type, tag, comm, pid, container_id, container, pod, namespace, "
		     "cgroup)");
	expect_error("filters:\n  maps:\n    include:\n      name: [a]\n",
		     "t.yaml:4:13: filters.maps.include.name: expected a string, got a sequence");
	expect_error("filters:\n  maps:\n    include:\n      name:\n",
		     "t.yaml:4:12: filters.maps.include.name: expected a string, got null");

	/* A bad regex: regerror's text, positioned at the value. */
	rc = regcomp(&re, "(", REG_EXTENDED | REG_NOSUB);
	assert_int_not_equal(rc, 0);
	regerror(rc, &re, rerr, sizeof(rerr));
	snprintf(want, sizeof(want),
		 "t.yaml:4:13: filters.maps.include.name: invalid regex \"(\": %s", rerr);
	expect_error("filters:\n  maps:\n    include:\n      name: \"(\"\n", want);

	expect_error(
		"filters:\n  programs:\n    exclude:\n      name: 'a)|b'\n",
		"t.yaml:4:13: filters.programs.exclude.name: invalid regex \"a)|b\": unmatched "
		") (write \\) for a literal parenthesis)");
	expect_error(
		"filters:\n  maps:\n    include:\n      id: \"1\"\n      id: \"2\"\n",
		"t.yaml:5:7: filters.maps.include: duplicate key \"id\" (first at line 4, column "
		"7)");
}

static void test_static_labels(void **state)
{
	static const char *const bad_names[] = {"1x", "a-b", "a.b", "\"\"", "\"a b\""};
	static const char *const taken[][2] = {
		{"id", "a label of maps series"},
		{"name", "a label of maps series"},
		{"map_type", "a label of maps series"},
		{"prog", "a label of maps series"},
		{"prog_type", "a label of programs series"},
		{"tag", "a label of programs series"},
		{"collector", "a label of the exporter's own metrics"},
		{"feature", "a label of the exporter's own metrics"},
		{"version", "a label of the exporter's own metrics"},
		{"revision", "a label of the exporter's own metrics"},
	};
	char yaml[256], want[512];
	struct config *cfg;

	(void)state;
	cfg = must_parse("static_labels:\n  _a: x\n  B9: 42\n  empty: \"\"\n  t: true\n");
	assert_int_equal(cfg->nr_static_labels, 4);
	assert_string_equal(cfg->static_labels[0].name, "_a");
	assert_string_equal(cfg->static_labels[1].name, "B9");
	assert_string_equal(cfg->static_labels[1].value, "42"); /* scalars are strings here */
	assert_string_equal(cfg->static_labels[2].value, "");
	assert_string_equal(cfg->static_labels[3].value, "true");
	config__free(cfg);

	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++) {
		const char *shown = bad_names[i][0] == '"' ? "" : bad_names[i];
		char unquoted[16];

		if (bad_names[i][0] == '"') {
			snprintf(unquoted, sizeof(unquoted), "%.*s", (int)strlen(bad_names[i]) - 2,
				 bad_names[i] + 1);
			shown = unquoted;
		}
		snprintf(yaml, sizeof(yaml), "static_labels:\n  %s: x\n", bad_names[i]);
		snprintf(want, sizeof(want),
			 "t.yaml:2:3: static_labels: invalid label name \"%s\": must match "
			 "[a-zA-Z_][a-zA-Z0-9_]*",
			 shown);
		expect_error(yaml, want);
	}
	expect_error("static_labels:\n  __name__: x\n",
		     "t.yaml:2:3: static_labels: invalid label name \"__name__\": names starting "
		     "with \"__\" are reserved for Prometheus");
	for (size_t i = 0; i < ARRAY_SIZE(taken); i++) {
		snprintf(yaml, sizeof(yaml), "static_labels:\n  ok: x\n  %s: x\n", taken[i][0]);
		snprintf(want, sizeof(want),
			 "t.yaml:3:3: static_labels: label name \"%s\" collides with %s",
			 taken[i][0], taken[i][1]);
		expect_error(yaml, want);
	}
	expect_error("static_labels:\n  a: x\n  b: y\n  a: z\n",
		     "t.yaml:4:3: static_labels: duplicate key \"a\" (first at line 2, column 3)");
	expect_error("static_labels:\n  a: {b: c}\n",
		     "t.yaml:2:6: static_labels.a: expected a string, got a mapping");
	expect_error("static_labels:\n  a:\n",
		     "t.yaml:2:5: static_labels.a: expected a string, got null");
}

static void test_env_expansion(void **state)
{
	struct config *cfg;

	(void)state;
	setenv("BPFMAP_TEST_A", "alpha", 1);
	setenv("BPFMAP_TEST_EMPTY", "", 1);
	unsetenv("BPFMAP_TEST_UNSET");
	cfg = must_parse("static_labels:\n"
			 "  plain: \"${BPFMAP_TEST_A}\"\n"
			 "  mixed: x-${BPFMAP_TEST_A}-${BPFMAP_TEST_A}-y\n"
			 "  unset: \"[${BPFMAP_TEST_UNSET}]\"\n"
			 "  def_unset: \"${BPFMAP_TEST_UNSET:-fallback}\"\n"
			 "  def_set: \"${BPFMAP_TEST_A:-fallback}\"\n"
			 "  def_empty: \"${BPFMAP_TEST_EMPTY:-fallback}\"\n"
			 "  empty: \"${BPFMAP_TEST_EMPTY}\"\n"
			 "  def_blank: \"${BPFMAP_TEST_UNSET:-}\"\n"
			 "  def_odd: \"${BPFMAP_TEST_UNSET:-a:b c-$}\"\n"
			 "  dollar: \"cost $$5\"\n"
			 "  none: no variables\n");
	assert_int_equal(cfg->nr_static_labels, 11);
	assert_string_equal(cfg->static_labels[0].value, "alpha");
	assert_string_equal(cfg->static_labels[1].value, "x-alpha-alpha-y");
	assert_string_equal(cfg->static_labels[2].value, "[]");
	assert_string_equal(cfg->static_labels[3].value, "fallback");
	assert_string_equal(cfg->static_labels[4].value, "alpha");
	assert_string_equal(cfg->static_labels[5].value, "fallback");
	assert_string_equal(cfg->static_labels[6].value, "");
	assert_string_equal(cfg->static_labels[7].value, "");
	assert_string_equal(cfg->static_labels[8].value, "a:b c-$");
	assert_string_equal(cfg->static_labels[9].value, "cost $5");
	assert_string_equal(cfg->static_labels[10].value, "no variables");
	config__free(cfg);
	unsetenv("BPFMAP_TEST_A");
	unsetenv("BPFMAP_TEST_EMPTY");
}

static void test_env_errors(void **state)
{
	(void)state;
	expect_error("static_labels:\n  a: \"cost $5\"\n",
		     "t.yaml:2:6: static_labels.a: lone \"$\" in value (write ${VAR}, "
		     "${VAR:-default}, or $$ for a literal \"$\")");
	expect_error("static_labels:\n  a: \"end $\"\n",
		     "t.yaml:2:6: static_labels.a: lone \"$\" in value (write ${VAR}, "
		     "${VAR:-default}, or $$ for a literal \"$\")");
	expect_error("static_labels:\n  ok: x\n  b: \"${HOME\"\n",
		     "t.yaml:3:6: static_labels.b: unterminated \"${\" in value");
	expect_error("static_labels:\n  b: x${\n",
		     "t.yaml:2:6: static_labels.b: unterminated \"${\" in value");
	expect_error("static_labels:\n  c: \"${1A}\"\n",
		     "t.yaml:2:6: static_labels.c: invalid variable reference \"${1A}\": expected "
		     "${NAME} or ${NAME:-default}, NAME matching [a-zA-Z_][a-zA-Z0-9_]*");
	expect_error_prefix("static_labels:\n  c: \"${}\"\n",
			    "t.yaml:2:6: static_labels.c: invalid variable reference \"${}\": ");
	expect_error_prefix("static_labels:\n  c: \"${A-x}\"\n",
			    "t.yaml:2:6: static_labels.c: invalid variable reference \"${A-x}\": ");
	expect_error_prefix("static_labels:\n  c: \"${A B}\"\n",
			    "t.yaml:2:6: static_labels.c: invalid variable reference \"${A B}\": ");
}

/* libyaml's own wording may change between versions; the position may not. */
static void test_yaml_syntax(void **state)
{
	(void)state;
	expect_error_prefix("web:\n  listen_address: \":2112\n",
			    "t.yaml:3:1: found unexpected end of stream (while scanning a quoted "
			    "scalar at line 2, column 19)");
	expect_error_prefix("web: [a, b\n", "t.yaml:2:1: did not find expected ',' or ']' (while "
					    "parsing a flow sequence at line 1, column 6)");
	expect_error_prefix("web:\n  a: 1\n b: 2\n", "t.yaml:3:2: did not find expected key "
						     "(while parsing a block mapping at line 1, "
						     "column 1)");
	expect_error_prefix("web:\n\tmax_connections: 1\n",
			    "t.yaml:2:1: found character that cannot start any token");
	/* Reader errors carry a byte offset: still reported as line:column. */
	expect_error_prefix("log:\n  level: \"\xff\"\n",
			    "t.yaml:2:11: invalid leading UTF-8 octet");
	expect_error_prefix("log:\n  level: \"a\x01\"\n",
			    "t.yaml:2:12: control characters are not allowed");
}

static void test_duplicate_keys(void **state)
{
	(void)state;
	expect_error("web: {}\nlog: {}\nweb: {}\n",
		     "t.yaml:3:1: duplicate key \"web\" (first at line 1, column 1)");
	expect_error("web:\n  max_connections: 1\n  timeout_seconds: 2\n  max_connections: 1\n",
		     "t.yaml:4:3: web: duplicate key \"max_connections\" (first at line 2, column "
		     "3)");
	/* The first duplicate in document order, whatever the key. */
	expect_error("b: 1\na: 1\na: 2\nb: 2\n",
		     "t.yaml:3:1: duplicate key \"a\" (first at line 2, column 1)");
	expect_error("x: 1\ny: 1\nx: 2\nx: 3\n",
		     "t.yaml:3:1: duplicate key \"x\" (first at line 1, column 1)");
	expect_error(
		"collectors: {maps: true, maps: false}\n",
		"t.yaml:1:26: collectors: duplicate key \"maps\" (first at line 1, column 14)");
}

static void test_documents_and_aliases(void **state)
{
	(void)state;
	expect_error("web: {}\n---\nlog: {}\n",
		     "t.yaml:2:1: multiple YAML documents are not supported");
	expect_error("---\nweb: {}\n...\n---\n",
		     "t.yaml:4:1: multiple YAML documents are not supported");
	expect_error("web: &w {}\nlog: *w\n",
		     "t.yaml:1:6: anchors and aliases (&name, *name) are not supported");
	expect_error("static_labels:\n  a: x\n  b: *nowhere\n",
		     "t.yaml:3:6: anchors and aliases (&name, *name) are not supported");
}

static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static int write_str(const char *path, const char *s)
{
	return write_file(path, s, strlen(s));
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[128], want[512], err[512];
	size_t big_len = 1024 * 1024 + 1;
	struct config *cfg;
	char *big;

	(void)state;
	assert_non_null(mkdtemp(dir));

	snprintf(path, sizeof(path), "%s/ok.yaml", dir);
	assert_int_equal(write_str(path, "web:\n  max_connections: 3\n"), 0);
	cfg = config__load_file(path, err, sizeof(err));
	assert_non_null(cfg);
	assert_int_equal(cfg->max_connections, 3);
	assert_string_equal(cfg->listen_address, ":2112");
	config__free(cfg);

	/* Empty: all defaults. */
	snprintf(path, sizeof(path), "%s/empty.yaml", dir);
	assert_int_equal(write_str(path, ""), 0);
	cfg = config__load_file(path, err, sizeof(err));
	assert_defaults(cfg);
	config__free(cfg);

	/* Errors are named by the path. */
	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	assert_int_equal(write_str(path, "log:\n  level: loud\n"), 0);
	assert_null(config__load_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "%s:2:10: log.level: unknown level \"loud\" (allowed: debug, info, warn, error)",
		 path);
	assert_string_equal(err, want);
	unlink(path);

	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	assert_null(config__load_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	assert_string_equal(err, want);

	assert_null(config__load_file(dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: %s", dir, strerror(EISDIR));
	assert_string_equal(err, want);

	/* 1 MiB of comments is fine, one byte more is not. */
	big = malloc(big_len);
	assert_non_null(big);
	memset(big, '#', big_len);
	big[big_len - 2] = '\n';
	snprintf(path, sizeof(path), "%s/big.yaml", dir);
	assert_int_equal(write_file(path, big, big_len - 1), 0);
	cfg = config__load_file(path, err, sizeof(err));
	assert_defaults(cfg);
	config__free(cfg);
	big[big_len - 1] = '\n';
	assert_int_equal(write_file(path, big, big_len), 0);
	assert_null(config__load_file(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: file is larger than 1048576 bytes (1 MiB)", path);
	assert_string_equal(err, want);
	unlink(path);
	free(big);

	snprintf(path, sizeof(path), "%s/ok.yaml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/empty.yaml", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

static void test_error_buffer(void **state)
{
	char err[12];

	(void)state;
	/* Truncated, terminated, never overrun. */
	memset(err, 'X', sizeof(err));
	assert_null(parse("webb: 1\n", err, 8));
	assert_string_equal(err, "t.yaml:");
	assert_int_equal(err[8], 'X');
	/* No buffer at all. */
	assert_null(parse("webb: 1\n", NULL, 0));
	assert_null(config__load_file("/nonexistent/bpfmap.yaml", NULL, 0));
	/* No name: still a message. */
	assert_null(config__parse(NULL, "x: 1\n", 5, err, sizeof(err)));
	/* len, not the terminator, bounds the text. */
	{
		char buf[64];
		struct config *cfg;

		snprintf(buf, sizeof(buf), "log: {level: warn}\nwebb: 1\n");
		cfg = config__parse(NAME, buf, 19, err, sizeof(err));
		assert_non_null(cfg);
		assert_int_equal(cfg->log_level, LOG_WARN);
		config__free(cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_overlay),
		cmocka_unit_test(test_paths_owners),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_overlay_replaces_mappings),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_listen_address),
		cmocka_unit_test(test_telemetry_path),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_counting),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_static_labels),
		cmocka_unit_test(test_env_expansion),
		cmocka_unit_test(test_env_errors),
		cmocka_unit_test(test_yaml_syntax),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_documents_and_aliases),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_error_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
