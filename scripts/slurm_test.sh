#!/usr/bin/env bash
# The real Slurm test of `sru sweep`: a single-node Slurm cluster on this machine (Debian's
# slurmctld, slurmd and munge; no cgroups: proctrack/linuxproc, task/none), private to a
# temporary directory and to its own ports. It runs a small sweep of the quickstart (2 seeds ×
# 2 learning rates, 200 steps each) as one job array and, while it runs, requeues task 0 with
# `scontrol requeue` and sends task 1 SIGUSR1 (the time-limit warning, after which the task
# checkpoints and requeues itself). It checks that every run finished exactly once, that the
# two stopped runs resumed from a checkpoint, and that every run's metrics are identical to the
# same sweep run with `sru sweep -local`.
#
# Needs root (the daemons run as root) and installs slurm-wlm and munge with apt-get when they
# are missing. When Slurm cannot start here, it says why and fails: it never passes without
# having run the array. Takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

fail() { echo "slurm_test: FAIL: $*" >&2; exit 1; }
note() { echo "slurm_test: $*" >&2; }

[ "$(id -u)" = 0 ] || fail "must run as root (slurmd and slurmctld run as root here)"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
	note "installing slurm-wlm and munge"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || fail "apt-get update failed: cannot install Slurm"
	apt-get install -y -qq --no-install-recommends slurm-wlm slurmctld slurmd slurm-client munge >/dev/null ||
		fail "apt-get install slurm-wlm munge failed"
fi

