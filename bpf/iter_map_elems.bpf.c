// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The entry count of one hash map on kernels without
 * bpf_map_sum_elem_count (before 6.6): user space attaches this program
 * to a single map, and the walk writes one bpfmap_elem_count_record.
 *
 * The kernel calls the program once per element, then once more with
 * key == NULL when the walk is over. meta->seq_num cannot tell an empty
 * map from a map of one element (both end with seq_num 0), so the
 * elements are counted here, per walk (session). User space runs one
 * walk at a time per loaded program, so these two globals are never
 * shared by two walks.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include "records.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 session; /* the walk the count belongs to; session ids start at 1 */
__u64 seen; /* elements seen in that walk */

SEC("iter/bpf_map_elem")
int count_map_elems(struct bpf_iter__bpf_map_elem *ctx)
{
	struct bpf_iter_meta *meta = ctx->meta;
	struct bpfmap_elem_count_record rec = {};
	__u64 id = meta->session_id;

	if (ctx->key) {
		if (session != id) {
			session = id;
			seen = 0;
		}
		seen++;
		return 0;
	}
	rec.map_id = ctx->map->id;
	rec.entries = session == id ? seen : 0;
	bpf_seq_write(meta->seq, &rec, sizeof(rec));
	return 0;
}
