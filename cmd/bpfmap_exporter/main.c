// SPDX-License-Identifier: Apache-2.0
/*
 * bpfmap_exporter: flags -> config -> iterators -> HTTP -> wait for
 * signals (SIGHUP reloads the config) -> teardown.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/capability.h>

#include "collector.h"
#include "config.h"
#include "http.h"
#include "iter.h"
#include "listen_address.h"
#include "log.h"
#include "privileges.h"
#include "web_config.h"
#include "util.h"

#define EXIT_USAGE 2 /* bad flags or config; 1 is a runtime failure */

/* Flags given on the command line; they override the config file, on reloads too. */
struct flags {
	const char *config_file;
	const char *web_config_file;
	const char *listen_address;
	const char *telemetry_path;
	const char *log_level;
	const char *rootfs;
	int collectors[COLLECTOR_MAX]; /* -1 unset, 0 off, 1 on */
	bool check;
	bool once;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bpfmap_exporter [flags]\n"
		"\n"
		"Prometheus exporter for every eBPF map and program on this host.\n"
		"\n"
		"  --config.file=PATH          YAML configuration (default: the embedded one)\n"
		"  --config.check              validate the configuration and exit\n"
		"  --web.listen-address=ADDR   address to serve on (default \":2112\")\n"
		"  --web.telemetry-path=PATH   path of the metrics (default \"/metrics\")\n"
		"  --web.config.file=PATH      TLS and basic auth (exporter-toolkit format)\n"
		"  --log.level=LEVEL           debug, info, warn or error (default info)\n"
		"  --path.rootfs=PATH          host root for container and pod names (default /)\n"
		"  --[no-]collector.NAME       enable/disable a collector (maps, programs, "
		"owners, links,\n"
		"                              map_errors: off by default, read at start-up)\n"
		"  --once                      print one exposition to stdout and exit\n"
		"  --version                   print the version and exit\n"
		"  --help                      print this help and exit\n"
		"\n"
		"Signals: SIGHUP reloads the configuration; SIGINT/SIGTERM stop.\n");
}

/* "--name=value" or "--name value"; returns the value or NULL (and complains). */
static const char *flag_value(int argc, char **argv, int *i, const char *arg, size_t name_len)
{
	if (arg[name_len] == '=')
		return arg + name_len + 1;
	if (arg[name_len] == '\0' && *i + 1 < argc)
		return argv[++*i];
	fprintf(stderr, "bpfmap_exporter: flag %.*s needs a value\n", (int)name_len, arg);
	return NULL;
}

static bool is_flag(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(arg, name, n) && (arg[n] == '\0' || arg[n] == '=');
}

static int collector_flag(const char *arg, struct flags *flags)
{
	bool on = !strncmp(arg, "--collector.", 12);
	const char *name = arg + (on ? 12 : 15);

	if (!on && strncmp(arg, "--no-collector.", 15))
		return -ENOENT;
	for (int i = 0; i < COLLECTOR_MAX; i++) {
		if (!strcmp(name, collector_names[i])) {
			flags->collectors[i] = on;
			return 0;
		}
	}
	return -ENOENT;
}

