/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers every part of the exporter spells the same way. */
#ifndef BPFMAP_UTIL_H
#define BPFMAP_UTIL_H

#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* For qsort() and bsearch() of ids. */
static inline int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Seconds on the monotonic clock: for durations and ages, never for dates. */
static inline double monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
