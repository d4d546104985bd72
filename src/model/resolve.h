/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container id / pod uid -> container, pod and namespace names, without a
 * Kubernetes API server: from the kubelet's log directories and the
 * container runtimes' own state files, read under a root directory (the
 * host's, mounted into the exporter's container). Every source is
 * optional; what is not found stays "". Results are cached by container
 * id and pod uid, and forgotten once a scrape no longer needs them.
 * Safe to call from concurrent scrapes.
 */
#ifndef BPFMAP_RESOLVE_H
#define BPFMAP_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "cgroup_path.h"

#define RESOLVE_NAME_MAX 256 /* NUL included; longer names are left empty */
#define RESOLVE_RETRY_SECONDS 10.0 /* names not (all) found are looked for again after */

struct resolved_names {
	char container[RESOLVE_NAME_MAX];
	char pod[RESOLVE_NAME_MAX];
	char namespace[RESOLVE_NAME_MAX];
	char pod_uid[CGROUP_POD_UID_MAX + 1]; /* the cgroup's, or the runtime's */
};

struct resolver;

int resolver__new(struct resolver **out);
void resolver__free(struct resolver *r); /* NULL-safe */

/*
 * The names of the container and pod of a parsed cgroup path, reading
 * files under rootfs. gen is the scrape's generation (increasing), now
 * a monotonic time in seconds. Never fails: unknown names are "".
 */
void resolver__lookup(struct resolver *r, const char *rootfs, const struct cgroup_info *cg,
		      uint64_t gen, double now, struct resolved_names *out);
/* Forget entries no lookup of generation gen or later has used. */
void resolver__sweep(struct resolver *r, uint64_t gen);
/* Cached containers and pods, for tests. */
void resolver__size(struct resolver *r, size_t *containers, size_t *pods);

/*
 * A minimal JSON reader, exposed for tests: calls cb for every string
 * member of every object, with the object's nesting depth (1 for a
 * top-level object; an enclosing array counts as a level too), the key that object sits under in its parent ("" at the top
 * or in an array, the array's key) and the member's key and value
 * (unescaped; members with a key over 255 bytes, a value over 4 KiB or
 * a NUL in the value are skipped). Returns 0, or -EINVAL for malformed or too deeply nested
 * (over 64 levels) input; callbacks made before the error stand.
 */
typedef void (*json_member_cb)(void *arg, int depth, const char *parent, const char *key,
			       const char *value);
int json_scan(const char *text, size_t len, json_member_cb cb, void *arg);

#endif
