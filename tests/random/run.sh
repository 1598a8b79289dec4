#!/usr/bin/env bash
# Differential random-program runner.
#
#   run.sh VPIDBOX_BINARY RANDPROG_BINARY [FIRST_SEED [COUNT]]
#
# For every seed FIRST_SEED .. FIRST_SEED+COUNT-1 (default 1 and 100), runs `RANDPROG SEED` twice:
#   oracle: as init of a kernel pid namespace   unshare --pid --fork --mount-proc RANDPROG SEED
#   box:    as init of a vpidbox box            VPIDBOX_BINARY run -- RANDPROG SEED
# (VPIDBOX_ENGINE chooses the box's engine, as for the conformance runner) and compares stdout
# plus a final "exit=STATUS" line; a process of the run left after it ends adds a "leftover="
# line. On a difference it prints the seed, the program (RANDPROG --print SEED) and the diff. An
# oracle run that times out is a failure too: the generator chose a step that blocks.
# VPIDBOX_RANDOM_JOBS (default 2) seeds run at a time. Ends with "N passed, M failed".
set -u

# Safety first: everything this script starts lives in a pid namespace of its own
# (tests/lib/runner.sh).
. "$(dirname "$0")/../lib/runner.sh"
enter_safety_namespace "$@"

if [ $# -lt 2 ]; then
  echo "usage: $0 VPIDBOX_BINARY RANDPROG_BINARY [FIRST_SEED [COUNT]]" >&2
  exit 2
fi
vpidbox=$1
randprog=$(cd "$(dirname "$2")" && pwd -P)/$(basename "$2")
first=${3:-1}
count=${4:-100}
jobs=${VPIDBOX_RANDOM_JOBS:-2}
per_run_timeout=10  # seconds; a run takes well under one

for f in "$vpidbox" "$randprog"; do
  if [ ! -x "$f" ]; then
    echo "missing: $f" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
done

ulimit -c 0
work=$(mktemp -d "${TMPDIR:-/tmp}/vpidbox-random.XXXXXX") || exit 2
if [ -n "${VPIDBOX_TEST_KEEP:-}" ]; then
  echo "outputs kept in $work"
else
  trap 'rm -rf "$work"' EXIT
fi

# Prints "pid" for every process running RANDPROG with seed $1 (every process of a run has the
# seed in its command line: "RANDPROG SEED", or "RANDPROG --resume SEED ..." after an exec).
leftovers() {
  local d args
  for d in /proc/[0-9]*; do
    { args=$(tr "\0" " " <"$d/cmdline"); } 2>/dev/null || continue
    case "$args" in
      "$randprog $1 "* | "$randprog --resume $1 "*) echo "${d#/proc/}" ;;
    esac
  done
}

# run_one MODE SEED OUT: stdout + "exit=N" (+ "leftover=N") of one run to OUT, stderr to OUT.err.
run_one() {
  local mode=$1 seed=$2 out=$3 cmd left
  if [ "$mode" = oracle ]; then
    cmd=(unshare --pid --fork --mount-proc "$randprog" "$seed")
  else
    cmd=("$vpidbox" run ${VPIDBOX_ENGINE:+--engine="$VPIDBOX_ENGINE"} -- "$randprog" "$seed")
  fi
  # The group's stderr takes bash's own "Killed" report when the run times out.
  { timeout -k 2 "$per_run_timeout" "${cmd[@]}" >"$out" 2>"$out.err" </dev/null; } 2>/dev/null
  echo "exit=$?" >>"$out"
  left=$(leftovers "$seed")
  if [ -n "$left" ]; then
    echo "leftover=$(echo "$left" | wc -l)" >>"$out"
    # shellcheck disable=SC2086  # one pid a word
    kill -KILL $left 2>/dev/null
  fi
}

# check_seed SEED: runs both, writes "ok" or the failure report to $work/SEED.result.
check_seed() {
  local seed=$1 base=$work/$1
  run_one oracle "$seed" "$base.oracle"
  run_one box "$seed" "$base.box"
  {
    if grep -qx 'exit=124\|exit=137' "$base.oracle"; then
      echo "FAIL seed $seed: the oracle run timed out (a generator bug: a step blocks)"
    elif diff -u --label "oracle: unshare --pid --fork --mount-proc randprog $seed" \
      --label "box: vpidbox run -- randprog $seed" "$base.oracle" "$base.box" >"$base.diff"; then
      echo ok
    else
      echo "FAIL seed $seed"
    fi
  } >"$base.partial"
  if [ "$(cat "$base.partial")" != ok ]; then
    {
    echo "    --- program ($randprog --print $seed):"
    "$randprog" --print "$seed" | sed 's/^/    /'
    echo "    --- diff:"
    sed 's/^/    /' "$base.diff" 2>/dev/null
    for mode in box oracle; do
      if [ -s "$base.$mode.err" ]; then
        echo "    --- stderr of the $mode run (first 20 lines):"
        head -n 20 "$base.$mode.err" | sed 's/^/    /'
      fi
    done
    } >>"$base.partial"
  fi
  mv "$base.partial" "$base.result"  # complete: report_until may read it
  [ -n "${VPIDBOX_TEST_KEEP:-}" ] || rm -f "$base.oracle" "$base.box" "$base".*.err "$base.diff"
}

passed=0
failed=0
# Reports the results of seeds up to $1 (exclusive) that are done, in seed order.
next_report=$first
report_until() {
  while [ "$next_report" -lt "$1" ]; do
    local f=$work/$next_report.result
    [ -f "$f" ] || return
    if [ "$(cat "$f")" = ok ]; then
      passed=$((passed + 1))
    else
      cat "$f"
      failed=$((failed + 1))
    fi
    rm -f "$f"
    next_report=$((next_report + 1))
  done
}

end=$((first + count))
for ((seed = first; seed < end; seed++)); do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
    wait -n
  done
  check_seed "$seed" &
  report_until "$seed"
done
wait
report_until "$end"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
