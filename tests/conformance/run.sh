#!/usr/bin/env bash
# Differential conformance runner.
#
#   run.sh VPIDBOX_BINARY CONFORMANCE_BIN_DIR [NAME...]
#
# For every program NAME (one per tests/conformance/NAME.c next to this script, or only the NAMEs
# given), runs CONFORMANCE_BIN_DIR/NAME twice:
#   oracle: as init of a kernel pid namespace   unshare --pid --fork --mount-proc NAME
#   box:    as init of a vpidbox box            VPIDBOX_BINARY run -- NAME
# (VPIDBOX_ENGINE and VPIDBOX_PROC, when set, are passed to vpidbox run as --engine and --proc.
# VPIDBOX_WRAP, when set, is a command prefix both runs execute in: the box side as
#   VPIDBOX_WRAP VPIDBOX_BINARY run -- NAME
# and the oracle's init inside its namespace as
#   unshare --pid --fork --mount-proc VPIDBOX_WRAP NAME
# e.g. the Docker-like environment, tests/dockerlike, or setpriv to a plain user.)
# and compares stdout plus a final "exit=STATUS" line and an "outside_witness=" line (whether a
# process outside both, whose pid the programs get, was left untouched: see start_witness).
# After each run, no process executing a file from CONFORMANCE_BIN_DIR may remain ("leftover="
# lines are added to the output otherwise).
# A program that prints "send_signals=SIG1 SIG2 ..." gets those signals, in order, 0.3 s apart:
# the oracle's namespace init receives them directly, the box's vpidbox process receives them
# (vpidbox forwards them to its init).
# Lines whose keys tests/conformance/known_differences lists for NAME (differences the README
# documents) are left out of the comparison; "ok NAME (known differences: ...)" says so.
# Prints "ok NAME" or "FAIL NAME" and the diff, then "N passed, M failed"; exits 1 on a failure.
set -u

# Safety first: everything this script starts lives in a pid namespace of its own
# (tests/lib/runner.sh). The machine's pid_max goes along, for the programs that must see it
# (run_options).
[ -n "${VPIDBOX_SAFETY_NS:-}" ] || export VPIDBOX_HOST_PID_MAX="$(cat /proc/sys/kernel/pid_max)"
. "$(dirname "$0")/../lib/runner.sh"
enter_safety_namespace "$@"

if [ $# -lt 2 ]; then
  echo "usage: $0 VPIDBOX_BINARY CONFORMANCE_BIN_DIR [NAME...]" >&2
  exit 2
fi
vpidbox=$(realpath "$1") || exit 2
bin_dir=$(cd "$2" && pwd -P) || exit 2
shift 2
read -ra wrap <<<"${VPIDBOX_WRAP:-}"
# The /proc mode the box runs with, for the differences that belong to one mode (known_keys).
proc_mode=${VPIDBOX_PROC:-}
if [ -z "$proc_mode" ]; then
  proc_mode=$(cd / && "${wrap[@]}" "$vpidbox" check 2>/dev/null |
    sed -n "s|^/proc for 'run': \([a-z]*\).*|\1|p")
fi
src_dir=$(cd "$(dirname "$0")" && pwd -P)

per_run_timeout=20  # seconds, for one run of one program (run_options may give one more)
max_run_timeout=120 # seconds, the most run_options may give
signal_gap=0.3      # seconds between two signals of a send_signals= line

ulimit -c 0
work=$(mktemp -d "${TMPDIR:-/tmp}/vpidbox-conformance.XXXXXX") || exit 2
# VPIDBOX_TEST_KEEP=1 keeps the outputs of every run for inspection.
if [ -n "${VPIDBOX_TEST_KEEP:-}" ]; then
  echo "outputs kept in $work"
else
  trap 'rm -rf "$work"' EXIT
fi

# Prints "pid exe" for every process executing a file from the conformance bin dir.
leftovers() {
  local d pid exe
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    exe=$(readlink "$d/exe" 2>/dev/null) || continue
    case $exe in "$bin_dir"/*) echo "$pid ${exe##*/}" ;; esac
  done
}

# run_option NAME KEY: the value of KEY=VALUE on NAME's lines of run_options, or nothing.
run_option() {
  local prog options option
  [ -r "$src_dir/run_options" ] || return 0
  while read -r prog options; do
    [ "$prog" = "$1" ] || continue
    for option in ${options%%#*}; do
      case $option in "$2"=*) echo "${option#*=}" ;; esac
    done
  done <"$src_dir/run_options"
}

# run_timeout NAME: the seconds one run of NAME may take.
run_timeout() {
  local t
  t=$(run_option "$1" timeout)
  case $t in '' | *[!0-9]*) t=$per_run_timeout ;; esac
  [ "$t" -gt "$max_run_timeout" ] && t=$max_run_timeout
  [ "$t" -lt "$per_run_timeout" ] && t=$per_run_timeout
  echo "$t"
}

