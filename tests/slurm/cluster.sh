#!/bin/sh
# cluster.sh - a one-node Slurm cluster on localhost in a private
# directory, for the Slurm runner's tests (issue 9): its own munge key and
# socket, its own ports, batch jobs scheduled at once, and accounting as
# a real cluster keeps it: slurmdbd over a MariaDB server of its own
# (private data directory; no grant tables, so it listens on no port,
# only on a socket in DIR, which mktemp -d made 0700),
# jobacct_gather/linux sampling each second.
#
#   tests/slurm/cluster.sh start DIR     start munged, slurmctld, slurmd;
#                                        wait until the node is idle
#   tests/slurm/cluster.sh stop DIR      stop the daemons it started (pids)
#   tests/slurm/cluster.sh selftest DIR  start, run an srun and an sbatch
#                                        job, stop
#   tests/slurm/cluster.sh stop-controller DIR / start-controller DIR
#                                        the controller alone (the tests of
#                                        a controller that goes away)
#   tests/slurm/cluster.sh stop-dbd DIR / start-dbd DIR
#                                        slurmdbd alone (an accounting
#                                        that does not answer)
#
# FERN_SLURM_PORT (6917) picks the controller's port; the node's and
# slurmdbd's are the next two; FERN_SLURM_CPUS declares more CPUs than the machine has
# (config_overrides), so that many small jobs run at once as they would
# on a real cluster.
#
# Clients use it with SLURM_CONF=DIR/slurm.conf; DIR/slurm-noacct.conf is
# the same cluster as a client that is told it keeps no accounting. Needs
# Debian's munge, slurmctld, slurmd, slurm-client, slurmdbd and
# mariadb-server; run as root.
set -eu

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|selftest|stop-controller|start-controller|stop-dbd|start-dbd DIR" >&2; exit 2; }

port=${FERN_SLURM_PORT:-6917}
dbd_port=$((port + 2))

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
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$dbd_port
AccountingStoragePass=$dir/munge/munge.socket
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobCompType=jobcomp/none
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MpiDefault=none
ReturnToService=2
KillWait=2
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs=${FERN_SLURM_CPUS:-$(nproc)} RealMemory=4096 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  sed 's#^AccountingStorageType=.*#AccountingStorageType=accounting_storage/none#' \
    "$dir/slurm.conf" >"$dir/slurm-noacct.conf"
  # slurmdbd reads slurmdbd.conf beside SLURM_CONF, and wants it private.
  cat >"$dir/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
DbdHost=localhost
DbdPort=$dbd_port
SlurmUser=root
PidFile=$dir/slurmdbd.pid
LogFile=$dir/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=root
StorageLoc=fern_acct
EOF
  chmod 600 "$dir/slurmdbd.conf"
}

db_answers() { mariadb --no-defaults -S "$dir/db.sock" -u root -e 'select 1'; }
dbd_answers() { sacctmgr -n list cluster; }

# MariaDB, then slurmdbd, then the cluster's record, before slurmctld:
# a controller that finds no database at its first start will not run.
start_accounting() {
  [ -d "$dir/db" ] || mariadb-install-db --no-defaults --user=root \
    --datadir="$dir/db" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/db-install.log" 2>&1 ||
    { echo "cluster.sh: mariadb-install-db failed; see $dir/db-install.log" >&2; exit 1; }
  mariadbd --no-defaults --user=root --datadir="$dir/db" \
    --socket="$dir/db.sock" --skip-networking \
    --pid-file="$dir/db.pid" --log-error="$dir/db.log" \
    --skip-grant-tables --innodb-buffer-pool-size=16M >/dev/null 2>&1 &
  echo $! >"$dir/db.pid" # known to stop even if it never answers
  wait_until db_answers || { echo "cluster.sh: MariaDB does not answer; see $dir/db.log" >&2; exit 1; }
  start_dbd
  # Once per data directory: sacctmgr fails to add what exists.
  sacctmgr -n -P list cluster format=cluster | grep -qx fern ||
    sacctmgr -i add cluster fern >/dev/null
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
  start_accounting
  slurmctld -f "$SLURM_CONF"
  slurmd -N localhost -f "$SLURM_CONF"
  wait_until node_idle || { echo "cluster.sh: the node never became idle; see $dir/*.log" >&2; exit 1; }
  echo "SLURM_CONF=$SLURM_CONF"
}

# Whether a daemon has ended. It is no child of ours: a zombie waits for
# whichever process reaps orphans here, which may take seconds.
gone() { [ ! -r "/proc/$1/stat" ] || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]; }

queue_empty() { ! SLURM_CONF="$dir/slurm.conf" squeue -h 2>/dev/null | grep -q .; }

stop() {
  # Jobs first: a job step's slurmstepd outlives slurmd, and with it the
  # job's processes, if the daemons go while it runs.
  if [ -f "$dir/slurmctld.pid" ] && controller_answers; then
    SLURM_CONF="$dir/slurm.conf" scancel --user="$(id -un)" 2>/dev/null || true
    wait_until queue_empty || echo "cluster.sh: jobs still listed in $dir" >&2
  fi
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/slurmdbd.pid" \
    "$dir/db.pid" "$dir/munge/munged.pid"; do
    stop_pidfile "$pidfile"
  done
}

# The daemon a pid file names: TERM, KILL if it outlasts the wait.
stop_pidfile() {
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  wait_until gone "$pid" || kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}

# The controller alone, for the tests of a controller that goes away.
stop_controller() {
  pid=$(cat "$dir/slurmctld.pid")
  kill "$pid"
  wait_until gone "$pid" || kill -9 "$pid" 2>/dev/null || true
}

controller_answers() { SLURM_CONF="$dir/slurm.conf" squeue -h >/dev/null 2>&1; }

start_controller() {
  slurmctld -f "$dir/slurm.conf"
  wait_until controller_answers || { echo "cluster.sh: slurmctld does not answer; see $dir/slurmctld.log" >&2; exit 1; }
}

stop_dbd() { stop_pidfile "$dir/slurmdbd.pid"; }

# slurmdbd reaches MariaDB by its socket (MYSQL_UNIX_PORT, read by the
# client library for "localhost").
start_dbd() {
  export SLURM_CONF="$dir/slurm.conf"
  MYSQL_UNIX_PORT="$dir/db.sock" slurmdbd
  wait_until dbd_answers ||
    { echo "cluster.sh: slurmdbd does not answer; see $dir/slurmdbd.log" >&2; exit 1; }
}

selftest() {
  trap stop EXIT
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
stop-dbd) stop_dbd ;;
start-dbd) start_dbd ;;
selftest) selftest ;;
*) echo "usage: $0 start|stop|selftest|stop-controller|start-controller|stop-dbd|start-dbd DIR" >&2; exit 2 ;;
esac
