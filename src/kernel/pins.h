/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pinned BPF objects: a walk of bpffs directories that adds every pinned
 * map, program and link (with its program) to an owner table. A pin seen
 * before is recognised by its inode without opening it; a new one is
 * opened once to read its kind and id. Not thread-safe: the caller
 * serialises walks (see collect_owners.c for why it must anyway).
 */
#ifndef BPFMAP_PINS_H
#define BPFMAP_PINS_H

#include <stddef.h>

#include "owners.h"

#define PINS_MAX_DEPTH 16
#define PINS_MAX_ENTRIES 65536 /* per walk; the rest is skipped with a log line */

struct pin_cache;

int pin_cache__new(struct pin_cache **out);
void pin_cache__free(struct pin_cache *c); /* NULL-safe */

/*
 * Walk each directory of roots (skipping any that is not a bpffs, with one
 * warning per directory) and add the pins found to t, sorted. Objects
 * that cannot be opened are skipped. 0, or -ENOMEM.
 */
int pin_cache__walk(struct pin_cache *c, char *const *roots, size_t nr_roots,
		    struct owner_table *t);

#endif