work=$(mktemp -d /tmp/sru-slurm-test.XXXXXX)
pids=()
cleanup() {
	local rc=$?
	if [ "$rc" != 0 ] && [ -d "$work" ]; then
		for f in "$work"/log/*.log; do
			[ -f "$f" ] && { echo "--- $f (last lines)" >&2; tail -n 20 "$f" >&2; }
		done
	fi
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "${SRU_SLURM_TEST_KEEP:-}" ]; then note "kept $work"; else rm -rf "$work"; fi
	exit "$rc"
}
trap cleanup EXIT
mkdir -p "$work"/{etc,state,spool,log,run}
chmod 755 "$work"

# munge: its own key, socket and files, so that no system munged is needed or disturbed.
dd if=/dev/urandom of="$work/etc/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/etc/munge.key"
sock="$work/run/munge.sock"
munged --foreground --force --socket="$sock" --key-file="$work/etc/munge.key" \
	--log-file="$work/log/munged.log" --pid-file="$work/run/munged.pid" --seed-file="$work/run/munged.seed" \
	>"$work/log/munged.out.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.2; done
[ -S "$sock" ] || fail "munged did not start: $(tail -n 3 "$work/log/munged.log" "$work/log/munged.out.log" 2>/dev/null)"
munge --socket="$sock" -n | unmunge --socket="$sock" >/dev/null || fail "munge cannot encode and decode a credential"

# Slurm: one node (this host), one partition, its own ports.
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2/1024/2)}' /proc/meminfo)
port=$((20000 + RANDOM % 20000))
export SLURM_CONF="$work/etc/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=srutest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
JobRequeue=1
KillWait=60
SchedulerParameters=defer_batch
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
# An empty plugstack: the system's may name SPANK plugins this test does not want.
echo >"$work/etc/plugstack.conf"
echo "PlugStackConfig=$work/etc/plugstack.conf" >>"$SLURM_CONF"

slurmctld -D -i -f "$SLURM_CONF" >"$work/log/slurmctld.out.log" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$work/log/slurmd.out.log" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 60); do
	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null || fail "a Slurm daemon exited at start: $(tail -n 5 "$work"/log/slurm*.log 2>/dev/null)"
	done
	state=$(sinfo -h -N -o %t 2>/dev/null | head -n 1 || true)
	case "$state" in idle | mix | alloc) break ;; esac
	sleep 1
done
case "$state" in idle | mix | alloc) ;; *) fail "the node did not come up (sinfo state '${state:-none}'): $(tail -n 5 "$work"/log/slurm*.log 2>/dev/null)" ;; esac
note "single-node cluster up on $host ($cpus CPUs, ports $port-$((port + 1)))"

# The sweep, twice: once as a job array, once with -local. The run ids do not depend on the
# sweep directory, so the two sweeps' runs pair up by directory name. One thread per run on
# both sides (float sums depend on the thread count).
go build -o "$work/sru" ./cmd/sru
sru="$work/sru"
for side in slurm local; do
	cat >"$work/$side.toml" <<EOF
name = "quickstart_$side"
dir = "$work/$side"
experiments = ["experiments/quickstart.toml"]
seeds = [1, 2]
set = ["train.max_steps=200", "train.checkpoint_every_steps=10"]
[axes]
"train.lr" = [0.001, 0.002]
[slurm]
time = "00:10:00"
mem = "500M"
cpus_per_task = 1
EOF
done
"$sru" sweep -list "$work/slurm.toml" >&2
[ "$("$sru" sweep -list "$work/slurm.toml" | tail -n +3 | wc -l)" = 4 ] || fail "the test sweep does not have 4 runs"

job=$("$sru" sweep -slurm "$work/slurm.toml") || fail "sru sweep -slurm could not submit the array"
note "submitted job array $job"
rundir() { "$sru" sweep -list "$work/slurm.toml" | awk -v t="$1" 'NR > 2 && $1 == t {print $3}'; }
run0=$(rundir 0)
run1=$(rundir 1)

# Stop two tasks mid-run, once each has a checkpoint and before it finishes.
stopped0="" stopped1="" signaller=""
deadline=$((SECONDS + 240))
while [ -z "$stopped0" ] || [ -z "$stopped1" ]; do
	[ $SECONDS -lt $deadline ] || fail "tasks 0 and 1 never reached a checkpoint mid-run"
	if [ -z "$stopped0" ] && ls "$run0"/step-*.ckpt >/dev/null 2>&1; then
		[ -f "$run0/summary.json" ] && fail "task 0 finished before it could be requeued"
		scontrol requeue "${job}_0" || fail "scontrol requeue ${job}_0 failed"
		stopped0=1
		note "requeued ${job}_0 with scontrol requeue"
	fi
	if [ -z "$stopped1" ] && ls "$run1"/step-*.ckpt >/dev/null 2>&1; then
		[ -f "$run1/summary.json" ] && fail "task 1 finished before it could be signalled"
		# In the background: once the signalled task has begun to requeue itself, scancel may
		# retry for a while ("Job can not be altered now") while task 0 runs on. Whether the
		# signal arrived is checked below, in the task's log.
		(timeout 30 scancel --signal=USR1 "${job}_1" || note "scancel --signal=USR1 ${job}_1 exited with status $?") &
		signaller=$!
		stopped1=1
		note "sent SIGUSR1 to ${job}_1 (it requeues itself)"
	fi
	sleep 0.5
done

# Wait for the array to drain.
deadline=$((SECONDS + 300))
while [ -n "$(squeue -h -j "$job" 2>/dev/null)" ]; do
	[ $SECONDS -lt $deadline ] || { squeue -j "$job" >&2; fail "the job array did not finish in 5 minutes"; }
	sleep 2
done
wait "$signaller" || true
"$sru" sweep -status "$work/slurm.toml" >&2

# The same runs with -local, meanwhile or after (one thread each).
"$sru" sweep -local -j "$cpus" "$work/local.toml" >&2 || fail "sru sweep -local failed"

# Every run finished exactly once, the two stopped ones after a resume, with the local metrics.
status=$("$sru" sweep -status "$work/slurm.toml")
echo "$status" | grep -q "done 4, failed 0" || fail "slurm sweep status: $status"
metrics() { # the result of a run: steps, best epoch and step, valid and test metrics
	sed -n -e '/"steps"/p' -e '/"best_/p' -e '/"valid"/,/}/p' -e '/"test"/,/}/p' "$1/summary.json"
}
for t in 0 1 2 3; do
	d=$(rundir "$t")
	name=$(basename "$d")
	[ -f "$d/summary.json" ] || fail "run $t ($name) has no summary.json"
	ends=$(grep -c '"event":"end"' "$d/metrics.jsonl" || true)
	[ "$ends" = 1 ] || fail "run $t ($name) logged $ends end events, want exactly 1"
	attempts=$(sed -n 's/.*"attempt": *\([0-9]*\).*/\1/p' "$d/sweep-state.json")
	want=1
	if [ "$t" -le 1 ]; then want=2; fi
	[ "$attempts" = "$want" ] || fail "run $t ($name) started $attempts times, want $want"
	if [ "$t" -le 1 ]; then
		grep -q "task $t: resuming" "$work"/slurm/slurm/*_"$t".out || fail "run $t was not resumed from a checkpoint (see its Slurm log)"
	fi
	[ -f "$work/local/$name/summary.json" ] || fail "the local sweep has no run $name"
	if ! diff <(metrics "$d") <(metrics "$work/local/$name") >&2; then
		fail "run $t ($name): Slurm and -local results differ"
	fi
	note "run $t ($name): finished once (attempts $attempts), metrics identical to -local: $(metrics "$d" | tr -d ' \n' | head -c 160)"
done
grep -q "requeued Slurm job ${job}_1" "$work"/slurm/slurm/*_1.out || fail "task 1 did not requeue itself after SIGUSR1"
"$sru" compare "$work/slurm" >&2
note "PASS: job array of 4 runs, one requeued by scontrol and one by itself, all identical to -local"