/* 0 to go on, or an exit code + 1 (so 0 stays free). */
static int parse_flags(int argc, char **argv, struct flags *flags)
{
	static const struct {
		const char *name;
		size_t offset;
	} valued[] = {
		{"--config.file", offsetof(struct flags, config_file)},
		{"--web.config.file", offsetof(struct flags, web_config_file)},
		{"--web.listen-address", offsetof(struct flags, listen_address)},
		{"--web.telemetry-path", offsetof(struct flags, telemetry_path)},
		{"--log.level", offsetof(struct flags, log_level)},
		{"--path.rootfs", offsetof(struct flags, rootfs)},
	};

	for (int i = 0; i < COLLECTOR_MAX; i++)
		flags->collectors[i] = -1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		bool known = false;

		for (size_t v = 0; v < ARRAY_SIZE(valued); v++) {
			const char **slot;

			if (!is_flag(arg, valued[v].name))
				continue;
			slot = (const char **)((char *)flags + valued[v].offset);
			*slot = flag_value(argc, argv, &i, arg, strlen(valued[v].name));
			if (!*slot)
				return EXIT_USAGE + 1;
			known = true;
		}
		if (known)
			continue;
		if (!strcmp(arg, "--config.check")) {
			flags->check = true;
		} else if (!strcmp(arg, "--once")) {
			flags->once = true;
		} else if (!strcmp(arg, "--version")) {
			printf("bpfmap_exporter version %s (revision %s, libbpf %u.%u)\n",
			       BPFMAP_VERSION, BPFMAP_REVISION, libbpf_major_version(),
			       libbpf_minor_version());
			return EXIT_SUCCESS + 1;
		} else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			usage(stdout);
			return EXIT_SUCCESS + 1;
		} else if (collector_flag(arg, flags)) {
			fprintf(stderr, "bpfmap_exporter: unknown flag %s (see --help)\n", arg);
			return EXIT_USAGE + 1;
		}
	}
	return 0;
}

/* Apply flags over a loaded config; flag values are validated like config values. */
static int apply_flags(struct config *cfg, const struct flags *flags)
{
	if (flags->listen_address) {
		struct sockaddr_storage sa;
		socklen_t sa_len;

		if (listen_address_parse(flags->listen_address, &sa, &sa_len)) {
			log_error("--web.listen-address=%s: want :port, IPv4:port, [IPv6]:port or "
				  "localhost:port",
				  flags->listen_address);
			return -EINVAL;
		}
		free(cfg->listen_address);
		cfg->listen_address = strdup(flags->listen_address);
	}
	if (flags->telemetry_path) {
		if (!config_telemetry_path_valid(flags->telemetry_path)) {
			log_error("--web.telemetry-path=%s: %s", flags->telemetry_path,
				  CONFIG_TELEMETRY_PATH_RULE);
			return -EINVAL;
		}
		free(cfg->telemetry_path);
		cfg->telemetry_path = strdup(flags->telemetry_path);
	}
	if (!cfg->listen_address || !cfg->telemetry_path)
		return -ENOMEM;
	if (flags->rootfs) {
		if (flags->rootfs[0] != '/') {
			log_error("--path.rootfs=%s: want an absolute path", flags->rootfs);
			return -EINVAL;
		}
		free(cfg->rootfs);
		cfg->rootfs = strdup(flags->rootfs);
		if (!cfg->rootfs)
			return -ENOMEM;
	}
	if (flags->log_level && log_parse_level(flags->log_level, &cfg->log_level)) {
		log_error("--log.level=%s: want debug, info, warn or error", flags->log_level);
		return -EINVAL;
	}
	for (int i = 0; i < COLLECTOR_MAX; i++)
		if (flags->collectors[i] >= 0)
			cfg->collectors[i] = flags->collectors[i];
	return 0;
}

static struct config *load_config(const struct flags *flags)
{
	char err[512];
	struct config *cfg;

	cfg = flags->config_file ? config__load_file(flags->config_file, err, sizeof(err))
				 : config__load_default(err, sizeof(err));
	if (!cfg) {
		log_error("bad configuration: %s", err);
		return NULL;
	}
	if (apply_flags(cfg, flags)) {
		config__free(cfg);
		return NULL;
	}
	return cfg;
}

/*
 * One line saying how hash maps are counted and, where it is not the
 * kernel's own count, why: every better candidate the kernel refused or
 * lacks. At start, and when a reload changes it.
 */
