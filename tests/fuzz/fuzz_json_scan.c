// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer: the JSON scanner that reads container runtimes' files under
 * --path.rootfs (src/model/resolve.c) takes any bytes without crashing, and
 * every member it reports keeps the promises of resolve.h: depth 1..64,
 * keys up to 255 bytes, values up to 4 KiB. The same input scanned twice
 * gives the same result (no state left between calls).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "resolve.h"

struct tally {
	size_t members;
	uint64_t hash; /* of every callback's arguments, in order */
};

static uint64_t mix(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static void member(void *arg, int depth, const char *parent, const char *key, const char *value)
{
	struct tally *t = arg;

	if (depth < 1 || depth > 64 || strlen(parent) > 255 || strlen(key) > 255 ||
	    strlen(value) > 4096)
		__builtin_trap();
	t->members++;
	t->hash = mix(mix(mix(t->hash ^ (uint64_t)depth, parent), key), value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tally a = {0}, b = {0};
	int ra = json_scan((const char *)data, size, member, &a);
	int rb = json_scan((const char *)data, size, member, &b);

	if (ra != rb || a.members != b.members || a.hash != b.hash)
		__builtin_trap();
	if (ra != 0 && ra != -22 /* -EINVAL */)
		__builtin_trap();
	return 0;
}
