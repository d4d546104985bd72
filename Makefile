# SPDX-License-Identifier: Apache-2.0
# bpfmap_exporter: `make` builds the static binary, `sudo make run` runs it,
# `sudo make test` runs every test. Dependencies install themselves.

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

# Third-party builds and downloads, kept between runs (git-ignored).
CACHE    := .cache
GNUTLS_DIR := $(CACHE)/gnutls
GNUTLS_LIB := $(GNUTLS_DIR)/lib/libgnutls.a
MHD_DIR  := $(CACHE)/libmicrohttpd
MHD_LIB  := $(MHD_DIR)/lib/libmicrohttpd.a
DEPS     := $(CACHE)/deps.stamp
# Which packages scripts/deps.sh installs: all (build and test) or build.
DEPS_SET ?= all

# SANITIZE=address,undefined builds a separate, dynamically linked tree
# (the sanitizer runtimes cannot be linked statically); so does DYNAMIC=1,
# for valgrind, which can only follow malloc in a dynamic binary.
SANITIZE ?=
DYNAMIC  ?=
SANFLAGS :=
LINKMODE :=
ifneq ($(SANITIZE),)
BUILD    := build-san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else ifneq ($(DYNAMIC),)
BUILD    := build-dyn
else
BUILD    := build
LINKMODE := -static
endif

BIN      := $(BUILD)/bpfmap_exporter
# src/ by layer (docs/layout.md): headers are included by their names.
SRC_INCLUDES := $(addprefix -I,src src/http src/scrape src/kernel src/model src/config src/expo)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $(SANFLAGS) \
	    $(SRC_INCLUDES) -Ibpf -I$(BUILD) -I$(MHD_DIR)/include -I$(GNUTLS_DIR)/include \
	    -DBPFMAP_VERSION='"$(VERSION)"' -DBPFMAP_REVISION='"$(REVISION)"'
LDFLAGS  += $(SANFLAGS)
# GnuTLS is our own static build; its crypto (nettle, hogweed, gmp) and
# ASN.1 (tasn1) come from Debian. libcrypt (libxcrypt) checks bcrypt hashes.
TLS_LIBS := $(GNUTLS_LIB) -lhogweed -lnettle -lgmp -ltasn1
CORE_LIBS := -lyaml -lz -lcrypt $(TLS_LIBS) -lpthread
LDLIBS   := $(MHD_LIB) -lbpf -lelf $(CORE_LIBS)

BPF_CFLAGS := -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
	      -I/usr/include/$(MULTIARCH) -Ibpf

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS    := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
# Modules without BPF or HTTP: unit-testable on their own.
CORE_SRCS := src/log.c src/expo/expo.c src/expo/labels.c src/config/yaml_doc.c src/config/config.c src/model/records_decode.c \
	     src/config/listen_address.c src/model/map_count.c src/config/web_config.c src/http/basic_auth.c \
	     src/model/cgroup_path.c src/model/owners.c src/model/resolve.c src/model/mem_cache.c \
	     src/http/scrape_stream.c src/model/map_errors_table.c src/model/netlink_attach.c \
	     src/model/perf_attach.c
APP_SRCS  := $(CORE_SRCS) src/scrape/collector.c src/scrape/snapshot.c src/scrape/owner_series.c \
	     src/scrape/collect_owners.c src/scrape/collect_maps.c \
	     src/scrape/collect_progs.c src/scrape/collect_links.c src/scrape/collect_attach.c src/scrape/collect_self.c src/kernel/objinfo.c src/kernel/iter.c \
	     src/kernel/scrape_source.c \
	     src/kernel/map_walk.c src/kernel/map_errors.c src/scrape/collect_map_errors.c src/kernel/pins.c src/kernel/privileges.c \
	     src/http/http.c src/no_nss.c \
	     cmd/bpfmap_exporter/main.c
