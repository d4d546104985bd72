// SPDX-License-Identifier: Apache-2.0
/* cgroup path forms: see docs/owners.md for the table this implements. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "cgroup_path.h"
#include "util.h"

/* A component longer than any known form is not one of them. */
#define COMPONENT_MAX 255

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!is_hex(s[i]))
			return false;
	}
	return true;
}

/* s[0..n) is exactly prefix + 64 hex + suffix; copies the id. */
static bool match_id(const char *s, size_t n, const char *prefix, const char *suffix, char *id)
{
	size_t p = strlen(prefix), q = strlen(suffix);

	if (n != p + CGROUP_CONTAINER_ID_LEN + q || strncmp(s, prefix, p) ||
	    strncmp(s + n - q, suffix, q) || !all_hex(s + p, CGROUP_CONTAINER_ID_LEN))
		return false;
	memcpy(id, s + p, CGROUP_CONTAINER_ID_LEN);
	id[CGROUP_CONTAINER_ID_LEN] = '\0';
	return true;
}

/*
 * A pod uid: 8-4-4-4-12 lowercase hex with '-' (cgroupfs) or '_'
 * (systemd, where '-' separates slice levels), one separator throughout;
 * or 32 hex digits (static pods: a hash of their manifest).
 */
static bool parse_uid(const char *s, size_t n, char *uid)
{
	static const size_t groups[] = {8, 4, 4, 4, 12};
	char sep = 0;
	size_t o = 0;

	if (n == 32 && all_hex(s, 32)) {
		memcpy(uid, s, 32);
		uid[32] = '\0';
		return true;
	}
	if (n != CGROUP_POD_UID_MAX)
		return false;
	for (size_t g = 0; g < 5; g++) {
		if (!all_hex(s + o, groups[g]))
			return false;
		o += groups[g];
		if (g == 4)
			break;
		if (s[o] != '-' && s[o] != '_')
			return false;
		if (sep && s[o] != sep)
			return false;
		sep = s[o++];
	}
	for (size_t i = 0; i < n; i++)
		uid[i] = s[i] == '_' ? '-' : s[i];
	uid[n] = '\0';
	return true;
}

/* "pod<uid>" (cgroupfs) or "<slice>-pod<uid>.slice" (systemd). */
static bool match_pod(const char *s, size_t n, char *uid)
{
	static const char slice[] = ".slice";
	const size_t slice_len = sizeof(slice) - 1;

	if (n > 3 && !strncmp(s, "pod", 3))
		return parse_uid(s + 3, n - 3, uid);
	if (n > slice_len && !strncmp(s + n - slice_len, slice, slice_len)) {
		/* The last "-pod" of the slice name starts the uid. */
		for (size_t i = n - slice_len; i >= 4; i--) {
			if (!strncmp(s + i - 4, "-pod", 4))
				return parse_uid(s + i, n - slice_len - i, uid);
		}
	}
	return false;
}

static bool match_container(const char *s, size_t n, const char *parent, size_t parent_len,
			    char *id, enum container_runtime *rt)
{
	static const struct {
		const char *prefix, *suffix;
		enum container_runtime rt;
	} forms[] = {
		{"docker-", ".scope", RUNTIME_DOCKER},
		{"cri-containerd-", ".scope", RUNTIME_CONTAINERD},
		{"nerdctl-", ".scope", RUNTIME_CONTAINERD},
		{"crio-", ".scope", RUNTIME_CRIO},
		{"crio-", "", RUNTIME_CRIO},
		{"libpod-", ".scope", RUNTIME_PODMAN},
		{"libpod-", "", RUNTIME_PODMAN},
	};

	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		if (match_id(s, n, forms[i].prefix, forms[i].suffix, id)) {
			*rt = forms[i].rt;
			return true;
		}
	}
	/* A bare id: docker's cgroupfs driver (/docker/<id>), the kubelet's. */
	if (match_id(s, n, "", "", id)) {
		*rt = parent_len == 6 && !strncmp(parent, "docker", 6) ? RUNTIME_DOCKER
								       : RUNTIME_UNKNOWN;
		return true;
	}
	return false;
}

void cgroup_path_parse(const char *path, struct cgroup_info *out)
{
	char id[CGROUP_CONTAINER_ID_LEN + 1], uid[CGROUP_POD_UID_MAX + 1];
	char pod_above[CGROUP_POD_UID_MAX + 1] = ""; /* deepest pod so far */
	const char *parent = "", *p;
	size_t parent_len = 0;
	enum container_runtime rt;

	memset(out, 0, sizeof(*out));
	if (!path)
		return;
	for (p = path; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (!n)
			break;
		if (n <= COMPONENT_MAX) {
			if (match_container(p, n, parent, parent_len, id, &rt)) {
				memcpy(out->container_id, id, sizeof(id));
				out->runtime = rt;
				/* The pod that holds this container, if any. */
				memcpy(out->pod_uid, pod_above, sizeof(pod_above));
			} else if (match_pod(p, n, uid)) {
				memcpy(pod_above, uid, sizeof(uid));
				if (!out->container_id[0])
					memcpy(out->pod_uid, uid, sizeof(uid));
			}
		}
		parent = p;
		parent_len = n;
		p += n;
	}
}

const char *cgroup_runtime_name(enum container_runtime runtime)
{
	switch (runtime) {
	case RUNTIME_DOCKER:
		return "docker";
	case RUNTIME_CONTAINERD:
		return "containerd";
	case RUNTIME_CRIO:
		return "cri-o";
	case RUNTIME_PODMAN:
		return "podman";
	default:
		return "";
	}
}
