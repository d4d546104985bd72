// SPDX-License-Identifier: Apache-2.0
/* Sources, cache and retry policy: see docs/owners.md, "Names without an API server". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "grow.h"
#include "log.h"
#include "resolve.h"
#include "util.h"

#define FILE_MAX (1024 * 1024) /* runtime state files are a few KiB */
#define JSON_STR_MAX 4096
#define JSON_DEPTH_MAX 64

struct container_entry {
	char id[CGROUP_CONTAINER_ID_LEN + 1];
	struct resolved_names names;
	bool complete;
	double attempted;
	uint64_t seen;
};

struct pod_entry {
	char uid[CGROUP_POD_UID_MAX + 1];
	char pod[RESOLVE_NAME_MAX];
	char namespace[RESOLVE_NAME_MAX];
	double attempted;
	uint64_t seen;
};

struct resolver {
	pthread_mutex_t lock;
	char *rootfs; /* the root the caches were filled from */
	int root_fd;
	struct container_entry *containers;
	size_t nr_containers, cap_containers;
	struct pod_entry *pods;
	size_t nr_pods, cap_pods;
};

/* ---- JSON -------------------------------------------------------------------- */

struct json {
	const char *p, *end;
	json_member_cb cb;
	void *arg;
	char value[JSON_STR_MAX + 1];
};

static void skip_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int hex4(const char *p, unsigned int *out)
{
	unsigned int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Appends code point cp as UTF-8 if it fits; *o may pass size (too long). */
static void put_utf8(char *buf, size_t size, size_t *o, unsigned int cp)
{
	char tmp[4];
	size_t n;

	if (cp < 0x80) {
		tmp[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		tmp[0] = (char)(0xc0 | (cp >> 6));
		tmp[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		tmp[0] = (char)(0xe0 | (cp >> 12));
		tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		tmp[0] = (char)(0xf0 | (cp >> 18));
		tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (*o + n <= size)
		memcpy(buf + *o, tmp, n);
	*o += n;
}

/*
 * A string at j->p (the opening quote) into buf (size bytes + NUL).
 * Returns its decoded length (> size: too long, contents cut) or -EINVAL.
 */
static long parse_string(struct json *j, char *buf, size_t size)
{
	size_t o = 0;

	j->p++;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p++;
		unsigned int cp;

		if (c == '"') {
			buf[o < size ? o : size] = '\0';
			return (long)o;
		}
		if (c < 0x20)
			return -EINVAL;
		if (c != '\\') {
			if (o < size)
				buf[o] = (char)c;
			o++;
			continue;
		}
		if (j->p >= j->end)
			return -EINVAL;
		c = (unsigned char)*j->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			cp = c;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			if (j->end - j->p < 4 || hex4(j->p, &cp))
				return -EINVAL;
			j->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				unsigned int lo;

				/* A high surrogate needs its low half; alone it is U+FFFD. */
				if (j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' &&
				    !hex4(j->p + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					j->p += 6;
				} else {
					cp = 0xfffd;
				}
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				cp = 0xfffd;
			}
			break;
		default:
			return -EINVAL;
		}
		put_utf8(buf, size, &o, cp);
	}
	return -EINVAL;
}

/* Numbers, true, false, null: the characters they may hold, at least one. */
static int skip_scalar(struct json *j)
{
	const char *start = j->p;

	while (j->p < j->end && strchr("+-0123456789.eEtruefalsn", *j->p) && *j->p)
		j->p++;
	return j->p > start ? 0 : -EINVAL;
}

static int parse_value(struct json *j, int depth, const char *key, const char *parent_key,
		       int member_depth);

/* After a member or element: 0 at a comma (another follows), 1 at close (consumed). */
static int next_item(struct json *j, char close)
{
	skip_ws(j);
	if (j->p >= j->end)
		return -EINVAL;
	if (*j->p == close) {
		j->p++;
		return 1;
	}
	if (*j->p != ',')
		return -EINVAL;
	j->p++;
	return 0;
}

static int parse_object(struct json *j, int depth, const char *key)
{
	char member[RESOLVE_NAME_MAX + 1];

	if (depth > JSON_DEPTH_MAX)
		return -EINVAL;
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		return 0;
	}
	while (j->p < j->end) {
		long n;
		int err;

		skip_ws(j);
		if (j->p >= j->end || *j->p != '"')
			return -EINVAL;
		n = parse_string(j, member, sizeof(member) - 1);
		if (n < 0)
			return -EINVAL;
		/* Over 255 bytes (as resolve.h promises), or holding a NUL: no key we look for. */
		if ((size_t)n > RESOLVE_NAME_MAX - 1 || strlen(member) != (size_t)n)
			member[0] = '\0';
		skip_ws(j);
		if (j->p >= j->end || *j->p != ':')
			return -EINVAL;
		j->p++;
		skip_ws(j);
		err = parse_value(j, depth, member, key, depth);
		if (!err)
			err = next_item(j, '}');
		if (err)
			return err < 0 ? err : 0;
	}
	return -EINVAL;
}

static int parse_array(struct json *j, int depth, const char *key)
{
	if (depth > JSON_DEPTH_MAX)
		return -EINVAL;
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		return 0;
	}
	while (j->p < j->end) {
		int err;

		skip_ws(j);
		/* Elements are not members: no callback, objects inside keep the array's key. */
		err = parse_value(j, depth, key, NULL, 0);
		if (!err)
			err = next_item(j, ']');
		if (err)
			return err < 0 ? err : 0;
	}
	return -EINVAL;
}

