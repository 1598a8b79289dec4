#!/usr/bin/env bash
# vpidbox benchmark harness.
#
#   bash bench/run.sh [SUITE...]
#
# Measures, in one run and interleaved across runners, each suite under every
# runner of $BENCH_RUNNERS (default: native vpidbox vpidbox_hostproc
# vpidbox_nested3 unshare proot strace; vpidbox_strace, strace -f inside a box, on demand)
# that the suite applies to:
#   syscall_lat  getpid (intercepted by vpidbox) and getuid (not intercepted)
#                per-call latency, bench/out/syscall_lat
#   spawn_loop   bash loop spawning 500 /bin/true, wall time
#   fork_wait    500 × fork/_exit/waitpid, wall time
#   make_j2      make -j2 of a generated 100-file C project, wall time
#   startup      RUNNER /bin/true, wall time
#   proc_ps      `ps -ef` with 200 idle processes in the box, time per ps run
#                (bench/out/with_procs; the setup of the 200 is not timed)
#   proc_read    a tiny `top`: readdir /proc and read every /proc/N/stat and
#                /proc/N/status, 20 idle processes, time per scan (bench/out/proc_read)
#   open_cost    open + close of a regular file, time per pair (bench/out/open_cost):
#                the price of vpidbox trapping opens
#   sig_lat      kill(pid, 0), kill of an ignored, a handled and another process's signal,
#                tgkill(.., 0): per-call latency (bench/out/sig_lat)
#   stress       stress-ng's process and signal stressors (kill, sigq, vfork, fork, clone,
#                pthread, wait), one instance each, one stressor at a time: bogo ops/s against
#                the same in a pid namespace (unshare)
#   stress_all   the same seven stressors at once on this machine's CPUs (the contention case):
#                each stressor's bogo ops/s, and the run's wall time
#   stat_cost    stat of a regular file, time per call (bench/out/open_cost -s): the price of
#                trapping every call that names a path (vpidbox_intercept)
#   surface      the calls looked at or stopped for pids in objects and messages
#                (sendmsg, bind, SO_PEERCRED, F_GETLK, CPU clocks, signalfd and credential
#                reads), and their neighbours left alone: bench/out/surface_calls, native
#                against vpidbox on each engine (runner vpidbox_ptrace)
# The proc suites run unshare with --mount-proc (so that its ps sees its own
# namespace). vpidbox_intercept is `vpidbox run --proc=intercept` (the box's /proc without
# FUSE or a mount namespace); vpidbox_docker is `vpidbox run` inside the Docker-like
# environment of the tests (build/tests/dockerlike/dockerlike, where --proc=auto gives
# intercept), not a default runner. vpidbox_hostproc is `vpidbox run --proc=host`; it is n/a, with a
# note, when the vpidbox binary has no --proc option. vpidbox_nested3 runs the
# command in a box nested 3 deep (`vpidbox run -- vpidbox run -- vpidbox run --`),
# for the spawn loop, fork/wait, getpid and start-up only. responder runs the command under
# bench/out/unotify_responder, a bare seccomp user-notification supervisor that answers getpid
# (with the sync wake-up flag) and nothing else: the floor of vpidbox's getpid, in the same run
# (getpid and getuid only). vpidbox_ptrace is `vpidbox run --engine=ptrace`, vpidbox_lowlat
# `vpidbox run --low-latency` (root: the CPU latency request held at 0). A metric's ratios
# are to native unless it names another reference runner (the stress suites and ps: unshare).
# plus a native machine reference (bench/out/pipe_rtt: the context-switch
# floor of any supervisor round trip), and writes bench/RESULTS.md (overwritten): one Markdown table per metric,
# absolute values and ratios to native, plus vpidbox's target and whether it
# is met.
#
# Environment:
#   VPIDBOX         the binary (default: build/supervisor/vpidbox)
#   BENCH_RUNNERS   runners to use, in order (each metric's reference runner, native or
#                   unshare, must be among them for its ratios); beside the defaults,
#                   vpidbox_ptrace, and vpidbox_before runs $VPIDBOX_BEFORE (an earlier build) the
#                   way vpidbox runs, to compare two builds in one run
#   BENCH_QUICK=1   few rounds, for testing the harness itself
#   BENCH_RESULTS   where to write the results (default: bench/RESULTS.md)
#
# Adding a benchmark: write measure_<suite> (usually a call to measure_wall
# with the command to time, or to measure_keyed for a program that times
# itself), register its metric(s) with define_metric (and M_RUNNERS when it
# applies to some runners only), and add the suite to ALL_SUITES. A runner is
# a case in runner_prefix.
#
# Benchmarks report; they never fail on a timing. The exit status is non-zero
# only when the harness itself is broken (cannot compile, cannot write).

set -uo pipefail

# Everything runs in a throw-away pid namespace, so that nothing a benchmark
# starts can outlive the run (its init, this script, takes it all down).
if [ -z "${VPIDBOX_SAFETY_NS:-}" ]; then
  if unshare --pid --fork --mount-proc true 2>/dev/null; then
    exec unshare --pid --fork --mount-proc env VPIDBOX_SAFETY_NS=1 bash "$0" "$@"
  fi
  echo "run.sh: warning: cannot create the safety pid namespace; running without it" >&2
  export VPIDBOX_SAFETY_NS=unavailable
fi

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=$BENCH_DIR/out
VPIDBOX=${VPIDBOX:-$ROOT/build/supervisor/vpidbox}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}
QUICK=${BENCH_QUICK:-0}
INVOCATION="bash bench/run.sh${*:+ $*}"
read -ra RUNNERS <<<"${BENCH_RUNNERS:-native vpidbox vpidbox_hostproc vpidbox_intercept vpidbox_nested3 responder unshare proot strace}"
ALL_SUITES=(syscall_lat spawn_loop fork_wait make_j2 startup proc_ps proc_read open_cost stat_cost
  surface sig_lat stress stress_all)
DOCKERLIKE=${DOCKERLIKE:-$ROOT/build/tests/dockerlike/dockerlike}

unset PROOT_NO_SECCOMP # proot's normal mode: seccomp-accelerated ptrace

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vpidbox-bench.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