CORE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRCS)) $(BUILD)/default_config.o
APP_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(APP_SRCS)) $(BUILD)/default_config.o

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
FIXTURE    := $(BUILD)/tests/fixture
CHURN      := $(BUILD)/tests/churn
PROGS_FIXTURE := $(BUILD)/tests/progs_fixture
PROGS_FIXTURE_STATIC := $(BUILD)/tests/progs_fixture-static
CHURN_SECONDS ?= 20
# The same fixture linked statically, for the test VMs and containers.
FIXTURE_STATIC := $(BUILD)/tests/fixture-static
OWNER_FIXTURE := $(BUILD)/tests/owner_fixture
MAP_ERRORS_FIXTURE := $(BUILD)/tests/map_errors_fixture
MAP_ERRORS_FIXTURE_STATIC := $(BUILD)/tests/map_errors_fixture-static
# Programs real tools attach without a link (tests/integration/attach.sh).
ATTACH_PROGS := $(BUILD)/tests/attach_progs.bpf.o
# libbpf's perf_event links, beside it (attach.sh finds both by its path).
PERF_LINK := $(BUILD)/tests/perf_link $(BUILD)/tests/perf_link.bpf.o

# The collectors replayed from recorded kernel answers (tests/golden): no
# kernel, no root. The recorder needs both, and the integration fixtures.
SCRAPE_OBJS := $(filter-out $(BUILD)/cmd/%,$(APP_OBJS))
GOLDEN := $(BUILD)/tests/golden_scrape
GOLDEN_RECORD := $(BUILD)/tests/golden_record
# make golden-record RECORDING=NAME: where this kernel's answers go
RECORDING ?= linux-$(shell uname -r | cut -d. -f1,2)

# Static helm and kubectl for the chart tests (scripts/k8s-tools.sh).
K8S_TOOLS := $(CACHE)/k8s-tools
HELM      := $(K8S_TOOLS)/helm

# The container image: `make image`; BASE_IMAGE is the builder stage's base
# (any Debian 12 image), DOCKER the client to build with.
IMAGE      ?= bpfmap-exporter:$(VERSION)
BASE_IMAGE ?= debian:bookworm
DOCKER     ?= docker
DOCKER_BUILD_FLAGS ?=

.PHONY: all deps run test unit golden-update golden-record integration test-sanitize test-memcheck test-kernels check-static \
	check-format format clean distclean image deploy-manifests test-helm test-prometheus \
	test-image
.DELETE_ON_ERROR:
.SECONDARY: # keep generated objects and skeletons

all: $(BIN)

deps: $(DEPS)
$(DEPS): scripts/deps.sh
	scripts/deps.sh $(DEPS_SET)
	@mkdir -p $(CACHE) && touch $@

$(GNUTLS_LIB): scripts/build-gnutls.sh scripts/debian-source.sh | $(DEPS)
	scripts/build-gnutls.sh $(GNUTLS_DIR)

$(MHD_LIB): scripts/build-libmicrohttpd.sh scripts/debian-source.sh $(GNUTLS_LIB) | $(DEPS)
	scripts/build-libmicrohttpd.sh $(MHD_DIR) $(GNUTLS_DIR)

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

%/default_config.c: src/config/default_config.yaml
	@mkdir -p $(@D)
	{ echo '/* Generated from $< by make. */'; \
	  echo 'const char config_default_yaml[] ='; \
	  sed 's/\\/\\\\/g; s/"/\\"/g; s/^/\t"/; s/$$/\\n"/' $<; \
	  echo ';'; } > $@

# Each object depends on the headers it includes (-MMD writes them to a
# .d file beside it); skeletons are generated first, as sources include them.
$(BUILD)/%.o: %.c | $(SKELS) $(MHD_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BIN): $(APP_OBJS) $(MHD_LIB)
	$(CC) $(LDFLAGS) $(LINKMODE) -Wl,--wrap=getpwuid_r $(APP_OBJS) $(LDLIBS) -o $@

# --- run -------------------------------------------------------------------

run: $(BIN)
	$(BIN) $(ARGS)

# --- tests -----------------------------------------------------------------

