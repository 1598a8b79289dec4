#!/usr/bin/env bash
# Builds the /proc renderers' libFuzzer target with clang in build-fuzz/ and runs it.
#
#   scripts/fuzz.sh [SECONDS]        a time-bounded pass (default 25 s; what scripts/test.sh runs)
#   scripts/fuzz.sh -runs=N [ARG...] libFuzzer's own options instead, e.g. a fixed number of runs
#
# The corpus starts from this machine's own /proc files (status, stat, sched, timers, children,
# loadavg, locks, sysvipc), in a temporary directory, with procfs-fuse/fuzz_render.dict. Exits
# non-zero when the fuzzer finds a crash, a sanitizer report or a broken property; the input that
# did it is kept and named on the last line. Runs at the lowest priority: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
[ -f build-fuzz/build.ninja ] || CC=clang CXX=clang++ meson setup build-fuzz >/dev/null
ninja -C build-fuzz procfs-fuse/procfs_render_fuzz >/dev/null

options=()
if [ $# -eq 0 ] || [[ $1 != -* ]]; then
  options=(-max_total_time="${1:-25}")
  [ $# -gt 0 ] && shift
fi
options+=("$@")

work=$(mktemp -d "${TMPDIR:-/tmp}/vpidbox-fuzz.XXXXXX")
mkdir "$work/corpus" "$work/crashes"
n=0
for f in /proc/self/status /proc/self/stat /proc/self/sched /proc/self/timers \
  /proc/self/task/*/children /proc/loadavg /proc/locks /proc/sysvipc/shm /proc/sysvipc/msg; do
  [ -r "$f" ] && cat "$f" >"$work/corpus/seed$((n++))" 2>/dev/null || true
done

status=0
nice -n 19 build-fuzz/procfs-fuse/procfs_render_fuzz -dict=procfs-fuse/fuzz_render.dict \
  -artifact_prefix="$work/crashes/" -print_final_stats=1 "${options[@]}" "$work/corpus" \
  >"$work/log" 2>&1 || status=$?
# The last report line ("Done N runs in S second(s)") and the final stats.
grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/log" || true
if [ "$status" -ne 0 ]; then
  tail -n 40 "$work/log"
  echo "fuzz: FAILED (exit $status); inputs kept in $work/crashes" >&2
  exit "$status"
fi
rm -rf "$work"
echo "fuzz: ok"