log() { printf '[bench] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- setup ----

ensure_tools() {
  local missing=() tool
  for tool in strace proot stress-ng; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing ${missing[*]} and no apt-get; those runners will be n/a"
    return 0
  fi
  local sudo=()
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo=(sudo -n)
  log "installing ${missing[*]}"
  if ! timeout 300 "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >"$WORK/apt.log" 2>&1; then
    timeout 300 "${sudo[@]}" apt-get update -qq >>"$WORK/apt.log" 2>&1
    timeout 300 "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >>"$WORK/apt.log" 2>&1 ||
      log "apt-get install ${missing[*]} failed; see the runners' n/a reasons"
  fi
}

compile_programs() {
  local cc=${CC:-gcc} prog
  mkdir -p "$OUT" || return 1
  for prog in syscall_lat walltime pipe_rtt fork_wait with_procs proc_read open_cost surface_calls \
    sig_lat unotify_responder; do
    if ! "$cc" -O2 -Wall -Wextra -Werror -o "$OUT/$prog" "$BENCH_DIR/$prog.c"; then
      log "cannot compile bench/$prog.c"
      return 1
    fi
  done
}

# -------------------------------------------------------------- runners ----

UNSHARE_MOUNT_PROC=0 # 1 while a suite that looks at /proc runs: unshare gets --mount-proc

# runner_prefix RUNNER: sets PREFIX to the argv prefix that runs a command
# under RUNNER (empty for native).
runner_prefix() {
  case "$1" in
    native) PREFIX=() ;;
    vpidbox) PREFIX=("$VPIDBOX" run --) ;;
    vpidbox_hostproc) PREFIX=("$VPIDBOX" run --proc=host --) ;;
    vpidbox_intercept) PREFIX=("$VPIDBOX" run --proc=intercept --) ;;
    vpidbox_docker)
      [ -x "$DOCKERLIKE" ] || return 1
      PREFIX=("$DOCKERLIKE" -- "$VPIDBOX" run --)
      ;;
    vpidbox_ptrace) PREFIX=("$VPIDBOX" run --engine=ptrace --) ;;
    vpidbox_lowlat) PREFIX=("$VPIDBOX" run --low-latency --) ;;
    responder) PREFIX=("$OUT/unotify_responder" --) ;;
    vpidbox_nested3) PREFIX=("$VPIDBOX" run -- "$VPIDBOX" run -- "$VPIDBOX" run --) ;;
    vpidbox_before)
      [ -n "${VPIDBOX_BEFORE:-}" ] || return 1
      PREFIX=("$VPIDBOX_BEFORE" run --)
      ;;
    unshare)
      PREFIX=(unshare --pid --fork)
      if [ "$UNSHARE_MOUNT_PROC" = 1 ]; then PREFIX+=(--mount-proc); fi
      ;;
    proot) PREFIX=(proot) ;;
    strace) PREFIX=(strace -f -o /dev/null) ;;
    # strace -f inside a box: the box's emulated ptrace (issue 10), against `strace` natively.
    vpidbox_strace) PREFIX=("$VPIDBOX" run -- strace -f -o /dev/null) ;;
    *) return 1 ;;
  esac
}

declare -A RUNNER_NA     # runner -> reason it cannot be measured
declare -A RUNNER_REMARK # runner -> something the reader must know about it

# first_line FILE: the first non-empty line of FILE, trimmed, for n/a reasons.
first_line() {
  grep -m1 -v '^[[:space:]]*$' "$1" 2>/dev/null | cut -c1-120 | sed 's/|/\\|/g'
}

# exit_reason STATUS ERRFILE: a short human reason for a failed run.
exit_reason() {
  local status=$1 err=$2 msg
  msg=$(first_line "$err")
  case "$status" in
    124 | 137) echo "timed out${msg:+: $msg}" ;;
    *) echo "exit $status${msg:+: $msg}" ;;
  esac
}

probe_runners() {
  local r status
  for r in "${RUNNERS[@]}"; do
    if ! runner_prefix "$r"; then
      RUNNER_NA[$r]="unknown runner"
      continue
    fi
    case "$r" in
      vpidbox | vpidbox_hostproc | vpidbox_intercept | vpidbox_nested3 | vpidbox_ptrace | vpidbox_lowlat | vpidbox_strace)
        [ -x "$VPIDBOX" ] || { RUNNER_NA[$r]="binary not built ($VPIDBOX)"; continue; } ;;
      vpidbox_docker)
        [ -x "$VPIDBOX" ] && [ -x "$DOCKERLIKE" ] ||
          { RUNNER_NA[$r]="$VPIDBOX or $DOCKERLIKE not built"; continue; } ;;
      vpidbox_before)
        [ -x "${VPIDBOX_BEFORE:-}" ] ||
          { RUNNER_NA[$r]="VPIDBOX_BEFORE names no binary"; continue; } ;;
      native | responder) ;;
      *) command -v "${PREFIX[0]}" >/dev/null 2>&1 ||
        { RUNNER_NA[$r]="${PREFIX[0]} not installed"; continue; } ;;
    esac
    timeout -k 5 30 "${PREFIX[@]}" /bin/true </dev/null >/dev/null 2>"$WORK/probe.err"
    status=$?
    if [ "$status" -ne 0 ] && [ "$r" = vpidbox_hostproc ] &&
      grep -qiE -- "(unknown|unrecognized|invalid) option.*--proc" "$WORK/probe.err"; then
      RUNNER_NA[$r]="this vpidbox has no --proc option (\`vpidbox run --proc=host -- true\`: exit $status, unknown option)"
    elif [ "$status" -ne 0 ]; then
      RUNNER_NA[$r]="\`$r true\` failed: $(exit_reason "$status" "$WORK/probe.err")"
    fi
  done
  # Say which /proc a box sees: FUSE (the default when root) or the host's procfs.
  local fstype
  for r in vpidbox vpidbox_intercept vpidbox_docker vpidbox_hostproc; do
    if [[ " ${RUNNERS[*]} " != *" $r "* ]] || [ -n "${RUNNER_NA[$r]:-}" ]; then continue; fi
    runner_prefix "$r"
    fstype=$(timeout -k 5 30 "${PREFIX[@]}" stat -f -c %T /proc </dev/null 2>/dev/null)
    RUNNER_REMARK[$r]="/proc in the box is \`${fstype:-unknown}\` (\`stat -f -c %T /proc\`)"
    [ "$r" = vpidbox ] && [ "$fstype" = proc ] &&
      RUNNER_REMARK[$r]+=", the host's procfs: this build mounts no FUSE /proc"
  done
  # Debian's proot is built without its seccomp accelerator, so it stops on
  # every syscall rather than only on the path-carrying ones.
  if [ -z "${RUNNER_NA[proot]:-}" ] && command -v proot >/dev/null 2>&1 &&
    proot -V 2>&1 | grep -q 'seccomp_filter = no'; then
    RUNNER_REMARK[proot]="built without its seccomp accelerator (\`proot -V\`: seccomp_filter = no), so it stops on every syscall"
  fi
  for r in "${RUNNERS[@]}"; do
    [ -n "${RUNNER_NA[$r]:-}" ] && log "runner $r: n/a (${RUNNER_NA[$r]})"
    [ -n "${RUNNER_REMARK[$r]:-}" ] && log "runner $r: ${RUNNER_REMARK[$r]}"
  done
  return 0
}