$(BUILD)/tests/test_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) $(CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(CORE_OBJS) -lcmocka $(CORE_LIBS) -o $@

$(BUILD)/tests/%: tests/integration/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< -lbpf -lelf -lz -o $@

# BPF fixtures of the integration suites: tests/integration/NAME.bpf.c ->
# a skeleton NAME.skel.h for tests/integration/NAME.c.
$(BUILD)/tests/%.bpf.o: tests/integration/%.bpf.c | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.skel.h: $(BUILD)/tests/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# The attachment bench's programs (tests/bench).
$(BUILD)/tests/%.bpf.o: tests/bench/%.bpf.c | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The BPF LSM policy of the test VMs' refusing boots (tests/kernels).
$(BUILD)/tests/%.bpf.o: tests/kernels/%.bpf.c | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

REFUSE_WALKS := $(BUILD)/tests/refuse_walks
$(REFUSE_WALKS): tests/kernels/refuse_walks.c $(BUILD)/tests/refuse_walks.skel.h
	@mkdir -p $(@D)
	$(CC) $(filter-out $(SANFLAGS),$(CFLAGS)) -I$(BUILD)/tests -static $< -lbpf -lelf -lz -o $@

PROGS_SKELS := $(BUILD)/tests/progs_fixture.skel.h $(BUILD)/tests/progs_fentry.skel.h
$(PROGS_FIXTURE): tests/integration/progs_fixture.c $(PROGS_SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(BUILD)/tests $(LDFLAGS) $< -lbpf -lelf -lz -o $@

# Static, without sanitizers: it runs in the test VMs too.
$(PROGS_FIXTURE_STATIC): tests/integration/progs_fixture.c $(PROGS_SKELS)
	@mkdir -p $(@D)
	$(CC) $(filter-out $(SANFLAGS),$(CFLAGS)) -I$(BUILD)/tests -static $< -lbpf -lelf -lz -o $@

# Its own probe object too: where trampolines are refused, only the probe's load fails.
MAP_ERRORS_SKELS := $(BUILD)/tests/map_errors_fixture.skel.h $(BUILD)/tests/map_errors_probe.skel.h
$(MAP_ERRORS_FIXTURE): tests/integration/map_errors_fixture.c $(MAP_ERRORS_SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(BUILD)/tests $(LDFLAGS) $< -lbpf -lelf -lz -o $@

$(MAP_ERRORS_FIXTURE_STATIC): tests/integration/map_errors_fixture.c $(MAP_ERRORS_SKELS)
	@mkdir -p $(@D)
	$(CC) $(filter-out $(SANFLAGS),$(CFLAGS)) -I$(BUILD)/tests -static $< -lbpf -lelf -lz -o $@

PERF_LINK_STATIC := $(BUILD)/tests/perf_link-static
$(PERF_LINK_STATIC): tests/integration/perf_link.c | $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(filter-out $(SANFLAGS),$(CFLAGS)) -static $< -lbpf -lelf -lz -o $@

$(BUILD)/tests/%: tests/bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< -lbpf -lelf -lz -o $@

# --- benchmark (not pass/fail; `make test` runs only the smoke version) ------

BENCH_SIZES ?= 1000,10000,50000
# More of bench.py's options, e.g. BENCH_FLAGS=--rounds=200.
BENCH_FLAGS ?=
.PHONY: bench bench-smoke bench-map-errors bench-profile bench-attach
bench: $(BIN) $(BUILD)/tests/objects bench-map-errors bench-attach
	tests/bench/bench.py $(BIN) $(BUILD)/tests/objects --sizes $(BENCH_SIZES) $(BENCH_FLAGS)

# The attachment sources' cost per scrape (cgroups, network namespaces,
# perf events attached without a link), against bpftool's views.
ATTACH_BENCH_FLAGS ?=
bench-attach: $(BIN) $(BUILD)/tests/attach_bench.bpf.o
	tests/bench/attach_bench.py $(BIN) $(BUILD)/tests/attach_bench.bpf.o $(ATTACH_BENCH_FLAGS)

# ns per map update added by the map_errors collector ("refused" where the
# kernel refuses fexit; make test-kernels prints the VMs' figures).
MAP_ERRORS_UPDATES ?= 200000
bench-map-errors: $(BIN) $(MAP_ERRORS_FIXTURE)
	tests/bench/map_errors.sh $(BIN) $(MAP_ERRORS_FIXTURE) $(MAP_ERRORS_UPDATES)

# Instructions per scrape, per part of the scrape (callgrind, at 10,000 maps).
bench-profile: $(BIN) $(BUILD)/tests/objects
	tests/bench/profile.sh $(BIN) $(BUILD)/tests/objects

bench-smoke: $(BIN) $(BUILD)/tests/objects $(BUILD)/tests/attach_bench.bpf.o
	tests/bench/bench.py $(BIN) $(BUILD)/tests/objects --smoke
	tests/bench/attach_bench.py $(BIN) $(BUILD)/tests/attach_bench.bpf.o --cgroups 20 \
		--netns 1 --perf 2 --rounds 1

$(FIXTURE_STATIC): tests/integration/fixture.c bpf/records.h | $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static $< -lbpf -lelf -lz -o $@

$(HELM): scripts/k8s-tools.sh | $(DEPS)
	scripts/k8s-tools.sh $(K8S_TOOLS)

# Static and without sanitizers: it also runs alone in a FROM scratch container.
$(OWNER_FIXTURE): tests/integration/owner_fixture.c
	@mkdir -p $(@D)
	$(CC) $(filter-out $(SANFLAGS),$(CFLAGS)) -static $< -lbpf -lelf -lz -o $@

unit: $(UNIT_TESTS) $(GOLDEN)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done
	@echo "== golden"; tests/golden/run.sh $(GOLDEN)

$(GOLDEN): $(BUILD)/tests/golden/golden.o $(BUILD)/tests/golden/replay.o $(SCRAPE_OBJS) $(MHD_LIB)
	$(CC) $(LDFLAGS) $(LINKMODE) -Wl,--wrap=getpwuid_r $(filter %.o,$^) $(LDLIBS) -o $@

$(GOLDEN_RECORD): $(BUILD)/tests/golden/record.o $(BUILD)/tests/golden/replay.o $(SCRAPE_OBJS) $(MHD_LIB)
	$(CC) $(LDFLAGS) $(LINKMODE) -Wl,--wrap=getpwuid_r $(filter %.o,$^) $(LDLIBS) -o $@

# Rewrite the expected expositions from today's code: read the diff.
golden-update: $(GOLDEN)
	tests/golden/run.sh --update $(GOLDEN)

# Record this kernel's answers (as root), then golden-update.
golden-record: $(GOLDEN_RECORD) $(FIXTURE) $(PROGS_FIXTURE) $(PERF_LINK)
	tests/golden/record.sh $(GOLDEN_RECORD) $(FIXTURE) $(PROGS_FIXTURE) $(BUILD)/tests/perf_link \
		tests/fixtures/golden/recordings/$(RECORDING)

# Every suite runs even if one fails; any failing fails the target.
integration: $(BIN) $(FIXTURE) $(OWNER_FIXTURE) $(CHURN) $(PROGS_FIXTURE) $(BUILD)/tests/objects \
	     $(MAP_ERRORS_FIXTURE) $(ATTACH_PROGS) $(PERF_LINK)
	@rc=0; \
	tests/integration/run.sh $(BIN) $(FIXTURE) || rc=1; \
	tests/integration/owners.sh $(BIN) $(OWNER_FIXTURE) || rc=1; \
	tests/integration/progs.sh $(BIN) $(PROGS_FIXTURE) || rc=1; \
	tests/integration/web_config.sh $(BIN) $(FIXTURE) || rc=1; \
	tests/integration/http_abuse.py $(BIN) || rc=1; \
	tests/integration/churn.py $(BIN) $(CHURN) $(CHURN_SECONDS) || rc=1; \
	tests/integration/map_errors.sh $(BIN) $(MAP_ERRORS_FIXTURE) || rc=1; \
	tests/integration/attach.sh $(BIN) $(ATTACH_PROGS) || rc=1; \
	exit $$rc

# The static release binary inside VMs booting Debian's 6.1 and 6.12 cloud kernels
# (downloaded once into .cache/kernels), each booted twice: as it comes, and
# with a BPF LSM policy refusing the element iterator and trampolines.
test-kernels: $(BIN) $(FIXTURE_STATIC) $(PROGS_FIXTURE_STATIC) $(REFUSE_WALKS) \
		$(MAP_ERRORS_FIXTURE_STATIC) $(PERF_LINK_STATIC) $(BUILD)/tests/perf_link.bpf.o \
		$(BUILD)/tests/xdp_parts.bpf.o
	tests/kernels/run.sh $(BIN) $(FIXTURE_STATIC) $(PROGS_FIXTURE_STATIC) $(REFUSE_WALKS) \
		$(CACHE)/kernels $(MAP_ERRORS_FIXTURE_STATIC) $(PERF_LINK_STATIC) \
		$(BUILD)/tests/perf_link.bpf.o $(BUILD)/tests/xdp_parts.bpf.o

# The chart, deploy/ and the alert rules, offline.
test-helm: $(BIN) $(HELM)
	tests/helm/run.sh $(BIN) $(K8S_TOOLS)

# A real Prometheus scraping the exporter, with the chart's alerts.
test-prometheus: $(BIN) $(FIXTURE) $(HELM)
	tests/prometheus/run.sh $(BIN) $(FIXTURE) $(HELM)

# The image built (make image) and run under a private Docker daemon.
test-image: $(FIXTURE_STATIC)
	tests/image/run.sh $(FIXTURE_STATIC) $(VERSION)

# The same unit and integration tests on an ASan+UBSan build.
test-sanitize:
	$(MAKE) $(JOBS) SANITIZE=address,undefined unit
	$(MAKE) $(JOBS) SANITIZE=address,undefined integration

# The exporter under valgrind memcheck: no leaks, no invalid accesses.
test-memcheck:
	$(MAKE) $(JOBS) DYNAMIC=1 build-dyn/bpfmap_exporter build-dyn/tests/fixture
	tests/integration/memcheck.sh build-dyn/bpfmap_exporter build-dyn/tests/fixture

# The release binary must need nothing at run time: no dynamic section at all.
check-static: $(BIN)
	@if readelf -d $(BIN) | grep -q 'Dynamic section'; then \
		echo "check-static: $(BIN) is dynamically linked" >&2; exit 1; fi
	@echo "check-static: $(BIN) is statically linked ($$(stat -c %s $(BIN)) bytes)"

# Each step builds what it needs on every CPU, then runs its tests one
# after the other (a step's tests are one recipe).
JOBS := -j$(shell nproc 2>/dev/null || echo 1)

test: deps
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "make test: run as root (sudo make test): the tests load BPF programs" >&2; \
		exit 1; fi
	$(MAKE) $(JOBS) unit
	$(MAKE) check-static
	tests/docs/links.py
	tests/docs/layout.py
	$(MAKE) $(JOBS) integration
	$(MAKE) $(JOBS) test-kernels
	$(MAKE) test-helm
	$(MAKE) test-prometheus
	$(MAKE) test-image
	$(MAKE) test-sanitize
	$(MAKE) test-memcheck
	$(MAKE) bench-smoke
	$(MAKE) fuzz-smoke
	$(MAKE) check-format

# --- fuzzing ------------------------------------------------------------------
# libFuzzer harnesses (clang) over the parsers that take outside input.
# `make fuzz` runs each for FUZZ_SECONDS; `make test` runs a short session.
# New corpus entries go to $(FUZZ_DIR)/corpus/, seeds stay in tests/fuzz/.

FUZZ_DIR     := build-fuzz
FUZZ_SECONDS ?= 60
FUZZERS      := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -g -O1 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $(SRC_INCLUDES) -Ibpf \
		-I$(GNUTLS_DIR)/include \
		-fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_OBJS    := $(patsubst %.c,$(FUZZ_DIR)/%.o,$(CORE_SRCS)) $(FUZZ_DIR)/default_config.o

$(FUZZ_DIR)/%.o: %.c | $(GNUTLS_LIB)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) $(CORE_LIBS) -o $@

# A whole scrape replayed (tests/golden/replay.c): the collectors too.
FUZZ_SCRAPE_OBJS := $(patsubst %.c,$(FUZZ_DIR)/%.o,$(filter-out $(CORE_SRCS) cmd/% src/http/http.c \
		    src/no_nss.c,$(APP_SRCS)) tests/golden/replay.c)
$(FUZZ_SCRAPE_OBJS): FUZZ_CFLAGS += -I$(BUILD)
$(FUZZ_SCRAPE_OBJS): | $(SKELS)
$(FUZZ_DIR)/fuzz_scrape: tests/fuzz/fuzz_scrape.c $(FUZZ_OBJS) $(FUZZ_SCRAPE_OBJS)
	$(CLANG) $(FUZZ_CFLAGS) -Itests/golden -fsanitize=fuzzer $< $(FUZZ_OBJS) $(FUZZ_SCRAPE_OBJS) \
		-lbpf -lelf $(CORE_LIBS) -o $@

# One target per fuzzer, so that `make -j2 fuzz` runs two at a time.
FUZZ_RUNS := $(addprefix fuzz-run-,$(FUZZERS))
.PHONY: fuzz fuzz-smoke $(FUZZ_RUNS)
fuzz: $(FUZZ_RUNS)
$(FUZZ_RUNS): fuzz-run-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/corpus/$*
	@$(FUZZ_DIR)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix=$(FUZZ_DIR)/fuzz_$*- -print_final_stats=1 \
		$(FUZZ_DIR)/corpus/$* tests/fuzz/corpus/$* 2>$(FUZZ_DIR)/fuzz_$*.log || \
		{ echo "== fuzz_$* failed:"; tail -40 $(FUZZ_DIR)/fuzz_$*.log; exit 1; }
	@echo "== fuzz_$* for $(FUZZ_SECONDS) s:" \
		$$(grep -E '^stat::number_of_executed_units|^Done' $(FUZZ_DIR)/fuzz_$*.log)

fuzz-smoke:
	$(MAKE) $(JOBS) fuzz FUZZ_SECONDS=10

# --- shipping ------------------------------------------------------------------

# Multi-stage build: Debian builder running this Makefile, FROM scratch
# final image with the stripped static binary.
image:
	$(DOCKER) build --network host --build-arg BASE=$(BASE_IMAGE) \
		--build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
		$(DOCKER_BUILD_FLAGS) -t $(IMAGE) .

# deploy/: plain manifests rendered from the chart (test-helm checks them).
deploy-manifests: $(HELM)
	scripts/render-deploy.sh $(HELM) deploy

# --- housekeeping ------------------------------------------------------------

FORMAT_SRCS := $(wildcard src/*.[ch] src/*/*.[ch] bpf/*.[ch] cmd/*/*.c tests/unit/*.[ch] tests/integration/*.c \
		tests/kernels/*.c tests/fuzz/*.c tests/golden/*.[ch])

check-format: | $(DEPS)
	clang-format --dry-run --Werror $(FORMAT_SRCS)

format:
	clang-format -i $(FORMAT_SRCS)

clean:
	rm -rf build build-san build-dyn $(FUZZ_DIR)

distclean: clean
	rm -rf $(CACHE)

# The header dependencies -MMD recorded (none before the first build).
-include $(wildcard $(BUILD)/*.d $(BUILD)/*/*.d $(BUILD)/*/*/*.d $(FUZZ_DIR)/*/*.d \
	$(FUZZ_DIR)/*/*/*.d)
