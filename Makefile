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
MHD_DIR  := $(CACHE)/libmicrohttpd
MHD_LIB  := $(MHD_DIR)/lib/libmicrohttpd.a
DEPS     := $(CACHE)/deps.stamp

# SANITIZE=address,undefined builds a separate, dynamically linked tree
# (the sanitizer runtimes cannot be linked statically).
SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD    := build
LINKMODE := -static
SANFLAGS :=
else
BUILD    := build-san
LINKMODE :=
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

BIN      := $(BUILD)/bpfmap_exporter
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE $(SANFLAGS) \
	    -Isrc -Ibpf -I$(BUILD) -I$(MHD_DIR)/include \
	    -DBPFMAP_VERSION='"$(VERSION)"' -DBPFMAP_REVISION='"$(REVISION)"'
LDFLAGS  += $(SANFLAGS)
LDLIBS   := $(MHD_LIB) -lyaml -lbpf -lelf -lz -lpthread

BPF_CFLAGS := -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
	      -I/usr/include/$(MULTIARCH) -Ibpf

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS    := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
# Modules without BPF or HTTP: unit-testable on their own.
CORE_SRCS := src/log.c src/expo.c src/labels.c src/config.c src/records_decode.c \
	     src/cgroup_path.c src/owners.c src/resolve.c \
	     src/listen_address.c
APP_SRCS  := $(CORE_SRCS) src/collector.c src/collect_maps.c src/collect_progs.c \
	     src/collect_owners.c src/pins.c \
	     src/collect_self.c src/iter.c src/http.c cmd/bpfmap_exporter/main.c
CORE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRCS)) $(BUILD)/default_config.o
APP_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(APP_SRCS)) $(BUILD)/default_config.o

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
FIXTURE    := $(BUILD)/tests/fixture
OWNER_FIXTURE := $(BUILD)/tests/owner_fixture

.PHONY: all deps run test unit integration test-sanitize check-static check-format format clean \
	distclean
.DELETE_ON_ERROR:
.SECONDARY: # keep generated objects and skeletons

all: $(BIN)

deps: $(DEPS)
$(DEPS): scripts/deps.sh
	scripts/deps.sh
	@mkdir -p $(CACHE) && touch $@

$(MHD_LIB): scripts/build-libmicrohttpd.sh | $(DEPS)
	scripts/build-libmicrohttpd.sh $(MHD_DIR)

$(BUILD)/%.bpf.o: bpf/%.bpf.c bpf/records.h bpf/kernel_types.h | $(DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

$(BUILD)/default_config.c: src/default_config.yaml
	@mkdir -p $(@D)
	{ echo '/* Generated from $< by make. */'; \
	  echo 'const char config_default_yaml[] ='; \
	  sed 's/\\/\\\\/g; s/"/\\"/g; s/^/\t"/; s/$$/\\n"/' $<; \
	  echo ';'; } > $@

$(BUILD)/%.o: %.c $(wildcard src/*.h) bpf/records.h $(SKELS) | $(MHD_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(APP_OBJS) $(MHD_LIB)
	$(CC) $(LDFLAGS) $(LINKMODE) $(APP_OBJS) $(LDLIBS) -o $@

# --- run -------------------------------------------------------------------

run: $(BIN)
	$(BIN) $(ARGS)

# --- tests -----------------------------------------------------------------

$(BUILD)/tests/test_%: tests/unit/test_%.c $(CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(CORE_OBJS) -lcmocka -lyaml -lz -o $@

$(FIXTURE): tests/integration/fixture.c bpf/records.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< -lbpf -lelf -lz -o $@

# Static and without sanitizers: it also runs alone in a FROM scratch container.
$(OWNER_FIXTURE): tests/integration/owner_fixture.c
	@mkdir -p $(@D)
	$(CC) $(filter-out $(SANFLAGS),$(CFLAGS)) -static $< -lbpf -lelf -lz -o $@

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

# Both suites run even if the first fails; either failing fails the target.
integration: $(BIN) $(FIXTURE) $(OWNER_FIXTURE)
	@rc=0; \
	tests/integration/run.sh $(BIN) $(FIXTURE) || rc=1; \
	tests/integration/owners.sh $(BIN) $(OWNER_FIXTURE) || rc=1; \
	exit $$rc

# The same unit and integration tests on an ASan+UBSan build.
test-sanitize:
	$(MAKE) SANITIZE=address,undefined unit integration

# The release binary must need nothing at run time: no dynamic section at all.
check-static: $(BIN)
	@if readelf -d $(BIN) | grep -q 'Dynamic section'; then \
		echo "check-static: $(BIN) is dynamically linked" >&2; exit 1; fi
	@echo "check-static: $(BIN) is statically linked ($$(stat -c %s $(BIN)) bytes)"

test: deps
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "make test: run as root (sudo make test): the tests load BPF programs" >&2; \
		exit 1; fi
	$(MAKE) unit
	$(MAKE) check-static
	$(MAKE) integration
	$(MAKE) test-sanitize
	$(MAKE) check-format

# --- housekeeping ------------------------------------------------------------

FORMAT_SRCS := $(wildcard src/*.[ch] bpf/*.[ch] cmd/*/*.c tests/unit/*.[ch] tests/integration/*.c)

check-format: | $(DEPS)
	clang-format --dry-run --Werror $(FORMAT_SRCS)

format:
	clang-format -i $(FORMAT_SRCS)

clean:
	rm -rf build build-san

distclean: clean
	rm -rf $(CACHE)
