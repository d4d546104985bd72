// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "map_batch.h"

#define BATCH_MIN 256
#define BATCH_MAX (1U << 24) /* elements in one bucket: far beyond any real map */

int map_batch_count(uint32_t map_id, uint32_t key_size, uint32_t value_size, uint64_t *entries)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	void *keys = NULL, *values = NULL;
	uint32_t batch = 0, count, cap = BATCH_MIN;
	uint64_t total = 0;
	bool first = true;
	int map_fd, err = 0;

	map_fd = bpf_map_get_fd_by_id(map_id);
	if (map_fd < 0)
		return -errno;
	for (;;) {
		if (!keys) {
			keys = calloc(cap, key_size ? key_size : 1);
			values = calloc(cap, value_size ? value_size : 1);
			if (!keys || !values) {
				err = -ENOMEM;
				goto out;
			}
		}
		count = cap;
		/* libbpf returns -errno. The batch token of a hash map is a bucket index. */
		err = bpf_map_lookup_batch(map_fd, first ? NULL : &batch, &batch, keys, values,
					   &count, &opts);
		if (err == -ENOSPC && count == 0 && cap < BATCH_MAX) {
			/* One bucket holds more than cap elements: retry it with more room. */
			free(keys);
			free(values);
			keys = values = NULL;
			cap *= 2;
			continue;
		}
		if (err && err != -ENOENT)
			goto out;
		total += count;
		first = false;
		if (err) { /* -ENOENT: no bucket left */
			err = 0;
			break;
		}
	}
	*entries = total;
out:
	free(keys);
	free(values);
	close(map_fd);
	return err;
}
