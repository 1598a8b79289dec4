#!/usr/bin/env bash
# Test suites nobody here wrote, run differentially: each module of CPython's own test suite
# (libpython3-testsuite) and of psutil's (python3-psutil) runs as init of a kernel pid namespace
# (unshare --pid --fork --mount-proc, the oracle) and as init of a box; the status of every test
# (ok, FAIL, ERROR, skipped) must be the same both ways.
#
#   run.sh VPIDBOX_BINARY [MODULE...]
#
# A MODULE is "cpython:test_os" or "psutil:test_posix". VPIDBOX_ENGINE is passed on as --engine.
# Prints "ok MODULE" or "FAIL MODULE" with the differing tests, then "N passed, M failed".
set -u

# Safety first: everything this script starts lives in a pid namespace of its own
# (tests/lib/runner.sh).
. "$(dirname "$0")/../lib/runner.sh"
enter_safety_namespace "$@"

if [ $# -lt 1 ]; then
  echo "usage: $0 VPIDBOX_BINARY [MODULE...]" >&2
  exit 2
fi
vpidbox=$1
shift
[[ $vpidbox == /* ]] || vpidbox=$PWD/$vpidbox
# The modules whose results do not depend on timing or on the machine's load. Not here, though
# they can be run by name: psutil's test_process and test_linux, some of whose tests race with
# the processes they start, natively too (test_linux's num_ctx_switches also counts the box's
# round trips: README, Known differences); and psutil's test_contracts, whose TestFetchAllProcesses
# forks a multiprocessing pool from a process with threads: once in about ten box runs a pool
# worker hung on a lock (a futex) it inherited held, which a fork from threads allows natively
# too, and which the box's slower system calls make likelier.
modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(cpython:test_os cpython:test_posix cpython:test_wait4
  cpython:test_pty psutil:test_posix psutil:test_connections)
per_run_timeout=240
python=/usr/bin/python3

work=$(mktemp -d "${TMPDIR:-/tmp}/vpidbox-suites.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2

# The command that runs one module, verbose (one "name ... status" line per test).
module_command() {
  case $1 in
    cpython:*) echo "$python -m unittest -v test.${1#cpython:}" ;;
    psutil:*) echo "$python -m unittest -v psutil.tests.${1#psutil:}" ;;
  esac
}

# The tests' statuses, sorted: "test_name (module.Class...) ... ok" lines (or the first line of
# a test's docstring, or psutil's "module.Class.test_name"), with skip reasons
# dropped (they may name the environment). A test that writes to stderr while it runs splits its
# line: "test_name (...) ... " first, what it wrote, then the status alone on a line; such a
# status is joined back to the last test still waiting for one.
statuses() {
  awk '
    function status_of(text) {
      if (match(text, /^(ok|FAIL|ERROR|skipped|expected failure|unexpected success)/)) {
        s = substr(text, RSTART, RLENGTH)
        return s
      }
      return ""
    }
    index($0, " ... ") > 0 {
      at = index($0, " ... ")
      name = substr($0, 1, at - 1)
      s = status_of(substr($0, at + 5))
      if (s != "") { print name " ... " s; pending = "" } else pending = name
      next
    }
    pending != "" && (s = status_of($0)) != "" { print pending " ... " s; pending = "" }
  ' "$1" | sort
}

passed=0
failed=0
for module in "${modules[@]}"; do
  cmd=$(module_command "$module")
  if [ -z "$cmd" ]; then
    echo "FAIL $module"
    echo "    unknown module kind"
    failed=$((failed + 1))
    continue
  fi
  # shellcheck disable=SC2086  # the command is split into words on purpose
  timeout -k 5 "$per_run_timeout" unshare --pid --fork --mount-proc $cmd >oracle.out 2>&1 </dev/null
  # shellcheck disable=SC2086
  timeout -k 5 "$per_run_timeout" "$vpidbox" run ${VPIDBOX_ENGINE:+--engine="$VPIDBOX_ENGINE"} \
    -- $cmd >box.out 2>&1 </dev/null
  statuses oracle.out >oracle.st
  statuses box.out >box.st
  if [ ! -s oracle.st ]; then
    echo "FAIL $module"
    echo "    the oracle ran no test:"
    tail -n 5 oracle.out | sed 's/^/    /'
    failed=$((failed + 1))
  elif diff -u --label oracle --label box oracle.st box.st >diff.out; then
    echo "ok $module ($(wc -l <oracle.st) tests)"
    passed=$((passed + 1))
  else
    echo "FAIL $module"
    head -n 40 diff.out | sed 's/^/    /'
    grep -A15 -E '^(FAIL|ERROR):' box.out | head -n 40 | sed 's/^/    box: /'
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
