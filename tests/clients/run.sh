#!/usr/bin/env bash
# Real-client tests: shells, interpreters and the vpidbox command line, each asserting something a
# user would notice. Where possible a test is differential: the same command runs as init of a
# kernel pid namespace (unshare --pid --fork --mount-proc, the oracle) and must behave the same.
#
#   run.sh VPIDBOX_BINARY [TEST...]
#   run.sh --list
#
# VPIDBOX_ENGINE (hybrid, ptrace, auto), when set, is passed to every `vpidbox run` as --engine
# (meson: `clients-ptrace`); VPIDBOX_PROC as --proc. VPIDBOX_WRAP, when set, is a command prefix
# both sides run in: `VPIDBOX_WRAP vpidbox run ...` and `unshare --pid --fork --mount-proc
# VPIDBOX_WRAP CMD` (the Docker-like environment, tests/dockerlike, or setpriv to a plain user).
# VPIDBOX_TEST_KEEP=1 keeps the outputs.
# Prints "ok NAME" or "FAIL NAME" with the reasons, then "N passed, M failed"; exits 1 on a
# failure. Every wait is bounded; every process this script starts is either waited for or
# SIGKILLed by its pid.
# shellcheck disable=SC2016  # the $ in single-quoted scripts is for the shell in the box
# shellcheck disable=SC2015  # "check && check || fail_because" is meant as written
set -u