/* key: this value's member key (or the enclosing array's); member_depth 0 for array elements. */
static int parse_value(struct json *j, int depth, const char *key, const char *parent_key,
		       int member_depth)
{
	long n;

	if (j->p >= j->end)
		return -EINVAL;
	switch (*j->p) {
	case '{':
		return parse_object(j, depth + 1, key);
	case '[':
		return parse_array(j, depth + 1, key);
	case '"':
		n = parse_string(j, j->value, JSON_STR_MAX);
		if (n < 0)
			return -EINVAL;
		if (member_depth && key[0] && (size_t)n <= JSON_STR_MAX &&
		    strlen(j->value) == (size_t)n) /* no embedded NULs */
			j->cb(j->arg, member_depth, parent_key ? parent_key : "", key, j->value);
		return 0;
	default:
		return skip_scalar(j);
	}
}

int json_scan(const char *text, size_t len, json_member_cb cb, void *arg)
{
	struct json *j = malloc(sizeof(*j));
	int err;

	if (!j)
		return -ENOMEM;
	j->p = text;
	j->end = text + len;
	j->cb = cb;
	j->arg = arg;
	skip_ws(j);
	err = parse_value(j, 0, "", NULL, 0);
	if (!err) {
		skip_ws(j);
		if (j->p != j->end)
			err = -EINVAL;
	}
	free(j);
	return err;
}

/* ---- files under the root ------------------------------------------------------ */

/*
 * Open path (absolute, as on the host) under the root. RESOLVE_IN_ROOT
 * keeps absolute symlinks on the host (/var/lib/docker -> /data/docker)
 * inside the root; kernels before 5.6 fall back to a plain openat.
 */
