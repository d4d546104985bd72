#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The exporter on the kernels fleets run: boots Debian's cloud kernels
# under qemu (software emulation: no KVM needed) with an initramfs of
# busybox, the static exporter, the static fixture and guest.sh, which
# checks map counts, pressures and program associations inside the VM.
# Each kernel boots twice: as it comes, and with a BPF LSM policy
# (REFUSE_WALKS) that refuses the bpf_map_elem iterator and trampolines,
# as some production kernels do, so the counting fallbacks run there too.
#
#   run.sh BIN FIXTURE PROGS_FIXTURE REFUSE_WALKS CACHE_DIR [MAP_ERRORS_FIXTURE
#          [PERF_LINK PERF_LINK_OBJ]]
#                      (as root; BIN, the fixtures and REFUSE_WALKS static)
#
# Kernel packages are resolved through apt (their names change with ABI
# bumps), downloaded once into CACHE_DIR and kept there. Each VM's
# verdict is the line guest.sh's /init writes to the second serial port,
# never qemu's exit code. Prints "ok - ..." / "not ok - ..." per kernel,
# then "N passed, N failed"; exits non-zero if any kernel failed.

set -u

# version, meta package naming its image, then the counting method auto
# picks there: as the kernel comes, and under the refusing policy (6.12
# has the kfunc, which the policy leaves alone). guest.sh also asks the
# kernel itself and checks that it agrees.
KERNELS=(
	"6.1 linux-image-cloud-amd64 iterator batch"
	"6.12 linux-image-6.12-cloud-amd64 kfunc kfunc"
)
VM_TIMEOUT=${VM_TIMEOUT:-300} # seconds per VM; a boot and test take ~10 s

