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
#          [PERF_LINK PERF_LINK_OBJ [XDP_PARTS_OBJ]]]
#                      (as root; BIN, the fixtures and REFUSE_WALKS static)
#
# With XDP_PARTS_OBJ, the guest loads its programs with libxdp's
# xdp-loader (Debian's xdp-tools, installed on the host if absent) and
# checks them against bpftool: both are carried into the initramfs with
# the libraries they link, and each kernel's veth and dummy modules
# (from its .deb) go in an archive of that kernel's own.
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

if (($# != 5 && $# != 6 && $# != 8 && $# != 9)); then
	echo "usage: $0 BIN FIXTURE PROGS_FIXTURE REFUSE_WALKS CACHE_DIR [MAP_ERRORS_FIXTURE [PERF_LINK PERF_LINK_OBJ [XDP_PARTS_OBJ]]]" >&2
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
XDP_PARTS_OBJ=${9:+$(realpath -- "$9")}
HERE=$(cd -- "$(dirname -- "$0")" && pwd)
TMP=$(mktemp -d /tmp/bpfmap-kernels.XXXXXX)
# A VM still running (the suite stopped midway) goes with it.
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$TMP"' EXIT
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

# carry_dynamic ROOT BIN: BIN into ROOT/bin, with the libraries and the
# dynamic loader ldd names, at their own paths.
carry_dynamic() {
	local root=$1 bin=$2 lib
	cp "$bin" "$root/bin/" || return 1
	for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		[[ -e $root$lib ]] && continue
		mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || return 1
	done
}

# carry_xdp ROOT: xdp-loader and bpftool for the libxdp case, libxdp's
# dispatcher object where the package ships it as a file. What is
# missing, the guest reports as the case's failure (/test/xdp_missing).
carry_xdp() {
	local root=$1 f
	cp "$XDP_PARTS_OBJ" "$root/test/xdp_parts.bpf.o" || return 1
	if ! command -v xdp-loader >/dev/null; then
		apt-get install -y -qq --no-install-recommends xdp-tools >/dev/null 2>&1 ||
			{ echo "xdp-tools cannot be installed on the host" >"$root/test/xdp_missing" && return 0; }
	fi
	if ! command -v bpftool >/dev/null; then
		echo "no bpftool on the host" >"$root/test/xdp_missing"
		return 0
	fi
	if ! carry_dynamic "$root" "$(command -v xdp-loader)" ||
		! carry_dynamic "$root" "$(command -v bpftool)"; then
		echo "cannot carry xdp-loader or bpftool" >"$root/test/xdp_missing"
		return 0
	fi
	for f in $(dpkg -L libxdp1 2>/dev/null | grep '/bpf/xdp-dispatcher\.o$'); do
		mkdir -p "$root$(dirname "$f")" && cp "$f" "$root$f" || return 1
	done
}

# kernel_modules PKG OUT: the veth and dummy modules of the kernel package
# (decompressed: busybox insmod reads plain ELF) as an initramfs archive
# of their own, appended to the common one for that kernel's boots.
kernel_modules() {
	local pkg=$1 out=$2 dir=$TMP/modules-$1 debs f
	debs=("$CACHE/${pkg}_"*.deb)
	if [[ ! -f ${debs[-1]} ]]; then
		(cd "$CACHE" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) || return 1
		debs=("$CACHE/${pkg}_"*.deb)
	fi
	mkdir -p "$dir"
	dpkg-deb --fsys-tarfile "${debs[-1]}" | tar -x -C "$dir" --wildcards \
		'./lib/modules/*/kernel/drivers/net/veth.ko*' './lib/modules/*/kernel/drivers/net/dummy.ko*' ||
		return 1
	for f in "$dir"/lib/modules/*/kernel/drivers/net/*.ko*; do
		case $f in *.xz) xz -d "$f" || return 1 ;; esac
	done
	for f in "$dir"/lib/modules/*/kernel/drivers/net/*.ko; do
		mv "$f" "$(dirname "$f")/../../.."/ || return 1
	done
	rm -rf "$dir"/lib/modules/*/kernel
	(cd "$dir" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$out"
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
	# Optional: libxdp's dispatcher (guest.sh runs the case if the object is there).
	if [[ -n $XDP_PARTS_OBJ ]]; then
		carry_xdp "$root" || return 1
	fi
	(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$TMP/initramfs.gz"
}

# boot_start VERSION VMLINUZ METHOD POLICY: one VM, in the background
# (POLICY "refuse_walks" or "none"). Each VM emulates one CPU: the two
# boots of a kernel run side by side on two.
declare -A BOOT_PID BOOT_START
boot_start() {
	local version=$1 kernel=$2 method=$3 policy=$4 tag=$1-$4
	: >"$TMP/result-$tag.txt"
	BOOT_START[$tag]=$SECONDS
	timeout "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg -m 512 -smp 1 -nodefaults \
		-display none -no-reboot -monitor none \
		-serial "file:$TMP/console-$tag.log" -serial "file:$TMP/result-$tag.txt" \
		-kernel "$kernel" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 quiet expect_method=$method policy=$policy" \
		>"$TMP/qemu-$tag.err" 2>&1 &
	BOOT_PID[$tag]=$!
}

# boot_check VERSION METHOD POLICY: waits for that VM; the verdict comes
# from ttyS1, never qemu's exit code.
boot_check() {
	local version=$1 method=$2 policy=$3 name="Linux $1" tag=$1-$3
	local console=$TMP/console-$tag.log result=$TMP/result-$tag.txt line rc
	[[ $policy == none ]] || name="Linux $version, policy $policy"
	wait "${BOOT_PID[$tag]}"
	rc=$?
	line=$(grep -m1 '^RESULT ' "$result" | tr -d '\r')
	grep -E '^(ok|not ok|#) ' "$console" | tr -d '\r' | sed 's/^/  /'
	if [[ $line =~ ^RESULT\ (.*):\ ([0-9]+)\ passed,\ 0\ failed$ ]] && ((BASH_REMATCH[2] > 0)); then
		pass "$name (${BASH_REMATCH[1]}): ${BASH_REMATCH[2]} checks, counting method $method, $((SECONDS - BOOT_START[$tag])) s"
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
		# The kernel's own modules after the common archive; without them
		# the guest's libxdp case fails for want of an interface.
		INITRD=$TMP/initramfs.gz
		if [[ -n $XDP_PARTS_OBJ ]]; then
			if kernel_modules "${used[-1]}" "$TMP/modules.gz" 2>"$TMP/modules.err"; then
				INITRD=$TMP/initramfs-$version.gz
				cat "$TMP/initramfs.gz" "$TMP/modules.gz" >"$INITRD"
			else
				echo "# Linux $version: no veth/dummy modules: $(tail -n 2 "$TMP/modules.err" | tr '\n' ' ')"
			fi
		fi
		boot_start "$version" "$kernel" "$method" none
		boot_start "$version" "$kernel" "$refused_method" refuse_walks
		boot_check "$version" "$method" none
		boot_check "$version" "$refused_method" refuse_walks
	done
	((${#used[@]} == ${#KERNELS[@]})) && prune_cache "${used[@]}"
}

main
summary
