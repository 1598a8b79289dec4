#!/usr/bin/env bash
# vpidbox benchmark harness.
#
#   bash bench/run.sh [SUITE...]
#
# Measures, in one run and interleaved across runners, each suite under every
# runner of $BENCH_RUNNERS (default: native vpidbox unshare proot strace):
#   syscall_lat  getpid (intercepted by vpidbox) and getuid (not intercepted)
#                per-call latency, bench/out/syscall_lat
#   spawn_loop   bash loop spawning 500 /bin/true, wall time
#   startup      RUNNER /bin/true, wall time
# plus a native machine reference (bench/out/pipe_rtt: the context-switch
# floor of any supervisor round trip), and writes bench/RESULTS.md (overwritten): one Markdown table per metric,
# absolute values and ratios to native, plus vpidbox's target and whether it
# is met.
#
# Environment:
#   VPIDBOX         the binary (default: build/supervisor/vpidbox)
#   BENCH_RUNNERS   runners to use, in order (native must be among them for ratios)
#   BENCH_QUICK=1   few rounds, for testing the harness itself
#   BENCH_RESULTS   where to write the results (default: bench/RESULTS.md)
#
# Adding a benchmark: write measure_<suite> (usually a call to measure_wall
# with the command to time), register its metric(s) with define_metric, and
# add the suite to ALL_SUITES. A runner is a case in runner_prefix.
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
read -ra RUNNERS <<<"${BENCH_RUNNERS:-native vpidbox unshare proot strace}"
ALL_SUITES=(syscall_lat spawn_loop fork_wait make_j2 startup)

unset PROOT_NO_SECCOMP # proot's normal mode: seccomp-accelerated ptrace

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vpidbox-bench.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

log() { printf '[bench] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- setup ----

ensure_tools() {
  local missing=() tool
  for tool in strace proot; do
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
  for prog in syscall_lat walltime pipe_rtt fork_wait; do
    if ! "$cc" -O2 -Wall -Wextra -Werror -o "$OUT/$prog" "$BENCH_DIR/$prog.c"; then
      log "cannot compile bench/$prog.c"
      return 1
    fi
  done
}

# -------------------------------------------------------------- runners ----

# runner_prefix RUNNER: sets PREFIX to the argv prefix that runs a command
# under RUNNER (empty for native).
runner_prefix() {
  case "$1" in
    native) PREFIX=() ;;
    vpidbox) PREFIX=("$VPIDBOX" run --) ;;
    unshare) PREFIX=(unshare --pid --fork) ;;
    proot) PREFIX=(proot) ;;
    strace) PREFIX=(strace -f -o /dev/null) ;;
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
      vpidbox) [ -x "$VPIDBOX" ] || { RUNNER_NA[$r]="binary not built ($VPIDBOX)"; continue; } ;;
      native) ;;
      *) command -v "${PREFIX[0]}" >/dev/null 2>&1 ||
        { RUNNER_NA[$r]="${PREFIX[0]} not installed"; continue; } ;;
    esac
    timeout -k 5 30 "${PREFIX[@]}" /bin/true </dev/null >/dev/null 2>"$WORK/probe.err"
    status=$?
    if [ "$status" -ne 0 ]; then
      RUNNER_NA[$r]="\`$r true\` failed: $(exit_reason "$status" "$WORK/probe.err")"
    fi
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
declare -A M_UNIT    # metric -> ns | ms
declare -A M_TARGET  # metric -> target text (for vpidbox), empty for none
declare -A M_CHECK   # metric -> function VALUE NATIVE -> exit 0 when met
declare -A M_DETAIL  # metric -> how it was measured
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

