#!/bin/sh
# run-all.sh BUILD: the runner conformance suite on every runner fern ships,
# on the mock runner, and on a script runner written on libuv alone
# (tests/plugins/spawner.c, the subject an outside author's runner is),
# and the same runner on the host's process service (tests/plugins/script.c);
# then on each deliberately broken runner (tests/plugins/broken_*.c: the
# spawner with one mistake), which must fail the case that catches its
# mistake. Each subject leaves out what its semantics cannot do, saying
# why (FERN_CONFORMANCE_SKIP).
#   CONFORMANCE_SUBJECTS="elf mock"  only these subjects (default: all)
#   CONFORMANCE_BROKEN=no            leave out the broken runners
set -u
build=$1
only=${CONFORMANCE_SUBJECTS:-elf sandbox oci oci-crun mock spawner script}
suite="$build/tests/conformance/run"
failed=0

wanted() { case " $only " in *" $1 "*) return 0 ;; esac; return 1; }

# run NAME ARGS...: the subject, if wanted; a failure is remembered.
run() {
  wanted "$1" || return 0
  subject "$@" || failed=1
}

subject() { # subject NAME PLUGIN SKIP [TEMPLATE [FILES]]
  echo "conformance: $1"
  FERN_BUILD="$build" FERN_CONFORMANCE_RUNNER="$2" FERN_CONFORMANCE_SKIP="$3" \
    FERN_CONFORMANCE_TEMPLATE="${4:-}" FERN_CONFORMANCE_FILES="${5:-}" \
    "$suite"
}

script_skip="no_process_left_behind=a process group cannot hold what calls setsid() (the same runner on the host's process service, tests/plugins/script.c, can);stop_while_starting=its programs leave setsid() orphans a process group cannot hold"
script_template=tests/conformance/script-template.json
script_files="tool.sh=tests/conformance/tool.sh"
no_process="the mock runner runs no program"

run elf "$build/runners/elf/elf.so" ""
run sandbox "$build/runners/sandbox/sandbox.so" \
  "the_reported_pid_is_the_programs=it reports bubblewrap's pid: the program is bubblewrap's grandchild in a pid namespace of its own, and --info-fd names only bubblewrap's init there (known: to be found in the job once it has run)"
run oci "$build/runners/oci/oci.so" \
  "the_reported_pid_is_the_programs=it reports its shim's pid: the program is the container's init's child (known: as the sandbox's);output_waits_for_a_slow_log_reader=the program's writes to the container's stdout never block when fern stops reading it (known: not yet understood)" \
  tests/conformance/oci-template.json
# The same runner with crun, which needs fern's workaround on a host with
# hybrid cgroups (runners/oci/shim.c, --hide-unified-controllers).
run oci-crun "$build/runners/oci/oci.so" \
  "the_reported_pid_is_the_programs=it reports its shim's pid: the program is the container's init's child (known: as the sandbox's);output_waits_for_a_slow_log_reader=the program's writes to the container's stdout never block when fern stops reading it (known: not yet understood)" \
  tests/conformance/oci-crun-template.json
run mock "$build/tests/plugins/mock.so" \
  "a_flood_arrives_whole_in_bounded_memory=$no_process;output_waits_for_a_slow_log_reader=$no_process;a_last_line_without_newline_arrives=$no_process;the_reported_pid_is_the_programs=$no_process;sigterm_reaches_the_whole_job=$no_process"
run spawner "$build/tests/plugins/spawner.so" "$script_skip" \
  "$script_template" "$script_files"
# The same script runner on the host's process service: nothing left out.
run script "$build/tests/plugins/script.so" "" \
  "$script_template" "$script_files"

# broken NAME CASE: the broken runner fails CASE. Only CASE runs
# (FERN_CONFORMANCE_ONLY): each broken runner is the spawner, which passes
# every case, with one mistake, and the whole suite seven more times cost
# a minute of every make check.
broken() {
  # Its case fails, and a failed case cannot remove its events file: the
  # run keeps them in a directory of its own, removed here.
  tmp=$(mktemp -d /tmp/fern-broken-XXXXXX)
  out=$(FERN_E2E_TMP=$tmp FERN_CONFORMANCE_ONLY=$2 subject "$1" \
          "$build/tests/plugins/$1.so" \
          "$script_skip" "$script_template" "$script_files" 2>&1)
  rm -rf "$tmp"
  got=$(printf '%s\n' "$out" | sed -n 's/.*:[FE]:runner:test_\([a-z0-9_]*\):.*/\1/p' | sort -u | tr '\n' ' ')
  case " $got" in
    *" $2 "*) echo "conformance: $1 fails $2, as it must" ;;
    *) echo "FAILED: $1 passed \"$2\", the case that must catch it:"
       printf '%s\n' "$out" | tail -20
       failed=1 ;;
  esac
}

if [ "${CONFORMANCE_BROKEN:-yes}" = no ]; then exit $failed; fi
broken broken_drop_last_line a_last_line_without_newline_arrives
broken broken_no_drain output_waits_for_a_slow_log_reader
broken broken_validate_anything check_names_a_bad_program_block
broken broken_blocks starting_a_hundred_never_blocks_the_loop
broken broken_pid0 the_reported_pid_is_the_programs
broken broken_term_main_only sigterm_reaches_the_whole_job
broken broken_early_stop_fails a_stop_and_a_kill_before_started
exit $failed
