// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A function-entry program for progs_fixture, in an object of its own:
 * some kernels (this project's CI among them) refuse trampolines, and
 * the fixture then goes on without it.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("fentry/__x64_sys_getpgid")
int fix_fentry(void *ctx)
{
	return 0;
}
