# Boxes inside boxes, and `vpidbox ps` and `vpidbox exec`: cases of tests/clients/run.sh, which
# sources this file and provides the helpers (differential, box, oracle, cli_error, ...).
# shellcheck shell=bash disable=SC2016,SC2154  # $ in single quotes is the box's; run.sh's vars

# The inner box command of a nested script, each way: the oracle nests kernel pid namespaces (with
# --kill-child, as vpidbox's init dies with its front end), the box nests boxes.
nested_oracle_box="unshare --pid --fork --mount-proc --kill-child"

# differential_nested SCRIPT_FILE ARGS...: runs `sh SCRIPT_FILE ARGS` as init both ways, with $BOX
# the command that opens an inner box, and compares stdout and status. The process that is an
# inner box's front end is `unshare` in one and `vpidbox` in the other: that name is the only
# thing normalized.
differential_nested() {
  local o=$work/$name.oracle b=$work/$name.box so sb
  so=$(BOX=$nested_oracle_box oracle "$o" sh "$@")
  sb=$(BOX="$V run --" box "$b" sh "$@")
  sed -i 's/\<unshare\>/BOXCMD/; s/\<vpidbox\>/BOXCMD/' "$o" "$b"
  if ! cmp -s "$o" "$b" || [ "$so" != "$sb" ]; then
    fail_because "oracle and box differ (oracle status $so, box status $sb):"
    while IFS= read -r l; do fail_because "  $l"; done < <(diff -u --label oracle --label box "$o" "$b")
    [ -s "$b.err" ] && fail_because "box stderr: $(head -c 600 "$b.err")"
  fi
}

# Three levels, each starting a sleeper and the next box, printing $$, $PPID, $! and ps while
# the levels below it run (they wait on FIFOs, so that no polling process shows in ps), then
# killing its sleeper once the level below has ended.
t_nested_three_levels() {
  local f=$work/fifo
  mkfifo "$f.ready.2" "$f.ready.3" "$f.go.2" "$f.go.3"
  cat >"$work/level.sh" <<EOF
depth=\$1
sleep 1000 &
s=\$!
# Until the sleeper has exec'd, ps would show it as sh: wait with builtins only (no process).
until read -r c <"/proc/\$s/comm" && [ "\$c" = sleep ]; do :; done
echo "level \$depth: \\\$\\\$=\$\$ \\\$PPID=\$PPID \\\$!=\$s"
if [ "\$depth" -lt 3 ]; then
  \$BOX sh "\$0" \$((depth + 1)) &
  b=\$!
  read -r _ <"$f.ready.\$((depth + 1))"
fi
echo "level \$depth sees:"
ps -eo pid,ppid,comm
if [ "\$depth" -gt 1 ]; then
  echo ready >"$f.ready.\$depth"
  read -r _ <"$f.go.\$depth"
fi
if [ "\$depth" -lt 3 ]; then
  echo go >"$f.go.\$((depth + 1))"
  wait "\$b"
  echo "level \$depth: the box below exited \$?"
  ps -eo pid,ppid,comm
fi
kill "\$s"
wait "\$s"
exit \$depth
EOF
  differential_nested "$work/level.sh" 1
  grep -q '^level 3: \$\$=1 \$PPID=0 \$!=2$' "$work/$name.box" ||
    fail_because "the innermost level is not pid 1 with its sleeper 2: $(head -c 300 "$work/$name.box")"
}

# An orphan of a nested box goes to that box's init, not to an outer one.
t_nested_orphan_reparent() {
  cat >"$work/orphan.sh" <<'EOF'
$BOX sh -c '
  o=$(sh -c "sleep 1000 >/dev/null 2>&1 & echo \$!")
  echo "orphan $o, parent $(ps -o ppid= -p "$o")"
  ps -eo pid,ppid,comm
  kill "$o"'
echo "inner box exited $?"
EOF
  differential_nested "$work/orphan.sh"
  grep -q '^orphan 3, parent  *1$' "$work/$name.box" ||
    fail_because "the orphan did not go to the nested init: $(head -c 300 "$work/$name.box")"
}

