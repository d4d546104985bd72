# SPDX-License-Identifier: Apache-2.0
# bpfmap_exporter image: a Debian builder stage runs the project's own
# Makefile; the final image is FROM scratch with the one static binary.
#
#   docker build -t bpfmap-exporter .
#   docker build --network host --build-arg BASE=local/bookworm -t bpfmap-exporter .
#
# BASE is any Debian 12 image (a locally imported one where no registry is
# reachable: see scripts/base-image.sh); apt inside the build needs the
# network to reach a Debian archive.

ARG BASE=debian:bookworm

FROM ${BASE} AS builder
WORKDIR /src
# Dependencies first, each in its own layer, so that a source change
# rebuilds only the last steps.
COPY scripts/deps.sh scripts/
RUN scripts/deps.sh build && mkdir -p .cache && touch .cache/deps.stamp \
	&& rm -rf /var/lib/apt/lists/*
COPY scripts/debian-source.sh scripts/build-gnutls.sh scripts/
RUN scripts/build-gnutls.sh .cache/gnutls && rm -rf /var/lib/apt/lists/*
COPY scripts/build-libmicrohttpd.sh scripts/
RUN scripts/build-libmicrohttpd.sh .cache/libmicrohttpd .cache/gnutls && rm -rf /var/lib/apt/lists/*
COPY . .
# Declared here, not above: a new version must not invalidate the
# dependency layers.
ARG VERSION=unknown
ARG REVISION=unknown
RUN make DEPS_SET=build VERSION="$VERSION" REVISION="$REVISION" check-static \
	&& strip --strip-all -o /bpfmap_exporter build/bpfmap_exporter

FROM scratch
ARG VERSION=unknown
ARG REVISION=unknown
LABEL org.opencontainers.image.title="bpfmap_exporter" \
	org.opencontainers.image.description="Prometheus exporter for every eBPF map and program on a Linux host" \
	org.opencontainers.image.version="$VERSION" \
	org.opencontainers.image.revision="$REVISION" \
	org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /bpfmap_exporter /bpfmap_exporter
EXPOSE 2112
ENTRYPOINT ["/bpfmap_exporter"]
