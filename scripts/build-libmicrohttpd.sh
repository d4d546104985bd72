#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds a static libmicrohttpd with HTTPS into $1 (e.g. .cache/libmicrohttpd),
# against the static GnuTLS in $2 (scripts/build-gnutls.sh).
#
# Why: Debian's libmicrohttpd.a is built against Debian's GnuTLS, whose static
# archive needs libp11-kit.a, which Debian does not ship. The same Debian
# source, built against our own static GnuTLS, links cleanly. About 10 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=debian-source.sh
. "$here/debian-source.sh"

prefix=$(realpath -m "$1")
gnutls=$(realpath -m "$2")
work="$prefix.src"
stamp=$(build_stamp "$0" "$here/debian-source.sh" "$gnutls/.stamp")
if [ -f "$prefix/lib/libmicrohttpd.a" ] && [ "$(cat "$prefix/.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi
test -f "$gnutls/lib/libgnutls.a"
rm -rf "$prefix"
debian_source_unpack libmicrohttpd "$work"
log="$prefix.log"
if ! (
	# (errexit does not apply inside an if: every step is chained)
	cd "$work/src" &&
		# Configure's link tests need GnuTLS's private dependencies spelled out.
		./configure --quiet --prefix="$prefix" --enable-static --disable-shared \
			--enable-https --with-gnutls="$gnutls" \
			--disable-doc --disable-examples --disable-curl --disable-dauth \
			PKG_CONFIG_PATH="$gnutls/lib/pkgconfig" \
			LIBS="-lhogweed -lnettle -lgmp -ltasn1" &&
		grep -q '^#define HTTPS_SUPPORT 1' MHD_config.h &&
		make -j"$(nproc)" -C src/microhttpd install &&
		make -C src/include install
) >"$log" 2>&1; then
	echo "build-libmicrohttpd: build failed, last lines of $log:" >&2
	tail -n 40 "$log" >&2
	exit 1
fi
test -f "$prefix/lib/libmicrohttpd.a"
test -f "$prefix/include/microhttpd.h"
echo "$stamp" >"$prefix/.stamp"
rm -rf "$work" "$log"
echo "build-libmicrohttpd: static library with HTTPS in $prefix"