# live_runners: the runners not known to be n/a, rotated by $1 so that no
# runner always goes first (interleaving spreads drift evenly).
live_runners() {
  local shift_by=$1 live=() r i n
  for r in "${RUNNERS[@]}"; do
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
  for r in "${RUNNERS[@]}"; do
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
    for r in $(live_runners "$round"); do
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

# ------------------------------------------------------------- targets -----

target_abs_le() { awk -v v="$1" -v t="$3" 'BEGIN { exit !(v <= t) }'; }
target_ratio_le() { awk -v v="$1" -v n="$2" -v t="$3" 'BEGIN { exit !(n > 0 && v / n <= t) }'; }
target_over_le() { awk -v v="$1" -v n="$2" -v t="$3" 'BEGIN { exit !(v - n <= t) }'; }

# --------------------------------------------------------------- suites ----

define_metric getpid_lat ns "getpid latency (intercepted by vpidbox)" \
  "median per-call time of raw syscall(SYS_getpid) (a run's value: median of its batch means)" \
  "≤ 2000 ns median" "target_abs_le 2000"
define_metric getuid_lat ns "getuid latency (not intercepted)" \
  "median per-call time of raw syscall(SYS_getuid), batches interleaved with getpid's" \
  "≤ 1.05× native" "target_ratio_le 1.05"
define_metric spawn_loop ms "bash loop spawning 500 /bin/true" \
  "RUNNER bash -c 'for i in \$(seq 500); do /bin/true; done', wall time" \
  "≤ 1.3× native" "target_ratio_le 1.3"
define_metric fork_wait ms "fork/wait microbenchmark: 500 × fork, _exit, waitpid" \
  "RUNNER bench/out/fork_wait 500, wall time"
define_metric make_j2 ms "make -j2 of a generated 100-file C project" \
  "RUNNER sh -c 'make -s clean && make -s -j2' in a generated project of 100 .c files, wall time" \
  "≤ 1.05× native" "target_ratio_le 1.05"
define_metric startup ms "start-up: RUNNER /bin/true" \
  "wall time of RUNNER /bin/true from fork to reap" \
  "≤ native + 10 ms" "target_over_le 10"

# measure_syscall_lat: getpid_lat and getuid_lat, ROUNDS runs of syscall_lat
# per runner, interleaved; each runner's value is the median over its runs.
measure_syscall_lat() {
  local rounds=5 batches=21 round r status line key metric
  [ "$QUICK" = 1 ] && rounds=2 batches=5
  for ((round = 0; round < rounds; round++)); do
    for r in $(live_runners "$round"); do
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
  for r in "${RUNNERS[@]}"; do
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

# -------------------------------------------------------------- report -----

fmt_value() { # VALUE UNIT
  case "$2" in
    ns) awk -v v="$1" 'BEGIN { printf "%.1f ns", v }' ;;
    ms) awk -v v="$1" 'BEGIN { printf "%.2f ms", v }' ;;
    *) echo "$1 $2" ;;
  esac
}

# table METRIC: the Markdown table of one metric.
table() {
  local metric=$1 r v native ratio target met check note
  native=${VAL[$metric|native]:-}
  echo "### ${M_TITLE[$metric]}"
  echo
  echo "${M_DETAIL[$metric]}."
  echo
  echo "| runner | median | × native | target | met | note |"
  echo "|---|---:|---:|---|---|---|"
  for r in "${RUNNERS[@]}"; do
    v=${VAL[$metric|$r]:-}
    note=${NOTE[$metric|$r]:-}
    target="" met=""
    if [ "$r" = vpidbox ] && [ -n "${M_TARGET[$metric]}" ]; then
      target=${M_TARGET[$metric]}
      check=${M_CHECK[$metric]}
      if [ -z "$v" ]; then
        met="n/a"
      elif [ -z "$native" ] && [ "${check%% *}" != target_abs_le ]; then
        met="n/a (no native value)"
      elif ${check%% *} "$v" "${native:-0}" "${check#* }"; then
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
    [ -n "$native" ] && ratio=$(awk -v v="$v" -v n="$native" 'BEGIN { printf "%.2f×", v / n }')
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
  for suite in "${suites[@]}"; do
    log "measuring $suite under: $(live_runners 0 | tr '\n' ' ')"
    "measure_$suite"
  done
  LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
  [ "$(binary_id)" != "$VPIDBOX_ID" ] && log "warning: $VPIDBOX changed during the run"
  write_results || { log "cannot write $RESULTS"; return 1; }
  log "done in $((SECONDS - started)) s; wrote ${RESULTS#"$ROOT"/}"
  cat "$RESULTS"
}

main "$@"
