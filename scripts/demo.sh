#!/usr/bin/env bash
# README command 1: install what is missing, build, and run a real example in a box.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
echo '$ vpidbox run -- sh -c '\''echo "I am pid $$, my parent is $PPID"; bash -c ...'\'''
build/supervisor/vpidbox run -- sh -c 'echo "I am pid $$, my parent is $PPID"; bash -c '\''echo "a child: pid $$, parent $PPID"'\'''
echo '$ vpidbox check'
build/supervisor/vpidbox check
