#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# What the exporter must do to count hash maps on the kernel at hand,
# from the kernel's own answers (POSIX sh: the integration suites and
# the kernel VMs share it). PROBE is a file of `fixture --probe` lines:
# "probe FEATURE OK|ERRNO".

# probe_answer PROBE FEATURE: OK, or the errno name that refused it.
probe_answer() {
	awk -v f="$2" '$1 == "probe" && $2 == f { print $3 }' "$1"
}

# counting_expected_method PROBE MODE: the method counting.method MODE must pick:
# auto the kernel's count, else the best walk allowed; walk the best
# walk; a walk named that one, or none.
counting_expected_method() {
	case $2 in
	auto) candidates='bpf_map_sum_elem_count:kfunc iter_bpf_map_elem:iterator map_lookup_batch:batch map_get_next_key:keys' ;;
	walk) candidates='iter_bpf_map_elem:iterator map_lookup_batch:batch map_get_next_key:keys' ;;
	iterator) candidates='iter_bpf_map_elem:iterator' ;;
	batch) candidates='map_lookup_batch:batch' ;;
	keys) candidates='map_get_next_key:keys' ;;
	*) candidates='' ;;
	esac
	for candidate in $candidates; do
		if [ "$(probe_answer "$1" "${candidate%%:*}")" = OK ]; then
			echo "${candidate#*:}"
			return
		fi
	done
	echo none
}
