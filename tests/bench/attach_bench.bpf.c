// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Programs for tests/bench/attach_bench.py, attached the ways that make
 * no link, many times over: XDP and tc through netlink, cgroup_skb with
 * BPF_PROG_ATTACH, a tracepoint through perf events (ioctl). They pass
 * everything.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int bab_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int bab_tc(struct __sk_buff *skb)
{
	return 0; /* TC_ACT_OK */
}

SEC("cgroup_skb/ingress")
int bab_cgskb(struct __sk_buff *skb)
{
	return 1;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int bab_tp(void *ctx)
{
	return 0;
}