# -------------------------------------------------------------- metrics ----

METRICS=()           # metric ids, in table order
declare -A M_TITLE   # metric -> table heading
declare -A M_UNIT    # metric -> ns | us | ms
declare -A M_TARGET  # metric -> target text (for vpidbox), empty for none
declare -A M_CHECK   # metric -> function VALUE NATIVE -> exit 0 when met
declare -A M_DETAIL  # metric -> how it was measured
declare -A M_RUNNERS # metric -> the runners it applies to (unset: all of $BENCH_RUNNERS)
declare -A M_REF     # metric -> the runner its ratios are to (unset: native)
# runner -> the only metrics it applies to (unset: all)
declare -A RUNNER_METRICS=([vpidbox_nested3]="getpid_lat getuid_lat spawn_loop fork_wait startup"
  [responder]="getpid_lat getuid_lat")
declare -A VAL       # "metric|runner" -> median value
declare -A NOTE      # "metric|runner" -> n/a reason or remark
declare -A MEASURED  # metric -> 1 once its suite has run

# define_metric ID UNIT TITLE DETAIL [TARGET CHECK_FN]
define_metric() {
  METRICS+=("$1")
  M_UNIT[$1]=$2
  M_TITLE[$1]=$3
  M_DETAIL[$1]=$4
  M_TARGET[$1]=${5:-}
  M_CHECK[$1]=${6:-}
}

# median: median of the numbers on stdin (one per line); fails on no input.
median() {
  sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) exit 1
          if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]
          else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# metric_runners METRIC: the runners of $BENCH_RUNNERS that METRIC applies to, in order.
metric_runners() {
  local r
  for r in "${RUNNERS[@]}"; do
    if [ -n "${RUNNER_METRICS[$r]:-}" ] && [[ " ${RUNNER_METRICS[$r]} " != *" $1 "* ]]; then
      continue
    fi
    if [ -z "${M_RUNNERS[$1]:-}" ] || [[ " ${M_RUNNERS[$1]} " == *" $r "* ]]; then
      echo "$r"
    fi
  done
}

