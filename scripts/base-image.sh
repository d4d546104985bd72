#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes a minimal Debian 12 root filesystem tarball at $1 (e.g.
# .cache/bookworm-minbase.tar), for `docker import` as the base of the
# image's builder stage where no image registry is reachable.
#
# The mirror is the one this machine's apt already uses, read at run time,
# and the tarball gets this machine's apt sources, so that apt inside the
# builder reaches the same archive. Idempotent: an existing tarball is kept.
set -euo pipefail

out=$(realpath -m "${1:?usage: base-image.sh OUT.tar}")
[ -s "$out" ] && exit 0

sources=/etc/apt/sources.list.d/debian.sources
# The first "deb" URI serving bookworm, from deb822 stanzas or a one-line list.
mirror_deb822() {
	awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ && !found) {
				split(uris, u, " "); print u[1]; found = 1
			}
			types = uris = suites = ""
		}
		/^[ \t]*$/ { flush(); next }
		/^Types:/  { sub(/^Types:[ \t]*/, ""); types = $0 }
		/^URIs:/   { sub(/^URIs:[ \t]*/, ""); uris = $0 }
		/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
		END { flush() }' "$1"
}
mirror=''
if [ -f "$sources" ]; then
	mirror=$(mirror_deb822 "$sources")
elif [ -f /etc/apt/sources.list ]; then
	mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
fi
if [ -z "$mirror" ]; then
	echo "base-image: no bookworm mirror found in this machine's apt sources" >&2
	exit 1
fi

mkdir -p "${out%/*}"
root=$(mktemp -d "$out.root.XXXXXX")
trap 'rm -rf "$root"' EXIT
echo "base-image: debootstrap --variant=minbase bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
	tail -20 "$root.log" >&2
	rm -f "$root.log"
	exit 1
}
rm -f "$root.log"
# The same archive suites as this machine (updates, security), not just
# the one debootstrap wrote.
if [ -f "$sources" ]; then
	rm -f "$root/etc/apt/sources.list"
	cp "$sources" "$root/etc/apt/sources.list.d/debian.sources"
else
	grep '^deb ' /etc/apt/sources.list >"$root/etc/apt/sources.list"
fi
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
tar -C "$root" --numeric-owner -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "base-image: $out ($(du -m "$out" | cut -f1) MB)"
