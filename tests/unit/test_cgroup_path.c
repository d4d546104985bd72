// SPDX-License-Identifier: Apache-2.0
/* cgroup path -> container id, runtime, pod uid: every known form, and junk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup_path.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ID "4f2d1c7e9a0b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "1c0b4e2a-5f6d-4e3c-9b8a-7d6e5f4c3b2a"
#define UID_ "1c0b4e2a_5f6d_4e3c_9b8a_7d6e5f4c3b2a"
#define STATIC_UID "0a1b2c3d4e5f60718293a4b5c6d7e8f9"

struct want {
	const char *path;
	const char *id; /* "" for none */
	enum container_runtime rt;
	const char *pod; /* "" for none */
};

static const struct want valid[] = {
	/* docker, systemd driver and cgroupfs driver */
	{"/system.slice/docker-" ID ".scope", ID, RUNTIME_DOCKER, ""},
	{"/docker/" ID, ID, RUNTIME_DOCKER, ""},
	/* a process in a sub-cgroup of its container */
	{"/docker/" ID "/init", ID, RUNTIME_DOCKER, ""},
	/* docker in docker: the innermost container */
	{"/docker/" ID "/docker/" ID2, ID2, RUNTIME_DOCKER, ""},
	/* a bare id not under "docker": some runtime's cgroupfs layout */
	{"/moby/" ID, ID, RUNTIME_UNKNOWN, ""},
	/* podman, systemd and cgroupfs managers */
	{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope", ID,
	 RUNTIME_PODMAN, ""},
	{"/machine.slice/libpod-" ID ".scope/container", ID, RUNTIME_PODMAN, ""},
	{"/libpod_parent/libpod-" ID, ID, RUNTIME_PODMAN, ""},
	/* nerdctl (containerd) */
	{"/system.slice/nerdctl-" ID ".scope", ID, RUNTIME_CONTAINERD, ""},
	/* Kubernetes, systemd driver: containerd, CRI-O, docker; every QoS class */
	{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	 ".slice/cri-containerd-" ID ".scope",
	 ID, RUNTIME_CONTAINERD, UID},
	{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID
	 ".scope",
	 ID, RUNTIME_CRIO, UID},
	{"/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID ".scope", ID, RUNTIME_DOCKER, UID},
	/* the same with '-' in the uid, as some tools spell it */
	{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID
	 ".slice/cri-containerd-" ID ".scope",
	 ID, RUNTIME_CONTAINERD, UID},
	/* Kubernetes, cgroupfs driver */
	{"/kubepods/burstable/pod" UID "/" ID, ID, RUNTIME_UNKNOWN, UID},
	{"/kubepods/besteffort/pod" UID "/" ID, ID, RUNTIME_UNKNOWN, UID},
	{"/kubepods/pod" UID "/" ID, ID, RUNTIME_UNKNOWN, UID},
	{"/kubepods/burstable/pod" UID "/crio-" ID, ID, RUNTIME_CRIO, UID},
	{"/kubepods/burstable/pod" UID_ "/" ID, ID, RUNTIME_UNKNOWN, UID},
	/* a static pod's uid is a 32-digit hash */
	{"/kubepods/burstable/pod" STATIC_UID "/" ID, ID, RUNTIME_UNKNOWN, STATIC_UID},
	/* kubelet nested under another slice (kind, some distributions) */
	{"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/"
	 "kubelet-kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	 ID, RUNTIME_CONTAINERD, UID},
	/* the kubelet's layout under a test's own parent cgroup */
	{"/bpfmap-test-1/kubepods/burstable/pod" UID "/" ID, ID, RUNTIME_UNKNOWN, UID},
	/* a pod without a container component: the pod alone */
	{"/kubepods.slice/kubepods-pod" UID_ ".slice", "", RUNTIME_UNKNOWN, UID},
	/* a pod below the container is not the container's pod */
	{"/docker/" ID "/kubepods/pod" UID, ID, RUNTIME_DOCKER, ""},
	/* repeated and trailing slashes */
	{"//docker//" ID "/", ID, RUNTIME_DOCKER, ""},
	{"docker/" ID, ID, RUNTIME_DOCKER, ""},
};

/* Real-looking paths and junk that name no container and no pod. */
static const char *const nothing[] = {
	"",
	"/",
	"///",
	"/init.scope",
	"/system.slice/sshd.service",
	"/user.slice/user-1000.slice/session-3.scope",
	"/system.slice/containerd.service",
	"/system.slice/docker.service",
	"/kubepods.slice",
	"/kubepods.slice/kubepods-burstable.slice",
	"/kubepods/burstable",
	/* runtime monitors, not containers */
	"/system.slice/crio-conmon-" ID ".scope",
	"/machine.slice/libpod-conmon-" ID ".scope",
	/* ids of the wrong length or alphabet */
	"/docker/" ID "0",
	"/docker/"
	"4f2d1c7e9a0b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
	"/docker/4F2D1C7E9A0B3C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5",
	"/docker/4f2d1c7e9a0b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4dg",
	"/system.slice/docker-.scope",
	"/system.slice/docker-" ID,
	"/system.slice/docker-" ID ".scopex",
	"/system.slice/docker-" ID ".service",
	"/system.slice/xdocker-" ID ".scope",
	"/cri-containerd-" ID,
	/* bad pod uids */
	"/kubepods/pod",
	"/kubepods/podman",
	"/kubepods/burstable/pod1c0b4e2a-5f6d-4e3c-9b8a-7d6e5f4c3b2",
	"/kubepods/burstable/pod1c0b4e2a-5f6d-4e3c-9b8a-7d6e5f4c3b2aa",
	"/kubepods/burstable/pod1c0b4e2a-5f6d_4e3c-9b8a-7d6e5f4c3b2a",
	"/kubepods/burstable/pod1C0B4E2A-5F6D-4E3C-9B8A-7D6E5F4C3B2A",
	"/kubepods/burstable/pod1c0b4e2a-5f6d-4e3c-9b8a-7d6e5f4c3b2z",
	"/kubepods/burstable/pod1c0b4e2a--5f6d-4e3c-9b8a-7d6e5f4c3b2",
	"/kubepods.slice/kubepods-pod.slice",
	"/kubepods.slice/kubepods-pod" UID_ ".slic",
	"/kubepods.slice/kubepods-pod" UID_ "x.slice",
	"/kubepods.slice/pod" UID_ ".slice",
	/* bytes that are not text */
	"/docker/\xff\xfe\x01",
};

static void check(const char *path, const char *id, enum container_runtime rt, const char *pod)
{
	struct cgroup_info ci;

	memset(&ci, 0x55, sizeof(ci)); /* the parser must clear everything */
	cgroup_path_parse(path, &ci);
	if (strcmp(ci.container_id, id) || strcmp(ci.pod_uid, pod) || (id[0] && ci.runtime != rt))
		fail_msg("path \"%s\": got id \"%s\" runtime %d pod \"%s\", want \"%s\" %d \"%s\"",
			 path, ci.container_id, ci.runtime, ci.pod_uid, id, rt, pod);
}

static void test_valid_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++)
		check(valid[i].path, valid[i].id, valid[i].rt, valid[i].pod);
}

