#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for CI and for trying scripts/slurm/ out:
#
#   bash scripts/slurm/local-cluster.sh start    writes /etc/slurm/slurm.conf for this node, a munge
#                                                key when there is none, starts munged, slurmctld and
#                                                slurmd, and waits until sinfo shows the node idle
#   bash scripts/slurm/local-cluster.sh stop     stops the three daemons it started (by their pid files)
#   bash scripts/slurm/local-cluster.sh status   sinfo, or why the cluster is not reachable
#
# Needs root and Debian's slurm-wlm and munge (apt-get install slurm-wlm munge; .ci/run installs
# them). Slurm 22.05 runs here without cgroups or systemd: proctrack/linuxproc, task/none,
# select/cons_tres (CPUs are the consumable, so array tasks share the node), no accounting
# database (so sacct is not available; squeue and `scontrol show job` are). It refuses to replace
# a slurm.conf that it did not write. Logs and state: /var/log/ckd-slurm, /var/lib/ckd-slurm.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

CONF=/etc/slurm/slurm.conf
MARK='# written by ckd scripts/slurm/local-cluster.sh'
STATE=/var/lib/ckd-slurm
LOGS=/var/log/ckd-slurm
RUN=/run/ckd-slurm
WAIT_S=${CKD_SLURM_WAIT_S:-60}

die() { echo "local-cluster: $*" >&2; exit 1; }

stop_pid() { # name pidfile
  local pid
  [ -f "$2" ] || return 0
  pid=$(cat "$2" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    echo "local-cluster: stopped $1 (pid $pid)"
  fi
  rm -f "$2"
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

write_conf() {
  local host cpus mem_mb
  host=$(hostname -s)
  cpus=$(nproc)
  # RealMemory a bit under the machine's (slurmd drains a node that has less than it says).
  mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script; not replacing it (move it away to use the local cluster)"
  fi
  mkdir -p /etc/slurm "$STATE/ctld" "$STATE/d" "$LOGS" "$RUN"
  cat > "$CONF" <<EOF
$MARK
ClusterName=ckdlocal
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
ReturnToService=2
# Finished jobs stay visible to scontrol for an hour (there is no accounting database for sacct).
MinJobAge=3600
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=60
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  echo "local-cluster: wrote $CONF (node $host, $cpus CPUs, ${mem_mb} MB)"
}

start_munge() {
  if running "$RUN/munged.pid"; then return 0; fi
  id munge >/dev/null 2>&1 || die "no munge user: install munge (apt-get install munge)"
  mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    echo "local-cluster: wrote a munge key"
  fi
  chown munge:munge /etc/munge /etc/munge/munge.key /var/lib/munge /var/log/munge /run/munge
  chmod 0700 /etc/munge /var/lib/munge /var/log/munge
  chmod 0755 /run/munge
  chmod 0400 /etc/munge/munge.key
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  for _ in $(seq 1 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
  [ -s /run/munge/munged.pid ] || die "munged did not start (see /var/log/munge/munged.log)"
  cp /run/munge/munged.pid "$RUN/munged.pid"
  munge -n | unmunge >/dev/null || die "munge does not work (see /var/log/munge/munged.log)"
  echo "local-cluster: munged running (pid $(cat "$RUN/munged.pid"))"
}

start() {
  [ "$(id -u)" = 0 ] || die "run me as root"
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null ||
    die "slurmctld, slurmd or munged missing: apt-get install slurm-wlm munge"
  write_conf
  start_munge
  running "$RUN/slurmctld.pid" || { slurmctld || die "slurmctld did not start (see $LOGS/slurmctld.log)"; }
  running "$RUN/slurmd.pid" || { slurmd || die "slurmd did not start (see $LOGS/slurmd.log)"; }
  local host state=''
  host=$(hostname -s)
  for _ in $(seq 1 $((WAIT_S * 2))); do
    state=$(sinfo -h -n "$host" -o '%t' 2>/dev/null | head -n1 || true)
    case "$state" in
      idle|mix|alloc) echo "local-cluster: node $host is $state"; sinfo; return 0 ;;
      down*|drain*) scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  die "node $host not idle after ${WAIT_S}s (state '${state}'; see $LOGS/slurmctld.log and $LOGS/slurmd.log)"
}

stop() {
  stop_pid slurmd "$RUN/slurmd.pid"
  stop_pid slurmctld "$RUN/slurmctld.pid"
  stop_pid munged "$RUN/munged.pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) sinfo || die "no cluster reachable" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
