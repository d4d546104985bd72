// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Updates from BPF for map_errors_fixture: each BPF_PROG_TEST_RUN of
 * fill_one inserts key next_key++ into the map target names, with flags,
 * and counts the result by errno, so the fixture knows exactly what
 * failed inside BPF. The maps are sized by user space before loading.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define NR_TARGETS 5
#define MAX_ERRNO 128

struct lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} mef_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} mef_lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} mef_pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u64);
} mef_trie SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} mef_arr SEC(".maps");

__u32 target; /* index into the maps above, in their order */
__u32 next_key;
__u32 key_mask = 0xffffffff; /* 0 for the benchmark: every run updates key 0 */
__u64 flags;
__u64 results[NR_TARGETS][MAX_ERRNO]; /* [target][errno]; [t][0] counts successes */

SEC("tc")
int fill_one(struct __sk_buff *skb)
{
	struct lpm_key lk = {.prefixlen = 32};
	__u32 key = next_key++ & key_mask, t = target;
	__u64 value = key;
	long err;
	__u32 e;

	switch (t) {
	case 0:
		err = bpf_map_update_elem(&mef_hash, &key, &value, flags);
		break;
	case 1:
		err = bpf_map_update_elem(&mef_lru, &key, &value, flags);
		break;
	case 2:
		err = bpf_map_update_elem(&mef_pcpu, &key, &value, flags);
		break;
	case 3:
		lk.addr = key;
		err = bpf_map_update_elem(&mef_trie, &lk, &value, flags);
		break;
	case 4:
		err = bpf_map_update_elem(&mef_arr, &key, &value, flags);
		break;
	default:
		return 0;
	}
	e = (__u32)-err;
	if (e < MAX_ERRNO && t < NR_TARGETS)
		results[t][e]++;
	return 0;
}
