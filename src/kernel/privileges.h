/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Capabilities. Start-up needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN
 * before Linux 5.8) to load and attach the iterators; after that, every
 * capability a scrape does not need is dropped for good. The set kept for
 * scrapes is the table in privileges.c.
 */
#ifndef BPFMAP_PRIVILEGES_H
#define BPFMAP_PRIVILEGES_H

#include <stddef.h>
#include <stdint.h>

/*
 * "CAP_BPF, CAP_PERFMON": the start-up capabilities the process lacks in
 * its effective set ("" if none; CAP_SYS_ADMIN stands in for both).
 */
const char *privileges_missing_for_load(char *buf, size_t size);

/*
 * Keep only what scrapes need: needed (a mask of 1 << CAP_*) is what the
 * features in use require whatever the probe shows, and is kept if held;
 * probe(arg) is a scrape's kernel work (0 or -errno), tried with each
 * candidate set; the smallest that works is
 * kept, in effective and permitted, and everything else is dropped,
 * including inheritable, ambient and (with CAP_SETPCAP) bounding sets.
 * Also sets no_new_privs. Capabilities belong to a thread: call this
 * before starting any thread, so that every later thread inherits the
 * small set. Returns 0 or -errno (the process is then unchanged or has
 * all of what it had in effective).
 */
int privileges_drop(uint64_t needed, int (*probe)(void *arg), void *arg);

#endif
