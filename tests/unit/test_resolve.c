// SPDX-License-Identifier: Apache-2.0
/*
 * Names from host files: the JSON reader, every source under the fixture
 * root tests/fixtures/rootfs, malformed files, the cache and its retry,
 * and symlinks resolved inside the root.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "resolve.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ROOT "tests/fixtures/rootfs"

#define CD "aaaa000000000000000000000000000000000000000000000000000000000001"
#define CRIO "bbbb000000000000000000000000000000000000000000000000000000000002"
#define DK "cccc000000000000000000000000000000000000000000000000000000000003"
#define SHIM "dddd000000000000000000000000000000000000000000000000000000000004"
#define LOGONLY "eeee000000000000000000000000000000000000000000000000000000000005"
#define BAD "ffff000000000000000000000000000000000000000000000000000000000006"
#define PRIO "abab000000000000000000000000000000000000000000000000000000000007"
#define NONE "0000000000000000000000000000000000000000000000000000000000000008"
#define NONE2 "0000000000000000000000000000000000000000000000000000000000000009"
#define UID1 "1c0b4e2a-5f6d-4e3c-9b8a-7d6e5f4c3b2a"
#define UID2 "2d1c5f3b-6a7e-4f4d-8c9b-8e7f6a5d4c3b"

/* ---- JSON -------------------------------------------------------------------- */

struct seen {
	char lines[32][512];
	int n;
};

static void record(void *arg, int depth, const char *parent, const char *key, const char *value)
{
	struct seen *s = arg;

	if (s->n < 32)
		snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%d %s %s=%s", depth, parent, key,
			 value);
}

static int scan(const char *text, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return json_scan(text, strlen(text), record, s);
}

static void test_json_members(void **state)
{
	struct seen s;

	(void)state;
	assert_int_equal(scan(" {\"a\":\"1\",\"n\":-1.5e3,\"t\":true,\"z\":null,"
			      "\"o\":{\"b\":\"2\",\"arr\":[\"x\",{\"c\":\"3\"},[]],\"e\":{}}}\n",
			      &s),
			 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "1  a=1");
	assert_string_equal(s.lines[1], "2 o b=2");
	/* An object in an array keeps the array's key; the array is a level. */
	assert_string_equal(s.lines[2], "4 arr c=3");

	/* Escapes, \u with surrogate pairs, lone surrogates as U+FFFD. */
	assert_int_equal(scan("{\"k\":\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t|\\u00e9\\u20ac\\ud83d\\ude00"
			      "|\\ud800x|\\udc00\"}",
			      &s),
			 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "1  k=q\"b\\s/\b\f\n\r\t|é€😀|\xef\xbf\xbdx|\xef\xbf\xbd");

	/* An embedded NUL cannot be a name: the member is skipped. */
	assert_int_equal(scan("{\"k\":\"a\\u0000b\",\"l\":\"ok\"}", &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "1  l=ok");
	/* Top-level arrays and scalars are valid JSON with no members. */
	assert_int_equal(scan("[{\"a\":\"1\"}]", &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "2  a=1");
	assert_int_equal(scan("\"just a string\"", &s), 0);
	assert_int_equal(s.n, 0);
}

static void test_json_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"}",
		"{\"a\"}",
		"{\"a\":}",
		"{\"a\":\"1\",}",
		"{\"a\":\"1\" \"b\":\"2\"}",
		"{\"a\":\"unterminated}",
		"{\"a\":\"bad escape \\x\"}",
		"{\"a\":\"short \\u12\"}",
		"{\"a\":\"ctl \x01\"}",
		"{a:\"1\"}",
		"{\"a\":[1,2}",
		"{\"a\":\"1\"} trailing",
		"{\"a\":\"1\"}}",
		"[",
		"[1,]",
		"{\"a\":\"\\",
	};
	struct seen s;
	char *deep;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (scan(bad[i], &s) != -EINVAL)
			fail_msg("accepted malformed JSON: %s", bad[i]);
	}
	/* Nesting is bounded: 64 levels parse, 1000 are refused without recursion trouble. */
	deep = malloc(4096);
	assert_non_null(deep);
	for (int levels = 64, i = 0; i < 2; i++, levels = 1000) {
		size_t o = 0;

		for (int l = 0; l < levels; l++)
			o += (size_t)sprintf(deep + o, "[");
		for (int l = 0; l < levels; l++)
			o += (size_t)sprintf(deep + o, "]");
		assert_int_equal(json_scan(deep, o, record, &s), i ? -EINVAL : 0);
	}
	free(deep);
}