if (($# != 5 && $# != 6 && $# != 8)); then
	echo "usage: $0 BIN FIXTURE PROGS_FIXTURE REFUSE_WALKS CACHE_DIR [MAP_ERRORS_FIXTURE [PERF_LINK PERF_LINK_OBJ]]" >&2
	exit 2
fi
BIN=$(realpath -- "$1")
FIXTURE=$(realpath -- "$2")
PROGS_FIXTURE=$(realpath -- "$3")
REFUSE_WALKS=$(realpath -- "$4")
CACHE=$(realpath -m -- "$5")
MAP_ERRORS_FIXTURE=${6:+$(realpath -- "$6")}
PERF_LINK=${7:+$(realpath -- "$7")}
PERF_LINK_OBJ=${8:+$(realpath -- "$8")}
HERE=$(cd -- "$(dirname -- "$0")" && pwd)
TMP=$(mktemp -d /tmp/bpfmap-kernels.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
REPORT_LOG_LINES=40
# shellcheck source=../lib/report.sh
. "$HERE/../lib/report.sh"

# image_package META: the versioned image package the meta package names.
image_package() {
	apt-cache depends "$1" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# fetch_kernel META: prints the path of its vmlinuz, downloaded if needed.
fetch_kernel() {
	local meta=$1 pkg debs
	pkg=$(image_package "$meta")
	if [[ -z $pkg ]]; then
		apt-get update -qq >&2
		pkg=$(image_package "$meta")
	fi
	if [[ -z $pkg ]]; then
		echo "apt knows no package $meta" >&2
		return 1
	fi
	mkdir -p "$CACHE"
	if [[ ! -s $CACHE/$pkg.vmlinuz ]]; then
		(cd "$CACHE" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) || return 1
		debs=("$CACHE/${pkg}_"*.deb)
		[[ -f ${debs[-1]} ]] || return 1
		dpkg-deb --fsys-tarfile "${debs[-1]}" | tar -xO --wildcards './boot/vmlinuz-*' \
			>"$CACHE/$pkg.vmlinuz.tmp" || return 1
		mv "$CACHE/$pkg.vmlinuz.tmp" "$CACHE/$pkg.vmlinuz"
	fi
	echo "$CACHE/$pkg.vmlinuz"
}

# prune_cache PKG...: drop kernels an ABI bump left behind.
prune_cache() {
	local f p keep
	for f in "$CACHE"/linux-image-*; do
		[[ -e $f ]] || continue
		keep=0
		for p in "$@"; do
			[[ $(basename "$f") == "$p"[._]* ]] && keep=1
		done
		((keep)) || rm -f "$f"
	done
}

# The same initramfs for every kernel: busybox, the binaries, the tests.
build_initramfs() {
	local root=$TMP/root
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,test}
	cp /bin/busybox "$root/bin/busybox" || return 1
	if readelf -d "$root/bin/busybox" | grep -q 'Dynamic section'; then
		echo "/bin/busybox is not static (install busybox-static)" >&2
		return 1
	fi
	cp "$BIN" "$root/bin/bpfmap_exporter" && cp "$FIXTURE" "$root/bin/fixture" || return 1
	cp "$PROGS_FIXTURE" "$root/bin/progs_fixture" || return 1
	cp "$REFUSE_WALKS" "$root/bin/refuse_walks" || return 1
	cp "$HERE/init" "$root/init" && cp "$HERE/guest.sh" "$root/test/guest.sh" || return 1
	cp "$HERE/../lib/report.sh" "$root/test/report.sh" || return 1
	cp "$HERE/../lib/counting.sh" "$root/test/counting.sh" || return 1
	cp "$HERE/../lib/multi_probe.sh" "$root/test/multi_probe.sh" || return 1
	cp "$HERE/../integration/expected_maps.txt" "$root/test/" || return 1
	# Optional: the map_errors suite and its overhead figures (guest.sh runs them if present).
	if [[ -n $MAP_ERRORS_FIXTURE ]]; then
		cp "$MAP_ERRORS_FIXTURE" "$root/bin/map_errors_fixture" || return 1
		cp "$HERE/../integration/map_errors.sh" "$root/test/map_errors.sh" || return 1
		cp "$HERE/../bench/map_errors.sh" "$root/test/map_errors_bench.sh" || return 1
	fi
	# Optional: kprobes with and without a link (guest.sh runs them if present).
	if [[ -n $PERF_LINK ]]; then
		cp "$PERF_LINK" "$root/bin/perf_link" && cp "$PERF_LINK_OBJ" "$root/test/perf_link.bpf.o" ||
			return 1
	fi
	(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$TMP/initramfs.gz"
}

# boot VERSION VMLINUZ METHOD POLICY: one VM (POLICY "refuse_walks" or
# "none"); the verdict comes from ttyS1.
boot() {
	local version=$1 kernel=$2 method=$3 policy=$4 name="Linux $1" tag=$1-$4
	local console=$TMP/console-$tag.log result=$TMP/result-$tag.txt
	local line start=$SECONDS rc
	[[ $policy == none ]] || name="Linux $version, policy $policy"
	: >"$result"
	timeout "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg -m 512 -smp 1 -nodefaults \
		-display none -no-reboot -monitor none \
		-serial "file:$console" -serial "file:$result" \
		-kernel "$kernel" -initrd "$TMP/initramfs.gz" \
		-append "console=ttyS0 panic=-1 quiet expect_method=$method policy=$policy" \
		>"$TMP/qemu-$tag.err" 2>&1
	rc=$?
	line=$(grep -m1 '^RESULT ' "$result" | tr -d '\r')
	grep -E '^(ok|not ok|#) ' "$console" | tr -d '\r' | sed 's/^/  /'
	if [[ $line =~ ^RESULT\ (.*):\ ([0-9]+)\ passed,\ 0\ failed$ ]] && ((BASH_REMATCH[2] > 0)); then
		pass "$name (${BASH_REMATCH[1]}): ${BASH_REMATCH[2]} checks, counting method $method, $((SECONDS - start)) s"
	elif [[ -n $line ]]; then
		fail "$name" "${line#RESULT }" "$console"
	elif ((rc == 124)); then
		fail "$name" "no result within $VM_TIMEOUT s" "$console"
	else
		cat "$TMP/qemu-$tag.err" >>"$console"
		fail "$name" "no result line on the second serial port (qemu exit $rc)" "$console"
	fi
}

main() {
	local row version meta method refused_method kernel used=()
	if [[ ! -x $BIN || ! -x $FIXTURE || ! -x $PROGS_FIXTURE || ! -x $REFUSE_WALKS ]]; then
		fail "setup" "$BIN, $FIXTURE, $PROGS_FIXTURE or $REFUSE_WALKS is not executable"
		return
	fi
	if readelf -d "$BIN" "$FIXTURE" "$PROGS_FIXTURE" "$REFUSE_WALKS" | grep -q 'Dynamic section'; then
		fail "setup" "$BIN, the fixtures and the policy must be static: the VMs hold no libraries"
		return
	fi
	if ! build_initramfs 2>"$TMP/initramfs.err"; then
		fail "setup" "initramfs: $(cat "$TMP/initramfs.err")"
		return
	fi
	for row in "${KERNELS[@]}"; do
		read -r version meta method refused_method <<<"$row"
		if ! kernel=$(fetch_kernel "$meta" 2>"$TMP/fetch.err"); then
			fail "Linux $version" "cannot get $meta: $(tail -n 3 "$TMP/fetch.err" | tr '\n' ' ')"
			continue
		fi
		used+=("$(basename "$kernel" .vmlinuz)")
		boot "$version" "$kernel" "$method" none
		boot "$version" "$kernel" "$refused_method" refuse_walks
	done
	((${#used[@]} == ${#KERNELS[@]})) && prune_cache "${used[@]}"
}

main
summary
