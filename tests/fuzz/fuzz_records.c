// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: iterator byte streams, torn or hostile, decode safely or are rejected. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "owners.h"
#include "perf_attach.h"
#include "records_decode.h"

/* The kernel's answer, made up from the fd: any fd type, name and offset. */
static int fuzz_query(void *ctx, uint32_t tgid, uint32_t fd, struct perf_query *q)
{
	(void)ctx;
	if (fd % 5 == 0)
		return -EBADF;
	q->prog_id = tgid;
	q->fd_type = fd % 8;
	q->offset = fd;
	q->addr = (uint64_t)fd << 32;
	memset(q->name, 'a' + fd % 26, sizeof(q->name)); /* not terminated: the table must cut it */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct map_use_index idx = {};
	struct prog_table progs = {};
	struct map_table maps = {};
	struct link_table links = {};
	struct owner_table owners = {};
	struct perf_attach_table perf = {};
	size_t first;

	if (!records_decode_maps(data, size, &maps)) {
		for (size_t i = 0; i < maps.nr; i++) {
			char name[BPFMAP_NAME_LEN + 1];

			records_name(name, maps.maps[i].name);
		}
	}
	if (!records_decode_progs(data, size, &progs) && !map_use_index__build(&idx, &progs)) {
		for (size_t i = 0; i < progs.nr_map_ids; i++) {
			size_t n = map_use_index__find(&idx, progs.map_ids[i], &first);

			/* every used id is found, and only uses of that id are returned */
			if (progs.map_ids[i] && !n)
				__builtin_trap();
			for (size_t u = first; u < first + n; u++)
				if (idx.uses[u].map_id != progs.map_ids[i])
					__builtin_trap();
		}
	}
	/* Link streams: paths and multi-probe targets fit the length they report. */
	if (!records_decode_links(data, size, &links)) {
		for (size_t i = 0; i < links.nr; i++) {
			const struct link_entry *e = &links.links[i];
			char buf[96];
			size_t need = link_path(&links, e, NULL, 0);

			if (link_path(&links, e, buf, sizeof(buf)) != need ||
			    strlen(buf) != (need < sizeof(buf) ? need : sizeof(buf) - 1))
				__builtin_trap();
			need = link_probe_target(&links, e, NULL, 0);
			if (link_probe_target(&links, e, buf, sizeof(buf)) != need ||
			    strlen(buf) != (need < sizeof(buf) ? need : sizeof(buf) - 1) ||
			    !link_probe_attach_type(&e->rec))
				__builtin_trap();
		}
	}
	/* Owners streams, and their perf event records through a made-up kernel. */
	if (!owner_table__decode(&owners, data, size)) {
		/* The task iterator's records: each names a process and its namespace. */
		for (size_t i = 0; i < owners.nr_netns; i++)
			if (!owners.netns[i].tgid || !owners.netns[i].ino)
				__builtin_trap();
		if (!perf_attach_table__read(&perf, owners.perf, owners.nr_perf, fuzz_query,
					     NULL)) {
			for (size_t i = 0; i < perf.nr; i++) {
				if (perf_attach_table__find(&perf, perf.a[i].event_id) == NULL ||
				    !perf_attach_type_name(perf.a[i].fd_type))
					__builtin_trap();
			}
		}
	}
	link_table__fini(&links);
	perf_attach_table__fini(&perf);
	owner_table__fini(&owners);
	map_use_index__fini(&idx);
	prog_table__fini(&progs);
	map_table__fini(&maps);
	return 0;
}
