#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages that building and testing need.
#
#   deps.sh          everything: build and test
#   deps.sh build    only what building the binary needs (the image's
#                    builder stage uses this)
#
# Idempotent and quick when everything is present: apt runs only for
# packages that are missing.
set -euo pipefail

build=(
	make gcc clang llvm bpftool pkg-config libbpf-dev libelf-dev zlib1g-dev
	libyaml-dev libmicrohttpd-dev dpkg-dev
	# static GnuTLS (scripts/build-gnutls.sh): autoreconf after Debian's
	# patches, and the static crypto libraries it links with; libcrypt
	# checks bcrypt passwords
	autoconf automake libtool autopoint gperf bison
	nettle-dev libgmp-dev libtasn1-6-dev libcrypt-dev
)
tests=(
	libcmocka-dev prometheus curl util-linux clang-format valgrind libclang-rt-14-dev
	# network namespaces and veth pairs for the links tests
	iproute2
	# test VMs on other kernels (tests/kernels/run.sh)
	qemu-system-x86 busybox-static
	# containers (tests run a private daemon: tests/lib/dockerd.sh) and
	# the local base image for the image's builder stage
	docker.io debootstrap
	# web config tests: certificates and bcrypt hashes made by the test
	openssl apache2-utils
	# chart tests: the YAML-aware checker, unpacking helm/kubectl
	python3 python3-yaml unzip
)
# Needed as a command, whichever package provides it (a machine may have
# npm from another Node.js distribution; Debian's would conflict with it).
commands=(npm)

case ${1:-all} in
build) packages=("${build[@]}") ;;
all) packages=("${build[@]}" "${tests[@]}") ;;
*)
	echo "usage: deps.sh [build|all]" >&2
	exit 2
	;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install packages (run with sudo)" >&2
	exit 1
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${1:-all}" = all ]; then
	for c in "${commands[@]}"; do
		command -v "$c" >/dev/null || missing+=("$c")
	done
fi

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