static void test_nothing(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(nothing); i++)
		check(nothing[i], "", RUNTIME_UNKNOWN, "");
	check(NULL, "", RUNTIME_UNKNOWN, "");
}

/* Long, deep and hostile paths: no crash, no out-of-bounds read (ASan). */
static void test_hostile(void **state)
{
	size_t len = 1 << 20;
	char *p = malloc(len + 1);

	(void)state;
	assert_non_null(p);
	memset(p, '/', len);
	p[len] = '\0';
	check(p, "", RUNTIME_UNKNOWN, "");
	memset(p, 'a', len); /* one huge component: 64 hex at its end is not an id */
	memcpy(p + len - 64, ID, 64);
	check(p, "", RUNTIME_UNKNOWN, "");
	for (size_t i = 0; i < len; i++) /* thousands of levels "/pod/pod/..." */
		p[i] = "/pod"[i % 4];
	check(p, "", RUNTIME_UNKNOWN, "");
	/* a component just long enough to be a systemd pod slice, truncated */
	check("/-pod", "", RUNTIME_UNKNOWN, "");
	check("/-pod.slice", "", RUNTIME_UNKNOWN, "");
	check("/a-pod" UID_, "", RUNTIME_UNKNOWN, "");
	free(p);
}

static void test_runtime_names(void **state)
{
	(void)state;
	assert_string_equal(cgroup_runtime_name(RUNTIME_DOCKER), "docker");
	assert_string_equal(cgroup_runtime_name(RUNTIME_CONTAINERD), "containerd");
	assert_string_equal(cgroup_runtime_name(RUNTIME_CRIO), "cri-o");
	assert_string_equal(cgroup_runtime_name(RUNTIME_PODMAN), "podman");
	assert_string_equal(cgroup_runtime_name(RUNTIME_UNKNOWN), "");
	assert_string_equal(cgroup_runtime_name((enum container_runtime)99), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_forms),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_runtime_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
