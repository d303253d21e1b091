#!/bin/sh
# cluster.sh - a one-node Slurm cluster on localhost in a private
# directory, for the Slurm runner's tests (issue 9): its own munge key and
# socket, its own ports, no accounting, batch jobs scheduled at once.
#
#   tests/slurm/cluster.sh start DIR     start munged, slurmctld, slurmd;
#                                        wait until the node is idle
#   tests/slurm/cluster.sh stop DIR      stop the daemons it started (pids)
#   tests/slurm/cluster.sh selftest DIR  start, run an srun and an sbatch
#                                        job, stop
#   tests/slurm/cluster.sh stop-controller DIR / start-controller DIR
#                                        the controller alone (the tests of
#                                        a controller that goes away)
#
# FERN_SLURM_PORT (6917) picks the controller's port, the node's is the
# next; FERN_SLURM_CPUS declares more CPUs than the machine has
# (config_overrides), so that many small jobs run at once as they would
# on a real cluster.
#
# Clients use it with SLURM_CONF=DIR/slurm.conf. Needs Debian's munge,
# slurmctld, slurmd and slurm-client; run as root.
set -eu

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|selftest|stop-controller|start-controller DIR" >&2; exit 2; }

write_conf() {
  cat >"$dir/slurm.conf" <<EOF
ClusterName=fern
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldPort=${FERN_SLURM_PORT:-6917}
SlurmdPort=$(( ${FERN_SLURM_PORT:-6917} + 1 ))
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MpiDefault=none
ReturnToService=2
KillWait=2
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs=${FERN_SLURM_CPUS:-$(nproc)} RealMemory=4096 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

# Waits up to 30 s for "$@" to succeed.
wait_until() {
  i=0
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -le 300 ] || return 1
    sleep 0.1
  done
}

node_idle() { sinfo -h -n localhost -o %t | grep -q '^idle'; }

start() {
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
  chmod 700 "$dir/munge"
  [ -f "$dir/munge/munge.key" ] || {
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
    chmod 400 "$dir/munge/munge.key"
  }
  munged --force --socket="$dir/munge/munge.socket" \
    --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
  write_conf
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -f "$SLURM_CONF"
  slurmd -N localhost -f "$SLURM_CONF"
  wait_until node_idle || { echo "cluster.sh: the node never became idle; see $dir/*.log" >&2; exit 1; }
  echo "SLURM_CONF=$SLURM_CONF"
}

queue_empty() { ! SLURM_CONF="$dir/slurm.conf" squeue -h 2>/dev/null | grep -q .; }

stop() {
  # Jobs first: a job step's slurmstepd outlives slurmd, and with it the
  # job's processes, if the daemons go while it runs.
  if [ -f "$dir/slurmctld.pid" ] && controller_answers; then
    SLURM_CONF="$dir/slurm.conf" scancel --user="$(id -un)" 2>/dev/null || true
    wait_until queue_empty || echo "cluster.sh: jobs still listed in $dir" >&2
  fi
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    wait_until sh -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

# The controller alone, for the tests of a controller that goes away.
stop_controller() {
  pid=$(cat "$dir/slurmctld.pid")
  kill "$pid"
  wait_until sh -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
}

controller_answers() { SLURM_CONF="$dir/slurm.conf" squeue -h >/dev/null 2>&1; }

start_controller() {
  slurmctld -f "$dir/slurm.conf"
  wait_until controller_answers || { echo "cluster.sh: slurmctld does not answer; see $dir/slurmctld.log" >&2; exit 1; }
}

selftest() {
  start
  export SLURM_CONF="$dir/slurm.conf"
  out=$(srun -N1 -n1 echo srun-ok)
  [ "$out" = srun-ok ] || { echo "cluster.sh: srun said: $out" >&2; stop; exit 1; }
  id=$(sbatch --parsable -o "$dir/job-%j.out" --wrap 'echo sbatch-ok')
  wait_until sh -c "scontrol show job $id | grep -q 'JobState=COMPLETED'" ||
    { echo "cluster.sh: batch job $id did not complete" >&2; stop; exit 1; }
  grep -q sbatch-ok "$dir/job-$id.out"
  stop
  echo "cluster.sh: srun and sbatch ran on the one-node cluster in $dir"
}

case "$cmd" in
start) start ;;
stop) stop ;;
stop-controller) stop_controller ;;
start-controller) start_controller ;;
selftest) selftest ;;
*) echo "usage: $0 start|stop|selftest|stop-controller|start-controller DIR" >&2; exit 2 ;;
esac