# A nested box ends with its init, whether the init exits or is killed from the level above: its
# other processes are killed, and the level above sees the box's command end with the init's
# status.
t_nested_init_death() {
  local f=$work/fifo
  mkfifo "$f.started"
  cat >"$work/death.sh" <<EOF
\$BOX sh -c 'sleep 1000 & sleep 1000 & exit 3'
echo "init exited: box command status \$?"
ps -eo pid,ppid,comm
\$BOX sh -c 'sleep 1000 & sleep 1000 & echo >"$f.started"; wait' &
front=\$!
read -r _ <"$f.started"
init=\$(ps -o pid= --ppid "\$front")
kill -KILL \$init
wait "\$front"
echo "\$?" >>"$work/killed"
echo "init killed"
ps -eo pid,ppid,comm
EOF
  EXPECT_STATUS=0 differential_nested "$work/death.sh"
  # unshare (util-linux 2.38) fails to re-raise SIGKILL on itself and exits 1 ("sigprocmask
  # unblock failed"); vpidbox reports a box whose init was killed as 128+signal.
  [ "$(tr '\n' ' ' <"$work/killed")" = "1 137 " ] ||
    fail_because "statuses of the killed init's box command (oracle, box): $(cat "$work/killed")"
}

# kill(-1) from the outer level reaches the processes of the boxes nested in it, their inits
# included (SIGKILL comes to an init from an ancestor namespace).
t_nested_kill_all_outer() {
  local f=$work/fifo
  mkfifo "$f.started"
  cat >"$work/killall.sh" <<EOF
execd() { until read -r c <"/proc/\$1/comm" && [ "\$c" = sleep ]; do :; done; }
sleep 1000 &
execd \$!
\$BOX sh -c '
  execd() { until read -r c <"/proc/\$1/comm" && [ "\$c" = sleep ]; do :; done; }
  sleep 1000 & execd \$!
  \$BOX sh -c "
    execd() { until read -r c <\"/proc/\\\$1/comm\" && [ \"\\\$c\" = sleep ]; do :; done; }
    sleep 1000 & execd \\\$!; echo >$f.started; wait"
  wait' &
read -r _ <"$f.started"
ps -eo pid,ppid,comm
kill -KILL -1
wait
echo "after kill(-1):"
ps -eo pid,ppid,comm
EOF
  EXPECT_STATUS=0 differential_nested "$work/killall.sh"
}

# A process of a nested box can neither see, signal nor read the processes of the level above:
# their numbers name nothing inside, kill(-1) stays inside, and its /proc lists its box only.
t_nested_isolation() {
  cat >"$work/iso.sh" <<'EOF'
for i in 1 2 3 4 5 6; do sleep 1000 & pids="$pids $!"; done
last=$!
$BOX sh -c '
  for d in /proc/[0-9]*; do printf "%s " "${d#/proc/}"; done; echo
  kill -0 '"$last"' 2>/dev/null && echo "outer $0 reachable" || echo "outer pid not reachable"
  cat /proc/'"$last"'/status 2>/dev/null | head -1 || true
  kill -TERM -1 2>/dev/null; echo "kill(-1) inside: $?"'
echo "inner box exited $?"
n=0; for p in $pids; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
echo "outer sleepers alive: $n"
kill $pids
EOF
  EXPECT_STATUS=0 differential_nested "$work/iso.sh"
  grep -q 'outer sleepers alive: 6' "$work/$name.box" ||
    fail_because "kill(-1) inside reached the level above: $(cat "$work/$name.box")"
}

# Boxes nest 32 levels deep, as pid namespaces do; the 33rd is refused with one line and 125.
t_nested_32_levels() {
  cat >"$work/deep.sh" <<EOF
n=\$1
if [ "\$n" -lt 32 ]; then exec "$V" run -- sh "\$0" \$((n + 1)); fi
echo "level \$n: pid \$\$ parent \$PPID"
"$V" run -- true 2>"$work/deep.err"
echo "level 33: status \$?"
EOF
  local st out
  out=$(timeout -k 2 60 "${RUN[@]}" -- sh "$work/deep.sh" 1 2>"$work/deep.outer.err" </dev/null)
  st=$?
  [ "$st" = 0 ] || fail_because "status $st: $(cat "$work/deep.outer.err")"
  [ "$out" = $'level 32: pid 1 parent 0\nlevel 33: status 125' ] || fail_because "output: '$out'"
  [ "$(wc -l <"$work/deep.err")" = 1 ] && grep -q 'nest 32 levels deep at most' "$work/deep.err" ||
    fail_because "33rd level's message: '$(cat "$work/deep.err")'"
}

# --trace and --stats belong to the outermost box; a nested one says so and exits 125.
t_nested_options() {
  local st err
  err=$(timeout -k 2 20 "${RUN[@]}" -- "$V" run --stats -- true 2>&1 </dev/null)
  st=$?
  [ "$st" = 125 ] && [[ $err == *"not available in a nested box"* ]] ||
    fail_because "--stats nested: status $st, '$err'"
  # --engine is the outer supervisor's: accepted, and the nested box works.
  err=$(timeout -k 2 20 "${RUN[@]}" -- "$V" run --engine=ptrace -- sh -c 'echo $$' 2>&1 </dev/null)
  [ "$err" = 1 ] || fail_because "--engine nested: '$err'"
  # --proc=host in a nested box shows the level it is nested in, as unshare without --mount-proc.
  err=$(timeout -k 2 20 "${RUN[@]}" -- sh -c 'sleep 1000 & "$0" run --proc=host -- sh -c "echo \$\$; set -- /proc/[0-9]*; echo \$# \$(readlink /proc/self)"; kill $!' "$V" 2>&1 </dev/null)
  [ "$err" = $'1\n4 5' ] || fail_because "--proc=host nested: '$err'"
}

# ---- vpidbox ps and vpidbox exec, from outside ----

# Starts a box running `sh -c SCRIPT ARGS...` in the background, with the control sockets in
# $work/rt; sets
# box_pid (the vpidbox process) and box_id once `vpidbox ps` lists it.
start_listed_box() {
  export VPIDBOX_RUNTIME_DIR=$work/rt
  mkdir -p -m 0700 "$VPIDBOX_RUNTIME_DIR"
  "${RUN[@]}" --kill-after=1s -- sh -c "$@" </dev/null >"$work/listed.out" 2>&1 &
  box_pid=$!
  local end=$(($(now_ms) + 10000))
  box_id=
  while [ -z "$box_id" ] && [ "$(now_ms)" -lt "$end" ]; do
    box_id=$("$V" ps -q 2>/dev/null | head -n1)
    [ -n "$box_id" ] || sleep 0.05
  done
  [ -n "$box_id" ] || fail_because "vpidbox ps -q never listed the box"
}

# vpidbox ps lists the box with its init's host pid and its nested boxes under it; ps BOX maps
# box pids to host pids, as docker top does.
t_ps_lists_boxes() {
  start_listed_box 'sleep 1000 & "$0" run -- sleep 1001 & wait' "$V"
  [ -n "$box_id" ] || return
  local init nested rows
  init=$(children_of "$box_pid" | head -n1)
  wait_line_proc 'sleep 1001' 10 || fail_because "the nested box never started"
  rows=$("$V" ps)
  [[ $(sed -n 2p <<<"$rows") =~ ^$box_id\ +$init\ +4\ +[0-9:A-Za-z]+\ +sh\ -c ]] ||
    fail_because "the box's row: '$rows'"
  nested=$(sed -n 3p <<<"$rows")
  [[ $nested =~ ^$box_id/4\ +[0-9]+\ +1\ +.*\ sleep\ 1001$ ]] ||
    fail_because "the nested box's row, after its parent's: '$rows'"
  [ "$("$V" ps -q)" = "$box_id"$'\n'"$box_id/4" ] || fail_because "ps -q: '$("$V" ps -q)'"
  rows=$("$V" ps "${box_id:0:5}")
  [[ $(sed -n 2p <<<"$rows") =~ ^1\ +$init\ +sh\ -c ]] || fail_because "ps BOX, pid 1: '$rows'"
  [ "$(sed -n '$p' <<<"$rows" | awk '{print $1, $3, $4}')" = "4 sleep 1001" ] ||
    fail_because "ps BOX, the nested init: '$rows'"
  [ "$("$V" ps -q "$box_id/4")" = 1 ] || fail_because "ps -q of the nested box: '$("$V" ps -q "$box_id/4")'"
  kill -TERM "$box_pid"
  wait_gone "$box_pid" 10 || fail_because "the box did not end"
  finish "$box_pid"
  [ -z "$("$V" ps -q)" ] || fail_because "an ended box is still listed"
  [ -z "$(ls -A "$VPIDBOX_RUNTIME_DIR")" ] || fail_because "its socket is left: $(ls "$VPIDBOX_RUNTIME_DIR")"
}

# vpidbox exec runs a command in a running box: the next box pid, ppid 0 inside, the box's /proc,
# its exit status; also in a nested box.
t_exec_into_box() {
  start_listed_box 'sleep 1000 & "$0" run -- sleep 1001 & wait' "$V"
  [ -n "$box_id" ] || return
  wait_line_proc 'sleep 1001' 10 || fail_because "the nested box never started"
  local out st
  out=$("$V" exec "$box_id" -- sh -c 'echo $$ $PPID; for d in /proc/[0-9]*; do printf "%s " "${d#/proc/}"; done; exit 7' 2>&1)
  st=$?
  [ "$st" = 7 ] || fail_because "exec status $st, expected 7: $out"
  [ "$out" = $'5 0\n1 2 3 4 5 ' ] || fail_because "exec output: '$out'"
  out=$("$V" exec "$box_id/4" -- sh -c 'echo $$ $PPID; ps -eo pid=,comm=' 2>&1 | tr -s ' ' | tr '\n' ';')
  [ "$out" = '2 0; 1 sleep; 2 sh; 3 ps;' ] || fail_because "exec into the nested box: '$out'"
  kill -TERM "$box_pid"
  wait_gone "$box_pid" 10 || fail_because "the box did not end"
  finish "$box_pid"
}

# Unknown box, dead box, another uid: one line and 125. A box that ends while exec runs takes the
# command with it.
t_exec_refusals() {
  start_listed_box 'sleep 1000' "$V"
  [ -n "$box_id" ] || return
  cli_error 125 exec nosuchbox -- true
  cli_error 125 ps nosuchbox
  cli_error 125 exec "$box_id/9" -- true
  # Another user reaching the socket (here through a link it may open) is refused by the box.
  local open err st
  open=$(mktemp -d /tmp/vpidbox-open.XXXXXX)
  chmod 0755 "$open"
  ln "$VPIDBOX_RUNTIME_DIR/$box_id.sock" "$open/$box_id.sock"
  chmod 0666 "$open/$box_id.sock"
  err=$(VPIDBOX_RUNTIME_DIR=$open timeout -k 2 10 setpriv --reuid=nobody --regid=nogroup \
    --clear-groups "$V" exec "$box_id" -- true 2>&1)
  st=$?
  [ "$st" = 125 ] && [[ $err == *"belongs to another user"* ]] ||
    fail_because "another uid: status $st, '$err'"
  err=$(VPIDBOX_RUNTIME_DIR=$open timeout -k 2 10 setpriv --reuid=nobody --regid=nogroup \
    --clear-groups "$V" ps 2>&1)
  [[ $err == *"belongs to another user"* ]] || fail_because "another uid's ps: '$err'"
  rm -rf "$open"
  # The box ends while exec runs: the command is killed with it.
  "$V" exec "$box_id" -- sleep 1002 </dev/null >/dev/null 2>&1 &
  local exec_pid=$!
  wait_line_proc 'sleep 1002' 10 || fail_because "exec never started its command"
  kill -KILL "$(children_of "$box_pid" | head -n1)"  # the box's init
  wait "$exec_pid"
  st=$?
  [ "$st" = 137 ] || fail_because "exec of a box that ended: status $st, expected 137"
  wait_gone "$box_pid" 10 || fail_because "the box did not end"
  finish "$box_pid"
  # A box whose supervisor was killed left its socket: not running.
  start_listed_box 'sleep 1000' "$V"
  kill -KILL "$box_pid"
  finish "$box_pid"
  cli_error 125 exec "$box_id" -- true
  [ ! -e "$VPIDBOX_RUNTIME_DIR/$box_id.sock" ] || fail_because "the stale socket was not removed"
}

# A signal sent to a nested box's vpidbox goes on to the nested init, whose exit status comes back
# out through every level.
t_nested_signal_forwarding() {
  local f=$work/fifo out st
  mkfifo "$f.ready"
  out=$(timeout -k 2 30 "${RUN[@]}" -- sh -c '
    "$0" run -- sh -c "trap \"echo nested init got TERM; exit 9\" TERM; echo >$1; while :; do sleep 0.05; done" &
    front=$!
    read -r _ <"$1"
    kill -TERM "$front"
    wait "$front"
    echo "nested box status $?"
    exit 4' "$V" "$f.ready" 2>&1 </dev/null)
  st=$?
  [ "$st" = 4 ] || fail_because "outer status $st, expected 4"
  [ "$out" = $'nested init got TERM\nnested box status 9' ] || fail_because "output: '$out'"
}
