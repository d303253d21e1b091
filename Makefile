# fern - a component manager. Plain make + pkg-config.
#
#   make                build fern, the plugins and the example programs
#   make check          the whole suite, plain and then under ASan+UBSan,
#                       and the install/out-of-tree plugin test
#   make install        PREFIX (/usr/local) and DESTDIR as usual; uninstall
#   make check-plain    the suite once, plain build
#   make check-sanitize the suite once, built with ASan+UBSan into build-san/
#   make clean
#
# O is where a build goes (default: the tree itself, so ./fern finds the
# plugins built beside it in runners/ and resolvers/).

O ?= .
PREFIX ?= /usr/local
CC ?= cc
PKGS := libuv jansson libelf
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
CHECK_CFLAGS := $(shell pkg-config --cflags check)
CHECK_LIBS := $(shell pkg-config --libs check)

# gcc only: clang (the fuzzers' compiler) has no such warning to turn off.
NO_FORMAT_TRUNCATION := $(shell $(CC) -Werror -Wno-format-truncation -E -x c /dev/null >/dev/null 2>&1 && echo -Wno-format-truncation)
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wno-missing-field-initializers $(NO_FORMAT_TRUNCATION)
CFLAGS ?= -O2 -g
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
ifeq ($(SAN),1)
  CFLAGS += $(SAN_FLAGS)
  LDFLAGS += $(SAN_FLAGS)
endif
# The fuzzers' build (make fuzz): clang, coverage for libFuzzer, ASan+UBSan.
ifeq ($(FUZZ),1)
  CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
endif
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden \
              -Iinclude $(PKG_CFLAGS) $(shell pkg-config --cflags yaml-0.1) -DFERN_PLUGINDIR='"$(PREFIX)/lib/fern/plugins"'

