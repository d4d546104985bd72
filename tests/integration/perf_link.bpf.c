// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Programs for tests/integration/attach.sh that libbpf attaches through
 * perf_event links (5.15+): a tracepoint, a uprobe and a uretprobe, and
 * a kprobe and a kretprobe that some kernels refuse. They do nothing.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tracepoint/syscalls/sys_enter_getppid")
int bme_pl_tp(void *ctx)
{
	return 0;
}

SEC("uprobe//bin/bash:readline")
int bme_pl_up(void *ctx)
{
	return 0;
}

SEC("uretprobe//bin/bash:readline")
int bme_pl_uret(void *ctx)
{
	return 0;
}

SEC("kprobe/do_nanosleep")
int bme_pl_kp(void *ctx)
{
	return 0;
}

SEC("kretprobe/do_nanosleep")
int bme_pl_kret(void *ctx)
{
	return 0;
}
