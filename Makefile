# SPDX-License-Identifier: Apache-2.0
# infermesh: `make` builds the BPF objects, their skeletons and the one
# binary .output/infermesh; `make test` runs every suite; `make demo` the demo;
# `make bench` the benchmarks. V=1 shows the commands.

OUT      := .output
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS   := -O2 -g -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -I$(OUT) $(EXTRA_CFLAGS)
SANFLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDLIBS   := -lbpf -lelf -lz -lyaml -ljansson -lmnl -lnghttp2 -lhttp_parser -lssl -lcrypto
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I. -Iinclude -Ibpf

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all test unit conformance badinput bpftest demo bench clean fmt fuzz fuzz-smoke

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
# Made through a chain of pattern rules, so make would delete them as
# intermediates after each run; tests include the skeletons directly.
.SECONDARY: $(BPF_OBJS) $(SKELS)
LIB_SRCS  := $(filter-out user/cli/main.c,$(shell find user -name '*.c' | sort))
LIB_OBJS  := $(patsubst %.c,$(OUT)/rel/%.o,$(LIB_SRCS))
SAN_OBJS  := $(patsubst %.c,$(OUT)/san/%.o,$(LIB_SRCS))
HDRS      := $(shell find user include -name '*.h') bpf/lib/policy.h

HARNESS   := $(wildcard tests/lib/*.c)
# CUnit programs: unit (no privileges), proxy (HBONE over loopback TLS),
# conformance (Istio's corpus),
# badinput (hostile files), bpf (root: loads programs into this kernel)
CUNIT_DIRS := unit proxy conformance badinput bpf
TEST_BINS := $(foreach d,$(CUNIT_DIRS),$(if $(wildcard tests/$(d)/*.c),$(OUT)/tests/$(d)))

all: $(OUT)/infermesh

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/lib/*.h) $(wildcard include/infermesh/*.h) vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(OUT)/rel/%.o: %.c $(HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/san/%.o: %.c $(HDRS) $(SKELS)
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -c $< -o $@

$(OUT)/libinfermesh.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/libinfermesh-san.a: $(SAN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/infermesh: $(OUT)/rel/user/cli/main.o $(OUT)/libinfermesh.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# Test programs link the sanitized library: every suite below runs under
# AddressSanitizer and UndefinedBehaviorSanitizer.
$(OUT)/infermesh-san: user/cli/main.c $(OUT)/libinfermesh-san.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) $^ $(LDLIBS) -o $@

# One CUnit program per folder of tests/: its *.c plus the shared harness.
.SECONDEXPANSION:
$(OUT)/tests/%: $$(wildcard tests/%/*.c) $(HARNESS) tests/lib/harness.h $(OUT)/libinfermesh-san.a
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -Iuser -Itests/lib $(wildcard tests/$*/*.c) $(HARNESS) $(OUT)/libinfermesh-san.a $(LDLIBS) -lcunit -o $@

# The C side of the HBONE interop test (tests/cli/hbone_interop.sh): the
# proxy objects in tests/proxy/'s loopback world, driven from the command line.
HBONE_PEER_SRCS := tests/interop/hbone_peer.c $(wildcard tests/proxy/fix_*.c) \
	tests/lib/tls_pair.c
$(OUT)/tests/hbone-peer: $(HBONE_PEER_SRCS) $(wildcard tests/proxy/fix_*.h) tests/lib/tls_pair.h $(OUT)/libinfermesh-san.a
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -Iuser -Itests/proxy -Itests/lib $(HBONE_PEER_SRCS) $(OUT)/libinfermesh-san.a $(LDLIBS) -o $@

# Fuzzing (clang + libFuzzer): the whole loader, validation and analyzers
# built with clang's coverage instrumentation and ASan+UBSan. `make fuzz`
# runs until stopped (FUZZ_ARGS adds libFuzzer options, e.g. -jobs=4);
# `make fuzz-smoke` is the bounded run tests/cli/fuzz_smoke.sh uses. New
# inputs go to $(OUT)/fuzz-corpus; the seeds in tests/fuzz/corpus stay as is.
FUZZ_CFLAGS := -O1 -g -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -I$(OUT) \
	-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
FUZZ_OBJS := $(patsubst %.c,$(OUT)/fuzzobj/%.o,$(LIB_SRCS))
FUZZ_RUN  := -dict=tests/fuzz/yaml.dict -max_len=16384 -timeout=10 \
	-rss_limit_mb=2048 -artifact_prefix=$(OUT)/fuzz-

