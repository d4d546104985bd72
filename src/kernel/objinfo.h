/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the kernel tells only per object, through an fd: a map's memory
 * (fdinfo) and a program's run statistics (BPF_OBJ_GET_INFO_BY_FD), and
 * the switch of those statistics. Each call opens the object by id
 * (CAP_SYS_ADMIN) and closes it before returning: the exporter never
 * holds a map or program alive.
 */
#ifndef BPFMAP_OBJINFO_H
#define BPFMAP_OBJINFO_H

#include <stdbool.h>
#include <stdint.h>

/* The "memlock:" figure of a map's fdinfo, in bytes. -ENOENT if the map is gone. */
int objinfo_map_memlock(uint32_t map_id, uint64_t *bytes);

struct prog_run_stats {
	uint64_t run_time_ns;
	uint64_t run_cnt;
	uint64_t recursion_misses;
	bool has_recursion_misses; /* 5.12+ */
};

/* A program's run statistics. -ENOENT if the program is gone. */
int objinfo_prog_run_stats(uint32_t prog_id, struct prog_run_stats *out);

/*
 * Turn the kernel's run-time statistics on for as long as the returned
 * fd stays open (BPF_ENABLE_STATS): they go off when the process exits,
 * however it exits. An fd, or -errno.
 */
int objinfo_enable_run_stats(void);

/* kernel.bpf_stats_enabled: 1 or 0, or -errno. Only ever read. */
int objinfo_run_stats_sysctl(void);

#endif
