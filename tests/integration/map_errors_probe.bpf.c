// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The smallest fexit program on a map update function: map_errors_fixture
 * loads and attaches it to learn whether this kernel allows trampolines
 * (some builds refuse them), before the suite picks what to expect.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("fexit/htab_map_update_elem")
int probe_fexit(void *ctx)
{
	return 0;
}
