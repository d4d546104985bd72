/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The end record of the owners streams (task_file and task): written
 * after the last task, it says who read the stream, so user space knows
 * whether the tgids in it are the host's.
 */
#ifndef BPFMAP_OWNERS_END_BPF_H
#define BPFMAP_OWNERS_END_BPF_H

static __always_inline void write_owners_end(struct seq_file *seq)
{
	struct task_struct *reader = (struct task_struct *)bpf_get_current_task();
	struct bpfmap_owner_end_record end;

	/* Field by field: a constant initialiser would become a .rodata.cst16 map. */
	end.rec_type = BPFMAP_OWNER_REC_END;
	end.pad = 0;
	end.reader_tgid = bpf_get_current_pid_tgid() >> 32;
	end.reader_pidns_level = BPF_CORE_READ(reader, thread_pid, level);
	bpf_seq_write(seq, &end, sizeof(end));
}

#endif