# run.sh --list: the names of the tests, one a line (meson registers each as a test of its own).
if [ "${1:-}" = --list ]; then
  sed -n 's/^t_\([a-z0-9_]*\)() {.*/\1/p' "$0" "$(dirname "$0")"/*_tests.sh
  exit 0
fi

# Safety first: everything this script starts lives in a pid namespace of its own
# (tests/lib/runner.sh).
. "$(dirname "$0")/../lib/runner.sh"
enter_safety_namespace "$@"

if [ $# -lt 1 ]; then
  echo "usage: $0 VPIDBOX_BINARY [TEST...]" >&2
  exit 2
fi
V=$1
shift
[[ $V == /* ]] || V=$PWD/$V

ulimit -c 0
work=$(mktemp -d "${TMPDIR:-/tmp}/vpidbox-clients.XXXXXX") || exit 2
# VPIDBOX_TEST_KEEP=1 keeps the outputs of every run for inspection.
if [ -n "${VPIDBOX_TEST_KEEP:-}" ]; then
  echo "outputs kept in $work"
else
  trap 'rm -rf "$work"' EXIT
fi
per_run_timeout=20
# vpidbox run, on the engine the suite is for (VPIDBOX_ENGINE=ptrace: the clients-ptrace test).
read -ra WRAP <<<"${VPIDBOX_WRAP:-}"
RUN=("${WRAP[@]}" "$V" run ${VPIDBOX_ENGINE:+--engine="$VPIDBOX_ENGINE"} ${VPIDBOX_PROC:+--proc="$VPIDBOX_PROC"})
# The same for the tests that choose the /proc mode themselves.
RUN_ANY_PROC=("${WRAP[@]}" "$V" run ${VPIDBOX_ENGINE:+--engine="$VPIDBOX_ENGINE"})
oracle=(unshare --pid --fork --mount-proc "${WRAP[@]}")
oracle_bg=(unshare --pid --fork --mount-proc --kill-child "${WRAP[@]}")
# The user the box and the oracle run as, and whether they hold capabilities (the Docker-like
# environment keeps some for root; setpriv to a plain user keeps none).
BOX_UID=$(cd / && "${WRAP[@]}" id -u)
BOX_CAPS=$(cd / && "${WRAP[@]}" sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
# box_has_cap N: the box (and the oracle) start with capability N (linux/capability.h).
box_has_cap() { (( (16#${BOX_CAPS:-0} >> $1) & 1 )); }
# Tests that need the whole of root's power (CAP_SYS_ADMIN: user namespaces, mounts) as the box.
box_is_full_root() { [ "$BOX_UID" = 0 ] && box_has_cap 21; }
# Whether the box can have a mount namespace of its own, and the /proc mode of a default run
# (vpidbox check, in the environment).
CHECK_OUT=$(cd / && "${WRAP[@]}" "$V" check 2>/dev/null)
MOUNT_NS_OK=$(grep -c '^mount namespace possible *yes' <<<"$CHECK_OUT")
PROC_MODE=${VPIDBOX_PROC:-$(sed -n "s|^/proc for 'run': \([a-z]*\).*|\1|p" <<<"$CHECK_OUT")}
# The ptrace engine with the box's FUSE /proc, which cannot install descriptors (README, Known
# differences); without a mount, it points the kernel to the real objects instead.
fuse_on_ptrace() { [ "${VPIDBOX_ENGINE:-}" = ptrace ] && [ "$PROC_MODE" = fuse ]; }
# A box of another user reads and writes the runner's files.
[ "$BOX_UID" = "$(id -u)" ] || chmod 1777 "$work"

# The system interpreter itself, not a version-manager shim: a pyenv `python3` is a script that
# forks a lot before the interpreter starts (it would work, only slower).
if [ -x /usr/bin/python3 ]; then
  PYTHON=/usr/bin/python3
else
  PYTHON=$(command -v python3 2>/dev/null) && PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)')
fi

# Docker's profile answers clone3 with ENOSYS (glibc falls back to clone): 1 when the wrapped
# environment does (a clone3 with no arguments is EINVAL otherwise).
CLONE3_REFUSED=$(cd / && "${WRAP[@]}" "$PYTHON" -c '
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
print(1 if libc.syscall(435, None, 0) < 0 and ctypes.get_errno() == errno.ENOSYS else 0)' 2>/dev/null)

# ---------------------------------------------------------------------------------------------
# Helpers

reasons=()
fail_because() { reasons+=("$*"); }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Waits up to $2 seconds for process $1 to end. True if it did.
wait_gone() {
  local end=$(($(now_ms) + ${2%.*} * 1000))
  while alive "$1"; do
    [ "$(now_ms)" -ge "$end" ] && return 1
    sleep 0.02
  done
}

# Reaps our child $1 (which must have ended) and prints its status.
reap() {
  local st
  { wait "$1"; } 2>/dev/null
  st=$?
  echo "$st"
}

# Ends our background child $1 if it is still running, and reaps it.
finish() {
  alive "$1" && kill -KILL "$1" 2>/dev/null
  reap "$1" >/dev/null
}

# Waits up to $3 seconds for a child of $1 whose command name is $2; prints its pid.
wait_child_named() {
  local end=$(($(now_ms) + $3 * 1000)) c comm
  while [ "$(now_ms)" -lt "$end" ]; do
    for c in $(children_of "$1"); do
      comm=$(cat "/proc/$c/comm" 2>/dev/null) || continue
      [ "$comm" = "$2" ] && { echo "$c"; return 0; }
    done
    sleep 0.02
  done
  return 1
}

# Waits up to $3 seconds for a line matching the regex $2 in file $1.
wait_line() {
  local end=$(($(now_ms) + $3 * 1000))
  until grep -qE "$2" "$1" 2>/dev/null; do
    [ "$(now_ms)" -ge "$end" ] && return 1
    sleep 0.02
  done
}

# Waits up to $2 seconds for a process whose command line matches the glob $1.
wait_line_proc() {
  local end=$(($(now_ms) + $2 * 1000))
  until [ -n "$(procs_matching "$1")" ]; do
    [ "$(now_ms)" -ge "$end" ] && return 1
    sleep 0.02
  done
}

# Prints the pids (not zombies) whose command line, arguments joined by spaces, matches the glob
# $1 (e.g. '*300.123*', or 'sleep 301.5' for exactly that command).
procs_matching() {
  local d cmd
  for d in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
    cmd=${cmd% }
    # shellcheck disable=SC2053  # $1 is a glob on purpose
    [[ -n $cmd && $cmd == $1 ]] && echo "${d#/proc/}"
  done
}

# Fails the test if a process whose command line contains $1 exists; SIGKILLs such leftovers
# (they descend from this runner) so that later tests start clean.
expect_no_process() {
  local left
  left=$(procs_matching "*$1*" | tr '\n' ' ')
  if [ -n "$left" ]; then
    fail_because "$2: process(es) with '$1' still running: pids $left"
    for p in $left; do kill -KILL "$p" 2>/dev/null; done
  fi
}

# box OUT CMD...: runs CMD in a box, bounded; stdout to OUT, stderr to OUT.err; prints status.
box() {
  local out=$1
  shift
  timeout -k 2 "$per_run_timeout" "${RUN[@]}" -- "$@" >"$out" 2>"$out.err" </dev/null
  echo $?
}

# oracle OUT CMD...: the same as init of a kernel pid namespace.
oracle() {
  local out=$1
  shift
  timeout -k 2 "$per_run_timeout" "${oracle[@]}" "$@" >"$out" 2>"$out.err" </dev/null
  echo $?
}

# Runs CMD both ways; fails unless stdout and exit status agree. Optional: EXPECT_OUT and
# EXPECT_STATUS (variables) must also match, so that an oracle surprise is noticed too. KNOWN
# (variable, an extended regex): stdout lines matching it are left out of both comparisons, for
# differences the README documents under "Known differences" (the test says which).
differential() {
  local o b so sb expect
  o=$work/$name.oracle
  b=$work/$name.box
  so=$(oracle "$o" "$@")
  sb=$(box "$b" "$@")
  expect=${EXPECT_OUT-}
  if [ -n "${KNOWN:-}" ]; then
    grep -vE "$KNOWN" "$o" >"$o.cmp"
    grep -vE "$KNOWN" "$b" >"$b.cmp"
    expect=$(printf '%s\n' "$expect" | grep -vE "$KNOWN")
  else
    cp "$o" "$o.cmp"
    cp "$b" "$b.cmp"
  fi
  if ! cmp -s "$o.cmp" "$b.cmp" || [ "$so" != "$sb" ]; then
    fail_because "oracle and box differ (oracle status $so, box status $sb):"
    while IFS= read -r l; do fail_because "  $l"; done < <(diff -u --label oracle --label box "$o" "$b")
    [ -n "${KNOWN:-}" ] && fail_because "(lines matching '$KNOWN' are known differences, not compared)"
    [ -s "$b.err" ] && fail_because "box stderr: $(head -c 600 "$b.err")"
  fi
  if [ -n "${EXPECT_OUT+x}" ] && [ "$(cat "$b.cmp")" != "$expect" ]; then
    fail_because "box stdout '$(cat "$b")', expected '$EXPECT_OUT'"
  fi
  if [ -n "${EXPECT_STATUS+x}" ] && [ "$sb" != "$EXPECT_STATUS" ]; then
    fail_because "box exit status $sb, expected $EXPECT_STATUS"
  fi
}

# cli_error STATUS ARGS...: vpidbox ARGS must exit STATUS with exactly one line on stderr and
# nothing on stdout.
cli_error() {
  local want=$1 st lines
  shift
  timeout -k 2 10 "$V" "$@" >"$work/cli.out" 2>"$work/cli.err" </dev/null
  st=$?
  lines=$(wc -l <"$work/cli.err")
  [ "$st" = "$want" ] || fail_because "vpidbox $*: exit status $st, expected $want"
  [ "$lines" = 1 ] || fail_because "vpidbox $*: $lines lines on stderr, expected 1: $(head -c 400 "$work/cli.err")"
  [ -s "$work/cli.out" ] && fail_because "vpidbox $*: unexpected stdout: $(head -c 200 "$work/cli.out")"
}

# ---------------------------------------------------------------------------------------------
# Tests. Each is a function t_NAME that calls fail_because for every problem it finds.

# The shell's own $$ and $PPID, as a script inside a container would print them.
t_sh_pid_ppid() {
  EXPECT_OUT="1 0" EXPECT_STATUS=0 differential sh -c 'echo $$ $PPID'
}

# bash: $$, $BASHPID in the shell, in a subshell (pid 2) and in a command substitution running
# a child sh (pid 3, parent 1).
t_bash_pids() {
  EXPECT_OUT=$'1 1 0\n2 0\n3 1' EXPECT_STATUS=0 differential bash -c \
    'echo $$ $BASHPID $PPID; (echo $BASHPID $PPID); echo $(sh -c "echo \$\$ \$PPID")'
}

# Interpreters ask the kernel directly (Python: getpid/getppid/getpgrp/getpgid/getsid).
t_python_ids() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  EXPECT_OUT="1 0 0 0 0" EXPECT_STATUS=0 differential "$PYTHON" -c \
    'import os; print(os.getpid(), os.getppid(), os.getpgrp(), os.getpgid(0), os.getsid(0))'
}

t_perl_ids() {
  EXPECT_OUT="1 0 0" EXPECT_STATUS=0 differential perl -e \
    'print "$$ ", getppid(), " ", getpgrp(), "\n"'
}

# After setsid (util-linux setsid(1) execs the command in a new session), the new session and
# group are numbered by the caller's pid.
t_setsid_ids() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  EXPECT_OUT="1 1 1" EXPECT_STATUS=0 differential setsid "$PYTHON" -c \
    'import os; print(os.getpid(), os.getpgrp(), os.getsid(0))'
}

# setpriv (util-linux, through libcap-ng) names the caller by getpid() in capget()/capset()
# headers: dropping to another user must work in the box as in a namespace, when run as root.
t_setpriv_reuid() {
  box_is_full_root || return 0
  EXPECT_OUT="65534 65534 1" EXPECT_STATUS=0 differential setpriv --reuid=65534 --regid=65534 \
    --clear-groups sh -c 'echo "$(id -u) $(id -g) $$"'
}

# killall (psmisc) signals through a pidfd made by opening /proc/<pid>: the box's /proc
# directories must work as pidfds too, and -w must see the process go. The sleeper has a name of
# its own (a link to sleep), so that killall can only match what this test started.
t_killall() {
  command -v killall >/dev/null || return 0
  ln -sf "$(command -v sleep)" "$work/vpbx_sleeper" || return
  EXPECT_OUT="killall=0
st=143
w=0
st2=138
none=1" EXPECT_STATUS=0 differential bash -c "$waitcomm_fn"'
    "$1" 30 & waitcomm $! vpbx_sleeper; killall vpbx_sleeper; echo killall=$?; wait $!; echo st=$?
    "$1" 31 & waitcomm $! vpbx_sleeper
    killall -s USR1 -w vpbx_sleeper; echo w=$?; wait $! 2>/dev/null; echo st2=$?
    killall -q vpbx_nosuch; echo none=$?' bash "$work/vpbx_sleeper"
}

# An fd link named by a path relative to a directory of /proc (cd /proc/self/fd; cat 0) reopens
# the real pipe, as procfs's magic link does; so does fd/N from /proc/<pid>. cat reopens its
# parent's pipe here: README, Known differences, "On --engine=ptrace ... another process's pipe
# ... give ENXIO", so that engine expects ENXIO instead.
t_proc_fd_relative() {
  local st
  if fuse_on_ptrace; then
    st=$(box "$work/fdrel.box" bash -c '
      echo piped | { cd /proc/self/fd && cat 0; echo st=$?; }
      exec 7<<<seven; cd /proc/$$ && cat fd/7')
    [ "$st" = 1 ] || fail_because "box exit status $st, expected 1"
    [ "$(cat "$work/fdrel.box")" = st=1 ] ||
      fail_because "box stdout '$(cat "$work/fdrel.box")', expected 'st=1'"
    [ "$(grep -c 'No such device or address' "$work/fdrel.box.err")" = 2 ] ||
      fail_because "box stderr '$(head -c 300 "$work/fdrel.box.err")', expected ENXIO twice"
    return
  fi
  EXPECT_OUT="piped
st=0
seven" EXPECT_STATUS=0 differential bash -c '
    echo piped | { cd /proc/self/fd && cat 0; echo st=$?; }
    exec 7<<<seven; cd /proc/$$ && cat fd/7'
}

# Arguments, environment, stdin and stdout pass through untouched.
t_passthrough() {
  local out
  out=$(printf 'line one\nline two\n' | VPIDBOX_TEST_VAR='x y' timeout -k 2 10 "${RUN[@]}" -- \
    sh -c 'printf "%s|" "$1" "$2" "$VPIDBOX_TEST_VAR"; cat' sh 'a b' '' 2>"$work/pt.err")
  [ "$out" = $'a b||x y|line one\nline two' ] ||
    fail_because "got '$out', expected 'a b||x y|' and the two stdin lines"
}

# The box's exit status is init's exit code.
t_exit_code() {
  EXPECT_OUT="" EXPECT_STATUS=7 differential bash -c 'exit 7'
}

# A fatal synchronous signal kills even an init (SIGSEGV): status 128+11.
t_exit_by_segv() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  EXPECT_STATUS=139 differential sh -c \
    "ulimit -c 0; exec '$PYTHON' -c 'import ctypes; ctypes.string_at(0)'"
}

# SIGTERM sent to vpidbox reaches an init with a handler; the handler's exit code is the box's.
t_forward_term_handler() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  local script='
import signal, sys, time
def on_term(sig, frame):
    print("got TERM", flush=True)
    sys.exit(3)
signal.signal(signal.SIGTERM, on_term)
print("ready", flush=True)
time.sleep(30)
print("not reached", flush=True)'
  local mode pid target st out
  for mode in oracle box; do
    out=$work/fwd.$mode
    if [ $mode = oracle ]; then
      "${oracle_bg[@]}" "$PYTHON" -c "$script" >"$out" 2>"$out.err" </dev/null &
    else
      "${RUN[@]}" -- "$PYTHON" -c "$script" >"$out" 2>"$out.err" </dev/null &
    fi
    pid=$!
    if ! wait_line "$out" '^ready$' 10; then
      fail_because "$mode: no 'ready' within 10 s"
      finish "$pid"
      continue
    fi
    target=$pid
    [ $mode = oracle ] && target=$(children_of "$pid" | head -n1)
    kill -TERM "$target"
    if ! wait_gone "$pid" 5; then
      fail_because "$mode: still running 5 s after SIGTERM"
      finish "$pid"
      continue
    fi
    st=$(reap "$pid")
    [ "$st" = 3 ] || fail_because "$mode: exit status $st, expected 3 ($(head -c 300 "$out.err"))"
    [ "$(cat "$out")" = $'ready\ngot TERM' ] || fail_because "$mode: stdout '$(cat "$out")'"
  done
}

# An init without a handler ignores one SIGINT/SIGTERM from outside (as a namespace init does);
# a second one within 5 s makes vpidbox kill the box: status 137.
signal_twice() {
  local sig=$1 pid init st t0 t1
  # The premise, on the oracle: the signal is discarded, the namespace init keeps running.
  "${oracle_bg[@]}" sleep 30 >/dev/null 2>&1 </dev/null &
  pid=$!
  if init=$(wait_child_named "$pid" sleep 5); then
    kill -s "$sig" "$init"
    sleep 1
    alive "$init" || fail_because "oracle: namespace init died of one SIG$sig (premise broken)"
  else
    fail_because "oracle: init did not start"
  fi
  finish "$pid"
  # An init of another user (VPIDBOX_WRAP) lost unshare's death signal when it changed ids.
  [ -n "$init" ] && kill -KILL "$init" 2>/dev/null

  "${RUN[@]}" -- sleep 30 >"$work/twice.out" 2>"$work/twice.err" </dev/null &
  pid=$!
  if ! wait_child_named "$pid" sleep 5 >/dev/null; then
    fail_because "box: init (sleep) did not start within 5 s"
    finish "$pid"
    return
  fi
  kill -s "$sig" "$pid"
  sleep 1
  if ! alive "$pid"; then
    fail_because "box: one SIG$sig ended the box (status $(reap "$pid")), expected it to be ignored"
    return
  fi
  t0=$(now_ms)
  kill -s "$sig" "$pid"
  if ! wait_gone "$pid" 4; then
    fail_because "box: still running 4 s after the second SIG$sig"
    finish "$pid"
    return
  fi
  t1=$(now_ms)
  st=$(reap "$pid")
  [ "$st" = 137 ] || fail_because "box: exit status $st after the second SIG$sig, expected 137"
  [ $((t1 - t0)) -lt 2000 ] || fail_because "box: took $((t1 - t0)) ms to die after the second SIG$sig"
  expect_no_process "sleep 30" "box"
}
t_term_twice_kills() { signal_twice TERM; }
t_int_twice_kills() { signal_twice INT; }

# --kill-after=D: the box is killed D after the first forwarded signal (status 137).
kill_after() {
  local spec=$1 min_ms=$2 max_ms=$3 pid st t0 t1
  "${RUN[@]}" --kill-after="$spec" -- sleep 30 >"$work/ka.out" 2>"$work/ka.err" </dev/null &
  pid=$!
  if ! wait_child_named "$pid" sleep 5 >/dev/null; then
    fail_because "--kill-after=$spec: init did not start ($(head -c 300 "$work/ka.err"))"
    finish "$pid"
    return
  fi
  t0=$(now_ms)
  kill -TERM "$pid"
  if ! wait_gone "$pid" 6; then
    fail_because "--kill-after=$spec: still running 6 s after SIGTERM"
    finish "$pid"
    return
  fi
  t1=$(now_ms)
  st=$(reap "$pid")
  [ "$st" = 137 ] || fail_because "--kill-after=$spec: exit status $st, expected 137"
  [ $((t1 - t0)) -ge "$min_ms" ] && [ $((t1 - t0)) -le "$max_ms" ] ||
    fail_because "--kill-after=$spec: box ended $((t1 - t0)) ms after SIGTERM, expected $min_ms..$max_ms"
}
t_kill_after_1s() { kill_after 1s 900 3500; }
t_kill_after_500ms() { kill_after 500ms 400 3000; }
t_kill_after_plain_seconds() { kill_after 1 900 3500; }

# Without any forwarded signal, --kill-after never fires: the box ends normally.
t_kill_after_needs_a_signal() {
  local st
  timeout -k 2 10 "${RUN[@]}" --kill-after=500ms -- sh -c 'sleep 1.2; exit 4' >/dev/null 2>"$work/kan.err"
  st=$?
  [ "$st" = 4 ] || fail_because "exit status $st, expected 4 ($(head -c 300 "$work/kan.err"))"
}

# Nothing outlives the box: a setsid -f daemon, and a double-forked one in its own session that
# ignores the catchable signals. Checked on the oracle too.
t_no_daemon_survives() {
  local mode st script
  script='setsid -f sleep 300.123
(trap "" HUP INT TERM; setsid sleep 300.124 & )
sleep 0.3
echo started'
  for mode in oracle box; do
    st=$($mode "$work/daemon.$mode" sh -c "$script")
    [ "$st" = 0 ] || fail_because "$mode: exit status $st"
    [ "$(cat "$work/daemon.$mode")" = started ] || fail_because "$mode: stdout '$(cat "$work/daemon.$mode")'"
    expect_no_process 300.123 "$mode, right after exit"
    expect_no_process 300.124 "$mode, right after exit"
    sleep 0.3
    expect_no_process 300.123 "$mode, 0.3 s after exit"
    expect_no_process 300.124 "$mode, 0.3 s after exit"
  done
}

# kill -9 of the vpidbox process leaves nothing of the box running (fail closed).
t_supervisor_kill9() {
  local pid end found
  "${RUN[@]}" -- sh -c 'sleep 301.5 & sleep 301.6 & wait' >/dev/null 2>"$work/k9.err" </dev/null &
  pid=$!
  end=$(($(now_ms) + 5000))
  until [ -n "$(procs_matching 'sleep 301.5')" ] && [ -n "$(procs_matching 'sleep 301.6')" ]; do
    if [ "$(now_ms)" -ge "$end" ]; then
      fail_because "the two sleeps did not start within 5 s ($(head -c 300 "$work/k9.err"))"
      finish "$pid"
      expect_no_process 301.5 "cleanup"
      expect_no_process 301.6 "cleanup"
      return
    fi
    sleep 0.02
  done
  kill -KILL "$pid"
  reap "$pid" >/dev/null
  end=$(($(now_ms) + 3000))
  while found=$(procs_matching '*301.[56]*'); [ -n "$found" ] && [ "$(now_ms)" -lt "$end" ]; do
    sleep 0.05
  done
  expect_no_process 301.5 "3 s after kill -9 of vpidbox"
  expect_no_process 301.6 "3 s after kill -9 of vpidbox"
}

# The same with children made by clone() and clone3() with CLONE_UNTRACED (as LeakSanitizer makes
# its helper): ptrace's automatic attach must still follow them, or they would outlive vpidbox.
t_supervisor_kill9_untraced() {
  local pid end found
  "${RUN[@]}" -- "$PYTHON" -c '
import ctypes, os, struct
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
CLONE_UNTRACED = 0x00800000
def spawn(tag, use_clone3):
    if use_clone3:
        args = ctypes.create_string_buffer(struct.pack("8Q", CLONE_UNTRACED, 0, 0, 0, 17, 0, 0, 0), 64)
        pid = libc.syscall(435, args, ctypes.c_size_t(64))
    else:
        pid = libc.syscall(56, ctypes.c_ulong(CLONE_UNTRACED | 17), 0, 0, 0, 0)
    if pid == 0:
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", tag + "1"])
        os.execv("/bin/sleep", ["sleep", tag])
    print(tag, pid, flush=True)
spawn("302.5", False)
spawn("302.6", True)
os.wait()' >"$work/k9u.out" 2>"$work/k9u.err" </dev/null &
  pid=$!
  local want=4 want_out=$'302.5 2\n302.6 '[34]
  # Without clone3 (Docker's profile) only the clone() children are there to follow.
  [ "$CLONE3_REFUSED" = 1 ] && want=2 want_out=$'302.5 2\n302.6 -1'
  end=$(($(now_ms) + 5000))
  until [ "$(procs_matching 'sleep 302.[56]*' | wc -w)" = "$want" ]; do
    if [ "$(now_ms)" -ge "$end" ]; then
      fail_because "the $want sleeps did not start within 5 s ($(head -c 300 "$work/k9u.err"))"
      break
    fi
    sleep 0.02
  done
  # The box numbers them: init is 1, its untraced children 2 and then 3 or 4 (the first one
  # forks one more meanwhile).
  # shellcheck disable=SC2053  # a glob on purpose
  [[ "$(cat "$work/k9u.out")" == $want_out ]] ||
    fail_because "clone results '$(cat "$work/k9u.out")', expected '302.5 2' and '302.6 3' or 4"
  kill -KILL "$pid"
  reap "$pid" >/dev/null
  end=$(($(now_ms) + 3000))
  while found=$(procs_matching 'sleep 302.[56]*'); [ -n "$found" ] && [ "$(now_ms)" -lt "$end" ]; do
    sleep 0.05
  done
  expect_no_process "sleep 302.5" "3 s after kill -9 of vpidbox"
  expect_no_process "sleep 302.6" "3 s after kill -9 of vpidbox"
}

# SIGKILL to the box's init from outside (an ancestor may always kill a namespace init) ends the
# box: status 137, and the rest of the box is killed with it.
t_init_killed_from_outside() {
  local mode pid init st
  for mode in oracle box; do
    if [ $mode = oracle ]; then
      "${oracle_bg[@]}" sh -c 'sleep 302.5 & wait' >/dev/null 2>"$work/ik.err" </dev/null &
    else
      "${RUN[@]}" -- sh -c 'sleep 302.5 & wait' >/dev/null 2>"$work/ik.err" </dev/null &
    fi
    pid=$!
    if ! init=$(wait_child_named "$pid" sh 5) || ! wait_line_proc '*sleep 302.5' 5; then
      fail_because "$mode: the box did not start ($(head -c 300 "$work/ik.err"))"
      finish "$pid"
      expect_no_process 302.5 "$mode, cleanup"
      continue
    fi
    kill -KILL "$init"
    if ! wait_gone "$pid" 5; then
      fail_because "$mode: still running 5 s after SIGKILL of init"
      finish "$pid"
    else
      st=$(reap "$pid")
      # (Not compared on the oracle: util-linux 2.38 unshare fails to re-raise SIGKILL and
      # exits 1, "sigprocmask unblock failed".)
      [ $mode = oracle ] || [ "$st" = 137 ] || fail_because "$mode: exit status $st, expected 137"
    fi
    expect_no_process 302.5 "$mode, after init was killed"
  done
}

# Teardown reaches stopped processes, and many processes at once; the status is still init's.
t_teardown_stopped_and_many() {
  local mode st
  for mode in oracle box; do
    st=$($mode "$work/many.$mode" sh -c \
      'sleep 302.6 & kill -STOP $!; for i in $(seq 50); do sleep 302.7 & done; sleep 0.3; exit 3')
    [ "$st" = 3 ] || fail_because "$mode: exit status $st, expected 3 ($(head -c 300 "$work/many.$mode.err"))"
    expect_no_process 302.6 "$mode, stopped process after init exited"
    expect_no_process 302.7 "$mode, after init exited"
  done
}

# Bad input: one line on stderr and the env(1)/timeout(1) exit statuses.
t_bad_input() {
  cli_error 125 --bogus
  cli_error 125 run --bogus -- true
  cli_error 125 run
  cli_error 125 run --
  cli_error 125 run --kill-after=bogus -- true
  cli_error 127 run -- /nonexistent/x
  cli_error 127 run -- vpidbox-no-such-command
  [ "$(cat "$work/cli.err")" = "vpidbox: vpidbox-no-such-command: command not found" ] ||
    fail_because "command not found message: '$(cat "$work/cli.err")'"
  cli_error 126 run -- /etc/passwd
  cli_error 126 run -- /
}

# vpidbox check reports the features and succeeds on this machine.
t_check() {
  local st
  timeout -k 2 10 "$V" check >"$work/check.out" 2>&1
  st=$?
  [ "$st" = 0 ] || fail_because "exit status $st: $(head -c 400 "$work/check.out")"
  grep -qi unotify "$work/check.out" || fail_because "output does not mention unotify"
}

# --trace=FILE logs the intercepted getpid of "echo $$" to FILE, not to stderr; --trace logs to
# stderr. The program's output is unchanged.
t_trace() {
  local out st
  out=$(timeout -k 2 10 "${RUN[@]}" --trace="$work/trace.log" -- sh -c 'echo $$' 2>"$work/trace.err")
  st=$?
  [ "$st" = 0 ] && [ "$out" = 1 ] || fail_because "--trace=FILE: status $st, stdout '$out'"
  grep -q getpid "$work/trace.log" 2>/dev/null || fail_because "--trace=FILE: no getpid line in FILE"
  grep -q getpid "$work/trace.err" && fail_because "--trace=FILE: trace lines on stderr"
  out=$(timeout -k 2 10 "${RUN[@]}" --trace -- sh -c 'echo $$' 2>"$work/trace2.err")
  st=$?
  [ "$st" = 0 ] && [ "$out" = 1 ] || fail_because "--trace: status $st, stdout '$out'"
  grep -q getpid "$work/trace2.err" || fail_because "--trace: no getpid line on stderr"
}

# Job control in a non-interactive bash (set -m): $!, jobs -p, each job in a group of its own
# (its pgid read back by a Python child), kill %1 (a signal to the job's group), wait for a pid
# (143 after SIGTERM), wait for a subshell's status, wait -n -p (the pid of the job that ended
# first), wait for everything, and kill -0 of a reaped job.
t_bash_job_control() {
  EXPECT_OUT='pid=1 ppid=0
bang=2
jobs=2
job_pgid=2
wait=143
wait2=3
wait_n=0 id=7
waitall=0
kill_reaped=1' \
    EXPECT_STATUS=0 differential bash -c '
set -m
echo "pid=$$ ppid=$PPID"
sleep 30 & p=$!
echo "bang=$p"
echo "jobs=$(jobs -p)"
'"$PYTHON"' -c "import os, sys; print(\"job_pgid=%d\" % os.getpgid(int(sys.argv[1])))" $p
kill %1
wait $p; echo "wait=$?"
(exit 3) & wait $!; echo "wait2=$?"
sleep 2 & sleep 0.1 & wait -n -p id; echo "wait_n=$? id=$id"
kill %%; wait; echo "waitall=$?"
kill -0 $p 2>/dev/null; echo "kill_reaped=$?"'
}

# bash as init and signals from its own children: a trapped signal is delivered (the trap runs),
# an untrapped SIGTERM or SIGINT is discarded (init survives), and $BASHPID / $$ / $PPID of the
# senders are the box's numbers. (Never kill $PPID from a subshell here: bash's $PPID is 0 in a
# namespace init, and kill(0) would reach the runner's process group.)
t_bash_init_signals() {
  EXPECT_OUT='child 2
got USR1
survived TERM
survived INT
child 5 1
got USR1
end 1' \
    EXPECT_STATUS=0 differential bash -c '
trap "echo got USR1" USR1
(echo child $BASHPID; kill -USR1 1); wait
(kill -TERM 1); echo survived TERM
(kill -INT 1); echo survived INT
sh -c "echo child \$\$ \$PPID; kill -USR1 \$PPID"; wait
echo end $$'
}

# Python's process API: subprocess.run (argv and shell), os.fork + os.waitpid, os.kill with a
# signal, the errors for no children and for a pid outside, and the ids of the interpreter.
t_python_os() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  local script='
import os, signal, subprocess
r = subprocess.run(["sh", "-c", "echo $$ $PPID; exit 3"], capture_output=True, text=True)
print("subprocess", r.stdout.strip(), r.returncode)
r = subprocess.run("echo $$ $PPID", shell=True, capture_output=True, text=True)
print("subprocess_shell", r.stdout.strip(), r.returncode)
pid = os.fork()
if pid == 0:
    os._exit(7)
p, st = os.waitpid(pid, 0)
print("fork", pid, p == pid, os.waitstatus_to_exitcode(st))
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, b"x")
    signal.pause()
    os._exit(0)
os.close(w)
os.read(r, 1)
os.kill(pid, signal.SIGTERM)
p, st = os.waitpid(pid, 0)
print("kill", p, os.WIFSIGNALED(st), os.WTERMSIG(st))
try:
    os.waitpid(-1, os.WNOHANG)
except ChildProcessError:
    print("waitpid_no_children ECHILD")
try:
    os.kill(99999, 0)
except ProcessLookupError:
    print("kill_99999 ESRCH")
print("ids", os.getpid(), os.getppid(), os.getpgrp(), os.getsid(0))'
  EXPECT_OUT='subprocess 2 1 3
subprocess_shell 3 1 0
fork 4 True 7
kill 5 True 15
waitpid_no_children ECHILD
kill_99999 ESRCH
ids 1 0 0 0' \
    EXPECT_STATUS=0 differential "$PYTHON" -c "$script"
}

# multiprocessing with the fork start method: Pool.map (workers see init as parent), Process
# exit codes (normal, and -9 for a worker killed by SIGKILL), a Queue from a worker.
t_python_multiprocessing() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  local script='
import multiprocessing as mp, os, signal
def square(x):
    return x * x, os.getppid() == 1
def exit5():
    os._exit(5)
def killself():
    os.kill(os.getpid(), signal.SIGKILL)
def report(q):
    q.put((os.getppid(), os.getpid() > 1))
if __name__ == "__main__":
    mp.set_start_method("fork")
    with mp.Pool(2) as pool:
        print("pool_map", pool.map(square, range(6)))
    p = mp.Process(target=exit5); p.start(); p.join(); print("exitcode", p.exitcode)
    p = mp.Process(target=killself); p.start(); p.join(); print("exitcode_killed", p.exitcode)
    q = mp.Queue()
    p = mp.Process(target=report, args=(q,)); p.start(); print("child_view", q.get())
    p.join(); print("exitcode_ok", p.exitcode)
    print("main_pid", mp.current_process().pid)'
  EXPECT_OUT='pool_map [(0, True), (1, True), (4, True), (9, True), (16, True), (25, True)]
exitcode 5
exitcode_killed -9
child_view (1, True)
exitcode_ok 0
main_pid 1' \
    EXPECT_STATUS=0 differential "$PYTHON" -c "$script"
}

# timeout(1) as init and under a shell: 124 when the time runs out, 137 with -s KILL, the
# command's own status otherwise.
t_timeout() {
  EXPECT_OUT="" EXPECT_STATUS=124 differential timeout 0.5 sleep 5
  EXPECT_OUT="" EXPECT_STATUS=137 differential timeout -s KILL 0.5 sleep 5
  EXPECT_OUT='124
137
3' EXPECT_STATUS=0 differential sh -c \
    'timeout 0.5 sleep 5; echo $?
     timeout -s KILL 0.5 sleep 5; echo $?
     timeout 5 sh -c "exit 3"; echo $?'
}

# setsid -f (fork, then a new session): the new process's pid, parent, session and group, and
# the exit status passed back by -w.
t_setsid_fork() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  EXPECT_OUT='3 2
5
5 5 5 4' EXPECT_STATUS=0 differential sh -c '
setsid -f -w sh -c "echo \$\$ \$PPID; exit 5"; echo $?
setsid -f -w '"$PYTHON"' -c \
  "import os; print(os.getpid(), os.getsid(0), os.getpgrp(), os.getppid())"'
}

# tini as the box's init: its child is 2 with parent 1, tini passes the child's exit status on,
# reaps a grandchild left behind, and forwards a SIGTERM sent to it from inside to its child
# (143: the child died of it).
t_tini() {
  if ! command -v tini >/dev/null; then
    fail_because "tini not installed (scripts/install-deps.sh)"
    return
  fi
  EXPECT_OUT="2 1" EXPECT_STATUS=3 differential tini -s -- sh -c 'echo $$ $PPID; exit 3'
  EXPECT_OUT='bg
parent' EXPECT_STATUS=0 differential tini -s -- sh -c \
    'sh -c "sleep 0.2 & echo bg"; echo parent; wait'
  EXPECT_OUT="" EXPECT_STATUS=143 differential tini -s -- sh -c \
    'kill -TERM $PPID; sleep 5; echo not reached'
}

# xargs -P2: every command runs (output sorted), 123 when some command fails, 124 when one exits
# with 255.
t_xargs_parallel() {
  EXPECT_OUT='1 2 3 4 5 6 7 8
123
124' EXPECT_STATUS=0 differential sh -c '
seq 8 | xargs -P2 -I{} sh -c "echo {}" | sort -n | tr "\n" " " | sed "s/ \$//"; echo
seq 4 | xargs -P2 -n1 sh -c "exit \$((\$0 % 2))"; echo $?
seq 4 | xargs -P2 -n1 sh -c "exit 255" 2>/dev/null; echo $?'
}

# stress-ng's process and signal stressors, one instance each for 3 s, as init of a namespace and
# in the box: fork, vfork, clone, wait, kill and sigq at once, then pthread alone. The namespace
# must pass cleanly, and so must the box, but for the pthread stressor's check that
# set_tid_address(2) returns gettid(): in the box it returns the real tid (README, known
# differences: glibc needs the real tid there). After 5 failures stress-ng stops every stressor
# of the run (hence pthread runs alone) and reports the stressor as failed (exit status 2).
t_stress_ng() {
  if ! command -v stress-ng >/dev/null; then
    fail_because "stress-ng not installed (scripts/install-deps.sh)"
    return
  fi
  local set_tid_fail='^stress-ng: fail: +\[[0-9]+\] pthread: set_tid_address failed, returned tid [0-9]+, expecting tid [0-9]+$'
  local pthread_error='^stress-ng: error: +\[[0-9]+\] process \[[0-9]+\] \(pthread\) terminated with an error, exit status=2 \(stressor failed\)$'
  local run stressors s args mode out st bad
  for run in "fork vfork clone wait kill sigq" pthread; do
    read -r -a stressors <<<"$run"
    args=()
    for s in "${stressors[@]}"; do args+=("--$s" 1); done
    args+=(--timeout 3s --metrics-brief --temp-path "$work")
    for mode in oracle box; do
      out=$work/stress_ng.${stressors[0]}.$mode
      st=$("$mode" "$out" stress-ng "${args[@]}")
      cat "$out.err" >>"$out"  # stress-ng logs to both
      # Every stressor ran to its end and reported. (Not that it counted operations: on 2 CPUs
      # a stressor starved for the 3 s may report 0, in the namespace as in the box.)
      for s in "${stressors[@]}"; do
        grep -qE "^stress-ng: metrc: +\[[0-9]+\] $s +[0-9]+ " "$out" ||
          fail_because "$mode: no metrics line for the $s stressor"
      done
      if [ "$mode" = box ] && [ "$run" = pthread ]; then
        bad=$(grep -E '(fail|error):' "$out" | grep -vE "$set_tid_fail|$pthread_error")
        [ "$st" = 0 ] || [ "$st" = 2 ] || fail_because "box: pthread: exit status $st, expected 0 or 2"
        [ "$st" = 2 ] && ! grep -qE "$set_tid_fail" "$out" &&
          fail_because "box: pthread: exit status 2 without the set_tid_address failure"
      else
        bad=$(grep -E '(fail|error):' "$out")
        [ "$st" = 0 ] || fail_because "$mode: $run: exit status $st, expected 0"
      fi
      [ -z "$bad" ] && continue
      fail_because "$mode: $run: unexpected failures:"
      while IFS= read -r l; do fail_because "  $l"; done < <(head -n 20 <<<"$bad")
    done
  done
}

# make -j2 on a generated Makefile (10 targets that each echo and touch a file, a failing
# target, a recursive make): the set of outputs and files, and make's exit statuses.
t_make_parallel() {
  local script=$work/make_test.sh
  cat >"$script" <<'SCRIPT'
export LC_ALL=C
d=$(mktemp -d) || exit 90
cd "$d" || exit 91
{
  printf 'all:'
  for i in $(seq 10); do printf ' t%d' "$i"; done
  printf '\n\t@echo all done\n'
  for i in $(seq 10); do printf 't%d:\n\t@echo building $@; touch $@.out\n' "$i"; done
  printf 'fail: t1\n\t@echo failing; exit 3\n'
  printf 'sub:\n\t@$(MAKE) --no-print-directory t1 t2\n'
} >Makefile
make -j2 >log 2>&1; echo "status=$?"
sort log
ls ./*.out
make -j2 fail >log 2>&1; echo "fail_status=$?"
rm -f ./*.out
make -j2 sub >log 2>&1; echo "sub_status=$?"
sort log
cd / && rm -rf "$d"
SCRIPT
  EXPECT_OUT='status=0
all done
building t1
building t10
building t2
building t3
building t4
building t5
building t6
building t7
building t8
building t9
./t1.out
./t10.out
./t2.out
./t3.out
./t4.out
./t5.out
./t6.out
./t7.out
./t8.out
./t9.out
fail_status=2
sub_status=0
building t1
building t2' EXPECT_STATUS=0 differential sh "$script"
}

# ---------------------------------------------------------------------------------------------
# /proc in the box (--proc=fuse, the default as root): what process tools and shells read there
# must be what they read in a kernel pid namespace with its own procfs (the oracle mounts one).

# A bash function for the scripts below. "waitcomm PID NAME" waits until /proc/PID/comm reads
# NAME, i.e. until a command just started in the background has exec'd (before that, its comm is
# "bash", and ps would show that). It spins on the builtin read, never forking, so that the
# numbering of the processes that follow stays fixed; bounded (~200000 reads).
waitcomm_fn='waitcomm() {
  local i=0 c
  while [ $i -lt 200000 ]; do
    { read -r c <"/proc/$1/comm"; } 2>/dev/null && [ "$c" = "$2" ] && return 0
    i=$((i + 1))
  done
  echo "waitcomm $1 $2: timed out"
  return 1
}
'

# ps -e: every process of the box with its parent, group and session (0: bash's group and
# session were inherited from outside, so they have no number inside), and nothing else.
t_proc_ps() {
  EXPECT_OUT='    PID    PPID    PGID     SID COMMAND
      1       0       0       0 bash
      2       1       0       0 sleep
      3       1       0       0 sleep
      4       1       0       0 ps' EXPECT_STATUS=0 differential bash -c "$waitcomm_fn"'
sleep 30 & waitcomm $! sleep
sleep 31 & waitcomm $! sleep
ps -eo pid,ppid,pgid,sid,comm
kill %1 %2; wait'
}

# ps -T: the threads of a multithreaded Python init (tids 2 and 3) under its pid, then ps itself
# (subprocess.run returns only once ps has exec'd and ended, so nothing else is alive).
t_proc_ps_threads() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  EXPECT_OUT='    PID     TID COMMAND
      1       1 python3
      1       2 python3
      1       3 python3
      4       4 ps' EXPECT_STATUS=0 differential "$PYTHON" -c '
import subprocess, threading
ev = threading.Event()
ts = [threading.Thread(target=ev.wait) for _ in range(2)]
for t in ts:
    t.start()
subprocess.run(["ps", "-e", "-T", "-o", "pid,tid,comm"])
ev.set()
for t in ts:
    t.join()'
}

# top -b -n1: the task count of its header and the PID and COMMAND columns of its process rows
# (sorted by pid: top orders rows by CPU use, which is not deterministic). top runs in a command
# substitution, which bash execs directly: it is pid 3, and it sees exactly bash, sleep and
# itself.
t_proc_top() {
  EXPECT_OUT='tasks 3
1 bash
2 sleep
3 top' EXPECT_STATUS=0 differential bash -c "$waitcomm_fn"'
sleep 30 & waitcomm $! sleep
out=$(top -b -n1 -w 200)
printf "%s\n" "$out" | awk "/^Tasks:/ {print \"tasks\", \$2}"
printf "%s\n" "$out" | awk "/^ *PID / {f = 1; next} f && NF {print \$1, \$NF}" | sort -n
kill $!; wait'
}

# pgrep (by name, by an anchored full command line, by parent) and pidof read /proc. The -f
# patterns are anchored at "^sleep": bash's own command line holds the whole script, so an
# unanchored pattern would also match bash.
t_proc_pgrep_pidof() {
  EXPECT_OUT='pgrep
2
3
pgrep_f
3
pgrep_P
2 sleep
3 sleep
pgrep_none 1
pidof
3 2
pidof_none 1' EXPECT_STATUS=0 differential bash -c "$waitcomm_fn"'
sleep 30 & waitcomm $! sleep
sleep 31.5 & waitcomm $! sleep
echo pgrep; pgrep sleep
echo pgrep_f; pgrep -f "^sleep 31"
echo pgrep_P; pgrep -l -P 1
pgrep -f "^no-such-command-xyz"; echo "pgrep_none $?"
echo pidof; pidof sleep
pidof no-such-command-xyz; echo "pidof_none $?"
kill %1 %2; wait'
}

# pkill -f finds the process by its command line in /proc and signals it by that number: the
# shell's wait then sees SIGTERM (143); a second pkill finds nothing (1).
t_proc_pkill() {
  EXPECT_OUT='pkill 0
wait 143
pkill_again 1' EXPECT_STATUS=0 differential bash -c "$waitcomm_fn"'
sleep 30.771 & p=$!; waitcomm $p sleep
pkill -f "^sleep 30[.]771"; echo "pkill $?"
wait $p; echo "wait $?"
pkill -f "^sleep 30[.]771"; echo "pkill_again $?"'
}

# A Python init lists /proc's numeric entries with the parent and name from each one's stat
# (parsed after the last ')'), and its own pid from os.getpid() and /proc/self. Popen returns
# once sleep has exec'd (it waits for the exec on a pipe), so the listing is fixed.
t_proc_python_listing() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  EXPECT_OUT='1 ppid=0 comm=python3
2 ppid=1 comm=sleep
getpid 1 self 1 thread-self 1/task/1
returncode -9' EXPECT_STATUS=0 differential "$PYTHON" -c '
import os, subprocess
p = subprocess.Popen(["sleep", "30"])
for n in sorted(int(d) for d in os.listdir("/proc") if d.isdigit()):
    with open("/proc/%d/stat" % n) as f:
        s = f.read()
    comm = s[s.index("(") + 1:s.rindex(")")]
    fields = s[s.rindex(")") + 2:].split()
    print(n, "ppid=" + fields[1], "comm=" + comm)
print("getpid", os.getpid(), "self", os.readlink("/proc/self"),
      "thread-self", os.readlink("/proc/thread-self"))
p.kill()
p.wait()
print("returncode", p.returncode)'
}

# Process substitution: bash hands cat and diff /dev/fd/63-style paths, which they open through
# /proc/self/fd (magic links to pipes).
t_proc_bash_procsub_in() {
  EXPECT_OUT='a
b' EXPECT_STATUS=0 differential bash -c 'cat <(echo a) <(echo b)'
}

t_proc_bash_procsub_diff() {
  EXPECT_OUT='1c1
< a
---
> b
diff 1' EXPECT_STATUS=0 differential bash -c 'diff <(printf "a\n") <(printf "b\n"); echo "diff $?"'
}

# Output process substitution: echo writes to /dev/fd/N, a pipe to cat; wait $! waits for cat.
t_proc_bash_procsub_out() {
  EXPECT_OUT='x
wait 0' EXPECT_STATUS=0 differential bash -c 'echo x > >(cat); wait $!; echo "wait $?"'
}

# /proc/self/exe and /proc/<pid>/exe, read (readlink) and followed: a child re-executes bash
# through /proc/self/exe (pid 5, after the three readlinks), then init itself does (exec: still
# pid 1). bash is looked up in PATH, in the box as in the
# oracle, so both name the same file.
t_proc_exe() {
  local bash_path readlink_path
  bash_path=$(readlink -f "$(command -v bash)")
  readlink_path=$(readlink -f "$(command -v readlink)")
  EXPECT_OUT="$readlink_path
$bash_path
$bash_path
child 5 1
exec 1 0" EXPECT_STATUS=0 differential bash -c '
readlink /proc/self/exe
readlink /proc/$$/exe
readlink /proc/1/exe
/proc/self/exe -c "echo child \$\$ \$PPID"
exec /proc/self/exe -c "echo exec \$\$ \$PPID"'
}

# /dev/stderr, /dev/stdout and /dev/fd/N are links through /proc/self/fd: opening them when the
# descriptor is a pipe reopens that pipe.
t_proc_dev_std_pipes() {
  EXPECT_OUT='err
out
fd1' EXPECT_STATUS=0 differential bash -c '
sh -c "echo err >/dev/stderr" 2>&1 | cat
sh -c "echo out >/dev/stdout" | cat
sh -c "echo fd1 >/dev/fd/1" | cat'
}

# stdin a pipe: bash's own [ -p /dev/stdin ] (which bash answers with fstat(0)), coreutils test
# and stat -L (stat() through /dev/stdin -> /proc/self/fd/0), and cat /dev/stdin (an open).
# Then stdin a file: cat /dev/stdin reads it from its start.
t_proc_dev_stdin() {
  printf 'from file\n' >"$work/stdin_file"
  EXPECT_OUT='pipe
pipe_coreutils
fifo
hi
from file' EXPECT_STATUS=0 differential bash -c '
echo hi | { [ -p /dev/stdin ] && echo pipe
  /usr/bin/test -p /dev/stdin && echo pipe_coreutils
  stat -L -c %F /dev/stdin
  cat /dev/stdin; }
cat /dev/stdin <"$0"' "$work/stdin_file"
}

# exec 3<file: /proc/self/fd/3 and /dev/fd/3 in a child reopen the file (from its start);
# readlink shows its path.
t_proc_fd_reopen() {
  printf 'line 1\nline 2\n' >"$work/fd3_file"
  EXPECT_OUT="line 1
line 2
line 1
line 2
$work/fd3_file
$work/fd3_file" EXPECT_STATUS=0 differential bash -c '
exec 3<"$0"
cat /proc/self/fd/3
cat /dev/fd/3
readlink /proc/$$/fd/3
readlink /proc/self/fd/3' "$work/fd3_file"
}

# Python opens /proc/self/fd links, which the kernel follows to the object itself: a memfd, a
# pipe and a deleted file reopen (readlink shows the "(deleted)" names); sockets and eventfds
# refuse with ENXIO, a pidfd with EINVAL (for a user other than root, the anonymous inode of the
# eventfd and the pidfd, root's with mode 0600, refuses first: EACCES). Pipe and socket inode
# numbers differ from run to run: left out.
t_proc_fd_open_python() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  local known='' eventfd=ENXIO pidfd=EINVAL
  [ "$BOX_UID" = 0 ] || eventfd=EACCES pidfd=EACCES
  # README, Known differences: on --engine=ptrace, opening one's own memfd through its fd link
  # gives a duplicate of the descriptor, at the same offset (here its end: nothing is read).
  fuse_on_ptrace && known='^memfd '
  KNOWN=$known EXPECT_OUT="memfd '/memfd:vpidbox-test (deleted)' read 'memfd data'
pipe 'pipe:[N]' read 'pipe data'
socket 'socket:[N]' ENXIO
eventfd 'anon_inode:[eventfd]' $eventfd
pidfd 'anon_inode:[pidfd]' $pidfd
deleted_link '$work/magic/f (deleted)'
deleted read 'deleted data'" EXPECT_STATUS=0 differential "$PYTHON" -c '
import errno, os, re, socket, sys
def show(name, fd):
    link = re.sub(r"\[\d+\]", "[N]", os.readlink("/proc/self/fd/%d" % fd))
    try:
        with open("/proc/self/fd/%d" % fd, "rb") as f:
            print(name, repr(link), "read", repr(f.read().decode()))
    except OSError as e:
        print(name, repr(link), errno.errorcode[e.errno])
fd = os.memfd_create("vpidbox-test")
os.write(fd, b"memfd data")
show("memfd", fd)
r, w = os.pipe()
os.write(w, b"pipe data")
os.close(w)
show("pipe", r)
s = socket.socket(socket.AF_UNIX)
show("socket", s.fileno())
show("eventfd", os.eventfd(0))
show("pidfd", os.pidfd_open(os.getpid()))
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
p = os.path.join(d, "f")
with open(p, "w") as f:
    f.write("deleted data")
dfd = os.open(p, os.O_RDONLY)
os.unlink(p)
print("deleted_link", repr(os.readlink("/proc/self/fd/%d" % dfd)))
try:
    with open("/proc/self/fd/%d" % dfd) as f:
        print("deleted read", repr(f.read()))
except OSError as e:
    print("deleted", errno.errorcode[e.errno])' "$work/magic"
}

# stat() through an fd link (/proc/self/fd/N, /dev/fd/N, /dev/stdin) is the object's own: the
# same device and inode as fstat() of the descriptor, for a pipe, a socket, a regular file and
# a deleted file.
t_proc_fd_stat() {
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  # README, Known differences: stat() through the fd link of a deleted file or a memfd fails
  # with ENOENT (the kernel follows a FUSE symlink by its text), and through the fd link of a
  # pipe or a socket it shows the box's /proc as the device (FUSE reports its own st_dev).
  KNOWN='^(deleted|deleted_device|(pipe|pipe_dev_fd|pipe_dev_stdin|socket)_device) ' EXPECT_OUT='pipe ino True mode True
pipe_device True
pipe_dev_fd ino True mode True
pipe_dev_fd_device True
pipe_dev_stdin ino True mode True
pipe_dev_stdin_device True
socket ino True mode True
socket_device True
file ino True mode True
file_device True
deleted ino True mode True
deleted_device True' EXPECT_STATUS=0 differential "$PYTHON" -c '
import errno, os, socket, sys
def same(name, path, fd):
    try:
        a, b = os.stat(path), os.fstat(fd)
        print(name, "ino", a.st_ino == b.st_ino, "mode", a.st_mode == b.st_mode)
        print(name + "_device", a.st_dev == b.st_dev)
    except OSError as e:
        print(name, errno.errorcode[e.errno])
r, w = os.pipe()
same("pipe", "/proc/self/fd/%d" % r, r)
same("pipe_dev_fd", "/dev/fd/%d" % w, w)
os.dup2(r, 0)
same("pipe_dev_stdin", "/dev/stdin", 0)
s = socket.socket(socket.AF_UNIX)
same("socket", "/proc/self/fd/%d" % s.fileno(), s.fileno())
fd = os.open(sys.executable, os.O_RDONLY)
same("file", "/proc/self/fd/%d" % fd, fd)
p = sys.argv[1]
with open(p, "w") as f:
    f.write("x")
dfd = os.open(p, os.O_RDONLY)
os.unlink(p)
same("deleted", "/proc/self/fd/%d" % dfd, dfd)' "$work/stat_deleted"
}

# procfs judges the reader, not the supervisor: as nobody (setpriv, in a box run as root), the
# environ, maps, exe and fd links of root's processes are refused with procfs's errno, through
# every route (reading, readlink, listing, reopening an fd link, even one that does not exist);
# one's own stay readable, the fd links of one's own pipe reopen, and one's own comm takes a
# write; the code addresses in another's stat read as procfs hides them (1 1 0), and so do
# the kernel's in /proc/kallsyms (kallsyms judges its opener). As root, everything works.
# On --engine=ptrace the comm write fails with EINVAL (README, Known differences).
t_proc_access_other_user() {
  box_is_full_root || return 0
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  local known='' comm=ok root_kallsyms=shown
  # Whether root sees kernel addresses depends on kptr_restrict: as this runner (root) sees them.
  [ "$(head -c 16 /proc/kallsyms)" = 0000000000000000 ] && root_kallsyms=hidden
  if fuse_on_ptrace; then
    known='^(root|nobody) comm_write '
    comm=EINVAL
  fi
  local probe='
import errno, os, sys
who, other = sys.argv[1], sys.argv[2]
def t(name, f):
    try:
        f()
        r = "ok"
    except OSError as e:
        r = errno.errorcode[e.errno]
    print(who, name, r)
def read(p):
    with open(p, "rb") as f:
        f.read()
def write_comm():
    with open("/proc/self/comm", "w") as f:
        f.write(who)
    with open("/proc/self/comm") as f:
        if f.read() != who + "\n":
            raise OSError(errno.EIO, "comm")
r, w = os.pipe()
os.write(w, b"x")
t("environ_1", lambda: read("/proc/1/environ"))
t("maps_1", lambda: read("/proc/1/maps"))
t("status_1", lambda: read("/proc/1/status"))
t("open_fd5_1", lambda: read("/proc/1/fd/5"))
t("open_fd99_1", lambda: read("/proc/1/fd/99"))
t("readlink_fd5_1", lambda: os.readlink("/proc/1/fd/5"))
t("list_fd_1", lambda: os.listdir("/proc/1/fd"))
t("readlink_exe_other", lambda: os.readlink("/proc/%s/exe" % other))
t("maps_other", lambda: read("/proc/%s/maps" % other))
t("environ_self", lambda: read("/proc/self/environ"))
t("maps_self", lambda: read("/proc/self/maps"))
t("readlink_fd_self", lambda: os.readlink("/proc/self/fd/%d" % r))
t("open_fd_self", lambda: os.read(os.open("/proc/%d/fd/%d" % (os.getpid(), r), os.O_RDONLY), 1))
t("comm_write", write_comm)
with open("/proc/%s/stat" % other) as f:
    code = f.read().rsplit(")", 1)[1].split()[23:26]  # startcode endcode startstack
print(who, "stat_other_code", "hidden" if code == ["1", "1", "0"] else "shown")
with open("/proc/kallsyms") as f:
    print(who, "kallsyms", "hidden" if f.read(16) == "0" * 16 else "shown")'
  KNOWN=$known EXPECT_OUT="root environ_1 ok
root maps_1 ok
root status_1 ok
root open_fd5_1 ok
root open_fd99_1 ENOENT
root readlink_fd5_1 ok
root list_fd_1 ok
root readlink_exe_other ok
root maps_other ok
root environ_self ok
root maps_self ok
root readlink_fd_self ok
root open_fd_self ok
root comm_write $comm
root stat_other_code shown
root kallsyms $root_kallsyms
nobody environ_1 EACCES
nobody maps_1 EACCES
nobody status_1 ok
nobody open_fd5_1 EACCES
nobody open_fd99_1 EACCES
nobody readlink_fd5_1 EACCES
nobody list_fd_1 EACCES
nobody readlink_exe_other EACCES
nobody maps_other EACCES
nobody environ_self ok
nobody maps_self ok
nobody readlink_fd_self ok
nobody open_fd_self ok
nobody comm_write $comm
nobody stat_other_code hidden
nobody kallsyms hidden
end" EXPECT_STATUS=0 differential bash -c '
exec 5</etc/hostname
sleep 30 &
"$1" -c "$2" root $!
setpriv --reuid=65534 --regid=65534 --clear-groups "$1" -c "$2" nobody $!
kill $!; wait; echo end' bash "$PYTHON" "$probe"
  if [ -n "$known" ]; then
    grep -qx 'nobody comm_write EINVAL' "$work/$name.box" && grep -qx 'root comm_write EINVAL' "$work/$name.box" ||
      fail_because "expected comm writes to fail with EINVAL on --engine=ptrace: $(grep comm_write "$work/$name.box")"
  fi
}

# Capabilities count in procfs's checks as the kernel counts them: root without CAP_SYS_PTRACE
# may read the environ and maps of a root process that has it (same user) but not follow its fd
# or exe links; root in a new user namespace (unshare -r) has no capability outside it, so root's
# files are refused; without CAP_DAC_OVERRIDE root still reads root's.
t_proc_access_capabilities() {
  box_is_full_root || return 0
  local probe='
for f in /proc/1/environ /proc/1/maps /proc/1/fd/5 /proc/self/maps /proc/self/environ; do
  e=$(cat "$f" 2>&1 >/dev/null) && echo "$0 $f ok" || echo "$0 $f ${e##*: }"
done
readlink /proc/1/exe >/dev/null 2>&1 && echo "$0 exe ok" || echo "$0 exe refused"'
  EXPECT_OUT="no_ptrace /proc/1/environ ok
no_ptrace /proc/1/maps ok
no_ptrace /proc/1/fd/5 Permission denied
no_ptrace /proc/self/maps ok
no_ptrace /proc/self/environ ok
no_ptrace exe refused
userns /proc/1/environ Permission denied
userns /proc/1/maps Permission denied
userns /proc/1/fd/5 Permission denied
userns /proc/self/maps ok
userns /proc/self/environ ok
userns exe refused
no_dac /proc/1/environ ok
no_dac /proc/1/maps ok
no_dac /proc/1/fd/5 ok
no_dac /proc/self/maps ok
no_dac /proc/self/environ ok
no_dac exe ok" EXPECT_STATUS=0 differential bash -c '
exec 5</etc/hostname
setpriv --bounding-set -sys_ptrace --inh-caps -sys_ptrace bash -c "$1" no_ptrace
unshare --user --map-root-user bash -c "$1" userns
setpriv --bounding-set -dac_override,-dac_read_search bash -c "$1" no_dac' bash "$probe"
}

# Who opened and who writes a user namespace's uid_map is what the kernel judges a new mapping
# by. As nobody (in a box run as root) after unshare(CLONE_NEWUSER), mapping the host's root
# must be refused, or nobody would become root; mapping one's own uid (what `unshare -r` does)
# must work. (Python 3.11 has no os.unshare: through ctypes.)
t_proc_userns_map_other_user() {
  box_is_full_root || return 0
  [ -n "$PYTHON" ] || { fail_because "python3 not found"; return; }
  local probe='
import ctypes, os, sys
lower = sys.argv[1]
assert ctypes.CDLL(None, use_errno=True).unshare(0x10000000) == 0  # CLONE_NEWUSER
try:
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/gid_map", "w") as f:
        f.write("0 %s 1" % lower)
    with open("/proc/self/uid_map", "w") as f:
        f.write("0 %s 1" % lower)
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    print("map", lower, "uid", os.getuid())
    with open("/etc/shadow") as f:
        print("read /etc/shadow")
except OSError as e:
    print("map", lower, os.strerror(e.errno))'
  EXPECT_OUT="map 0 Operation not permitted
map 65534 uid 0
map 65534 Permission denied" EXPECT_STATUS=0 differential setpriv --reuid=65534 --regid=65534 \
    --clear-groups bash -c '"$1" -c "$2" 0; "$1" -c "$2" 65534' bash "$PYTHON" "$probe"
}

# Writing /proc/self/comm renames the writer: the redirection of a builtin is opened by bash
# itself, so bash (pid 1) becomes "newname", as everyone sees it (read with bash's builtin read,
# which does not fork, with cat, and with ps); a subshell renames only itself. (printf, not
# echo: the kernel keeps a written newline in the name, and cat would show an empty line.)
t_proc_comm_write() {
  local st script='
printf newname >/proc/self/comm; echo "write $?"
read -r c </proc/$BASHPID/comm; echo "self $c"
cat /proc/1/comm
(echo sub >/proc/self/comm; read -r c </proc/self/comm; echo "sub $c"
 read -r c </proc/1/comm; echo "sub_sees_1 $c")
read -r c </proc/1/comm; echo "1_after_sub $c"
ps -o comm= -p 1
echo end'
  if fuse_on_ptrace; then
    # README, Known differences: on --engine=ptrace, writes to /proc/self/comm fail with EINVAL
    # (procfs judges them by the writer). Checked as documented: the names stay "bash".
    st=$(box "$work/comm.box" bash -c "$script")
    [ "$st" = 0 ] || fail_because "box exit status $st, expected 0"
    [ "$(cat "$work/comm.box")" = 'write 1
self bash
bash
sub bash
sub_sees_1 bash
1_after_sub bash
bash
end' ] || fail_because "box stdout '$(cat "$work/comm.box")', expected the names unchanged"
    grep -q 'Invalid argument' "$work/comm.box.err" ||
      fail_because "box stderr '$(head -c 300 "$work/comm.box.err")', expected EINVAL"
    return
  fi
  EXPECT_OUT='write 0
self newname
newname
sub sub
sub_sees_1 newname
1_after_sub newname
newname
end' EXPECT_STATUS=0 differential bash -c "$script"
}

# ls /proc/self/fd (pid 2, in a command substitution), and ls -l /proc/self/fd (pid 3, first of
# its pipeline): the descriptors of ls, among them the one ls reads the directory with (3), their
# access modes and targets, the pipe's inode number left out (it differs from run to run).
# Descriptors inherited from this runner are closed first, and stderr goes to /dev/null (the
# runner's stderr files have different names for the oracle and the box).
t_proc_ls_fd() {
  EXPECT_OUT='names 0 1 2 3
lr-x------ 0 -> /dev/null
l-wx------ 1 -> pipe:[N]
l-wx------ 2 -> /dev/null
lr-x------ 3 -> /proc/3/fd' EXPECT_STATUS=0 differential bash -c '
exec 2>/dev/null
for f in /proc/$$/fd/*; do f=${f##*/}; [ "$f" -gt 2 ] && eval "exec $f>&-"; done
echo names $(ls /proc/self/fd)
ls -l --time-style=+T /proc/self/fd | awk "NR > 1 {print \$1, \$7, \$8, \$9}" |
  sed -E "s/\[[0-9]+\]/[N]/"'
}