# run_one MODE PROG OUT: runs PROG as oracle or box init, writes stdout + "exit=N" (+ leftovers)
# to OUT, stderr to OUT.err.
run_one() {
  local mode=$1 prog=$2 out=$3 cmd tpid target sigs sig status deadline sent=0 left pid limit
  if [ "$mode" = oracle ]; then
    cmd=(unshare --pid --fork --mount-proc "${wrap[@]}" "$prog")
  else
    cmd=("${wrap[@]}" "$vpidbox" run ${VPIDBOX_ENGINE:+--engine="$VPIDBOX_ENGINE"} ${VPIDBOX_PROC:+--proc="$VPIDBOX_PROC"} -- "$prog")
  fi
  limit=$(run_timeout "${prog##*/}")
  timeout -k 2 "$limit" "${cmd[@]}" >"$out" 2>"$out.err" </dev/null &
  tpid=$!
  deadline=$((SECONDS + limit + 5))
  # stderr of this block goes nowhere: bash reports a background job that died by a signal
  # ("Segmentation fault ...") on its own stderr. Errors worth keeping go to $out.err.
  {
    while alive "$tpid" && [ "$SECONDS" -lt "$deadline" ]; do
      if [ "$sent" = 0 ] && sigs=$(grep -m1 '^send_signals=' "$out"); then
        sent=1
        # timeout -> unshare -> namespace init, or timeout -> vpidbox.
        target=$(children_of "$tpid" | head -n1)
        [ "$mode" = oracle ] && [ -n "$target" ] && target=$(children_of "$target" | head -n1)
        if [ -z "$target" ]; then
          echo "runner: no process to signal" >>"$out.err"
        else
          for sig in ${sigs#send_signals=}; do
            kill -s "$sig" "$target" 2>>"$out.err"
            sleep "$signal_gap"
          done
        fi
      fi
      sleep 0.02
    done
    alive "$tpid" && kill -KILL "$tpid"  # timeout(1) itself is stuck: cannot happen, but bound it
    wait "$tpid"
  } 2>/dev/null
  status=$?
  echo "exit=$status" >>"$out"
  # No run may reach the witness: a signal it got stays pending (or killed or stopped it). A
  # witness that was reached is replaced, so that the next program starts clean.
  local reached
  reached=$(witness_state)
  echo "outside_witness=$reached" >>"$out"
  if [ "$reached" != untouched ]; then
    kill -KILL "$witness" 2>/dev/null
    start_witness
  fi
  left=$(leftovers)
  if [ -n "$left" ]; then
    echo "leftover=$(echo "$left" | awk '{print $2}' | sort | tr '\n' ' ')" >>"$out"
    # They descend from this runner; end them so that the next test starts clean.
    for pid in $(echo "$left" | awk '{print $1}'); do kill -KILL "$pid" 2>/dev/null; done
  fi
}

# An outside witness: a process of the runner's own pid space, so in neither the oracle's
# namespace nor the box, that the programs may try to address (VPIDBOX_TEST_OUTSIDE_PID): every
# call must fail as it fails in the oracle, where the number names nothing. It leads its own
# session and group, so the number is also a pgid and a sid outside. Numbered high (ns_last_pid
# of the runner's namespace), so that no program's own numbers reach it, and so that every real
# pid of the box is above the range the programs scan. It blocks every signal, so that whatever
# reaches it stays pending, where witness_state sees it (SIGKILL and SIGSTOP, which cannot be
# blocked, show as its death or its stop).
start_witness() {
  echo 29999 >/proc/sys/kernel/ns_last_pid 2>/dev/null
  setsid env --block-signal sleep 100000 </dev/null >/dev/null 2>&1 &
  witness=$!
  disown "$witness"  # no "Killed" report from bash when the trap ends it
  export VPIDBOX_TEST_OUTSIDE_PID=$witness
}

# Prints "untouched" while the witness lives, runs and has no signal pending; otherwise what
# happened to it.
witness_state() {
  local line state key value pending=
  { read -r line <"/proc/$witness/stat"; } 2>/dev/null || {
    echo gone
    return
  }
  line=${line##*) }
  state=${line%% *}
  case $state in
    Z) echo killed && return ;;
    T | t) echo stopped && return ;;
  esac
  while read -r key value; do
    case $key in SigPnd: | ShdPnd:) [ "$value" = 0000000000000000 ] || pending+="$key$value " ;; esac
  done <"/proc/$witness/status"
  echo "${pending:-untouched}"
}

start_witness
if [ -n "${VPIDBOX_TEST_KEEP:-}" ]; then
  trap 'kill -KILL "$witness" 2>/dev/null' EXIT