static void test_json_long_strings(void **state)
{
	size_t n = 10000;
	char *text = malloc(n + 64);
	struct seen s = {0};
	int len;

	(void)state;
	assert_non_null(text);
	/* A value over 4 KiB is skipped, not cut; the next member still counts. */
	len = sprintf(text, "{\"k\":\"");
	memset(text + len, 'v', n);
	len += (int)n;
	len += sprintf(text + len, "\",\"m\":\"ok\"}");
	assert_int_equal(json_scan(text, (size_t)len, record, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "1  m=ok");
	/* Same for a key over 255 bytes. */
	len = sprintf(text, "{\"");
	memset(text + len, 'k', 300);
	len += 300;
	len += sprintf(text + len, "\":\"v\",\"m\":\"ok\"}");
	s.n = 0;
	assert_int_equal(json_scan(text, (size_t)len, record, &s), 0);
	assert_int_equal(s.n, 1);
	/* At the edge: 255 bytes are a key, 256 are not (found by fuzz_json_scan). */
	for (int klen = 255; klen <= 256; klen++) {
		len = sprintf(text, "{\"");
		memset(text + len, 'k', (size_t)klen);
		len += klen;
		len += sprintf(text + len, "\":\"v\"}");
		s.n = 0;
		assert_int_equal(json_scan(text, (size_t)len, record, &s), 0);
		assert_int_equal(s.n, klen == 255 ? 1 : 0);
	}
	/* A key holding a NUL is no key: "Name\u0000x" must not read as "Name". */
	const char *nul_key = "{\"Name\\u0000x\":\"v\"}";

	s.n = 0;
	assert_int_equal(json_scan(nul_key, strlen(nul_key), record, &s), 0);
	assert_int_equal(s.n, 0);
	free(text);
}

/* ---- resolver over the fixture root ----------------------------------------------- */

struct lookup_case {
	const char *id;
	enum container_runtime rt;
	const char *cgroup_uid;
	const char *container, *pod, *namespace, *uid;
};

static const struct lookup_case cases[] = {
	/* containerd CRI: annotations name container and pod */
	{CD, RUNTIME_CONTAINERD, UID2, "cilium-agent", "cilium-x7k2p", "kube-system", UID2},
	/* the kubelet's cgroupfs layout does not say which runtime: all are tried */
	{CD, RUNTIME_UNKNOWN, UID2, "cilium-agent", "cilium-x7k2p", "kube-system", UID2},
	/* a cgroup without a pod: the runtime's pod uid is taken */
	{CD, RUNTIME_CONTAINERD, "", "cilium-agent", "cilium-x7k2p", "kube-system", UID2},
	/* CRI-O: escapes, UTF-8; a JSON string holding JSON is not parsed */
	{CRIO, RUNTIME_CRIO, UID1, "fluent-bit", "logs-été", "observability", UID1},
	{CRIO, RUNTIME_UNKNOWN, UID1, "fluent-bit", "logs-été", "observability", UID1},
	/* docker: "Name" at the top only (not volume or restart policy names) */
	{DK, RUNTIME_DOCKER, "", "owners-test_1", "", "", ""},
	/* dockershim: the kubelet's labels beat docker's own k8s_... name */
	{SHIM, RUNTIME_DOCKER, UID1, "app", "web-7d9f8", "prod", UID1},
	{PRIO, RUNTIME_DOCKER, "", "x", "", "", ""},
	/* only the kubelet's container log link: container, pod and namespace */
	{LOGONLY, RUNTIME_UNKNOWN, UID2, "agent", "agent-x2", "kube-system", UID2},
	/* a half-written file: nothing from it; the malformed log name is ignored too */
	{BAD, RUNTIME_DOCKER, "", "", "", "", ""},
	{BAD, RUNTIME_UNKNOWN, "", "", "", "", ""},
	/* nothing anywhere; the pod still comes from /var/log/pods */
	{NONE, RUNTIME_UNKNOWN, UID1, "", "web-7d9f8", "prod", UID1},
	{NONE2, RUNTIME_PODMAN, "", "", "", "", ""},
	/* a pod without a container component */
	{"", RUNTIME_UNKNOWN, UID1, "", "web-7d9f8", "prod", UID1},
	{"", RUNTIME_UNKNOWN, UID2, "", "agent-x2", "kube-system", UID2},
	/* a pod the kubelet does not know */
	{"", RUNTIME_UNKNOWN, "99999999-9999-4999-8999-999999999999", "", "", "",
	 "99999999-9999-4999-8999-999999999999"},
	/* neither */
	{"", RUNTIME_UNKNOWN, "", "", "", "", ""},
};

static void lookup(struct resolver *r, const char *root, const char *id, enum container_runtime rt,
		   const char *uid, uint64_t gen, double now, struct resolved_names *out)
{
	struct cgroup_info cg = {.runtime = rt};

	snprintf(cg.container_id, sizeof(cg.container_id), "%s", id);
	snprintf(cg.pod_uid, sizeof(cg.pod_uid), "%s", uid);
	resolver__lookup(r, root, &cg, gen, now, out);
}

static void test_sources(void **state)
{
	struct resolver *r = NULL;

	(void)state;
	assert_int_equal(resolver__new(&r), 0);
	/* Twice: the second round is served from the cache. */
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			const struct lookup_case *c = &cases[i];
			struct resolved_names n;

			/* A fresh resolver per case, so one case's cache cannot help another. */
			if (!round) {
				resolver__free(r);
				assert_int_equal(resolver__new(&r), 0);
			}
			lookup(r, ROOT, c->id, c->rt, c->cgroup_uid, 1, 100, &n);
			if (strcmp(n.container, c->container) || strcmp(n.pod, c->pod) ||
			    strcmp(n.namespace, c->namespace) || strcmp(n.pod_uid, c->uid))
				fail_msg("case %zu (%.8s rt %d uid \"%s\"): got \"%s\" \"%s\" "
					 "\"%s\" "
					 "\"%s\"",
					 i, c->id, c->rt, c->cgroup_uid, n.container, n.pod,
					 n.namespace, n.pod_uid);
		}
	}
	resolver__free(r);
	resolver__free(NULL);
}

