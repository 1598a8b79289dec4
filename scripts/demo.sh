#!/usr/bin/env bash
# README command 1: install what is missing, build, and run a real example in a box.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
example='echo "I am pid $$, my parent is $PPID"; sleep 1 & echo "started a child: pid $!"; wait'
echo "\$ vpidbox run -- sh -c '$example'"
build/supervisor/vpidbox run -- sh -c "$example"
# The box's /proc: ps sees the box only, numbered the box's way; bash process substitution works.
example2='sleep 5 & s=$!; ps -o pid,ppid,comm; diff <(echo same) <(echo same) && echo "<(...) works"; kill $s'
echo "\$ vpidbox run -- bash -c '$example2'"
build/supervisor/vpidbox run -- bash -c "$example2"
# A box inside the box: numbered from 1 again, seeing only itself.
v=$PWD/build/supervisor/vpidbox
example3='sleep 5 & s=$!; vpidbox run -- sh -c "echo nested box: pid \$\$, parent \$PPID; ps -o pid,ppid,comm"; kill $s'
echo "\$ vpidbox run -- sh -c '$example3'"
build/supervisor/vpidbox run -- sh -c "vpidbox() { \"$v\" \"\$@\"; }; $example3"
echo '$ vpidbox check'
build/supervisor/vpidbox check