CORE_SRC := $(filter-out core/main.c,$(wildcard core/*.c)) $(wildcard core/proc/*.c) $(wildcard environments/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(O)/obj/%.o)
MAIN_OBJ := $(O)/obj/core/main.o

RUNNERS := elf sandbox oci slurm
RESOLVERS := file boot pkg capstan
PLUGINS := $(foreach r,$(RUNNERS),$(O)/runners/$(r)/$(r).so) \
           $(foreach r,$(RESOLVERS),$(O)/resolvers/$(r)/$(r).so)

# Example and test programs: every src/NAME.c under a package becomes
# bin/NAME in that package. They are payload, built plain and static-free.
PKG_PROG_SRC := $(wildcard examples/*/src/*.c) $(wildcard tests/packages/*/src/*.c) \
                $(wildcard tests/packages/*/subpackages/*/src/*.c)
PKG_PROGS := $(filter-out tests/packages/progs/bin/tool,\
               $(foreach s,$(PKG_PROG_SRC),$(dir $(patsubst %/,%,$(dir $(s))))bin/$(notdir $(s:.c=))))
# The test program tool: src/tool.c and its parts, one file per kind of
# behaviour.
TOOL_PARTS := $(wildcard tests/packages/progs/tool/*.c)
TOOL_DEPS := tests/packages/progs/src/tool.c $(TOOL_PARTS) \
             tests/packages/progs/tool/tool.h include/fern/lifecycle.h

TEST_PLUGIN_SRC := $(wildcard tests/plugins/*.c)
TEST_PLUGINS := $(TEST_PLUGIN_SRC:tests/plugins/%.c=$(O)/tests/plugins/%.so)
UNIT_SRC := $(wildcard tests/unit/*.c)
E2E_SRC := $(wildcard tests/e2e/*.c)

.SECONDARY:
.PHONY: all check check-plain check-sanitize check-install check-valgrind clean programs \
        install uninstall man
all: $(O)/fern $(PLUGINS) programs

programs: $(PKG_PROGS) tests/packages/progs/bin/tool tests/packages/progs/lib/libtool.so \
          tests/packages/progs/lib/osv-echo.so tests/packages/progs/bin/tool-static \
          tests/packages/progs/lib/argv-echo.so

tests/packages/progs/bin/tool: $(TOOL_DEPS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -Iinclude -o $@ $(filter %.c,$^)

# The test program, static, for container root file systems.
tests/packages/progs/bin/tool-static: $(TOOL_DEPS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -Iinclude -static -o $@ $(filter %.c,$^)

# A program built as OSv builds its applications (-fPIC -shared, with a
# main), for the ELF runner's shared_object and the Capstan tests.
tests/packages/progs/lib/osv-echo.so: tests/packages/progs/libsrc/osv_echo.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -fPIC -shared -o $@ $<

# argv_echo built -shared, as Capstan's recipes build libnode and python.
tests/packages/progs/lib/argv-echo.so: tests/packages/progs/src/argv_echo.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -fPIC -shared -o $@ $<

# A shared library inside a package, for the test that it is not a program.
tests/packages/progs/lib/libtool.so: tests/packages/progs/libsrc/libtool.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -shared -fPIC -o $@ $<

$(O)/obj/%.o: %.c $(wildcard include/fern/*.h core/*.h core/proc/*.h environments/*.h runners/*/*.h resolvers/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(O)/obj/libfern-core.a: $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(O)/fern: $(MAIN_OBJ) $(O)/obj/libfern-core.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -ldl -lpthread

RUNNER_COMMON_OBJ := $(O)/obj/runners/common/runner_common.o
# What the runners on the host's process service share (native.h).
NATIVE_OBJ := $(patsubst %.c,$(O)/obj/%.o,runners/common/native_runner.c \
                runners/common/native_program.c) $(RUNNER_COMMON_OBJ)
$(O)/runners/elf/elf.so: $(patsubst %.c,$(O)/obj/%.o,$(wildcard runners/elf/*.c)) $(NATIVE_OBJ) $(O)/runners/elf/fern-osv-main
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -o $@ $(filter %.o,$^) $(PKG_LIBS) -ldl

# Runs a -shared object's main, as OSv runs its applications; installed
# beside the ELF runner. Its DT_RPATH (not RUNPATH: the executable's RPATH
# serves the libraries of what it dlopens) is OSv's search path, "/" then
# "/usr/lib" (core/elf.cc, program::program), so an object finds the
# libraries its image keeps at its top, as libpython is in Capstan's
# python package.
$(O)/runners/elf/fern-osv-main: runners/elf/osv_main/osv_main.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $< -ldl \
	  -Wl,--disable-new-dtags,-rpath,/:/usr/lib

# The sandbox reads ELF files to find what a program loads: it builds the
# host's ELF parser (core/proc/elf_image.c, which holds no state) into its
# own object.
SANDBOX_OBJ := $(patsubst %.c,$(O)/obj/%.o,$(wildcard runners/sandbox/*.c) \
                 core/proc/elf_image.c) $(NATIVE_OBJ)
$(O)/runners/sandbox/sandbox.so: $(SANDBOX_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(shell pkg-config --libs libseccomp)

OCI_OBJ := $(patsubst %.c,$(O)/obj/%.o,$(filter-out runners/oci/shim.c runners/oci/shim_notify.c runners/oci/shim_socket.c runners/oci/init.c,$(wildcard runners/oci/*.c)) \
             core/proc/tree_remove.c core/proc/cgroup_paths.c) $(NATIVE_OBJ)
$(O)/runners/oci/oci.so: $(OCI_OBJ) $(O)/runners/oci/fern-oci-shim $(O)/runners/oci/fern-oci-init
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -o $@ $(OCI_OBJ) $(PKG_LIBS)

SLURM_OBJ := $(patsubst %.c,$(O)/obj/%.o,$(wildcard runners/slurm/*.c) runners/common/runner_common.c)
$(O)/runners/slurm/slurm.so: $(SLURM_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# PID 1 of each container, static: it runs inside the container.
$(O)/runners/oci/fern-oci-init: runners/oci/init.c runners/oci/init_args.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -static -o $@ $<

# The shim is a plain program: it runs in each container's job.
$(O)/runners/oci/fern-oci-shim: runners/oci/shim.c runners/oci/shim_notify.c runners/oci/shim_notify.h \
                               runners/oci/shim_socket.c runners/oci/shim_socket.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $(filter %.c,$^)

# Capstan packages: YAML read with libyaml.
YAML_CFLAGS := $(shell pkg-config --cflags yaml-0.1)
YAML_LIBS := $(shell pkg-config --libs yaml-0.1)
# It resolves paths inside an image as the ELF runner does
# (core/proc/in_root.c, which holds no state).
CAPSTAN_OBJ := $(patsubst %.c,$(O)/obj/%.o,$(wildcard resolvers/capstan/*.c) \
                 core/proc/in_root.c core/proc/tree_remove.c)
$(O)/resolvers/capstan/capstan.so: $(CAPSTAN_OBJ) $(O)/obj/resolvers/common/package_dir.o
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(YAML_LIBS)

$(O)/resolvers/%.so: $(O)/obj/resolvers/%.o $(O)/obj/resolvers/common/package_dir.o
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Package programs: examples/hello/src/greeter.c -> examples/hello/bin/greeter
.SECONDEXPANSION:
$(PKG_PROGS): %: $$(subst /bin/,/src/,$$@).c include/fern/fern.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -Iinclude -o $@ $< $(PROG_LIBS)

# A daemon built on libsystemd's sd_listen_fds_with_names(), as one
# written for a systemd .socket unit is.
tests/packages/progs/bin/sd-echo: PROG_LIBS = $(shell pkg-config --libs libsystemd)
# Reads its structured configuration as a program written for fern does.
tests/packages/progs/bin/config_example: PROG_LIBS = $(shell pkg-config --libs jansson)

$(O)/tests/plugins/%.so: tests/plugins/%.c tests/plugins/good.c tests/plugins/spawner.c $(wildcard include/fern/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -o $@ $< $(LDFLAGS)

# The thread-local fixture's point is its layout (.tbss over the entry
# struct), which sanitizer flags would move: it is built plain everywhere.
$(O)/tests/plugins/tls.so: tests/plugins/tls.c tests/plugins/good.c include/fern/runner.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -g -fPIC -fvisibility=hidden -Iinclude $(PKG_CFLAGS) -shared -o $@ $<

# Runner and resolver pieces the unit tests read directly.
UNIT_RUNNER_SRC := runners/oci/oci_config.c runners/oci/oci_seccomp.c runners/slurm/slurm_state.c \
                   runners/slurm/slurm_usage.c \
                   runners/sandbox/sandbox_ldcache.c \
                   resolvers/capstan/capstan_cmdline.c resolvers/capstan/capstan_env.c
$(O)/tests/unit/run: $(UNIT_SRC) tests/unit/unit.h $(UNIT_RUNNER_SRC) $(wildcard runners/*/*.h) $(wildcard resolvers/capstan/*.h) $(O)/obj/libfern-core.a $(TEST_PLUGINS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(LDFLAGS) -Icore -o $@ $(UNIT_SRC) \
	  $(UNIT_RUNNER_SRC) \
	  $(O)/obj/libfern-core.a $(PKG_LIBS) $(CHECK_LIBS) -ldl -lpthread

# The e2e harness finds fern's cgroups where fern puts them: it builds
# core/proc/cgroup_paths.c (stateless) into itself.
$(O)/tests/e2e/run: $(E2E_SRC) $(wildcard tests/e2e/*.h) core/proc/cgroup_paths.c core/proc/cgroup_paths.h $(TEST_PLUGINS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(LDFLAGS) -o $@ $(E2E_SRC) \
	  core/proc/cgroup_paths.c $(PKG_LIBS) $(CHECK_LIBS) -lpthread

CONFORMANCE_SRC := $(wildcard tests/conformance/*.c) tests/e2e/harness.c tests/e2e/harness_package.c \
                   tests/e2e/event_asserts.c tests/e2e/control_run.c core/proc/cgroup_paths.c
$(O)/tests/conformance/run: $(CONFORMANCE_SRC) tests/conformance/conformance.h tests/e2e/e2e.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(LDFLAGS) -o $@ $(CONFORMANCE_SRC) \
	  $(PKG_LIBS) $(CHECK_LIBS) -lpthread

SLURM_TEST_SRC := $(wildcard tests/slurm/*.c)
SLURM_TEST_HARNESS := tests/e2e/harness.c tests/e2e/harness_package.c \
  tests/e2e/control_client.c tests/e2e/control_run.c tests/e2e/event_asserts.c \
  core/proc/cgroup_paths.c
$(O)/tests/slurm/run: $(SLURM_TEST_SRC) $(SLURM_TEST_HARNESS) tests/slurm/slurm_e2e.h tests/e2e/e2e.h \
  tests/e2e/control_client.h tests/e2e/control_run.h tests/e2e/event_asserts.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(LDFLAGS) -o $@ \
	  $(SLURM_TEST_SRC) $(SLURM_TEST_HARNESS) $(PKG_LIBS) $(CHECK_LIBS) -lpthread

TEST_BINS := $(O)/fern $(PLUGINS) $(TEST_PLUGINS) $(O)/tests/unit/run \
             $(O)/tests/e2e/run $(O)/tests/conformance/run $(O)/tests/slurm/run

# The runner conformance suite on any runner plugin:
#   make conformance RUNNER=path/to/x.so [TEMPLATE=program.json]
#                    [RUNNER_CONFIG=config.json] [FILES="dest=src;..."]
#                    [FERN=/usr/local/bin/fern]
# FILES go into each test package (a script runner's script); FERN runs an
# installed fern instead of this build's.
RUNNER ?=
TEMPLATE ?=
RUNNER_CONFIG ?=
FILES ?=
FERN ?=
.PHONY: conformance
conformance: all $(O)/tests/conformance/run $(TEST_PLUGINS)
	@test -n "$(RUNNER)" || { echo "usage: make conformance RUNNER=path/to/runner.so"; exit 2; }
	FERN_BUILD=$(abspath $(O)) FERN_CONFORMANCE_RUNNER=$(RUNNER) \
	  FERN_CONFORMANCE_TEMPLATE=$(TEMPLATE) FERN_CONFORMANCE_CONFIG=$(RUNNER_CONFIG) \
	  FERN_CONFORMANCE_FILES="$(FILES)" FERN_BINARY=$(FERN) \
	  $(O)/tests/conformance/run

# The runners fern ships, the mock and a script runner on libuv alone
# through the same suite, then the deliberately broken runners, each of
# which must fail the case that catches its mistake (run-all.sh). The
# sanitizer pass leaves out the broken runners and the spawner they are
# made from (they test the suite, not fern), and the Slurm runner's
# conformance runs (its own suite still runs there).
CONFORMANCE_BROKEN ?= yes
CONFORMANCE_SUBJECTS ?= elf sandbox oci oci-crun mock spawner script
SLURM_CONFORMANCE ?= yes

# The builds a check needs run on every CPU (the tests after them, one at
# a time: they share cgroups, a Slurm cluster and control sockets).
NPROC := $(shell nproc 2>/dev/null || echo 2)
.PHONY: check-build
check-build:
	$(MAKE) -j$(NPROC) all $(TEST_BINS)

check-plain: check-build
	FERN_BUILD=$(abspath $(O)) $(O)/tests/unit/run
	FERN_BUILD=$(abspath $(O)) $(O)/tests/e2e/run
	CONFORMANCE_BROKEN=$(CONFORMANCE_BROKEN) CONFORMANCE_SUBJECTS="$(CONFORMANCE_SUBJECTS)" \
	  tests/conformance/run-all.sh $(abspath $(O))
	SLURM_CONFORMANCE=$(SLURM_CONFORMANCE) tests/slurm/run.sh $(abspath $(O))

check-sanitize: programs
	$(MAKE) O=build-san SAN=1 CONFORMANCE_BROKEN=no SLURM_CONFORMANCE=no \
	  CONFORMANCE_SUBJECTS="elf sandbox oci oci-crun mock script" check-plain

# The suite under valgrind memcheck: the unit tests in one process, and
# every fern the end-to-end suite, the conformance suite (ELF and mock
# runners; the sandbox's seccomp and the OCI runtime do not run under
# valgrind) and the Slurm runner's suites start, each writing its report to
# $(O)/valgrind/fern-PID.log (the children fern forks log too); an error
# in any log, or a definite leak in a fern's own log (main-logs), fails the
# target. Slow: not part of make check.
VALGRIND := valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite --suppressions=$(abspath tests/valgrind.supp)
check-valgrind: all $(TEST_BINS)
	rm -rf $(O)/valgrind && mkdir -p $(O)/valgrind
	CK_FORK=no FERN_BUILD=$(abspath $(O)) $(VALGRIND) --error-exitcode=99 \
	  $(O)/tests/unit/run
	FERN_BUILD=$(abspath $(O)) FERN_E2E_VALGRIND_DIR=$(abspath $(O))/valgrind \
	  FERN_SOURCE=$(abspath .) CK_TIMEOUT_MULTIPLIER=4 $(O)/tests/e2e/run
	CONFORMANCE_SUBJECTS="elf mock" CONFORMANCE_BROKEN=no \
	  FERN_E2E_VALGRIND_DIR=$(abspath $(O))/valgrind FERN_SOURCE=$(abspath .) \
	  CK_TIMEOUT_MULTIPLIER=4 tests/conformance/run-all.sh $(abspath $(O))
	FERN_E2E_VALGRIND_DIR=$(abspath $(O))/valgrind FERN_SOURCE=$(abspath .) \
	  CK_TIMEOUT_MULTIPLIER=4 tests/slurm/run.sh $(abspath $(O))
	@cd $(O)/valgrind && \
	bad=$$( { grep -lE '== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched)' fern-*.log; \
	          grep -l 'definitely lost' $$(cat main-logs); } | sort -u); \
	runs=$$(wc -l < main-logs); logs=$$(ls fern-*.log | wc -l); \
	if [ -n "$$bad" ]; then cat $$bad; \
	  echo "valgrind: errors in $$(echo "$$bad" | wc -l) of $$logs logs"; exit 1; \
	else echo "valgrind: $$runs fern runs ($$logs logs with the children they forked), no error, no definite leak in fern"; fi

# A plugin author's path: install to a staging directory, build the
# skeletons in examples/ against it, boot a tree with them, uninstall.
check-install: all $(O)/tests/conformance/run $(TEST_PLUGINS)
	tests/install/run.sh $(O)

check: check-plain check-sanitize check-install check-bench check-fuzz

# The benchmark (bench/README.md): fern against posix_spawn and s6. Every
# figure is a ratio against a baseline run in the same command.
BENCH_BINS := $(O)/bench/bench $(O)/bench/spawn_baseline $(O)/bench/tiny
BENCH_N ?= 1000,10000
BENCH_S6 ?= 1000
BENCH_REPEAT ?= 3
$(O)/bench/bench: bench/bench.c bench/bench_run.c bench/bench_tree.c bench/bench_s6.c bench/bench_routes.c bench/bench_json5.c bench/bench_oci.c bench/bench_logs.c core/json5.c core/json5_lex.c core/json5.h core/json5_parser.h bench/bench.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 $(PKG_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS)
$(O)/bench/spawn_baseline: bench/spawn_baseline.c bench/baseline_cgroup.c bench/baseline_cgroup.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -o $@ $(filter %.c,$^)
# Static, so that its start costs the same under fern, the baseline and s6.
$(O)/bench/tiny: bench/tiny.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -static -o $@ $<

# Fuzzing (fuzz/README.md): libFuzzer harnesses, each run for FUZZ_SECONDS
# from its seed corpus in fuzz/corpus/NAME (new inputs go to build-fuzz/),
# after replaying every kept crasher in fuzz/regressions/NAME.
FUZZERS := manifest json5 url elf capstan control
FUZZ_SECONDS ?= 60
FUZZ_LINK := -fsanitize=fuzzer,address,undefined
FUZZ_DEPS_elf := $(patsubst %.c,$(O)/obj/%.o,\
                   runners/sandbox/sandbox_libs.c runners/sandbox/sandbox_search.c \
                   runners/sandbox/sandbox_ldcache.c runners/sandbox/sandbox_binds.c)
FUZZ_DEPS_capstan := $(patsubst resolvers/capstan/%.c,$(O)/obj/resolvers/capstan/%.o,$(filter-out resolvers/capstan/capstan.c,$(wildcard resolvers/capstan/*.c))) \
                     $(O)/obj/resolvers/common/package_dir.o
$(O)/fuzz/%: fuzz/fuzz_%.c $(O)/obj/libfern-core.a $(FUZZ_DEPS_elf) $(FUZZ_DEPS_capstan) $(O)/resolvers/file/file.so
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(FUZZ_LINK) -DFUZZ_PLUGIN_DIR='"$(abspath $(O))/resolvers/file"' \
	  -o $@ $< $(FUZZ_DEPS_$*) \
	  $(O)/obj/libfern-core.a $(PKG_LIBS) $(YAML_LIBS) -ldl -lpthread

.PHONY: fuzz fuzz-run check-fuzz
fuzz:
	$(MAKE) -j$(NPROC) O=build-fuzz CC=clang FUZZ=1 fuzz-build
	$(MAKE) O=build-fuzz CC=clang FUZZ=1 fuzz-run

.PHONY: fuzz-build
fuzz-build: $(foreach f,$(FUZZERS),$(O)/fuzz/$(f))

fuzz-run: $(foreach f,$(FUZZERS),$(O)/fuzz/$(f))
	@for f in $(FUZZERS); do \
	  mkdir -p $(O)/fuzz-corpus/$$f $(O)/fuzz-crashes; \
	  if ls fuzz/regressions/$$f/* >/dev/null 2>&1; then \
	    $(O)/fuzz/$$f fuzz/regressions/$$f/* 2>&1 | tail -1 || exit 1; fi; \
	  echo "fuzz $$f: $(FUZZ_SECONDS) s"; \
	  $(O)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(O)/fuzz-crashes/$$f- \
	    $(O)/fuzz-corpus/$$f fuzz/corpus/$$f 2>&1 | \
	    grep -E "^(stat::number_of_executed_units|stat::new_units_added|Done|==[0-9]+==ERROR|SUMMARY)" \
	    || true; \
	  if ls $(O)/fuzz-crashes/$$f-* >/dev/null 2>&1; then \
	    echo "fuzz $$f: CRASH, see $(O)/fuzz-crashes"; exit 1; fi; \
	done

# CI: a short smoke of each fuzzer.
check-fuzz:
	$(MAKE) fuzz FUZZ_SECONDS=2

.PHONY: bench check-bench
bench: all $(BENCH_BINS)
	$(O)/bench/bench --n $(BENCH_N) --s6 $(BENCH_S6) --repeat $(BENCH_REPEAT) \
	  --json bench/results.json \
	  $(O)/fern $(O)/bench/spawn_baseline $(O)/bench/tiny

# CI proves the benchmark runs, at a small N; its times mean nothing there.
check-bench: all $(BENCH_BINS)
	$(O)/bench/bench --n 50 --s6 50 --repeat 1 --json $(O)/bench/smoke.json \
	  $(O)/fern $(O)/bench/spawn_baseline $(O)/bench/tiny

# Installing: the binary, the plugins (with the OCI runner's shim and init)
# in the directory an installed fern searches, the public headers and
# fern.pc, so that an out-of-tree plugin builds with
#   cc -shared -fPIC $(pkg-config --cflags fern) x.c -o x.so
DESTDIR ?=
VERSION := $(shell sed -n 's/.*FERN_VERSION_STRING "\(.*\)"/\1/p' include/fern/fern.h)
PLUGINDIR := $(PREFIX)/lib/fern/plugins
INSTALLED = $(DESTDIR)$(PREFIX)/bin/fern \
  $(foreach p,$(RUNNERS) $(RESOLVERS),$(DESTDIR)$(PLUGINDIR)/$(p).so) \
  $(DESTDIR)$(PLUGINDIR)/fern-oci-shim $(DESTDIR)$(PLUGINDIR)/fern-oci-init \
  $(DESTDIR)$(PLUGINDIR)/fern-osv-main \
  $(patsubst include/fern/%,$(DESTDIR)$(PREFIX)/include/fern/%,$(wildcard include/fern/*.h)) \
  $(DESTDIR)$(PREFIX)/lib/pkgconfig/fern.pc \
  $(foreach m,$(MANPAGES),$(DESTDIR)$(PREFIX)/share/man/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))

# Man pages: the plugin pages' examples are the skeletons themselves.
# The man pages are made from the docs pages they say the same as
# (man/md2man.awk), so that nothing is written twice.
MANPAGES := $(O)/man/fern.1 $(O)/man/fern-manifest.5 $(O)/man/fern-runner.3 \
            $(O)/man/fern-resolver.3
MAN_SUMMARY_fern := a component manager: boot, inspect and steer a tree of components
MAN_SUMMARY_fern-manifest := the component manifest, URLs and the root environment
MAN_SUMMARY_fern-runner := writing a runner plugin for fern
MAN_SUMMARY_fern-resolver := writing a resolver plugin for fern
MAN_DOC_fern := docs/commands.md docs/control.md
MAN_DOC_fern-manifest := docs/manifests.md docs/urls-and-packages.md docs/environments.md
MAN_DOC_fern-runner := docs/runner-plugins.md
MAN_DOC_fern-resolver := docs/resolver-plugins.md
man: $(MANPAGES)
$(MANPAGES): $(O)/man/%: man/md2man.awk docs/commands.md docs/manifests.md \
             docs/control.md docs/urls-and-packages.md docs/environments.md \
             docs/runner-plugins.md docs/resolver-plugins.md \
             examples/runner-skeleton/hello_runner.c \
             examples/resolver-skeleton/memo_resolver.c include/fern/fern.h
	@mkdir -p $(dir $@)
	awk -v name=$(basename $*) -v section=$(subst .,,$(suffix $*)) \
	  -v version=$(VERSION) -v summary="$(MAN_SUMMARY_$(basename $*))" -v root=. \
	  -f man/md2man.awk $(MAN_DOC_$(basename $*)) > $@

install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PLUGINDIR) \
	  $(DESTDIR)$(PREFIX)/include/fern $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(O)/fern $(DESTDIR)$(PREFIX)/bin/fern
	install -m 755 $(PLUGINS) $(O)/runners/oci/fern-oci-shim \
	  $(O)/runners/oci/fern-oci-init $(O)/runners/elf/fern-osv-main \
	  $(DESTDIR)$(PLUGINDIR)/
	install -m 644 include/fern/*.h $(DESTDIR)$(PREFIX)/include/fern/
	sed -e 's|@VERSION@|$(VERSION)|' fern.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/fern.pc
	for m in $(MANPAGES); do \
	  s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
	  install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; \
	done

uninstall:
	rm -f $(INSTALLED)
	-rmdir $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(PREFIX)/lib/fern \
	  $(DESTDIR)$(PREFIX)/include/fern 2>/dev/null

clean:
	rm -rf obj build-san fern runners/*/*.so resolvers/*/*.so tests/unit/run \
	  runners/oci/fern-oci-shim runners/oci/fern-oci-init runners/elf/fern-osv-main man/*.[135] \
	  tests/e2e/run tests/conformance/run tests/plugins/*.so $(PKG_PROGS) tests/packages/progs/bin/tool \
	  tests/packages/progs/lib tests/packages/progs/bin/tool-static \
	  bench/bench bench/spawn_baseline bench/tiny bench/smoke.json build-fuzz