# live_runners SHIFT METRIC: METRIC's runners not known to be n/a, rotated by
# SHIFT so that no runner always goes first (interleaving spreads drift evenly).
live_runners() {
  local shift_by=$1 live=() r i n
  for r in $(metric_runners "$2"); do
    [ -z "${RUNNER_NA[$r]:-}" ] && live+=("$r")
  done
  n=${#live[@]}
  for ((i = 0; i < n; i++)); do
    echo "${live[$(((i + shift_by) % n))]}"
  done
}

# mark_failed RUNNER REASON METRIC...: record that RUNNER failed these metrics.
mark_failed() {
  local runner=$1 reason=$2 metric
  shift 2
  for metric in "$@"; do
    [ -z "${NOTE[$metric|$runner]:-}" ] && NOTE[$metric|$runner]="n/a ($reason)"
  done
}

# finish_metric METRIC: turns the collected samples into VAL/NOTE entries.
finish_metric() {
  local metric=$1 r file
  MEASURED[$metric]=1
  for r in $(metric_runners "$metric"); do
    if [ -n "${RUNNER_NA[$r]:-}" ]; then
      NOTE[$metric|$r]="n/a (${RUNNER_NA[$r]})"
      continue
    fi
    [ -n "${NOTE[$metric|$r]:-}" ] && continue
    file=$WORK/$metric.$r.samples
    if [ -s "$file" ]; then
      VAL[$metric|$r]=$(median <"$file")
    else
      NOTE[$metric|$r]="n/a (no samples)"
    fi
  done
}

# measure_wall METRIC ROUNDS TIMEOUT_S CMD...: wall time of `RUNNER CMD...`
# for every runner, ROUNDS rounds, runners interleaved within each round;
# records the median in milliseconds. A runner that fails once is n/a for
# this metric and skipped from then on.
measure_wall() {
  local metric=$1 rounds=$2 limit=$3 round r status ns
  shift 3
  for ((round = 0; round < rounds; round++)); do
    for r in $(live_runners "$round" "$metric"); do
      [ -n "${NOTE[$metric|$r]:-}" ] && continue
      runner_prefix "$r"
      ns=$(timeout -k 5 "$limit" "$OUT/walltime" -q -- "${PREFIX[@]}" "$@" 2>"$WORK/err")
      status=$?
      if [ "$status" -ne 0 ]; then
        mark_failed "$r" "$(exit_reason "$status" "$WORK/err")" "$metric"
        log "$metric under $r failed: ${NOTE[$metric|$r]}"
        continue
      fi
      echo "${ns#wall_ns=}" | awk '{ printf "%.3f\n", $1 / 1e6 }' >>"$WORK/$metric.$r.samples"
    done
  done
  M_DETAIL[$metric]+="; median of $rounds runs"
  finish_metric "$metric"
}

# measure_keyed METRIC ROUNDS TIMEOUT_S KEY CMD...: runs `RUNNER CMD...`, a
# program that times itself and prints KEY=VALUE lines, for every runner,
# ROUNDS rounds, runners interleaved within each round; records the median of
# KEY's values. The last run's output of each runner is kept in
# $WORK/METRIC.RUNNER.out for notes. A runner that fails once is n/a for this
# metric and skipped from then on.
measure_keyed() {
  local metric=$1 rounds=$2 limit=$3 key=$4 round r status value
  shift 4
  for ((round = 0; round < rounds; round++)); do
    for r in $(live_runners "$round" "$metric"); do
      [ -n "${NOTE[$metric|$r]:-}" ] && continue
      runner_prefix "$r"
      timeout -k 5 "$limit" "${PREFIX[@]}" "$@" </dev/null >"$WORK/out" 2>"$WORK/err"
      status=$?
      value=$(sed -n "s/^$key=//p" "$WORK/out")
      if [ "$status" -ne 0 ] || [ -z "$value" ]; then
        mark_failed "$r" "$(exit_reason "$status" "$WORK/err")" "$metric"
        log "$metric under $r failed: ${NOTE[$metric|$r]}"
        continue
      fi
      echo "$value" >>"$WORK/$metric.$r.samples"
      cp "$WORK/out" "$WORK/$metric.$r.out"
    done
  done
  M_DETAIL[$metric]+="; median of $rounds runs"
  finish_metric "$metric"
}

# out_value METRIC RUNNER KEY: KEY's value in the last output of METRIC under RUNNER.
out_value() { sed -n "s/^$3=//p" "$WORK/$1.$2.out" 2>/dev/null; }

# ------------------------------------------------------------- targets -----

target_abs_le() { awk -v v="$1" -v t="$3" 'BEGIN { exit !(v <= t) }'; }
target_ratio_le() { awk -v v="$1" -v n="$2" -v t="$3" 'BEGIN { exit !(n > 0 && v / n <= t) }'; }
target_ratio_ge() { awk -v v="$1" -v n="$2" -v t="$3" 'BEGIN { exit !(n > 0 && v / n >= t) }'; }
target_over_le() { awk -v v="$1" -v n="$2" -v t="$3" 'BEGIN { exit !(v - n <= t) }'; }

# --------------------------------------------------------------- suites ----

define_metric getpid_lat ns "getpid latency (intercepted by vpidbox)" \
  "median per-call time of raw syscall(SYS_getpid) (a run's value: median of its batch means); ratios to the bare unotify responder (bench/unotify_responder.c)" \
  "≤ 1.1× responder" "target_ratio_le 1.1"
M_REF[getpid_lat]=responder
define_metric getuid_lat ns "getuid latency (not intercepted)" \
  "median per-call time of raw syscall(SYS_getuid), batches interleaved with getpid's" \
  "≤ 1.05× native" "target_ratio_le 1.05"
define_metric spawn_loop ms "bash loop spawning 500 /bin/true" \
  "RUNNER bash -c 'for i in \$(seq 500); do /bin/true; done', wall time" \
  "≤ 1.2× native" "target_ratio_le 1.2"
define_metric fork_wait ms "fork/wait microbenchmark: 500 × fork, _exit, waitpid" \
  "RUNNER bench/out/fork_wait 500, wall time"
define_metric make_j2 ms "make -j2 of a generated 100-file C project" \
  "RUNNER sh -c 'make -s clean && make -s -j2' in a generated project of 100 .c files, wall time" \
  "≤ 1.1× native" "target_ratio_le 1.1"
define_metric startup ms "start-up: RUNNER /bin/true" \
  "wall time of RUNNER /bin/true from fork to reap" \
  "≤ native + 10 ms" "target_over_le 10"

define_metric proc_ps us "ps -ef with 200 idle processes in the box" \
  "RUNNER bench/out/with_procs -p 200 -n RUNS -- ps -ef: 200 forked idle processes, then RUNS runs of \`ps -ef >/dev/null\` one after the other, mean time per ps run (fork to reap; the 200 are started before and not timed); unshare runs with --mount-proc" \
  "≤ 2× unshare" "target_ratio_le 2"
M_RUNNERS[proc_ps]="native vpidbox vpidbox_before vpidbox_intercept vpidbox_docker vpidbox_hostproc unshare"
M_REF[proc_ps]=unshare
define_metric proc_read us "/proc readdir + read microbenchmark (a tiny top)" \
  "RUNNER bench/out/proc_read: 20 forked idle processes, then scans of opendir(/proc) + readdir + open/read to EOF/close of /proc/N/stat and /proc/N/status for every numeric entry; a run's value: median of its batch means per scan; unshare runs with --mount-proc" \
  "≤ 2× native" "target_ratio_le 2"
M_RUNNERS[proc_read]="native vpidbox vpidbox_before vpidbox_intercept vpidbox_docker vpidbox_hostproc unshare"
define_metric open_cost us "open + close of a regular file" \
  "RUNNER bench/out/open_cost FILE: open(FILE, O_RDONLY) + close in a loop, a run's value: median of its batch means per pair (what trapping open/openat costs)"
M_RUNNERS[open_cost]="native vpidbox vpidbox_before vpidbox_intercept vpidbox_docker vpidbox_hostproc"
define_metric stat_cost us "stat of a regular file" \
  "RUNNER bench/out/open_cost -s FILE: stat(FILE) in a loop (glibc's stat is newfstatat), a run's value: median of its batch means per call (what trapping every call that names a path costs)"
M_RUNNERS[stat_cost]="native vpidbox vpidbox_before vpidbox_intercept vpidbox_docker vpidbox_hostproc"
# The calls looked at or stopped for pids in objects and messages (bench/surface_calls.c).
SURFACE_CALLS=(sendmsg sendmsg_creds recvmsg_passcred bind_udp peercred getlk thread_clock
  read_signalfd read_pipe read_pipe_signalfd)
declare -A SURFACE_TITLE=(
  [sendmsg]="sendmsg + recv of one byte (UNIX datagram): every sendmsg is looked at"
  [sendmsg_creds]="sendmsg with SCM_CREDENTIALS + recv: the call is taken over by ptrace"
  [recvmsg_passcred]="sendmsg + recvmsg where the receiver has SO_PASSCRED (stopped by its filter)"
  [bind_udp]="socket + bind + close of a UDP socket: every bind is looked at"
  [peercred]="getsockopt(SO_PEERCRED)"
  [getlk]="fcntl(F_GETLK)"
  [thread_clock]="clock_gettime of pthread_getcpuclockid(self): a CPU clock with a tid"
  [read_signalfd]="read of an empty non-blocking signalfd (stopped by its process's filter)"
  [read_pipe]="write + read of a pipe"
  [read_pipe_signalfd]="write + read of a pipe in a process that has a signalfd (its filter runs)"
)
for call in "${SURFACE_CALLS[@]}"; do
  define_metric "surface_$call" ns "${SURFACE_TITLE[$call]}" \
    "RUNNER bench/out/surface_calls $call: a run's value: median of its batch means per call (pair)"
  M_RUNNERS[surface_$call]="native vpidbox vpidbox_before vpidbox_ptrace"
done

SIG_LAT_CALLS=(kill0_self kill0_other kill_ignored kill_handled kill_other tgkill0_self)
declare -A SIG_LAT_TITLE=(
  [kill0_self]="kill(getpid(), 0)"
  [kill0_other]="kill(other, 0), another process of the same user"
  [kill_ignored]="kill(getpid(), SIGUSR1) with SIGUSR1 ignored"
  [kill_handled]="kill(getpid(), SIGUSR2) with a handler (delivered before kill returns)"
  [kill_other]="kill(other, SIGUSR1), which the other process handles"
  [tgkill0_self]="tgkill(getpid(), gettid(), 0)")
for call in "${SIG_LAT_CALLS[@]}"; do
  define_metric "sig_$call" ns "signal latency: ${SIG_LAT_TITLE[$call]}" \
    "median per-call time (bench/out/sig_lat, run in a child of the runner's process, beside a peer process that handles SIGUSR1; a run's value: median of its batch means)"
  M_RUNNERS[sig_$call]="native vpidbox vpidbox_before vpidbox_ptrace vpidbox_lowlat vpidbox_hostproc unshare"
done

# stress-ng's process and signal stressors, with the issue's targets (bogo ops/s against a pid
# namespace: the kernel's own pace).
STRESSORS=(kill sigq vfork fork clone pthread wait)
for s in "${STRESSORS[@]}"; do
  target="≥ 0.5× unshare" check="target_ratio_ge 0.5"
  [ "$s" = wait ] && target="≥ 0.9× unshare" check="target_ratio_ge 0.9"
  define_metric "stress_$s" ops "stress-ng --$s 1 alone" \
    "RUNNER stress-ng --$s 1 --timeout T --metrics-brief, bogo ops/s (real time), higher is better" \
    "$target" "$check"
  M_RUNNERS[stress_$s]="unshare vpidbox vpidbox_before vpidbox_ptrace vpidbox_lowlat"
  M_REF[stress_$s]=unshare
  define_metric "stress7_$s" ops "stress-ng --$s 1 with the six others at once (contention)" \
    "RUNNER stress-ng --kill 1 --sigq 1 --vfork 1 --fork 1 --clone 1 --pthread 1 --wait 1 --timeout T --metrics-brief on $(nproc) CPUs, the $s stressor's bogo ops/s (real time), higher is better" \
    "$target" "$check"
  M_RUNNERS[stress7_$s]="unshare vpidbox vpidbox_before vpidbox_ptrace vpidbox_lowlat"
  M_REF[stress7_$s]=unshare
done
define_metric stress7_wall ms "the seven stressors at once: wall time of the run" \
  "wall time of the contention run (the stressors are asked to stop at T; the rest is how long they take to stop and be reaped)"
M_RUNNERS[stress7_wall]="unshare vpidbox vpidbox_before vpidbox_ptrace vpidbox_lowlat"
M_REF[stress7_wall]=unshare

# measure_syscall_lat: getpid_lat and getuid_lat, ROUNDS runs of syscall_lat
# per runner, interleaved; each runner's value is the median over its runs.
measure_syscall_lat() {
  local rounds=5 batches=21 round r status line key metric
  [ "$QUICK" = 1 ] && rounds=2 batches=5
  for ((round = 0; round < rounds; round++)); do
    for r in $(live_runners "$round" getpid_lat); do
      [ -n "${NOTE[getpid_lat|$r]:-}" ] && continue
      runner_prefix "$r"
      timeout -k 5 120 "${PREFIX[@]}" "$OUT/syscall_lat" -b "$batches" -t 1000 getpid getuid \
        </dev/null >"$WORK/lat.out" 2>"$WORK/err"
      status=$?
      if [ "$status" -ne 0 ] || ! grep -q '^getuid_ns=' "$WORK/lat.out"; then
        mark_failed "$r" "$(exit_reason "$status" "$WORK/err")" getpid_lat getuid_lat
        log "syscall_lat under $r failed: ${NOTE[getpid_lat|$r]}"
        continue
      fi
      while IFS='=' read -r key line; do
        case "$key" in
          getpid_ns) echo "$line" >>"$WORK/getpid_lat.$r.samples" ;;
          getuid_ns) echo "$line" >>"$WORK/getuid_lat.$r.samples" ;;
          getpid_value) echo "$line" >"$WORK/getpid_value.$r" ;;
          getpid_calls) echo "$line" >"$WORK/getpid_calls.$r" ;;
        esac
      done <"$WORK/lat.out"
    done
  done
  for metric in getpid_lat getuid_lat; do
    M_DETAIL[$metric]+="; $rounds runs × $batches batches of ≤ 20000 calls"
    finish_metric "$metric"
  done
  # Say what getpid returned: 1 means a pid namespace or vpidbox answered.
  for r in $(metric_runners getpid_lat); do
    [ -n "${VAL[getpid_lat|$r]:-}" ] || continue
    NOTE[getpid_lat|$r]="getpid()=$(cat "$WORK/getpid_value.$r"), $(cat "$WORK/getpid_calls.$r") calls/batch"
  done
}

