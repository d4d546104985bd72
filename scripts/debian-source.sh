#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sourced by the build-*.sh scripts: fetch and unpack a Debian source
# package (with Debian's patches, security fixes included) into a folder.

# A deb-src entry next to the system's own Debian sources (same archive,
# same suites), added once if none exists yet.
debian_source_enable() {
	local pkg=$1 src_list
	apt-get source --download-only --print-uris "$pkg" 2>/dev/null | grep -q "\.dsc" && return 0
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		src_list=/etc/apt/sources.list.d/bpfmap-exporter-src.sources
		sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$src_list"
	elif [ -f /etc/apt/sources.list ]; then
		grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
			>/etc/apt/sources.list.d/bpfmap-exporter-src.list
	else
		echo "debian-source: no Debian apt sources found to derive deb-src from" >&2
		return 1
	fi
	apt-get update -qq
}

# debian_source_unpack PKG WORKDIR: the patched source tree in WORKDIR/src.
debian_source_unpack() {
	local pkg=$1 work=$2
	debian_source_enable "$pkg" || return 1
	rm -rf "$work"
	mkdir -p "$work"
	(cd "$work" && apt-get source --download-only "$pkg" >/dev/null 2>&1) || return 1
	(cd "$work" && dpkg-source -x --no-check ./"$pkg"_*.dsc src >/dev/null) || return 1
}

# A stamp that changes whenever a build script or an input changes, so a
# cache built by an older script is rebuilt instead of silently reused.
build_stamp() {
	cat "$@" | sha256sum | cut -c1-16
}
