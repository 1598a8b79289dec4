# The box's own /proc without FUSE or a mount namespace (--proc=intercept), and boxes as a CI
# sandbox: cases of tests/clients/run.sh, which sources this file and provides the helpers
# (differential, box, oracle, fail_because, ...).
# shellcheck shell=bash disable=SC2016,SC2154  # $ in single quotes is the box's; run.sh's vars

# The environments where a box cannot have FUSE or a mount namespace, as VPIDBOX_WRAP prefixes:
# the Docker-like one (tests/dockerlike) as root without CAP_SYS_ADMIN and as nobody, and a plain
# user, for whom /dev/fuse is closed (mode 0600, as on these machines).
procfree_environments() {
  if [ -x "${VPIDBOX_DOCKERLIKE:-}" ]; then
    echo "docker_root $VPIDBOX_DOCKERLIKE --"
    echo "docker_nobody $VPIDBOX_DOCKERLIKE --user 65534 --"
  fi
  echo "plain_nobody setpriv --reuid=65534 --regid=65534 --clear-groups"
}

# What the issue asks of the box's /proc in those environments, compared with a pid namespace
# made in the same environment: ls /proc, ps -e, top -bn1, pgrep, pkill, pidof, killall,
# os.listdir('/proc'), a psutil scan, readlink /proc/self/exe, reopening /proc/self/fd/N, bash's
# <(...); /proc is procfs (not FUSE), and `vpidbox check` says the default run uses intercept.
# Each environment runs on the engine the suite is for.
t_procfree_tools_everywhere() {
  command -v killall >/dev/null || { fail_because "killall (psmisc) not found"; return; }
  local script="$waitcomm_fn"'
sleep 30 & waitcomm $! sleep
sleep 31.5 & waitcomm $! sleep
echo "proc is $(stat -f -c %T /proc)"
ls /proc >"$3"; echo "ls" $(grep -E "^[0-9]+$" "$3" | sort -n)
ps -eo pid,ppid,comm
out=$(top -b -n1 -w 200)
printf "%s\n" "$out" | awk "/^Tasks:/ {print \"top tasks\", \$2}"
printf "%s\n" "$out" | awk "/^ *PID / {f = 1; next} f && NF {print \"top\", \$1, \$NF}" | sort -k2n
echo "pgrep" $(pgrep sleep)
echo "pidof" $(pidof sleep)
"$1" -c "
import os, psutil
print(\"listdir\", sorted(int(d) for d in os.listdir(\"/proc\") if d.isdigit()))
print(\"psutil\", sorted((p.pid, p.ppid(), p.name()) for p in psutil.process_iter()))
print(\"psutil pid_exists 1\", psutil.pid_exists(1), \"99999\", psutil.pid_exists(99999))"
echo "self exe $(readlink /proc/self/exe)"
exec 3<"$2"; echo "fd reopen $(cat /proc/self/fd/3)"
echo "procsub $(cat <(echo from-procsub))"
pkill -f "^sleep 31[.]5"; echo "pkill $?"
killall sleep; echo "killall $?"
wait; echo done'
  local env wrap mode saved_name=$name saved_run=("${RUN[@]}") saved_oracle=("${oracle[@]}")
  local env_wrap=()
  chmod 1777 "$work"  # the boxes of nobody read the file below
  printf 'a fd file\n' >"$work/procfree_fd_file"
  while read -r env wrap; do
    read -ra env_wrap <<<"$wrap"
    mode=$(cd / && "${env_wrap[@]}" "$V" check 2>/dev/null | sed -n "s|^/proc for 'run': \([a-z]*\).*|\1|p")
    [ "$mode" = intercept ] || fail_because "$env: vpidbox check says /proc for run: '$mode', expected intercept"
    name=procfree_tools_$env
    RUN=("${env_wrap[@]}" "$V" run ${VPIDBOX_ENGINE:+--engine="$VPIDBOX_ENGINE"})
    oracle=(unshare --pid --fork --mount-proc "${env_wrap[@]}")
    EXPECT_STATUS=0 differential bash -c "$script" bash "$PYTHON" "$work/procfree_fd_file" \
      "$work/procfree_ls.$env"
    grep -qx 'proc is proc' "$work/$name.box" ||
      fail_because "$env: /proc in the box is not procfs: $(grep '^proc is' "$work/$name.box")"
    grep -qx 'fd reopen a fd file' "$work/$name.box" ||
      fail_because "$env: /proc/self/fd/3 did not reopen the file: $(grep '^fd reopen' "$work/$name.box")"
  done < <(procfree_environments)
  name=$saved_name RUN=("${saved_run[@]}") oracle=("${saved_oracle[@]}")
}

# The calls that name /proc paths without opening them, on the box's own numbers: chdir into
# /proc/<n> and its task directory (pwd and getcwd, relative opens and listings from there),
# stat, readlink of a task's links, access, exec of /proc/<n>/exe and of /proc/self/exe, and
# fchdir to a directory fd of /proc. The box side runs with --proc=intercept.
t_procfree_path_calls() {
  local script='
sleep 30 & child=$!
cd /proc/1 && pwd && echo "getcwd $(/bin/pwd)" && ls -d task fd && echo "status $(grep ^Pid: status)"
cd task && echo "tasks $(ls)" && cd 1 && pwd && cd ../../.. && pwd
cd /proc/self && pwd
cd "/proc/$child" && echo "child comm $(cat comm)" && cd /
echo "stat $(stat -c %F /proc/1) $(stat -c %F /proc/self) $(stat -L -c %F /proc/self)"
test -r /proc/1/status && echo "access ok"
test -e /proc/99999 || echo "no 99999"
echo "readlink cwd $(readlink /proc/1/cwd)"
echo "readlink exe $(readlink /proc/$child/exe)"
echo "realpath $(realpath /proc/self/../1/task/../stat)"
/proc/1/exe -c "echo exec by number: \$\$ \$PPID"
/proc/self/exe -c "echo exec self: \$\$ \$PPID"
"$1" -c "
import os
fd = os.open(\"/proc\", os.O_RDONLY | os.O_DIRECTORY)
os.fchdir(fd)
print(\"fchdir\", os.getcwd(), sorted(int(d) for d in os.listdir(\".\") if d.isdigit()))
os.chdir(\"1\")
print(\"then\", os.getcwd(), os.path.exists(\"status\"), os.readlink(\"exe\") == os.readlink(\"/proc/1/exe\"))"
kill $child; wait; echo done'
  local saved_run=("${RUN[@]}")
  RUN=("${RUN_ANY_PROC[@]}" --proc=intercept)
  EXPECT_STATUS=0 differential bash -c "$script" bash "$PYTHON"
  RUN=("${saved_run[@]}")
}

# A root box in the Docker-like environment (no CAP_SYS_PTRACE: the supervisor cannot read the
# memory of a task of another user with process_vm_readv) that switches to nobody and execs, as
# gosu or setpriv do: the program then sees the box's /proc as in a namespace.
t_procfree_switched_user() {
  # Its own environment, once (not again in the wrapped runs).
  [ -x "${VPIDBOX_DOCKERLIKE:-}" ] && [ "$(id -u)" = 0 ] && [ -n "$PYTHON" ] &&
    [ -z "${VPIDBOX_WRAP:-}" ] || return 0
  local saved_run=("${RUN[@]}") saved_oracle=("${oracle[@]}")
  RUN=("$VPIDBOX_DOCKERLIKE" -- "$V" run ${VPIDBOX_ENGINE:+--engine="$VPIDBOX_ENGINE"})
  oracle=(unshare --pid --fork --mount-proc "$VPIDBOX_DOCKERLIKE" --)
  cat >"$work/switched.sh" <<'EOF'
sleep 30 & child=$!
until read -r c </proc/$child/comm && [ "$c" = sleep ]; do :; done
echo "uid $(id -u)"
ps -eo pid,ppid,user,comm
echo "self $(readlink /proc/self) $$"
listing=$(ls /proc)  # alone: a pipeline's later members may not be forked yet when ls reads
echo "ls" $(echo "$listing" | grep -E "^[0-9]+$" | sort -n)
grep ^Pid: /proc/1/status
stat -c "%n %U" /proc/1 /proc/$child
kill $child; wait; echo done
EOF
  chmod 1777 "$work"  # nobody reads the script
  chmod 644 "$work/switched.sh"
  EXPECT_STATUS=0 differential "$PYTHON" -c '
import os, sys
os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
os.execvp("sh", ["sh", sys.argv[1]])' "$work/switched.sh"
  RUN=("${saved_run[@]}") oracle=("${saved_oracle[@]}")
}

# ---- boxes as a CI sandbox (README, "As a CI sandbox") ----

# A project's tests in boxes, one box per test, through `meson test --wrapper`: each test is pid 1
# of its box and sees only the box in /proc.
t_ci_meson_wrapper() {
  command -v meson >/dev/null || { fail_because "meson not found"; return; }
  local project=$work/ci_meson
  mkdir -p "$project"
  chmod 1777 "$project"
  cat >"$project/meson.build" <<'EOF'
project('ci', 'c')
pidcheck = executable('pidcheck', 'pidcheck.c')
test('first', pidcheck)
test('second', pidcheck, args : ['again'])
test('shell', find_program('sh'), args : ['-c', 'echo "sh $$"; ls /proc | grep -cE "^[0-9]+$"'])
EOF
  cat >"$project/pidcheck.c" <<'EOF'
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(void) {
  int n = 0;
  DIR* d = opendir("/proc");
  for (struct dirent* e; d && (e = readdir(d));) n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
  printf("pid %d processes %d\n", (int)getpid(), n);
  return getpid() == 1 && n == 1 ? 0 : 1;
}
EOF
  local st
  (cd "$project" && timeout -k 2 60 "${WRAP[@]}" meson setup build >"$work/ci_meson.setup" 2>&1) ||
    { fail_because "meson setup failed: $(tail -c 400 "$work/ci_meson.setup")"; return; }
  (cd "$project" && timeout -k 2 60 "${WRAP[@]}" meson test -C build \
    --wrapper="$V run ${VPIDBOX_ENGINE:+--engine=$VPIDBOX_ENGINE} ${VPIDBOX_PROC:+--proc=$VPIDBOX_PROC} --" \
    >"$work/ci_meson.out" 2>&1)
  st=$?
  [ "$st" = 0 ] || fail_because "meson test --wrapper: status $st: $(tail -c 600 "$work/ci_meson.out")"
  # meson names the log after the wrapper: testlog-vpidbox.txt.
  local log
  log=$(ls "$project"/build/meson-logs/testlog*.txt 2>/dev/null | head -n1)
  [ "$(grep -c '^pid 1 processes 1$' "$log")" = 2 ] ||
    fail_because "the two pidcheck tests did not both run as pid 1 alone: $(grep '^pid' "$log")"
  grep -qx 'sh 1' "$log" || fail_because "the shell test was not pid 1: $(grep '^sh' "$log")"
}

# The same with CMake: ctest in one box (`vpidbox run -- ctest`), where ctest is pid 1 and every
# test a process of the box, and one box per test through CMAKE_CROSSCOMPILING_EMULATOR.
t_ci_ctest() {
  command -v cmake >/dev/null && command -v ctest >/dev/null ||
    { fail_because "cmake/ctest not found"; return; }
  local project=$work/ci_cmake st
  # The command that boxes each test (ctest itself runs as the box's user, VPIDBOX_WRAP).
  local box_cmd=("$V" run ${VPIDBOX_ENGINE:+--engine="$VPIDBOX_ENGINE"} ${VPIDBOX_PROC:+--proc="$VPIDBOX_PROC"})
  mkdir -p "$project"
  chmod 1777 "$project"  # built and run by the box's user (VPIDBOX_WRAP)
  cat >"$project/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.13)
project(ci C)
enable_testing()
add_executable(pids pids.c)
add_test(NAME pids COMMAND pids)
EOF
  cat >"$project/pids.c" <<'EOF'
#include <stdio.h>
#include <unistd.h>
int main(void) {
  printf("pids pid %d ppid %d\n", (int)getpid(), (int)getppid());
  return 0;
}
EOF
  (cd "$project" && timeout -k 2 60 "${WRAP[@]}" cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
    >"$work/ci_cmake.setup" 2>&1 &&
    timeout -k 2 60 "${WRAP[@]}" cmake --build build >>"$work/ci_cmake.setup" 2>&1) ||
    { fail_because "cmake failed: $(tail -c 400 "$work/ci_cmake.setup")"; return; }
  (cd "$project/build" && timeout -k 2 60 "${RUN[@]}" -- ctest -V >"$work/ci_ctest.out" 2>&1)
  st=$?
  [ "$st" = 0 ] || fail_because "vpidbox run -- ctest: status $st: $(tail -c 600 "$work/ci_ctest.out")"
  # ctest is the box's init: the test is one of its children.
  grep -qE 'pids pid [0-9]+ ppid 1$' "$work/ci_ctest.out" ||
    fail_because "in one box, the test is not ctest's child: $(grep 'pids pid' "$work/ci_ctest.out")"
  (cd "$project" && timeout -k 2 60 "${WRAP[@]}" cmake -S . -B build-boxed \
    "-DCMAKE_CROSSCOMPILING_EMULATOR=$(IFS=';'; echo "${box_cmd[*]};--")" >>"$work/ci_cmake.setup" 2>&1 &&
    timeout -k 2 60 "${WRAP[@]}" cmake --build build-boxed >>"$work/ci_cmake.setup" 2>&1) ||
    { fail_because "cmake with the emulator failed: $(tail -c 400 "$work/ci_cmake.setup")"; return; }
  (cd "$project/build-boxed" && timeout -k 2 60 "${WRAP[@]}" ctest -V >"$work/ci_ctest_boxed.out" 2>&1)
  st=$?
  [ "$st" = 0 ] || fail_because "ctest with a box per test: status $st: $(tail -c 600 "$work/ci_ctest_boxed.out")"
  grep -qE 'pids pid 1 ppid 0$' "$work/ci_ctest_boxed.out" ||
    fail_because "a box per test: the test is not pid 1: $(grep 'pids pid' "$work/ci_ctest_boxed.out")"
}

# pytest in a box (`vpidbox run -- python3 -m pytest`): the tests see pytest as pid 1, their own
# subprocesses numbered the box's way, and only the box in /proc and psutil.
t_ci_pytest() {
  "$PYTHON" -c 'import pytest, psutil' 2>/dev/null || { fail_because "pytest or psutil missing"; return; }
  local st
  mkdir -p "$work/ci_pytest"
  chmod 1777 "$work/ci_pytest"
  cat >"$work/ci_pytest/test_box.py" <<'EOF'
import os, subprocess, psutil

def test_pytest_is_init():
    assert os.getpid() == 1

def test_children_are_numbered_by_the_box():
    out = subprocess.run(["sh", "-c", "echo $$ $PPID"], capture_output=True, text=True).stdout
    pid, ppid = map(int, out.split())
    assert ppid == 1 and 1 < pid < 100

def test_only_the_box_is_visible():
    assert psutil.pids() == [1]
    assert [d for d in os.listdir("/proc") if d.isdigit()] == ["1"]
EOF
  (cd "$work/ci_pytest" && timeout -k 2 60 "${RUN[@]}" -- "$PYTHON" -m pytest -q -p no:cacheprovider \
    >"$work/ci_pytest.out" 2>&1)
  st=$?
  [ "$st" = 0 ] || fail_because "vpidbox run -- pytest: status $st: $(tail -c 800 "$work/ci_pytest.out")"
  grep -q '3 passed' "$work/ci_pytest.out" || fail_because "pytest: $(tail -c 400 "$work/ci_pytest.out")"
}
