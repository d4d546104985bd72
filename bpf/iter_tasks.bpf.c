// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The network namespace of every process, for attach_netlink: which
 * processes (and so which pod) hold a namespace, read from the tasks
 * themselves. /proc/PID/ns/net and setns() on a pidfd are ptrace
 * accesses the kernel refuses for processes of other users or with more
 * capabilities; this read is not. Record layout in records.h.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "records.h"
#include "owners_end.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("iter/task")
int dump_task_netns(struct bpf_iter__task *ctx)
{
	struct bpfmap_owner_netns_record rec;
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct nsproxy *nsproxy;
	struct net *net;

	if (!task) {
		write_owners_end(seq);
		return 0;
	}
	/*
	 * /proc/PID/ns/net is the leader's: its other threads are asked only
	 * once it has exited (its nsproxy gone NULL) while they live on.
	 */
	if (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid) &&
	    BPF_CORE_READ(task, group_leader, nsproxy))
		return 0;
	/* Probe reads: an exiting task's nsproxy goes NULL, and its memory may go. */
	nsproxy = BPF_CORE_READ(task, nsproxy);
	if (!nsproxy)
		return 0;
	net = BPF_CORE_READ(nsproxy, net_ns);
	if (!net)
		return 0;
	rec.rec_type = BPFMAP_OWNER_REC_NETNS;
	rec.netns_ino = BPF_CORE_READ(net, ns.inum);
	rec.tgid = BPF_CORE_READ(task, tgid);
	rec.tid = BPF_CORE_READ(task, pid);
	if (rec.netns_ino)
		bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}
