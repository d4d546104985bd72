// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Two XDP programs for the test VMs' libxdp case (tests/kernels/guest.sh):
 * xdp-loader loads each by name, one after the other, so libxdp runs both
 * behind its dispatcher, each through an freplace link to it. They pass
 * everything.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int bme_xdp_first(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int bme_xdp_second(struct xdp_md *ctx)
{
	return XDP_PASS;
}