$(OUT)/fuzzobj/%.o: %.c $(HDRS) $(SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(OUT)/libinfermesh-fuzz.a: $(FUZZ_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/fuzz_config: tests/fuzz/fuzz_config.c $(OUT)/libinfermesh-fuzz.a
	$(call msg,FUZZER,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Iuser $^ $(LDLIBS) -o $@

fuzz: $(OUT)/fuzz_config
	$(Q)mkdir -p $(OUT)/fuzz-corpus
	$(OUT)/fuzz_config $(FUZZ_RUN) $(FUZZ_ARGS) $(OUT)/fuzz-corpus tests/fuzz/corpus

fuzz-smoke: $(OUT)/fuzz_config
	$(Q)mkdir -p $(OUT)/fuzz-corpus
	$(OUT)/fuzz_config $(FUZZ_RUN) -runs=20000 -max_total_time=30 \
		$(OUT)/fuzz-corpus tests/fuzz/corpus

test: all $(OUT)/infermesh-san $(TEST_BINS) $(OUT)/tests/hbone-peer
	@OUT=$(OUT) tests/run-all.sh

unit: $(OUT)/tests/unit
	$(OUT)/tests/unit

demo: all
	@OUT=$(OUT) tools/demo.sh

# Helpers of tools/bench-l4.sh: tools/bench/NAME.c -> $(OUT)/bench/NAME.
BENCH_BINS := $(patsubst tools/bench/%.c,$(OUT)/bench/%,$(wildcard tools/bench/*.c))

BENCH_LIB := $(wildcard tools/bench/lib/*.c)

$(OUT)/bench/%: tools/bench/%.c $(BENCH_LIB) $(wildcard tools/bench/lib/*.h) $(OUT)/libinfermesh.a
	$(call msg,BINARY,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Iuser -Itools/bench/lib $< $(BENCH_LIB) $(OUT)/libinfermesh.a $(LDLIBS) -o $@

bench: all $(BENCH_BINS)
	@OUT=$(OUT) tools/bench.sh

fmt:
	clang-format -i $(shell find user tests bpf include -name '*.[ch]')

clean:
	rm -rf $(OUT)

# The kTLS lane's test program (tests/ktls/, run by tools/ktls-lane.sh in
# Debian's stock kernel under qemu): static, OpenSSL and nghttp2 linked in,
# since the initramfs has no libraries; the static link takes only the
# library objects it uses.
LANE_SRCS := tests/ktls/lane.c tests/ktls/lane_util.c tests/lib/tls_pair.c \
	tests/lib/stream.c
LANE_HDRS := $(HDRS) $(wildcard tests/ktls/*.h) tests/lib/tls_pair.h \
	tests/lib/stream.h tests/proxy/fix_world.h
LANE_LIBS := $(OUT)/libinfermesh.a -lnghttp2 -lssl -lcrypto -lpthread

$(OUT)/ktls-lane-test: $(LANE_SRCS) $(LANE_HDRS) $(OUT)/libinfermesh.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser -Itests/lib -static $(LANE_SRCS) $(LANE_LIBS) -o $@

# The second lane program: HBONE (pool + hbone_conn, tests/proxy/'s world)
# with both ends on kTLS.
LANE_HBONE_SRCS := tests/ktls/lane_hbone.c tests/ktls/lane_util.c \
	tests/proxy/fix_world.c tests/lib/tls_pair.c

$(OUT)/ktls-lane-hbone: $(LANE_HBONE_SRCS) $(LANE_HDRS) $(OUT)/libinfermesh.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser -Itests/lib -Itests/proxy -static $(LANE_HBONE_SRCS) $(LANE_LIBS) -o $@

# The third: tests/proxy's CUnit suites, static and without sanitizers, so
# every HBONE case (hostile peers, GOAWAY, PINGs, flow control) also runs
# with kTLS on both ends; world_until's bound raised for TCG.
LANE_PROXY_SRCS := $(wildcard tests/proxy/*.c) tests/lib/harness.c \
	tests/lib/tls_pair.c

$(OUT)/ktls-lane-proxy: $(LANE_PROXY_SRCS) $(LANE_HDRS) tests/lib/harness.h $(OUT)/libinfermesh.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) -DIM_LANE -DUNTIL_MS=60000 -Iuser -Itests/lib -Itests/proxy -static $(LANE_PROXY_SRCS) $(OUT)/libinfermesh.a -lcunit -lyaml -ljansson -lbpf -lelf -lz -lnghttp2 -lssl -lcrypto -lpthread -o $@