static void log_count_method(const struct config *cfg, const struct source_facts *facts)
{
	static const char *const what[MAP_COUNT_METHOD_MAX] = {
		[MAP_COUNT_METHOD_KFUNC] = "bpf_map_sum_elem_count",
		[MAP_COUNT_METHOD_ITERATOR] = "the bpf_map_elem iterator",
		[MAP_COUNT_METHOD_BATCH] = "batched lookups",
		[MAP_COUNT_METHOD_KEYS] = "one key at a time",
	};
	const struct map_count_support *support = &facts->count;
	enum map_count_method method = exporter_count_method(cfg, facts);
	enum map_count_method candidates[MAP_COUNT_CANDIDATES_MAX];
	size_t n = map_count_candidates(cfg->counting_mode, candidates), len = 0;
	char why[512] = "";

	if (method == MAP_COUNT_METHOD_KFUNC) {
		log_info("hash map entry counts: method=kfunc (the kernel's "
			 "bpf_map_sum_elem_count)");
		return;
	}
	if (cfg->counting_mode != COUNTING_AUTO)
		len = (size_t)snprintf(why, sizeof(why), "counting.method is %s",
				       counting_mode_names[cfg->counting_mode]);
	for (size_t i = 0; i < n && candidates[i] != method && len < sizeof(why); i++) {
		int err = support->err[candidates[i]];

		len += (size_t)snprintf(why + len, sizeof(why) - len, "%s%s: %s", len ? "; " : "",
					what[candidates[i]],
					candidates[i] == MAP_COUNT_METHOD_KFUNC && err == -ENOENT
						? "not in this kernel (Linux 6.6+)"
						: strerror(-err));
	}
	if (method != MAP_COUNT_METHOD_NONE)
		log_info("hash map entry counts: method=%s (%s; each map walked, up to %u entries "
			 "of max_entries per scrape)",
			 map_count_method_name(method), why, cfg->fallback_max_entries);
	else if (cfg->counting_mode == COUNTING_NONE)
		log_info("hash map entry counts: method=none (counting.method is none)");
	else
		log_warn("hash map entry counts: method=none (%s): hash maps have no "
			 "ebpf_map_entries or ebpf_map_pressure",
			 why);
}

static void reload(struct exporter *exp, const struct flags *flags)
{
	struct config *cfg = load_config(flags), *old;
	struct map_errors *detach = NULL;

	if (!cfg) {
		log_error("reload failed, keeping the running configuration");
		return;
	}
	/* Turned off: its programs are detached, no trampoline left on every update. */
	if (!cfg->collectors[COLLECTOR_MAP_ERRORS])
		detach = exp->map_errors;
	else if (!exp->map_errors && (!exp->self.map_errors_probed || exp->self.map_errors_fexit))
		log_warn("collectors.map_errors: its programs are loaded at start-up only; "
			 "restart to turn it on");
	if (strcmp(cfg->listen_address, exp->cfg->listen_address) ||
	    strcmp(cfg->telemetry_path, exp->cfg->telemetry_path))
		log_warn("web.listen_address and web.telemetry_path change only on restart");
	pthread_rwlock_wrlock(&exp->lock);
	old = exp->cfg;
	exp->cfg = cfg;
	if (detach)
		exp->map_errors = NULL;
	exporter_apply_run_stats(exp);
	pthread_rwlock_unlock(&exp->lock);
	/* No scrape holds them now: each takes its pointer under the lock. */
	if (detach) {
		map_errors__free(detach);
		log_info(
			"collector map_errors: off, its programs detached; restart to count again");
	}
	log_set_level(cfg->log_level);
	if (exporter_count_method(cfg, &exp->source.facts) !=
		    exporter_count_method(old, &exp->source.facts) ||
	    cfg->fallback_max_entries != old->fallback_max_entries)
		log_count_method(cfg, &exp->source.facts);
	config__free(old);
	log_info("configuration reloaded from %s",
		 flags->config_file ? flags->config_file : "the embedded default");
}

static int scrape_cb(void *arg, struct expo *out)
{
	return exporter__scrape(arg, out);
}

static int print_once(struct exporter *exp)
{
	struct expo *out = expo__new();
	const char *data;
	size_t len;
	int err;

	if (!out)
		return -ENOMEM;
	err = exporter__scrape(exp, out);
	if (!err) {
		data = expo__data(out, &len);
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout))
			err = -EIO;
	}
	expo__free(out);
	return err;
}

/* Block the signals we wait for, before any thread starts, so only sigwait sees them. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN); /* a client hanging up is not our death */
}

/* A scrape's kernel work, to find which capabilities scrapes need. */
static int probe_cb(void *arg)
{
	return iters__probe(arg);
}