static int root_open(const struct resolver *r, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	while (*path == '/')
		path++;
	fd = (int)syscall(SYS_openat2, r->root_fd, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = openat(r->root_fd, path, flags | O_CLOEXEC);
	return fd;
}

/* The whole file (NUL-terminated), at most FILE_MAX bytes; NULL if absent or larger. */
static char *read_file(const struct resolver *r, const char *path, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = NULL, *p;
	int fd = root_open(r, path, O_RDONLY);

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t got;

		if (n + 1 >= cap) {
			if (cap > FILE_MAX)
				goto fail;
			cap *= 2;
		}
		p = realloc(buf, cap);
		if (!p)
			goto fail;
		buf = p;
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			goto fail;
		if (!got)
			break;
		n += (size_t)got;
	}
	if (n > FILE_MAX)
		goto fail;
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static DIR *root_opendir(const struct resolver *r, const char *path)
{
	int fd = root_open(r, path, O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

/* ---- runtime state ------------------------------------------------------------- */

static void set_name(char *dst, const char *src, size_t len)
{
	if (len >= RESOLVE_NAME_MAX)
		return; /* a cut name would be a wrong name */
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* What a runtime's state file says about its container. */
struct state_fields {
	char docker_name[RESOLVE_NAME_MAX]; /* docker's "Name", without its '/' */
	char k8s_container[RESOLVE_NAME_MAX];
	char other_name[RESOLVE_NAME_MAX]; /* nerdctl */
	char pod[RESOLVE_NAME_MAX];
	char namespace[RESOLVE_NAME_MAX];
	char pod_uid[CGROUP_POD_UID_MAX + 1];
};

static void state_member(void *arg, int depth, const char *parent, const char *key,
			 const char *value)
{
	static const struct {
		const char *key;
		size_t offset;
	} keys[] = {
		/* containerd's CRI plugin */
		{"io.kubernetes.cri.container-name", offsetof(struct state_fields, k8s_container)},
		{"io.kubernetes.cri.sandbox-name", offsetof(struct state_fields, pod)},
		{"io.kubernetes.cri.sandbox-namespace", offsetof(struct state_fields, namespace)},
		/* CRI-O, and docker labels set by the kubelet's dockershim */
		{"io.kubernetes.container.name", offsetof(struct state_fields, k8s_container)},
		{"io.kubernetes.pod.name", offsetof(struct state_fields, pod)},
		{"io.kubernetes.pod.namespace", offsetof(struct state_fields, namespace)},
		{"nerdctl/name", offsetof(struct state_fields, other_name)},
	};
	struct state_fields *f = arg;
	size_t len = strlen(value);

	if (depth == 1 && !strcmp(key, "Name")) { /* docker's config.v2.json */
		if (value[0] == '/')
			set_name(f->docker_name, value + 1, len - 1);
		return;
	}
	/* OCI bundle annotations (depth 2), docker's Config.Labels (depth 3). */
	if (!((depth == 2 && !strcmp(parent, "annotations")) ||
	      (depth == 3 && !strcmp(parent, "Labels"))))
		return;
	if (!strcmp(key, "io.kubernetes.cri.sandbox-uid") ||
	    !strcmp(key, "io.kubernetes.pod.uid")) {
		if (len <= CGROUP_POD_UID_MAX)
			memcpy(f->pod_uid, value, len + 1);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!strcmp(key, keys[i].key)) {
			set_name((char *)f + keys[i].offset, value, len);
			return;
		}
	}
}

/* Reads one state file; false if absent or malformed (then nothing is kept). */
static bool read_state(const struct resolver *r, const char *path, struct state_fields *out)
{
	struct state_fields f = {0};
	size_t len = 0;
	char *text = read_file(r, path, &len);
	bool ok;

	if (!text)
		return false;
	ok = !json_scan(text, len, state_member, &f);
	if (ok)
		*out = f;
	else
		log_debug("owners: ignoring malformed JSON in %s", path);
	free(text);
	return ok;
}

/* containerd keeps one bundle per namespace (k8s.io, moby, default, ...). */
static bool containerd_state(const struct resolver *r, const char *id, struct state_fields *f)
{
	static const char *const bases[] = {
		"/run/containerd/io.containerd.runtime.v2.task",
		"/run/containerd/io.containerd.runtime.v1.linux",
	};
	bool found = false;

	for (size_t b = 0; b < ARRAY_SIZE(bases) && !found; b++) {
		DIR *d = root_opendir(r, bases[b]);
		struct dirent *de;

		if (!d)
			continue;
		while (!found && (de = readdir(d))) {
			char path[512];

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s/config.json", bases[b], de->d_name,
				 id);
			found = read_state(r, path, f);
		}
		closedir(d);
	}
	return found;
}

static bool crio_state(const struct resolver *r, const char *id, struct state_fields *f)
{
	static const char *const bases[] = {
		"/run/containers/storage/overlay-containers",
		"/var/lib/containers/storage/overlay-containers",
	};
	char path[512];

	for (size_t b = 0; b < ARRAY_SIZE(bases); b++) {
		snprintf(path, sizeof(path), "%s/%s/userdata/config.json", bases[b], id);
		if (read_state(r, path, f))
			return true;
	}
	return false;
}

static bool docker_state(const struct resolver *r, const char *id, struct state_fields *f)
{
	char path[256];

	snprintf(path, sizeof(path), "/var/lib/docker/containers/%s/config.v2.json", id);
	return read_state(r, path, f);
}

/* /var/log/containers/<pod>_<namespace>_<container>-<id>.log: the kubelet's names. */
static bool kubelet_container_log(const struct resolver *r, const char *id,
				  struct resolved_names *out)
{
	char suffix[CGROUP_CONTAINER_ID_LEN + 8];
	size_t suffix_len;
	struct dirent *de;
	bool found = false;
	DIR *d = root_opendir(r, "/var/log/containers");

	if (!d)
		return false;
	suffix_len = (size_t)snprintf(suffix, sizeof(suffix), "-%s.log", id);
	while (!found && (de = readdir(d))) {
		const char *name = de->d_name, *u1, *u2;
		size_t len = strlen(name);

		if (len <= suffix_len || strcmp(name + len - suffix_len, suffix))
			continue;
		u1 = strchr(name, '_');
		u2 = u1 ? strchr(u1 + 1, '_') : NULL;
		if (!u1 || !u2 || u1 == name || u2 == u1 + 1 ||
		    (size_t)(u2 + 1 - name) >= len - suffix_len)
			continue;
		set_name(out->pod, name, (size_t)(u1 - name));
		set_name(out->namespace, u1 + 1, (size_t)(u2 - u1 - 1));
		set_name(out->container, u2 + 1, len - suffix_len - (size_t)(u2 + 1 - name));
		found = true;
	}
	closedir(d);
	return found;
}

/* /var/log/pods/<namespace>_<pod>_<uid>: the kubelet's names of a pod. */
static void kubelet_pod_dir(const struct resolver *r, struct pod_entry *p)
{
	size_t uid_len = strlen(p->uid);
	struct dirent *de;
	DIR *d = root_opendir(r, "/var/log/pods");

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *name = de->d_name, *u1, *u2;
		size_t len = strlen(name);

		u1 = strchr(name, '_');
		u2 = strrchr(name, '_');
		if (!u1 || u1 == u2 || u1 == name || u2 == u1 + 1 ||
		    len - (size_t)(u2 + 1 - name) != uid_len || strcmp(u2 + 1, p->uid))
			continue;
		set_name(p->namespace, name, (size_t)(u1 - name));
		set_name(p->pod, u1 + 1, (size_t)(u2 - u1 - 1));
		break;
	}
	closedir(d);
}

static void resolve_container(const struct resolver *r, enum container_runtime rt,
			      struct container_entry *e)
{
	struct state_fields f = {0};
	struct resolved_names *n = &e->names;
	bool found = false;

	switch (rt) {
	case RUNTIME_DOCKER:
		found = docker_state(r, e->id, &f);
		break;
	case RUNTIME_CONTAINERD:
		found = containerd_state(r, e->id, &f);
		break;
	case RUNTIME_CRIO:
		found = crio_state(r, e->id, &f);
		break;
	case RUNTIME_PODMAN:
		break; /* podman keeps names in its database only */
	default:
		found = containerd_state(r, e->id, &f) || crio_state(r, e->id, &f) ||
			docker_state(r, e->id, &f);
	}
	if (found) {
		/* The kubelet's name beats the runtime's own (k8s_<container>_<pod>_...). */
		const char *name = f.k8s_container[0] ? f.k8s_container
				   : f.docker_name[0] ? f.docker_name
						      : f.other_name;

		if (!n->container[0])
			memcpy(n->container, name, strlen(name) + 1);
		if (!n->pod[0] && f.pod[0] && f.namespace[0]) {
			memcpy(n->pod, f.pod, sizeof(f.pod));
			memcpy(n->namespace, f.namespace, sizeof(f.namespace));
		}
		if (!n->pod_uid[0] && f.pod_uid[0]) {
			struct cgroup_info ci;
			char path[8 + CGROUP_POD_UID_MAX];

			/* Only a well-formed uid: it keys the pod cache. */
			snprintf(path, sizeof(path), "/pod%s", f.pod_uid);
			cgroup_path_parse(path, &ci);
			memcpy(n->pod_uid, ci.pod_uid, sizeof(ci.pod_uid));
		}
	}
	if (!n->container[0] && rt != RUNTIME_DOCKER && rt != RUNTIME_PODMAN) {
		struct resolved_names k;

		memset(&k, 0, sizeof(k));

		if (kubelet_container_log(r, e->id, &k)) {
			memcpy(n->container, k.container, sizeof(k.container));
			if (!n->pod[0]) {
				memcpy(n->pod, k.pod, sizeof(k.pod));
				memcpy(n->namespace, k.namespace, sizeof(k.namespace));
			}
		}
	}
}

/* ---- cache --------------------------------------------------------------------- */

int resolver__new(struct resolver **out)
{
	struct resolver *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	r->root_fd = -1;
	*out = r;
	return 0;
}

static void flush(struct resolver *r)
{
	r->nr_containers = 0;
	r->nr_pods = 0;
}

void resolver__free(struct resolver *r)
{
	if (!r)
		return;
	if (r->root_fd >= 0)
		close(r->root_fd);
	free(r->rootfs);
	free(r->containers);
	free(r->pods);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* Switch to rootfs if it changed; -errno if it cannot be opened. */
static int set_root(struct resolver *r, const char *rootfs)
{
	char *copy;
	int fd;

	if (r->rootfs && !strcmp(r->rootfs, rootfs))
		return r->root_fd >= 0 ? 0 : -ENOENT;
	flush(r);
	copy = strdup(rootfs);
	if (!copy)
		return -ENOMEM;
	free(r->rootfs);
	r->rootfs = copy;
	if (r->root_fd >= 0)
		close(r->root_fd);
	fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	r->root_fd = fd;
	if (fd < 0) {
		int err = -errno;

		log_warn("owners: cannot open paths.rootfs %s: %s: no container or pod names",
			 rootfs, strerror(-err));
		return err;
	}
	return 0;
}

static struct container_entry *container_entry(struct resolver *r, const char *id)
{
	struct container_entry *e;

	for (size_t i = 0; i < r->nr_containers; i++) {
		if (!strcmp(r->containers[i].id, id))
			return &r->containers[i];
	}
	if (grow_array((void **)&r->containers, &r->cap_containers, r->nr_containers + 1,
		       sizeof(*r->containers)))
		return NULL;
	e = &r->containers[r->nr_containers++];
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, sizeof(e->id));
	e->attempted = -1;
	return e;
}

static struct pod_entry *pod_entry(struct resolver *r, const char *uid)
{
	struct pod_entry *p;

	for (size_t i = 0; i < r->nr_pods; i++) {
		if (!strcmp(r->pods[i].uid, uid))
			return &r->pods[i];
	}
	if (grow_array((void **)&r->pods, &r->cap_pods, r->nr_pods + 1, sizeof(*r->pods)))
		return NULL;
	p = &r->pods[r->nr_pods++];
	memset(p, 0, sizeof(*p));
	memcpy(p->uid, uid, sizeof(p->uid));
	p->attempted = -1;
	return p;
}

static bool due(double attempted, double now)
{
	return attempted < 0 || now - attempted >= RESOLVE_RETRY_SECONDS;
}

void resolver__lookup(struct resolver *r, const char *rootfs, const struct cgroup_info *cg,
		      uint64_t gen, double now, struct resolved_names *out)
{
	struct container_entry *e = NULL;
	struct pod_entry *p;

	memset(out, 0, sizeof(*out));
	memcpy(out->pod_uid, cg->pod_uid, sizeof(out->pod_uid));
	if (!cg->container_id[0] && !cg->pod_uid[0])
		return;
	pthread_mutex_lock(&r->lock);
	if (set_root(r, rootfs))
		goto out;
	if (cg->container_id[0]) {
		e = container_entry(r, cg->container_id);
		if (!e)
			goto out;
		e->seen = gen > e->seen ? gen : e->seen;
		if (!e->complete && due(e->attempted, now)) {
			if (!e->names.pod_uid[0])
				memcpy(e->names.pod_uid, cg->pod_uid, sizeof(cg->pod_uid));
			resolve_container(r, cg->runtime, e);
			e->attempted = now;
		}
		*out = e->names;
	}
	if (out->pod_uid[0] && !out->pod[0]) {
		p = pod_entry(r, out->pod_uid);
		if (!p)
			goto out;
		p->seen = gen > p->seen ? gen : p->seen;
		if (!p->pod[0] && due(p->attempted, now)) {
			kubelet_pod_dir(r, p);
			p->attempted = now;
		}
		memcpy(out->pod, p->pod, sizeof(p->pod));
		memcpy(out->namespace, p->namespace, sizeof(p->namespace));
	}
	/* Complete once nothing more can be learned: a name, and the pod's if in one. */
	if (e)
		e->complete = out->container[0] && (!out->pod_uid[0] || out->pod[0]);
out:
	pthread_mutex_unlock(&r->lock);
}

void resolver__sweep(struct resolver *r, uint64_t gen)
{
	size_t k = 0;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->nr_containers; i++) {
		if (r->containers[i].seen >= gen)
			r->containers[k++] = r->containers[i];
	}
	r->nr_containers = k;
	k = 0;
	for (size_t i = 0; i < r->nr_pods; i++) {
		if (r->pods[i].seen >= gen)
			r->pods[k++] = r->pods[i];
	}
	r->nr_pods = k;
	pthread_mutex_unlock(&r->lock);
}

void resolver__size(struct resolver *r, size_t *containers, size_t *pods)
{
	pthread_mutex_lock(&r->lock);
	*containers = r->nr_containers;
	*pods = r->nr_pods;
	pthread_mutex_unlock(&r->lock);
}
