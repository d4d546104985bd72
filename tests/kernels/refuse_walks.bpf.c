// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A BPF LSM policy for the test VMs: refuses what some production
 * kernels refuse (lockdown, BPF LSM policies, hardened builds), so the
 * exporter's fallbacks are tested on kernels that would otherwise allow
 * everything: any iter/bpf_map_elem program, fentry/fexit/fmod_ret
 * trampolines, and freplace (extension) programs, which libxdp's
 * dispatcher needs. Every other load goes through.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define EPERM 1

char LICENSE[] SEC("license") = "GPL";

/* The kernel's BTF id of bpf_iter_bpf_map_elem, set by the loader. */
const volatile __u32 elem_iter_btf_id;
/* Loads refused so far, for the loader's report. */
__u64 refused;

SEC("lsm/bpf")
int BPF_PROG(refuse_walks, int cmd, union bpf_attr *attr, unsigned int size)
{
	__u32 attach;

	if (cmd != BPF_PROG_LOAD)
		return 0;
	/* freplace: an extension program replaces a function through a trampoline too. */
	if (attr->prog_type == BPF_PROG_TYPE_EXT) {
		__sync_fetch_and_add(&refused, 1);
		return -EPERM;
	}
	if (attr->prog_type != BPF_PROG_TYPE_TRACING)
		return 0;
	attach = attr->expected_attach_type;
	if ((attach == BPF_TRACE_ITER && attr->attach_btf_id == elem_iter_btf_id) ||
	    attach == BPF_TRACE_FENTRY || attach == BPF_TRACE_FEXIT ||
	    attach == BPF_MODIFY_RETURN) {
		__sync_fetch_and_add(&refused, 1);
		return -EPERM;
	}
	return 0;
}