measure_spawn_loop() {
  local rounds=5
  [ "$QUICK" = 1 ] && rounds=2
  # shellcheck disable=SC2016 # expanded by the inner bash
  measure_wall spawn_loop "$rounds" 120 bash -c 'for i in $(seq 500); do /bin/true; done'
}

measure_fork_wait() {
  local rounds=5
  [ "$QUICK" = 1 ] && rounds=2
  measure_wall fork_wait "$rounds" 120 "$OUT/fork_wait" 500
}

# make_project DIR: 100 small C files and a Makefile linking them into one program.
make_project() {
  local dir=$1 i
  mkdir -p "$dir" || return 1
  for ((i = 0; i < 100; i++)); do
    printf 'int f%d(int x) { int s = 0; for (int i = 0; i < x; ++i) s += i * %d; return s; }\n' \
      "$i" "$i" >"$dir/f$i.c"
  done
  {
    printf 'int main(void) { return 0; }\n'
  } >"$dir/main.c"
  {
    printf 'OBJS := main.o'
    for ((i = 0; i < 100; i++)); do printf ' f%d.o' "$i"; done
    printf '\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n'
    printf '%%.o: %%.c\n\t$(CC) -O1 -c -o $@ $<\n'
    printf 'clean:\n\trm -f prog *.o\n'
  } >"$dir/Makefile"
}

measure_make_j2() {
  local rounds=3
  [ "$QUICK" = 1 ] && rounds=1
  make_project "$WORK/project" || return 1
  # shellcheck disable=SC2016 # expanded by the inner sh
  measure_wall make_j2 "$rounds" 300 sh -c 'cd "$1" && make -s clean && make -s -j2' sh \
    "$WORK/project"
}

measure_startup() {
  local rounds=30
  [ "$QUICK" = 1 ] && rounds=5
  measure_wall startup "$rounds" 30 /bin/true
}

