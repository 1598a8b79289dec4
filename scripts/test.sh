#!/usr/bin/env bash
# README command 2: install what is missing, build, and run every test suite. Each suite that
# starts a box re-executes itself inside an outer kernel pid namespace, so that no bug can
# signal a process of the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
meson test -C build --print-errorlogs --num-processes 1 "$@"
