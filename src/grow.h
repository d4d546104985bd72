/* SPDX-License-Identifier: Apache-2.0 */
/* The one growable-array helper the tables share. */
#ifndef BPFMAP_GROW_H
#define BPFMAP_GROW_H

#include <errno.h>
#include <stdlib.h>

/*
 * Grow *arr (of *cap elements of elem_size) to hold at least want;
 * doubling keeps appends amortized O(1). 0 or -ENOMEM (*arr untouched).
 */
static inline int grow_array(void **arr, size_t *cap, size_t want, size_t elem_size)
{
	size_t new_cap = *cap ? *cap : 16;
	void *p;

	if (want <= *cap)
		return 0;
	while (new_cap < want)
		new_cap *= 2;
	p = reallocarray(*arr, new_cap, elem_size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = new_cap;
	return 0;
}

#endif
