// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Programs for tests/integration/attach.sh, attached by real tools (ip,
 * tc, bpftool) the ways that make no link: XDP and tc through netlink, a
 * cgroup program and a flow dissector with BPF_PROG_ATTACH. They pass
 * everything.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int bme_att_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int bme_att_tc(struct __sk_buff *skb)
{
	return 0; /* TC_ACT_OK */
}

SEC("cgroup_skb/ingress")
int bme_att_cgskb(struct __sk_buff *skb)
{
	return 1;
}

/* Dissects nothing: BPF_OK with empty flow keys (the verifier asks no more). */
SEC("flow_dissector")
int bme_att_flow(struct __sk_buff *skb)
{
	return 0; /* BPF_OK */
}