# ps_note: notes "ps -ef listed N lines" for every runner proc_ps measured (the
# box's view of the process table: the 200 plus the few processes running the benchmark).
ps_note() {
  local r lines
  for r in $(metric_runners proc_ps); do
    [ -n "${VAL[proc_ps|$r]:-}" ] || continue
    lines=$(out_value proc_ps "$r" lines)
    NOTE[proc_ps|$r]="ps -ef listed ${lines:-?} lines (header included)"
  done
}

measure_proc_ps() {
  local rounds=5 runs=10
  [ "$QUICK" = 1 ] && rounds=2 runs=3
  UNSHARE_MOUNT_PROC=1
  measure_keyed proc_ps "$rounds" 300 per_run_us "$OUT/with_procs" -p 200 -n "$runs" -- ps -ef
  UNSHARE_MOUNT_PROC=0
  M_DETAIL[proc_ps]=${M_DETAIL[proc_ps]/RUNS runs/$runs runs}
  M_DETAIL[proc_ps]=${M_DETAIL[proc_ps]/-n RUNS/-n $runs}
  ps_note
}

measure_proc_read() {
  local rounds=5 batches=11 budget=2000 r
  [ "$QUICK" = 1 ] && rounds=2 batches=5 budget=300
  UNSHARE_MOUNT_PROC=1
  measure_keyed proc_read "$rounds" 120 scan_us "$OUT/proc_read" -p 20 -b "$batches" -t "$budget"
  UNSHARE_MOUNT_PROC=0
  M_DETAIL[proc_read]+=" × $batches batches, about $budget ms each run"
  for r in $(metric_runners proc_read); do
    [ -n "${VAL[proc_read|$r]:-}" ] || continue
    NOTE[proc_read|$r]="a scan saw $(out_value proc_read "$r" entries) processes, read $(out_value proc_read "$r" files) files"
  done
}

measure_surface() {
  local rounds=5 batches=11 budget=800 call
  [ "$QUICK" = 1 ] && rounds=2 batches=5 budget=200
  for call in "${SURFACE_CALLS[@]}"; do
    measure_keyed "surface_$call" "$rounds" 120 "${call}_ns" "$OUT/surface_calls" -b "$batches" \
      -t "$budget" "$call"
    M_DETAIL[surface_$call]+=" × $batches batches, about $budget ms each run"
  done
}

measure_open_cost() {
  local rounds=5 batches=11 budget=1000 file=/etc/hostname r
  [ "$QUICK" = 1 ] && rounds=2 batches=5 budget=200
  if ! [ -f "$file" ] || ! [ -r "$file" ]; then
    file=$WORK/open_cost.file
    echo data >"$file"
  fi
  measure_keyed open_cost "$rounds" 120 open_close_us "$OUT/open_cost" -b "$batches" -t "$budget" "$file"
  M_DETAIL[open_cost]=${M_DETAIL[open_cost]/FILE/$file}
  M_DETAIL[open_cost]=${M_DETAIL[open_cost]/FILE,/$file,}
  M_DETAIL[open_cost]+=" × $batches batches, about $budget ms each run"
  for r in $(metric_runners open_cost); do
    [ -n "${VAL[open_cost|$r]:-}" ] || continue
    NOTE[open_cost|$r]="$(out_value open_cost "$r" calls) pairs/batch"
  done
}

measure_sig_lat() {
  local rounds=5 batches=11 budget=1500 round r status key value call
  [ "$QUICK" = 1 ] && rounds=2 batches=5 budget=300
  for ((round = 0; round < rounds; round++)); do
    for r in $(live_runners "$round" sig_kill0_self); do
      [ -n "${NOTE[sig_kill0_self|$r]:-}" ] && continue
      runner_prefix "$r"
      timeout -k 5 120 "${PREFIX[@]}" "$OUT/sig_lat" -b "$batches" -t "$budget" \
        </dev/null >"$WORK/sig.out" 2>"$WORK/err"
      status=$?
      if [ "$status" -ne 0 ] || ! grep -q '^tgkill0_self_ns=' "$WORK/sig.out"; then
        mark_failed "$r" "$(exit_reason "$status" "$WORK/err")" "${SIG_LAT_CALLS[@]/#/sig_}"
        log "sig_lat under $r failed: ${NOTE[sig_kill0_self|$r]}"
        continue
      fi
      while IFS='=' read -r key value; do
        case "$key" in
          *_ns) echo "$value" >>"$WORK/sig_${key%_ns}.$r.samples" ;;
          *_calls) echo "$value" >"$WORK/sig_${key%_calls}.$r.calls" ;;
        esac
      done <"$WORK/sig.out"
    done
  done
  for call in "${SIG_LAT_CALLS[@]}"; do
    M_DETAIL[sig_$call]+="; $rounds runs × $batches batches"
    finish_metric "sig_$call"
    for r in $(metric_runners "sig_$call"); do
      [ -n "${VAL[sig_$call|$r]:-}" ] && NOTE[sig_$call|$r]="$(cat "$WORK/sig_$call.$r.calls") calls/batch"
    done
  done
}

# stress_rates FILE: "NAME RATE" for every stressor's metrics line of a stress-ng
# --metrics-brief log (bogo ops/s in real time).
stress_rates() {
  awk '$2 == "metrc:" && $5 ~ /^[0-9]+$/ && NF >= 10 { print $4, $9 }' "$1"
}

# stress_notes FILE STRESSOR: what a stress-ng log reports of one stressor beside its metrics,
# for the notes: its fail lines (the pthread stressor's documented set_tid_address failure
# apart), and an error exit.
stress_notes() {
  local fails tid_fails
  fails=$(grep -cE "^stress-ng: fail: +\[[0-9]+\] $2: " "$1")
  tid_fails=$(grep -cE "^stress-ng: fail: +\[[0-9]+\] $2: set_tid_address failed" "$1")
  [ "$fails" -gt "$tid_fails" ] && echo "$((fails - tid_fails)) fail lines"
  [ "$tid_fails" -gt 0 ] &&
    echo "the documented set_tid_address failure, whose fifth report ends the stressor early"
  grep -qE "\($2\) terminated with an error" "$1" && echo "ended in error"
  return 0
}

