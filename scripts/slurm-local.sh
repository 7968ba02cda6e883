#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying `gaf-lab sweep --slurm` and for the tests
# (test/slurm-sweep.test.ts):
#
#   bash scripts/slurm-local.sh start    # munge + slurmctld + slurmd; prints the SLURM_CONF line
#   bash scripts/slurm-local.sh status   # whether the daemons run and what sinfo says
#   bash scripts/slurm-local.sh env      # only `export SLURM_CONF=...` (eval "$(... env)")
#   bash scripts/slurm-local.sh stop     # stops the daemons it started and removes its folder
#
# Needs root and the Debian packages slurmctld, slurmd, slurm-client and munge
# (scripts/setup.sh installs them). The cluster: this host as its only node with its real CPU
# count (nproc) and memory, one partition `debug` (default, no time limit), SlurmUser=root,
# ProctrackType=proctrack/linuxproc and TaskPlugin=task/none (no cgroups needed),
# SelectType=select/cons_tres, accounting off (so `sacct` does not work: gaf-lab sweep status
# says so and falls back to squeue and the sweep's own records), MinJobAge=10 (squeue forgets a
# finished job after about 10 s), and a requeued job may start again after 5 s instead of Slurm's
# default 120 s (AuthInfo=cred_expire; $GAF_SLURM_REQUEUE_DELAY sets it).
#
# Everything lives under one folder, $GAF_SLURM_DIR (default ${TMPDIR:-/tmp}/gaf-slurm-local):
# slurm.conf, the daemons' state, pid files and logs. The system's /etc/slurm is not touched,
# so clients need SLURM_CONF=$GAF_SLURM_DIR/slurm.conf. munged is used as it runs; when none
# runs, one is started with the key /etc/munge/munge.key and stopped again by `stop`.
#
# Idempotent: `start` on a running cluster only reports it; `stop` on a stopped one does nothing.
set -euo pipefail

DIR="${GAF_SLURM_DIR:-${TMPDIR:-/tmp}/gaf-slurm-local}"
CONF="$DIR/slurm.conf"
MUNGE_SOCKET=/run/munge/munge.socket.2

say() { printf '[slurm-local] %s\n' "$*"; }
die() { printf '[slurm-local] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

need_tools() {
  local missing=()
  for t in slurmctld slurmd sbatch squeue sinfo scontrol munged munge; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  ((${#missing[@]} == 0)) || die "missing ${missing[*]}: install them with apt-get install slurmctld slurmd slurm-client munge (or bash scripts/setup.sh)."
  [[ $(id -u) == 0 ]] || die "the local cluster runs its daemons as root (SlurmUser=root); run this as root."
}

munge_up() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
  if munge_up; then
    say "munged: already running (socket $MUNGE_SOCKET)"
    return
  fi
  [[ -f /etc/munge/munge.key ]] || die "no /etc/munge/munge.key: reinstall munge, or create one with mungekey (as user munge)."
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  chmod 0755 /run/munge
  mkdir -p "$DIR/munge"
  chown munge:munge "$DIR/munge"
  runuser -u munge -- /usr/sbin/munged --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log"
  for _ in $(seq 50); do munge_up && break; sleep 0.1; done
  munge_up || die "munged did not come up; see $DIR/munge/munged.log"
  say "munged: started (pid $(cat "$DIR/munge/munged.pid"), log $DIR/munge/munged.log)"
}

write_conf() {
  local host cpus mem
  host="$(hostname -s)"
  cpus="$(nproc)"
  # Leave 512 MB to the system, so that a job asking for all of RealMemory still fits.
  mem=$(($(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo) - 512))
  mkdir -p "$DIR/state" "$DIR/spool"
  cat >"$CONF" <<EOF
# Written by scripts/slurm-local.sh: a one-node cluster on $host.
ClusterName=gaflocal
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=cred_expire=${GAF_SLURM_REQUEUE_DELAY:-5}
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldPort=${GAF_SLURMCTLD_PORT:-6817}
SlurmdPort=${GAF_SLURMD_PORT:-6818}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=10
KillWait=10
MaxArraySize=10001
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  need_tools
  if alive "$DIR/slurmctld.pid" && alive "$DIR/slurmd.pid"; then
    say "already running: slurmctld pid $(cat "$DIR/slurmctld.pid"), slurmd pid $(cat "$DIR/slurmd.pid") ($CONF)"
    echo "export SLURM_CONF=$CONF"
    return
  fi
  mkdir -p "$DIR"
  start_munge
  write_conf
  say "wrote $CONF ($(hostname -s): $(nproc) CPUs)"
  export SLURM_CONF="$CONF"
  alive "$DIR/slurmctld.pid" || { slurmctld -c -f "$CONF" && say "slurmctld: started (log $DIR/slurmctld.log)"; }
  alive "$DIR/slurmd.pid" || { slurmd -c -f "$CONF" && say "slurmd: started (log $DIR/slurmd.log)"; }
  for _ in $(seq 100); do
    if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
      say "node $(hostname -s) is $(sinfo -h -o '%t' | head -1); partition debug is up"
      echo "export SLURM_CONF=$CONF"
      return
    fi
    sleep 0.2
  done
  die "the node did not become idle within 20 s: $(sinfo -h -o '%t %E' 2>&1 | head -1); see $DIR/slurmctld.log and $DIR/slurmd.log"
}

stop_pid() {
  local name="$1" file="$2"
  if alive "$file"; then
    local pid
    pid="$(cat "$file")"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    say "$name: stopped (pid $pid)"
  fi
}

stop() {
  if [[ ! -d "$DIR" ]]; then
    say "not running (no $DIR)"
    return
  fi
  # Jobs first, so that no task outlives its cluster.
  if alive "$DIR/slurmctld.pid"; then SLURM_CONF="$CONF" scancel --full --quiet --user=root 2>/dev/null || true; fi
  stop_pid slurmd "$DIR/slurmd.pid"
  stop_pid slurmctld "$DIR/slurmctld.pid"
  stop_pid munged "$DIR/munge/munged.pid"
  rm -rf "$DIR"
  say "removed $DIR"
}

status() {
  local up=1
  for d in slurmctld slurmd; do
    if alive "$DIR/$d.pid"; then say "$d: running (pid $(cat "$DIR/$d.pid"))"; else say "$d: not running"; up=0; fi
  done
  if munge_up; then say "munged: running"; else say "munged: not running"; up=0; fi
  if ((up)); then
    SLURM_CONF="$CONF" sinfo
    echo "export SLURM_CONF=$CONF"
  fi
  ((up))
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  -h | --help) usage ;;
  *) printf '[slurm-local] ERROR: unknown argument %s\nusage: bash scripts/slurm-local.sh start|stop|status|env|--help\n' "${1:-(none)}" >&2; exit 2 ;;
esac
