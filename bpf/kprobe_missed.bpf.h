/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The missed count of the kprobe or kretprobe behind a perf event, as
 * the kernel's kprobe_profile and (6.7+) its perf_event link info report
 * it: the probe's misses (recursion), plus for a kretprobe the returns
 * it had no free instance for (maxactive). The kernel keeps it in the
 * event's primary trace_kprobe, reached from the perf event's
 * trace_event_call as trace_kprobe_primary_from_call() does. Used by the
 * owners iterator (perf events without a link) and the link iterator
 * (perf_event links).
 */
#ifndef BPFMAP_KPROBE_MISSED_BPF_H
#define BPFMAP_KPROBE_MISSED_BPF_H

/*
 * TRACE_EVENT_FL_KPROBE of the running kernel (64 on 6.1, 32 on 6.12):
 * an anonymous enum, which CO-RE cannot relocate, so user space looks
 * the value up in the kernel's BTF and sets it before loading. 0 (not
 * found): no count.
 */
const volatile __u32 trace_fl_kprobe = 0;

/* One of t's fields, from a pointer to its member m (CO-RE: offset relocated). */
#define member_container(p, t, m) ((struct t *)((void *)(p)-bpf_core_field_offset(struct t, m)))

/*
 * Called behind bpf_core_type_exists(): a kernel without kprobe events
 * has none of these types, and the relocations of this subprogram are
 * then poisoned; a call the branch skips is never verified.
 */
static __noinline __s64 trace_kprobe_missed(struct perf_event *event, __u32 *probe_id)
{
	struct trace_event_call *call = BPF_CORE_READ(event, tp_event);
	struct trace_probe_event *tpe;
	struct list_head *head, *first;
	struct trace_probe *tp;
	struct trace_kprobe *tk;
	__u64 missed;

	if (!call || !(BPF_CORE_READ(call, flags) & trace_fl_kprobe))
		return -1;
	tpe = member_container(call, trace_probe_event, call);
	head = (void *)tpe + bpf_core_field_offset(struct trace_probe_event, probes);
	first = BPF_CORE_READ(tpe, probes.next);
	if (!first || first == head)
		return -1; /* no probe: the event is going away */
	tp = member_container(first, trace_probe, list);
	if (BPF_CORE_READ(tp, event) != tpe)
		return -1; /* not a probe event after all: no count rather than a wrong one */
	tk = member_container(tp, trace_kprobe, tp);
	missed = BPF_CORE_READ(tk, rp.kp.nmissed);
	if (BPF_CORE_READ(tk, rp.handler))
		missed += BPF_CORE_READ(tk, rp.nmissed);
	*probe_id = BPF_CORE_READ(call, event.type);
	return missed;
}

/*
 * The missed count of event's kprobe, or -1: not a kprobe event (uprobes,
 * tracepoints, hardware and software events), or a kernel that does not
 * say (no kprobe events, or no TRACE_EVENT_FL_KPROBE in its BTF).
 */
static __always_inline __s64 perf_event_kprobe_missed(struct perf_event *event, __u32 *probe_id)
{
	if (!trace_fl_kprobe || !bpf_core_field_exists(event->tp_event) ||
	    !bpf_core_type_exists(struct trace_kprobe) ||
	    !bpf_core_type_exists(struct trace_probe_event) ||
	    !bpf_core_type_exists(struct kretprobe))
		return -1;
	return trace_kprobe_missed(event, probe_id);
}

#endif