# run_stress METRIC_PREFIX SECONDS RUNNER STRESSOR...: one stress-ng run, its rates recorded as
# samples of METRIC_PREFIX<stressor>; returns non-zero when a stressor reported nothing.
run_stress() {
  local prefix=$1 secs=$2 r=$3 status s rate args=() missing=0
  shift 3
  for s in "$@"; do args+=("--$s" 1); done
  runner_prefix "$r"
  timeout -k 5 $((secs * 6 + 60)) "$OUT/walltime" -q -- "${PREFIX[@]}" stress-ng "${args[@]}" \
    --timeout "${secs}s" --metrics-brief </dev/null >"$WORK/stress.wall" 2>"$WORK/stress.log"
  status=$?
  for s in "$@"; do
    rate=$(stress_rates "$WORK/stress.log" | awk -v s="$s" '$1 == s { print $2; exit }')
    if [ -z "$rate" ]; then
      missing=1
      continue
    fi
    echo "$rate" >>"$WORK/$prefix$s.$r.samples"
    stress_notes "$WORK/stress.log" "$s" >"$WORK/$prefix$s.$r.notes"
  done
  if [ "$prefix" = stress7_ ]; then
    sed -n 's/^wall_ns=//p' "$WORK/stress.wall" | awk '{ printf "%.3f\n", $1 / 1e6 }' \
      >>"$WORK/stress7_wall.$r.samples"
  fi
  if [ "$missing" = 1 ]; then
    cp "$WORK/stress.log" "$WORK/stress.$prefix$r.failed.log"
    log "stress-ng under $r: status $status, no metrics for some of: $* ($(grep -m1 -E 'error|fail' "$WORK/stress.log"))"
    return 1
  fi
}

stress_finish() { # METRIC: finish_metric plus the notes of the last run
  local metric=$1 r
  finish_metric "$metric"
  for r in $(metric_runners "$metric"); do
    [ -s "$WORK/$metric.$r.notes" ] && [ -n "${VAL[$metric|$r]:-}" ] &&
      NOTE[$metric|$r]=$(paste -sd';' "$WORK/$metric.$r.notes" | sed 's/;/; /g')
  done
}

measure_stress() {
  local rounds=3 secs=3 round r s
  [ "$QUICK" = 1 ] && rounds=1 secs=1
  for ((round = 0; round < rounds; round++)); do
    for s in "${STRESSORS[@]}"; do
      for r in $(live_runners "$round" "stress_$s"); do
        run_stress stress_ "$secs" "$r" "$s"
      done
    done
  done
  for s in "${STRESSORS[@]}"; do
    M_DETAIL[stress_$s]=${M_DETAIL[stress_$s]/--timeout T/--timeout ${secs}s}
    M_DETAIL[stress_$s]+="; median of $rounds runs"
    stress_finish "stress_$s"
  done
}

measure_stress_all() {
  local rounds=3 secs=5 round r s
  [ "$QUICK" = 1 ] && rounds=1 secs=2
  for ((round = 0; round < rounds; round++)); do
    for r in $(live_runners "$round" stress7_kill); do
      run_stress stress7_ "$secs" "$r" "${STRESSORS[@]}"
    done
  done
  for s in "${STRESSORS[@]}" wall; do
    M_DETAIL[stress7_$s]=${M_DETAIL[stress7_$s]/--timeout T/--timeout ${secs}s}
    M_DETAIL[stress7_$s]=${M_DETAIL[stress7_$s]/stop at T/stop at ${secs} s}
    M_DETAIL[stress7_$s]+="; median of $rounds runs"
    stress_finish "stress7_$s"
  done
}

measure_stat_cost() {
  local rounds=5 batches=11 budget=1000 file=/etc/hostname r
  [ "$QUICK" = 1 ] && rounds=2 batches=5 budget=200
  if ! [ -f "$file" ] || ! [ -r "$file" ]; then
    file=$WORK/stat_cost.file
    echo data >"$file"
  fi
  measure_keyed stat_cost "$rounds" 120 stat_us "$OUT/open_cost" -s -b "$batches" -t "$budget" "$file"
  M_DETAIL[stat_cost]=${M_DETAIL[stat_cost]//FILE/$file}
  M_DETAIL[stat_cost]+=" × $batches batches, about $budget ms each run"
  for r in $(metric_runners stat_cost); do
    [ -n "${VAL[stat_cost|$r]:-}" ] || continue
    NOTE[stat_cost|$r]="$(out_value stat_cost "$r" calls) calls/batch"
  done
}

# machine_reference: native pipe round trip between two processes, the floor
# of any round trip through a supervisor on this machine (PTI, virtualisation
# and the scheduler set it, not vpidbox). Sets MACHINE_REF.
machine_reference() {
  local same across
  same=$(timeout -k 5 60 "$OUT/pipe_rtt" -c 0,0 2>/dev/null | sed -n 's/^pipe_rtt_ns=//p')
  MACHINE_REF="pipe round trip between two processes (4 syscalls, 2 context switches;"
  MACHINE_REF+=" the floor of any supervisor round trip): ${same:-n/a} ns on one CPU"
  if [ "$(nproc)" -ge 2 ]; then
    across=$(timeout -k 5 60 "$OUT/pipe_rtt" -c 0,1 2>/dev/null | sed -n 's/^pipe_rtt_ns=//p')
    MACHINE_REF+=", ${across:-n/a} ns across two CPUs"
  fi
}

# ---------------------------------------------------------------- load -----

# The machine is shared: what else ran during the run is part of every figure. A sampler
# records the 1-minute load average every 2 s, and the CPU time of the whole machine
# (/proc/stat) is read at start and end.
cpu_times() { awk '$1 == "cpu" { print $2 + $3, $4 + $7 + $8, $5 + $6, $9; exit }' /proc/stat; }

load_sampler_start() {
  CPU_START=$(cpu_times)
  (
    while :; do
      cut -d' ' -f1 /proc/loadavg
      sleep 2
    done
  ) >"$WORK/load.samples" 2>/dev/null &
  LOAD_SAMPLER=$!
}

load_sampler_stop() {
  kill "$LOAD_SAMPLER" 2>/dev/null
  wait "$LOAD_SAMPLER" 2>/dev/null
  local end
  end=$(cpu_times)
  LOAD_DURING=$(sort -g "$WORK/load.samples" | awk '{ v[NR] = $1 }
    END { if (NR) printf "median %.2f, min %.2f, max %.2f over %d samples", v[int((NR + 1) / 2)], v[1], v[NR], NR }')
  # user+nice, system+irq+softirq, idle+iowait, steal: shares of the run's CPU time.
  CPU_DURING=$(echo "$CPU_START $end" | awk '{ u = $5 - $1; s = $6 - $2; i = $7 - $3; st = $8 - $4
    t = u + s + i + st; if (t > 0) printf "%.0f%% user, %.0f%% system, %.0f%% idle, %.0f%% stolen by the hypervisor", 100 * u / t, 100 * s / t, 100 * i / t, 100 * st / t }')
}

# -------------------------------------------------------------- report -----

fmt_value() { # VALUE UNIT
  case "$2" in
    ns) awk -v v="$1" 'BEGIN { printf "%.1f ns", v }' ;;
    ms) awk -v v="$1" 'BEGIN { printf "%.2f ms", v }' ;;
    ops) awk -v v="$1" 'BEGIN { printf "%.1f ops/s", v }' ;;
    us) awk -v v="$1" 'BEGIN { if (v >= 10000) printf "%.2f ms", v / 1000
                               else if (v >= 100) printf "%.1f µs", v
                               else printf "%.2f µs", v }' ;;
    *) echo "$1 $2" ;;
  esac
}

