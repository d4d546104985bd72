#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds a static GnuTLS into $1 (e.g. .cache/gnutls), for HTTPS in the
# static binary.
#
# Why: Debian's libgnutls.a needs libp11-kit.a, which Debian does not ship,
# so a -static link fails. The same Debian source (with Debian's patches)
# built without p11-kit, TPM, IDN and compression links cleanly against
# Debian's static nettle, hogweed, gmp and tasn1. About 3 minutes on 2 cores,
# once: the result is cached until this script changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=debian-source.sh
. "$here/debian-source.sh"

prefix=$(realpath -m "$1")
work="$prefix.src"
stamp=$(build_stamp "$0" "$here/debian-source.sh")
if [ -f "$prefix/lib/libgnutls.a" ] && [ "$(cat "$prefix/.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi
echo "build-gnutls: building a static GnuTLS into $prefix (a few minutes, once)"
rm -rf "$prefix"
debian_source_unpack gnutls28 "$work"
log="$prefix.log"
# shellcheck disable=SC2046
if ! (
	# (errexit does not apply inside an if: every step is chained)
	cd "$work/src" &&
		# Debian's patches touch configure.ac and Makefile.am: regenerate as
		# debian/rules does (its gettext-0.20 m4 files clash with autopoint).
		rm -f $(grep -rl gettext-0.20 m4/) &&
		GTKDOCIZE="echo gtkdocize disabled" autoreconf -fi &&
		# The system priority file stays Debian's path (not the cache's); we
		# never use a system trust store (client CAs come from the config).
		# Its maintainers' warning set (-fanalyzer among them) slows the
		# build several times over, for warnings about code not ours to change.
		./configure --quiet --prefix="$prefix" --enable-static --disable-shared \
			--disable-gcc-warnings \
			--without-p11-kit --without-brotli --without-zstd --without-zlib \
			--without-tpm --without-tpm2 --without-idn --with-included-unistring \
			--disable-doc --disable-gtk-doc --disable-tests --disable-tools \
			--disable-cxx --disable-guile --disable-nls --disable-libdane \
			--with-system-priority-file=/etc/gnutls/config \
			--with-default-trust-store-file= &&
		make -j"$(nproc)" &&
		make install
) >"$log" 2>&1; then
	echo "build-gnutls: build failed, last lines of $log:" >&2
	tail -n 40 "$log" >&2
	exit 1
fi
test -f "$prefix/lib/libgnutls.a"
test -f "$prefix/include/gnutls/gnutls.h"
echo "$stamp" >"$prefix/.stamp"
rm -rf "$work" "$log"
echo "build-gnutls: static library in $prefix"
