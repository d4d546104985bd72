/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers every part of the exporter spells the same way. */
#ifndef BPFMAP_UTIL_H
#define BPFMAP_UTIL_H

#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Seconds on the monotonic clock: for durations and ages, never for dates. */
static inline double monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