# No host pid shows in the box's /proc: neither as an entry nor in the pid fields of any
# status file. The runner's pid space numbers new processes above 30000 from here on (as the
# conformance runner does), so host numbers are large where the box's are small; a witness
# sleep of the runner and the timeout(1) process that runs the box (each passed as an argument)
# must not exist as /proc/<n> inside. Checked on the oracle too.
t_proc_no_host_pids() {
  local witness mode st out want
  echo 29999 >/proc/sys/kernel/ns_last_pid 2>/dev/null
  sleep 60 >/dev/null 2>&1 &
  witness=$!
  local script="$waitcomm_fn"'
sleep 30 & waitcomm $! sleep
entries=
for d in /proc/[0-9]*; do entries="$entries ${d#/proc/}"; done
echo "entries$entries"
for d in /proc/[0-9]*; do
  line=${d#/proc/}
  while read -r k v; do
    case $k in Pid:|PPid:|Tgid:|TracerPid:|NStgid:|NSpid:|NSpgid:|NSsid:) line="$line $k$v" ;; esac
  done <"$d/status"
  echo "$line"
done
read -r line </proc/self/stat; echo "self_stat ${line%% *}"
for n in "$@"; do [ -e "/proc/$n" ] && echo "host pid $n visible"; done
kill $!; wait; echo done'
  want='entries 1 2
1 Tgid:1 Pid:1 PPid:0 TracerPid:0 NStgid:1 NSpid:1 NSpgid:0 NSsid:0
2 Tgid:2 Pid:2 PPid:1 TracerPid:0 NStgid:2 NSpid:2 NSpgid:0 NSsid:0
self_stat 1
done'
  for mode in oracle box; do
    out=$work/nohost.$mode
    if [ $mode = oracle ]; then
      (exec timeout -k 2 "$per_run_timeout" "${oracle[@]}" bash -c "$script" bash "$witness" "$BASHPID") \
        >"$out" 2>"$out.err" </dev/null
    else
      (exec timeout -k 2 "$per_run_timeout" "${RUN[@]}" -- bash -c "$script" bash "$witness" "$BASHPID") \
        >"$out" 2>"$out.err" </dev/null
    fi
    st=$?
    [ "$st" = 0 ] || fail_because "$mode: exit status $st ($(head -c 300 "$out.err"))"
    if [ "$(cat "$out")" != "$want" ]; then
      fail_because "$mode: /proc shows, expected '$want':"
      while IFS= read -r l; do fail_because "  $l"; done <"$out"
    fi
    grep -qE '(^|[^0-9])[0-9]{4,}' "$out" && fail_because "$mode: a number >= 1000 (a host pid?) in the output"
  done
  kill -KILL "$witness" 2>/dev/null
  reap "$witness" >/dev/null
}

