#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds a static libmicrohttpd without HTTPS into $1 (e.g. .cache/libmicrohttpd).
#
# Why: Debian's libmicrohttpd.a is built with GnuTLS, and a static GnuTLS
# needs libp11-kit.a, which Debian does not ship, so a plain -static link
# fails. The same Debian source, configured without HTTPS, links cleanly.
set -euo pipefail

prefix=$(realpath -m "$1")
work="$prefix.src"
[ -f "$prefix/lib/libmicrohttpd.a" ] && exit 0

# Source packages need a deb-src entry; add one next to the system's own
# Debian sources (same archive, same suites) if none exists yet.
have_src() { apt-get source --download-only --print-uris libmicrohttpd 2>/dev/null | grep -q "\.dsc"; }
if ! have_src; then
	src_list=/etc/apt/sources.list.d/bpfmap-exporter-src.sources
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$src_list"
	elif [ -f /etc/apt/sources.list ]; then
		grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
			> /etc/apt/sources.list.d/bpfmap-exporter-src.list
	else
		echo "build-libmicrohttpd: no Debian apt sources found to derive deb-src from" >&2
		exit 1
	fi
	apt-get update -qq
fi

rm -rf "$work"
mkdir -p "$work"
(
	cd "$work"
	apt-get source --download-only libmicrohttpd >/dev/null 2>&1
	dpkg-source -x --no-check ./libmicrohttpd_*.dsc src >/dev/null
	cd src
	./configure --quiet --prefix="$prefix" --enable-static --disable-shared \
		--disable-https --disable-doc --disable-examples --disable-curl \
		--without-gnutls --disable-dauth >/dev/null
	make -s -j"$(nproc)" -C src/microhttpd install >/dev/null
	make -s -C src/include install >/dev/null
)
test -f "$prefix/lib/libmicrohttpd.a"
test -f "$prefix/include/microhttpd.h"
rm -rf "$work"
echo "build-libmicrohttpd: static library in $prefix"