static void test_missing_root(void **state)
{
	struct resolver *r = NULL;
	struct resolved_names n;

	(void)state;
	assert_int_equal(resolver__new(&r), 0);
	lookup(r, "/nonexistent/root", CD, RUNTIME_CONTAINERD, UID2, 1, 0, &n);
	assert_string_equal(n.container, "");
	assert_string_equal(n.pod, "");
	assert_string_equal(n.pod_uid, UID2); /* what the cgroup said stands */
	/* A later, valid root works. */
	lookup(r, ROOT, CD, RUNTIME_CONTAINERD, UID2, 2, 0, &n);
	assert_string_equal(n.container, "cilium-agent");
	resolver__free(r);
}

static void test_cache_and_sweep(void **state)
{
	struct resolver *r = NULL;
	struct resolved_names n;
	size_t containers, pods;

	(void)state;
	assert_int_equal(resolver__new(&r), 0);
	lookup(r, ROOT, CD, RUNTIME_CONTAINERD, UID2, 1, 0, &n);
	lookup(r, ROOT, DK, RUNTIME_DOCKER, "", 1, 0, &n);
	lookup(r, ROOT, "", RUNTIME_UNKNOWN, UID1, 1, 0, &n);
	resolver__size(r, &containers, &pods);
	assert_int_equal(containers, 2);
	assert_int_equal(pods, 1); /* CD's pod came from its annotations, not the pod cache */
	/* Scrape 2 sees only the docker container: the rest is forgotten. */
	lookup(r, ROOT, DK, RUNTIME_DOCKER, "", 2, 1, &n);
	resolver__sweep(r, 2);
	resolver__size(r, &containers, &pods);
	assert_int_equal(containers, 1);
	assert_int_equal(pods, 0);
	assert_string_equal(n.container, "owners-test_1");
	/* An older scrape finishing late forgets nothing newer. */
	resolver__sweep(r, 1);
	resolver__size(r, &containers, &pods);
	assert_int_equal(containers, 1);
	resolver__free(r);
}