/*
 * Capabilities the features in use need beyond what the probe exercises:
 * the counting fallback, map memory (fdinfo) and program run statistics
 * open objects by id (BPF_*_GET_FD_BY_ID), and run statistics are turned
 * on with BPF_ENABLE_STATS; the attachment collectors enter other network
 * namespaces (setns), query cgroups (BPF_PROG_QUERY) and perf events
 * (BPF_TASK_FD_QUERY, also for perf_event links' targets): the kernel
 * allows these only with CAP_SYS_ADMIN. Fixed at start-up: a reload that
 * turns one on later finds it refused (the series stay absent, or the
 * collector fails, and the log says why).
 */
static uint64_t caps_for_features(const struct exporter *exp)
{
	const struct config *cfg = exp->cfg;
	bool walk = map_count_method_walks(exporter_count_method(cfg, &exp->source.facts));
	bool netlink = cfg->collectors[COLLECTOR_ATTACH_NETLINK];
	bool cgroup = cfg->collectors[COLLECTOR_ATTACH_CGROUP];
	bool perf = cfg->collectors[COLLECTOR_ATTACH_PERF_EVENT];

	if (!walk && !cfg->memory_reads_per_scrape && !cfg->run_stats && !netlink && !cgroup &&
	    !perf)
		return 0;
	/* Said once, before the drop reports what it kept. */
	log_info("CAP_SYS_ADMIN, where held, stays for:%s%s%s%s%s%s",
		 walk ? " the counting walk (counting.method)" : "",
		 cfg->memory_reads_per_scrape ? " map memory (memory.reads_per_scrape > 0)" : "",
		 cfg->run_stats ? " run statistics (programs.run_stats)" : "",
		 netlink ? " other network namespaces (collectors.attach_netlink)" : "",
		 cgroup ? " cgroup queries (collectors.attach_cgroup, with CAP_NET_ADMIN)" : "",
		 perf ? " perf event queries (collectors.attach_perf_event)" : "");
	/* Before 6.10 a cgroup's BPF_PROG_QUERY asks for CAP_NET_ADMIN, not CAP_SYS_ADMIN. */
	return (uint64_t)1 << CAP_SYS_ADMIN | (cgroup ? (uint64_t)1 << CAP_NET_ADMIN : 0);
}

static int serve(struct exporter *exp, const struct flags *flags, const struct web_config *web,
		 sigset_t *signals)
{
	struct http_opts opts = {
		.listen_address = exp->cfg->listen_address,
		.telemetry_path = exp->cfg->telemetry_path,
		.max_connections = exp->cfg->max_connections,
		.max_connections_per_ip = exp->cfg->max_connections_per_ip,
		.timeout_seconds = exp->cfg->timeout_seconds,
		.scrape = scrape_cb,
		.arg = exp,
		.web = web,
	};
	struct http_server *srv = NULL;
	int err, sig;

	/* Bind first (a port below 1024 needs a capability), then drop, then start threads. */
	err = http_server__new(&srv, &opts);
	if (!err)
		err = privileges_drop(caps_for_features(exp), probe_cb, exp->iters);
	if (!err) {
		attach_queries_probe(&exp->queries, exp->cfg);
		err = http_server__start(srv);
	}
	if (err) {
		http_server__stop(srv);
		return err;
	}
	/*
	 * Start-up is over: libbpf parsed the kernel's BTF (5 MB, and its
	 * index) for each object and freed it, but malloc keeps what is freed
	 * below the heap's top: 11 of an idle 14.5 MiB.
	 */
	malloc_trim(0);
	for (;;) {
		if (sigwait(signals, &sig))
			continue;
		if (sig != SIGHUP)
			break;
		reload(exp, flags);
	}
	log_info("received %s, shutting down", strsignal(sig));
	http_server__stop(srv);
	return 0;
}