# --proc=host keeps the old behaviour: the box sees the host's /proc (a process of the runner,
# by its host number; /proc/self is the host pid, not 1). --proc=none: no process entries and
# no /proc/self, where a mount namespace can be had (elsewhere a one-line error, exit 125).
# --proc=bogus: a usage error.
t_proc_option() {
  local witness out st
  sleep 60 >/dev/null 2>&1 &
  witness=$!
  out=$(timeout -k 2 "$per_run_timeout" "${RUN_ANY_PROC[@]}" --proc=host -- bash -c '
[ -e "/proc/$0" ] && echo witness_visible
[ "$(readlink /proc/self)" = 1 ] || echo self_not_1' "$witness" 2>"$work/proc_host.err" </dev/null)
  st=$?
  [ "$st" = 0 ] || fail_because "--proc=host: exit status $st ($(head -c 300 "$work/proc_host.err"))"
  [ "$out" = $'witness_visible\nself_not_1' ] ||
    fail_because "--proc=host: got '$out', expected 'witness_visible' and 'self_not_1'"
  kill -KILL "$witness" 2>/dev/null
  reap "$witness" >/dev/null

  out=$(timeout -k 2 "$per_run_timeout" "${RUN_ANY_PROC[@]}" --proc=none -- bash -c '
set -- /proc/[0-9]*
[ -e "$1" ] && echo "numeric entries: $*"
[ -e /proc/self ] && echo "/proc/self exists"
[ -L /proc/self ] && echo "/proc/self is a link"
echo end' 2>"$work/proc_none.err" </dev/null)
  st=$?
  if [ "$MOUNT_NS_OK" = 1 ]; then
    [ "$st" = 0 ] || fail_because "--proc=none: exit status $st ($(head -c 300 "$work/proc_none.err"))"
    [ "$out" = end ] || fail_because "--proc=none: got '$out', expected only 'end'"
  else
    [ "$st" = 125 ] && [ "$(wc -l <"$work/proc_none.err")" = 1 ] ||
      fail_because "--proc=none without a mount namespace: status $st, expected 125 and one line ($(head -c 300 "$work/proc_none.err"))"
  fi

  cli_error 125 run --proc=bogus -- true
  cli_error 125 run --proc= -- true
}

# With the host's /proc (asked for: it is never fallen back to), opens do not stop for the
# supervisor: 300 opens of a file add no voluntary context switch each, as every round trip to
# the supervisor would (the box's own /proc, mounted or not, routes every open).
t_opens_untrapped_with_host_proc() {
  local script out st
  script='
import os
def switches():
    with open("/proc/self/status") as f:
        return int([l for l in f if l.startswith("voluntary_ctxt_switches")][0].split()[1])
before = switches()
for _ in range(300):
    os.close(os.open("/etc/hostname", os.O_RDONLY))
print("trapped" if switches() - before >= 300 else "untrapped")'
  out=$(timeout -k 2 "$per_run_timeout" "${RUN_ANY_PROC[@]}" --proc=host -- "$PYTHON" -c "$script" 2>&1)
  [ "$out" = untrapped ] || fail_because "--proc=host: opens stop for the supervisor ($out)"
  out=$(timeout -k 2 "$per_run_timeout" "${RUN_ANY_PROC[@]}" --proc=intercept -- "$PYTHON" -c "$script" 2>&1)
  [ "$out" = trapped ] || fail_because "--proc=intercept: the check itself sees no round trips ($out)"
  if box_is_full_root; then
    out=$(timeout -k 2 "$per_run_timeout" "${RUN_ANY_PROC[@]}" --proc=fuse -- "$PYTHON" -c "$script" 2>&1)
    [ "$out" = trapped ] || fail_because "--proc=fuse: the check itself sees no round trips ($out)"
  fi
}

# --stats: when the box is over, one line of totals and one per intercepted system call. A shell
# that forks and waits costs fork events and wait4 stops; its getpid is a notification on the
# hybrid engine and a seccomp stop on the ptrace engine. The command's own output is untouched.
t_stats() {
  local out err st
  out=$(timeout -k 2 "$per_run_timeout" "${RUN[@]}" --stats -- sh -c 'echo $$; sleep 0 & wait' \
    2>"$work/stats.err" </dev/null)
  st=$?
  err=$(cat "$work/stats.err")
  [ "$st" = 0 ] && [ "$out" = 1 ] || fail_because "status $st, stdout '$out'"
  [[ $err =~ "vpidbox: stats: "[0-9]+" notifications, "[0-9]+" ptrace stops ("[0-9]+" seccomp".*" "([1-9][0-9]*)" fork events" ]] ||
    fail_because "no totals line with a fork event: $err"
  grep -qE '^vpidbox: stats: wait4: [0-9]+ notifications, [1-9][0-9]* seccomp stops$' \
    "$work/stats.err" || fail_because "no wait4 line with stops: $err"
  if [ "${VPIDBOX_ENGINE:-}" = ptrace ]; then
    grep -qE '^vpidbox: stats: getpid: 0 notifications, [1-9]' "$work/stats.err" ||
      fail_because "ptrace engine: getpid not counted as a stop: $err"
  else
    grep -qE '^vpidbox: stats: getpid: [1-9][0-9]* notifications, 0 seccomp stops$' \
      "$work/stats.err" || fail_because "getpid not counted as a notification: $err"
  fi
  # Without --stats, nothing is printed.
  err=$(timeout -k 2 "$per_run_timeout" "${RUN[@]}" -- true 2>&1 </dev/null)
  [ -z "$err" ] || fail_because "without --stats: '$err'"
}

# More cases, by subject, in files of their own (they use the helpers above).
for more in "$(dirname "$0")"/*_tests.sh; do
  # shellcheck source=/dev/null
  . "$more"
done

# ---------------------------------------------------------------------------------------------

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
  while read -r _ _ fn; do
    [[ $fn == t_* ]] && tests+=("${fn#t_}")
  done < <(declare -F)
fi

passed=0
failed=0
for name in "${tests[@]}"; do
  if ! declare -F "t_$name" >/dev/null; then
    echo "FAIL $name"
    echo "    no such test"
    failed=$((failed + 1))
    continue
  fi
  reasons=()
  if [ ! -x "$V" ]; then
    fail_because "vpidbox binary $V is missing"
  else
    "t_$name"
  fi
  if [ ${#reasons[@]} -eq 0 ]; then
    echo "ok $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    printf '    %s\n' "${reasons[@]}"
    failed=$((failed + 1))
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