# table METRIC: the Markdown table of one metric.
table() {
  local metric=$1 r v ref refname ratio target met check note
  refname=${M_REF[$metric]:-native}
  ref=${VAL[$metric|$refname]:-}
  echo "### ${M_TITLE[$metric]}"
  echo
  echo "${M_DETAIL[$metric]}."
  echo
  echo "| runner | median | × $refname | target | met | note |"
  echo "|---|---:|---:|---|---|---|"
  for r in $(metric_runners "$metric"); do
    v=${VAL[$metric|$r]:-}
    note=${NOTE[$metric|$r]:-}
    target="" met=""
    if [ "$r" = vpidbox ] && [ -n "${M_TARGET[$metric]}" ]; then
      target=${M_TARGET[$metric]}
      check=${M_CHECK[$metric]}
      if [ -z "$v" ]; then
        met="n/a"
      elif [ -z "$ref" ] && [ "${check%% *}" != target_abs_le ]; then
        met="n/a (no $refname value)"
      elif ${check%% *} "$v" "${ref:-0}" "${check#* }"; then
        met="**yes**"
      else
        met="**no**"
      fi
    fi
    if [ -z "$v" ]; then
      echo "| $r | — | — | $target | $met | $note |"
      continue
    fi
    ratio="—"
    [ -n "$ref" ] && ratio=$(awk -v v="$v" -v n="$ref" 'BEGIN { if (n > 0) printf "%.3g×", v / n; else printf "—" }')
    echo "| $r | $(fmt_value "$v" "${M_UNIT[$metric]}") | $ratio | $target | $met | $note |"
  done
  echo
}

# runner_list_text: "native = CMD; vpidbox = `vpidbox run -- CMD`; ..." for the header.
runner_list_text() {
  local r text=""
  for r in "${RUNNERS[@]}"; do
    runner_prefix "$r" || continue
    [ ${#PREFIX[@]} -gt 0 ] && PREFIX[0]=${PREFIX[0]##*/}
    text+="${text:+; }$r = \`${PREFIX[*]}${PREFIX[*]:+ }CMD\`"
    [ "$r" = proot ] && text+=" (PROOT_NO_SECCOMP unset)"
  done
  echo "$text"
}

# binary_id: identifies the vpidbox build in use, to notice a rebuild mid-run.
binary_id() { sha256sum "$VPIDBOX" 2>/dev/null | cut -c1-16; }

write_results() {
  local metric tmp=$RESULTS.tmp.$$ commit
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")
  if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -1)" ]; then
    commit="$commit (work tree has uncommitted changes)"
  fi
  {
    echo "# vpidbox benchmark results"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- Kernel: $(uname -r)"
    echo "- CPUs: $(nproc) ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//'))"
    echo "- Command: \`$INVOCATION\`"
    echo "- Source: $commit; vpidbox: $VPIDBOX_INFO"
    if [ "$(binary_id)" != "$VPIDBOX_ID" ]; then
      echo "- **Warning: $VPIDBOX changed during the run; the vpidbox figures may mix two builds.**"
    fi
    echo "- Runners: $(runner_list_text)"
    for r in "${RUNNERS[@]}"; do
      [ -n "${RUNNER_REMARK[$r]:-}" ] && echo "- Note on $r: ${RUNNER_REMARK[$r]}."
      [ -n "${RUNNER_NA[$r]:-}" ] && echo "- $r could not be measured: ${RUNNER_NA[$r]}."
    done
    echo "- Method: all runners measured in one run, interleaved round by round (the" \
      "runner order rotates every round); each value is the median over the rounds." \
      "Everything ran inside an outer \`unshare --pid --fork --mount-proc\`" \
      "(safety namespace: ${VPIDBOX_SAFETY_NS})."
    echo "- Machine reference (native): $MACHINE_REF"
    echo "- Load average (1/5/15 min): $LOAD_START at start, $LOAD_END at end" \
      "(the run itself adds about 1; more means something else competed for the CPUs)"
    echo "- Load during the run (1-min load average, sampled every 2 s): ${LOAD_DURING:-n/a};" \
      "the machine's CPU time during the run: ${CPU_DURING:-n/a}"
    [ "$QUICK" = 1 ] && echo "- **BENCH_QUICK=1: reduced rounds, figures are indicative only.**"
    echo
    echo "## Results"
    echo
    for metric in "${METRICS[@]}"; do
      [ -n "${MEASURED[$metric]:-}" ] && table "$metric"
    done
    echo "## What dominates"
    echo
    echo "<!-- analysis -->"
  } >"$tmp" && mv "$tmp" "$RESULTS"
}

# ----------------------------------------------------------------- main ----

main() {
  local suites=("$@") suite started=$SECONDS
  LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  VPIDBOX_ID=$(binary_id)
  if [ -x "$VPIDBOX" ]; then
    VPIDBOX_INFO="\`${VPIDBOX#"$ROOT"/}\`, built $(date -u -r "$VPIDBOX" '+%Y-%m-%d %H:%M:%S UTC')"
  else
    VPIDBOX_INFO="not built"
  fi
  [ ${#suites[@]} -eq 0 ] && suites=("${ALL_SUITES[@]}")
  for suite in "${suites[@]}"; do
    declare -F "measure_$suite" >/dev/null || { log "unknown suite: $suite"; return 2; }
  done
  ensure_tools
  compile_programs || return 1
  probe_runners
  machine_reference
  load_sampler_start
  for suite in "${suites[@]}"; do
    log "measuring $suite"
    "measure_$suite"
  done
  LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
  load_sampler_stop
  [ "$(binary_id)" != "$VPIDBOX_ID" ] && log "warning: $VPIDBOX changed during the run"
  write_results || { log "cannot write $RESULTS"; return 1; }
  log "done in $((SECONDS - started)) s; wrote ${RESULTS#"$ROOT"/}"
  cat "$RESULTS"
}

main "$@"