/* A temporary root, removed by the test. */
static char *make_root(void)
{
	char *dir = strdup("/tmp/bpfmap-resolve.XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void write_file(const char *root, const char *rel, const char *text, size_t len)
{
	char path[512], cmd[1024];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s/%s')\"", root, rel);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void remove_root(char *root)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(root);
}

static void test_retry(void **state)
{
	static const char json[] = "{\"Name\":\"/late\"}";
	char *root = make_root();
	struct resolver *r = NULL;
	struct resolved_names n;

	(void)state;
	assert_int_equal(resolver__new(&r), 0);
	lookup(r, root, DK, RUNTIME_DOCKER, "", 1, 100, &n);
	assert_string_equal(n.container, "");
	/* The file appears; a lookup within the retry interval does not read it. */
	write_file(root, "var/lib/docker/containers/" DK "/config.v2.json", json, sizeof(json) - 1);
	lookup(r, root, DK, RUNTIME_DOCKER, "", 2, 100 + RESOLVE_RETRY_SECONDS - 1, &n);
	assert_string_equal(n.container, "");
	lookup(r, root, DK, RUNTIME_DOCKER, "", 3, 100 + RESOLVE_RETRY_SECONDS, &n);
	assert_string_equal(n.container, "late");
	/* Complete entries are not read again: removing the file changes nothing. */
	remove_root(root);
	lookup(r, "/nonexistent-but-same-cache", DK, RUNTIME_DOCKER, "", 4, 1000, &n);
	assert_string_equal(n.container, ""); /* another root: the cache was flushed */
	resolver__free(r);
}

static void test_symlinks_stay_in_root(void **state)
{
	static const char json[] = "{\"Name\":\"/inside\"}";
	char *root = make_root(), link[512];
	struct resolver *r = NULL;
	struct resolved_names n;

	(void)state;
	/* On the host /var/lib/docker -> /dockerdata: it must resolve to <root>/dockerdata. */
	write_file(root, "dockerdata/containers/" DK "/config.v2.json", json, sizeof(json) - 1);
	write_file(root, "var/lib/.keep", "", 0);
	snprintf(link, sizeof(link), "%s/var/lib/docker", root);
	assert_int_equal(symlink("/dockerdata", link), 0);
	assert_int_equal(resolver__new(&r), 0);
	lookup(r, root, DK, RUNTIME_DOCKER, "", 1, 0, &n);
	assert_string_equal(n.container, "inside");
	resolver__free(r);
	remove_root(root);
}

static void test_big_and_odd_files(void **state)
{
	char *root = make_root(), *big;
	size_t n_big = 2 * 1024 * 1024;
	struct resolver *r = NULL;
	struct resolved_names n;

	(void)state;
	/* Over 1 MiB: not read at all, even though it is valid JSON. */
	big = malloc(n_big);
	assert_non_null(big);
	memset(big, ' ', n_big);
	memcpy(big, "{\"Name\":\"/big\"}", 15);
	write_file(root, "var/lib/docker/containers/" DK "/config.v2.json", big, n_big);
	free(big);
	/* A directory where a file should be, binary junk, an empty file. */
	write_file(root, "var/lib/docker/containers/" SHIM "/config.v2.json/x", "", 0);
	write_file(root, "var/lib/docker/containers/" BAD "/config.v2.json", "\0\xff{\"N", 5);
	write_file(root, "var/lib/docker/containers/" PRIO "/config.v2.json", "", 0);
	/* Names too long for a label slot are left empty, not cut. */
	{
		char text[1200];
		int len = sprintf(text, "{\"Name\":\"/");

		memset(text + len, 'n', 300);
		len += 300;
		len += sprintf(text + len, "\"}");
		write_file(root, "var/lib/docker/containers/" NONE "/config.v2.json", text,
			   (size_t)len);
	}
	assert_int_equal(resolver__new(&r), 0);
	lookup(r, root, DK, RUNTIME_DOCKER, "", 1, 0, &n);
	assert_string_equal(n.container, "");
	lookup(r, root, SHIM, RUNTIME_DOCKER, "", 1, 0, &n);
	assert_string_equal(n.container, "");
	lookup(r, root, BAD, RUNTIME_DOCKER, "", 1, 0, &n);
	assert_string_equal(n.container, "");
	lookup(r, root, PRIO, RUNTIME_DOCKER, "", 1, 0, &n);
	assert_string_equal(n.container, "");
	lookup(r, root, NONE, RUNTIME_DOCKER, "", 1, 0, &n);
	assert_string_equal(n.container, "");
	resolver__free(r);
	remove_root(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_members),
		cmocka_unit_test(test_json_malformed),
		cmocka_unit_test(test_json_long_strings),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_missing_root),
		cmocka_unit_test(test_cache_and_sweep),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_symlinks_stay_in_root),
		cmocka_unit_test(test_big_and_odd_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