/*
 * One malloc arena: glibc gives new threads arenas of their own (up to 8
 * per CPU) and each scrape starts threads, so each arena came to hold the
 * largest scrape it served; 10 concurrent scrapes of 10,000 maps left
 * 108 MiB resident, where one arena reuses the memory (12 MiB).
 * Fixed thresholds: glibc raises them as large blocks are freed, so they
 * depended on what start-up freed (the kernel's BTF, a verifier log). A
 * scrape's buffers, below 16 MiB, come from the heap and serve the next
 * scrape without page faults; the heap's top is given back past 32 MiB.
 */
static void malloc_setup(void)
{
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_MMAP_THRESHOLD, 16 << 20);
	mallopt(M_TRIM_THRESHOLD, 32 << 20);
}

int main(int argc, char **argv)
{
	/*
	 * Writer-preferring: with glibc's default, back-to-back scrapes could
	 * hold the read side forever and starve a SIGHUP reload.
	 */
	struct exporter exp = {.lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP,
			       .stats_fd = -1};
	struct web_config *web = NULL;
	struct flags flags = {};
	struct timespec now;
	sigset_t signals;
	int ret, err;

	malloc_setup();
	ret = parse_flags(argc, argv, &flags);
	if (ret)
		return ret - 1;

	exp.cfg = load_config(&flags);
	if (!exp.cfg)
		return EXIT_USAGE;
	log_set_level(exp.cfg->log_level);
	if (flags.web_config_file) {
		char err_buf[512];

		web = web_config__load_file(flags.web_config_file, err_buf, sizeof(err_buf));
		if (!web) {
			log_error("bad web configuration: %s", err_buf);
			config__free(exp.cfg);
			return EXIT_USAGE;
		}
	}
	if (flags.check) {
		printf("%s: configuration is valid\n",
		       flags.config_file ? flags.config_file : "<embedded>");
		if (web)
			printf("%s: web configuration is valid\n", flags.web_config_file);
		ret = EXIT_SUCCESS;
		goto out;
	}

	block_signals(&signals);
	clock_gettime(CLOCK_REALTIME, &now);
	exp.self.start_time = now.tv_sec + now.tv_nsec / 1e9;

	err = iters__new(&exp.iters);
	if (!err)
		err = owner_state__new(&exp.owners);
	if (!err)
		err = mem_cache__new(&exp.mem_cache);
	if (err) {
		ret = EXIT_FAILURE;
		goto out;
	}
	scrape_source_kernel(&exp.source, exp.iters);
	log_count_method(exp.cfg, &exp.source.facts);
	/* Optional: where the kernel refuses, one log line and a feature gauge at 0. */
	if (exp.cfg->collectors[COLLECTOR_MAP_ERRORS]) {
		uint32_t own[BPFMAP_MAP_ERR_SELF_MAX - 3];
		size_t nr_own = iters__map_ids(exp.iters, own, ARRAY_SIZE(own));

		/* Room for every one of them: a map left out would count the exporter's own work. */
		if (nr_own > ARRAY_SIZE(own))
			log_error("collector map_errors: the exporter has %zu maps of its own, "
				  "room for %zu: not started",
				  nr_own, ARRAY_SIZE(own));
		else
			map_errors__new(&exp.map_errors, own, nr_own);
		exp.self.map_errors_probed = true;
		exp.self.map_errors_fexit = exp.map_errors != NULL;
		exp.self.map_errors_evictions = map_errors__has_evictions(exp.map_errors);
	}
	/* Before dropping capabilities: turning statistics on needs CAP_SYS_ADMIN. */
	exporter_apply_run_stats(&exp);
	if (flags.once) {
		err = privileges_drop(caps_for_features(&exp), probe_cb, exp.iters);
		if (!err) {
			attach_queries_probe(&exp.queries, exp.cfg);
			err = print_once(&exp);
		}
	} else {
		err = serve(&exp, &flags, web, &signals);
	}
	ret = err ? EXIT_FAILURE : EXIT_SUCCESS;
out:
	if (exp.stats_fd >= 0)
		close(exp.stats_fd);
	map_errors__free(exp.map_errors);
	mem_cache__free(exp.mem_cache);
	owner_state__free(exp.owners);
	iters__free(exp.iters);
	web_config__free(web);
	config__free(exp.cfg);
	return ret;
}
