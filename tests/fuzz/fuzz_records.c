// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: iterator byte streams, torn or hostile, decode safely or are rejected. */
#include <stddef.h>
#include <stdint.h>

#include "records_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct map_use_index idx = {};
	struct prog_table progs = {};
	struct map_table maps = {};
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
	map_use_index__fini(&idx);
	prog_table__fini(&progs);
	map_table__fini(&maps);
	return 0;
}
