// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: any cgroup path parses without crashing, and what comes out
 * is well-formed: a container id is 64 lowercase hex digits, a pod uid is
 * hex in 8-4-4-4-12 groups, or 32 hex digits (a static pod's hash).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_path.h"

static int all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = strndup((const char *)data, size);
	struct cgroup_info info;
	size_t n;

	if (!path)
		return 0;
	cgroup_path_parse(path, &info);
	n = strnlen(info.container_id, sizeof(info.container_id));
	if (n && (n != CGROUP_CONTAINER_ID_LEN || !all_hex(info.container_id, n)))
		__builtin_trap();
	n = strnlen(info.pod_uid, sizeof(info.pod_uid));
	if (n == 32) {
		if (!all_hex(info.pod_uid, n))
			__builtin_trap();
	} else if (n) {
		static const size_t dash[] = {8, 13, 18, 23};

		if (n != CGROUP_POD_UID_MAX)
			__builtin_trap();
		for (size_t i = 0; i < 4; i++)
			if (info.pod_uid[dash[i]] != '-')
				__builtin_trap();
	}
	free(path);
	return 0;
}
