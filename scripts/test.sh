#!/usr/bin/env bash
# README command 2: install what is missing, build, and run every test suite. Each suite that
# starts a box re-executes itself inside an outer kernel pid namespace, so that no bug can
# signal a process of the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
status=0
meson test -C build --print-errorlogs --num-processes 1 "$@" || status=$?
# A short pass of the /proc renderers' fuzz target (clang, in build-fuzz/), with the full suite;
# it counts as one more test.
fuzz_ok=0
fuzz_bad=0
if [ $# -eq 0 ]; then
  if scripts/fuzz.sh 25; then fuzz_ok=1; else status=1 fuzz_bad=1; fi
fi
# The plain closing line: how many tests passed and failed.
summary=build/meson-logs/testlog.json
if [ -f "$summary" ]; then
  ok=$(grep -c '"result": "OK"' "$summary" || true)
  bad=$(grep -c '"result": "\(FAIL\|TIMEOUT\|ERROR\)"' "$summary" || true)
  echo "$((ok + fuzz_ok)) passed, $((bad + fuzz_bad)) failed"
fi
exit "$status"
