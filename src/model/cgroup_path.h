/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup path -> container id, container runtime and Kubernetes pod uid.
 * Pure string parsing (no I/O), for every path form that docker,
 * containerd, CRI-O, podman and the kubelet create under the systemd and
 * cgroupfs drivers; anything else yields nothing.
 */
#ifndef BPFMAP_CGROUP_PATH_H
#define BPFMAP_CGROUP_PATH_H

#define CGROUP_CONTAINER_ID_LEN 64 /* hex digits */
#define CGROUP_POD_UID_MAX 36 /* 8-4-4-4-12 */

enum container_runtime {
	RUNTIME_UNKNOWN, /* a container, but the path does not say whose */
	RUNTIME_DOCKER,
	RUNTIME_CONTAINERD,
	RUNTIME_CRIO,
	RUNTIME_PODMAN,
};

struct cgroup_info {
	char container_id[CGROUP_CONTAINER_ID_LEN + 1]; /* "" if none */
	enum container_runtime runtime; /* meaningful only with a container id */
	char pod_uid[CGROUP_POD_UID_MAX + 1]; /* '-' separated; "" if none */
};

/*
 * Parse a cgroup v2 path ("/kubepods.slice/.../cri-containerd-<id>.scope").
 * The deepest container component wins; the pod is the deepest pod
 * component above it. NULL or malformed input gives an empty result.
 */
void cgroup_path_parse(const char *path, struct cgroup_info *out);

/* "docker", "containerd", "cri-o", "podman"; "" for RUNTIME_UNKNOWN. */
const char *cgroup_runtime_name(enum container_runtime runtime);

#endif