else
  trap 'kill -KILL "$witness" 2>/dev/null; rm -rf "$work"' EXIT
fi

# known_keys NAME: the keys of NAME's lines that may differ, joined by "|" (known_differences;
# a program may have several lines there; NAME@MODE lines apply with that /proc mode only,
# NAME@MODE/ENGINE lines with that mode on that engine (VPIDBOX_ENGINE) only, and NAME@wrapped
# lines in a VPIDBOX_WRAP environment only).
known_keys() {
  local prog keys all=()
  [ -r "$src_dir/known_differences" ] || return 0
  while read -r prog keys; do
    [ "$prog" = "$1" ] || [ "$prog" = "$1@$proc_mode" ] ||
      { [ -n "${VPIDBOX_ENGINE:-}" ] && [ "$prog" = "$1@$proc_mode/$VPIDBOX_ENGINE" ]; } ||
      { [ -n "${VPIDBOX_WRAP:-}" ] && [ "$prog" = "$1@wrapped" ]; } || continue
    keys=${keys%%#*}
    # shellcheck disable=SC2206  # split the keys on blanks
    all+=($keys)
  done <"$src_dir/known_differences"
  local IFS='|'
  echo "${all[*]}"
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for src in "$src_dir"/*.c; do
    name=${src##*/}
    names+=("${name%.c}")
  done
fi

passed=0
failed=0
for name in "${names[@]}"; do
  prog=$bin_dir/$name
  if [ ! -x "$prog" ]; then
    echo "FAIL $name"
    echo "    program $prog is missing"
    failed=$((failed + 1))
    continue
  fi
  if [ ! -x "$vpidbox" ]; then
    echo "FAIL $name"
    echo "    vpidbox binary $vpidbox is missing"
    failed=$((failed + 1))
    continue
  fi
  # pid_max=host: the runner's namespace takes the machine's pid_max for this program, so that
  # the box's supervisor (and the real pids) live under it as on the machine. Only where
  # pid_max is per namespace (it differs from the machine's here): elsewhere a write would
  # change the machine's.
  own_pid_max=$(cat /proc/sys/kernel/pid_max)
  host_like=
  if [ "$(run_option "$name" pid_max)" = host ] && [ -n "${VPIDBOX_HOST_PID_MAX:-}" ] &&
    [ "$VPIDBOX_HOST_PID_MAX" != "$own_pid_max" ]; then
    echo "$VPIDBOX_HOST_PID_MAX" >/proc/sys/kernel/pid_max 2>/dev/null && host_like=1
  fi
  run_one oracle "$prog" "$work/$name.oracle"
  run_one box "$prog" "$work/$name.box"
  if [ -n "$host_like" ]; then
    # Back to this namespace's own, and numbering above the witness again (the real pids
    # wrapped meanwhile).
    echo "$own_pid_max" >/proc/sys/kernel/pid_max
    echo 29999 >/proc/sys/kernel/ns_last_pid 2>/dev/null
  fi
  # Lines of documented known differences are set aside and compared on their own.
  keys=$(known_keys "$name")
  for mode in oracle box; do
    if [ -n "$keys" ]; then
      grep -v -E "^($keys)=" "$work/$name.$mode" >"$work/$name.$mode.cmp"
      grep -E "^($keys)=" "$work/$name.$mode" >"$work/$name.$mode.known"
    else
      cp "$work/$name.$mode" "$work/$name.$mode.cmp"
      : >"$work/$name.$mode.known"
    fi
  done
  if diff -u --label "oracle: unshare --pid --fork --mount-proc $name" \
    --label "box: vpidbox run -- $name" "$work/$name.oracle.cmp" "$work/$name.box.cmp" \
    >"$work/$name.diff"; then
    if [ -z "$keys" ]; then
      echo "ok $name"
    elif cmp -s "$work/$name.oracle.known" "$work/$name.box.known"; then
      echo "ok $name (listed known differences did not show: ${keys//|/ };" \
        "remove them from known_differences?)"
    else
      echo "ok $name (known differences: ${keys//|/ })"
    fi
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    sed 's/^/    /' "$work/$name.diff"
    [ -n "$keys" ] && echo "    (known differences, not compared: ${keys//|/ })"
    if [ -s "$work/$name.box.err" ]; then
      echo "    --- stderr of the box run (first 20 lines):"
      head -n 20 "$work/$name.box.err" | sed 's/^/    /'
    fi
    if [ -s "$work/$name.oracle.err" ]; then
      echo "    --- stderr of the oracle run (first 20 lines):"
      head -n 20 "$work/$name.oracle.err" | sed 's/^/    /'
    fi
    failed=$((failed + 1))
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
