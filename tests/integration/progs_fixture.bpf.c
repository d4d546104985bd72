// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Programs for the programs/links/ring buffer suite (progs.sh): one per
 * kind of attachment the exporter reports, and a ring buffer writer.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define RECORD_BYTES 100 /* + 8 bytes of header = 108, padded to 112 in the ring */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} fix_ring SEC(".maps");

/* A second map, for the memory cache's one-read-per-scrape case. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} fix_array SEC(".maps");

/* Attached to a cgroup the test creates. */
SEC("cgroup_skb/ingress")
int fix_cgroup(struct __sk_buff *skb)
{
	return 1;
}

/* Attached to an interface in a network namespace the test creates. */
SEC("xdp")
int fix_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* The same interface through tcx, where the kernel has it (6.6+). */
SEC("tc")
int fix_tcx(struct __sk_buff *skb)
{
	return 0; /* TC_ACT_OK */
}

/*
 * A tracing program (a tracing link, BTF-typed tracepoint): runs once
 * per task rename on the host; the test renames itself a known number
 * of times. Not fentry: some kernels refuse trampolines.
 */
SEC("tp_btf/task_rename")
int fix_tracing(void *ctx)
{
	return 0;
}

/* The same tracepoint through a raw tracepoint link. */
SEC("raw_tp/task_rename")
int fix_raw_tp(void *ctx)
{
	return 0;
}

/* One record per run; nobody consumes them. Run through BPF_PROG_TEST_RUN. */
SEC("socket")
int fix_ring_write(struct __sk_buff *skb)
{
	char record[RECORD_BYTES] = {};

	bpf_ringbuf_output(&fix_ring, record, sizeof(record), 0);
	return 0;
}
