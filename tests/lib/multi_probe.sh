#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# What the exporter must say of perf_link's multi-probe links (POSIX sh:
# attach.sh and the kernel VMs share it).

# multi_probe_expect NAME UPATH: sets lt, at and tg to the link type,
# attach type and target of perf_link's program NAME; UPATH is the binary
# its uprobes probe.
multi_probe_expect() {
	case $1 in
	bme_pl_km) lt=kprobe_multi at=kprobe_multi tg='2 functions' ;;
	bme_pl_kretm) lt=kprobe_multi at=kretprobe_multi tg='2 functions' ;;
	bme_pl_um) lt=uprobe_multi at=uprobe_multi tg="$2 (2 offsets)" ;;
	*) lt=uprobe_multi at=uretprobe_multi tg="$2 (2 offsets)" ;;
	esac
}
