# Debuggers, tracers and sanitizers inside the box (the emulated ptrace): cases of
# tests/clients/run.sh, which sources this file and provides the helpers (differential, box,
# oracle, ...). gdb, strace -f and LeakSanitizer, compared with the same command as init of a pid
# namespace, normalized only for addresses (and, for strace, the scheduler's interleaving).
# shellcheck shell=bash disable=SC2016,SC2154  # $ in single quotes is the box's; run.sh's vars

# build_c NAME [CC_FLAGS...]: compiles $work/NAME.c (written by the caller) into $work/NAME.
build_c() {
  local name=$1 cc=${CC_FOR_TESTS:-cc}
  shift
  "$cc" -g -O0 -o "$work/$name" "$work/$name.c" "$@" 2>"$work/$name.cc.err" ||
    { fail_because "cannot build $name: $(head -c 300 "$work/$name.cc.err")"; return 1; }
}

# Addresses, build ids and gdb's version line differ from run to run.
normalize_addresses() {
  sed -E 's/0x[0-9a-f]+/ADDR/g; s/\(BuildId: [0-9a-f]+\)//; s/\+ADDR\)/)/g' "$@"
}

# differential_normalized NORMALIZER CMD...: `differential`, comparing stdout and stderr merged
# (debuggers report on both), after NORMALIZER (a command reading stdin) on each.
differential_normalized() {
  local normalizer=$1 o b so sb
  shift
  o=$work/$name.oracle
  b=$work/$name.box
  so=$(timeout -k 2 "$per_run_timeout" "${oracle[@]}" "$@" >"$o.raw" 2>&1 </dev/null; echo $?)
  sb=$(timeout -k 2 "$per_run_timeout" "${RUN[@]}" -- "$@" >"$b.raw" 2>&1 </dev/null; echo $?)
  $normalizer <"$o.raw" >"$o"
  $normalizer <"$b.raw" >"$b"
  if ! cmp -s "$o" "$b" || [ "$so" != "$sb" ]; then
    fail_because "oracle and box differ (oracle status $so, box status $sb):"
    while IFS= read -r l; do fail_because "  $l"; done < <(diff -u --label oracle --label box "$o" "$b")
  fi
  if [ -n "${EXPECT_LINE:-}" ] && ! grep -qE "$EXPECT_LINE" "$b"; then
    fail_because "box output lacks /$EXPECT_LINE/: $(head -c 600 "$b")"
  fi
  if [ -n "${EXPECT_STATUS+x}" ] && [ "$sb" != "$EXPECT_STATUS" ]; then
    fail_because "box exit status $sb, expected $EXPECT_STATUS"
  fi
}

gdb_transcript() {
  normalize_addresses | grep -vE '^(warning: Error disabling address space randomization|Downloading)'
}

# gdb runs a program that segfaults: the signal, the faulting frame, the backtrace.
t_gdb_segfault_backtrace() {
  command -v gdb >/dev/null || { fail_because "gdb is not installed"; return; }
  cat >"$work/segv.c" <<'EOF'
#include <stdio.h>
static void crash(int *p) { *p = 42; }
int main(void) { puts("before the crash"); fflush(stdout); crash(0); return 0; }
EOF
  build_c segv || return
  EXPECT_LINE='^Program received signal SIGSEGV' EXPECT_STATUS=0 \
    differential_normalized gdb_transcript gdb -nx -batch -ex run -ex bt "$work/segv"
  grep -q '^#1 .* in main () at .*segv.c:3' "$work/$name.box" ||
    fail_because "no backtrace through main: $(head -c 600 "$work/$name.box")"
}

# A breakpoint, the threads libthread_db reports (their LWPs are the box's numbers, as gdb gets
# them from the clone events and /proc), and kill.
t_gdb_breakpoint_threads_kill() {
  command -v gdb >/dev/null || { fail_because "gdb is not installed"; return; }
  cat >"$work/threads.c" <<'EOF'
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static volatile pid_t tids[2];
static void *worker(void *arg) { tids[(long)arg] = gettid(); for (;;) pause(); return arg; }
// Whether thread `tid` of this process sleeps in pause() (syscall 34), as /proc says.
static int in_pause(pid_t tid) {
  char path[64], text[16] = "";
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  if (!fgets(text, sizeof text, f)) text[0] = 0;
  fclose(f);
  return strncmp(text, "34 ", 3) == 0;
}
void stop_here(void) { puts("at stop_here"); fflush(stdout); }
int main(void) {
  pthread_t t[2];
  for (long i = 0; i < 2; ++i) pthread_create(&t[i], 0, worker, (void *)i);
  while (!tids[0] || !tids[1] || !in_pause(tids[0]) || !in_pause(tids[1])) usleep(1000);
  stop_here();
  return 0;
}
EOF
  build_c threads -pthread || return
  EXPECT_LINE='^\* 1    Thread ADDR \(LWP [0-9]+\) "threads" stop_here' EXPECT_STATUS=0 \
    differential_normalized gdb_transcript gdb -nx -batch -ex 'break stop_here' -ex run \
    -ex 'info threads' -ex 'info inferiors' -ex kill "$work/threads"
  grep -q '^\[Inferior 1 (process [0-9]*) killed\]' "$work/$name.box" ||
    fail_because "the inferior was not killed: $(tail -c 300 "$work/$name.box")"
}

# gdb -p attaches to a running process of the box (not its child), stops it at a breakpoint and
# detaches; the process goes on and ends by its signal. Where the attach finds it is the
# scheduler's: the transcript is compared from the breakpoint on.
t_gdb_attach_running() {
  command -v gdb >/dev/null || { fail_because "gdb is not installed"; return; }
  cat >"$work/spin.c" <<'EOF'
#include <unistd.h>
volatile int counter;
void tick(void) { ++counter; }
int main(void) { for (;;) { tick(); usleep(1000); } }
EOF
  build_c spin || return
  cat >"$work/attach.sh" <<EOF
"$work/spin" &
p=\$!
sleep 0.3
gdb -nx -batch -p \$p -ex 'break tick' -ex continue -ex 'bt 1' -ex 'info inferiors' -ex detach 2>&1 |
  sed -n '/^Breakpoint 1 at/,\$p'
kill \$p
{ wait \$p; } 2>/dev/null
echo "spin: \$?"
EOF
  EXPECT_LINE='^\* 1    process 2 ' EXPECT_STATUS=0 differential_normalized gdb_transcript sh "$work/attach.sh"
  grep -q '^spin: 143$' "$work/$name.box" || fail_because "the process did not go on after detach"
}

# strace -f of a shell pipeline: the same lines, under the same [pid N]. Lines are grouped by
# process (in each process's order), with a call strace splits into "<unfinished ...>" and
# "<... resumed>" joined and blanks dropped: how processes interleave is the scheduler's, and
# where strace cuts a line and how it pads it with it. A signal's delivery
# ("--- SIGCHLD ...", then rt_sigreturn's value, which is the interrupted call's) comes when the
# child ends relative to the parent's calls: those lines are compared as a set, per process, and
# a call it interrupted (to be restarted) is left out.
strace_lines() {
  "$PYTHON" -c '
import re, sys
# An "attached" notice or another process can cut a line in two; strace then goes on at ",".
lines = sys.stdin.read().replace("\n,", ",").splitlines()
parsed = []
for line in lines:
    m = re.match(r"\[pid +(\d+)\] (.*)", line)
    parsed.append((int(m.group(1)), m.group(2)) if m else (None, line))
# strace leaves the prefix out while it traces one process: before the first fork, and once
# the others are gone, the first process (the only one no traced call created).
created = {int(n) for _, text in parsed
           for n in re.findall(r"^(?:clone3?|v?fork)\(.*\) = (\d+)$", text)}
# Whether strace names it at all depends on the scheduler: it is "main".
numbers = {pid for pid, _ in parsed if pid is not None} - created
main = min(numbers) if numbers else None
pending, by_pid, signals = {}, {}, {}
for pid, text in parsed:
    pid = "main" if pid is None or pid == main else pid
    text = re.sub(r"0x[0-9a-f]+", "ADDR", text)
    text = re.sub(r"si_utime=\d+( /\*[^*]*\*/)?, si_stime=\d+( /\*[^*]*\*/)?",
                  "si_utime=T, si_stime=T", text)
    if text.endswith("<unfinished ...>"):
        pending[pid] = text[: -len("<unfinished ...>")].rstrip()
        continue
    r = re.match(r"<\.\.\. \S+ resumed>(.*)", text)
    if r and pid in pending:
        text = pending.pop(pid) + r.group(1)
    # Blanks are layout: strace aligns results in columns, and a split call loses its space.
    if text.startswith("--- ") or text.startswith("rt_sigreturn("):
        signals.setdefault(pid, []).append(re.sub(r"\s+", "", text.split(" = ")[0]))
        continue
    # A call a signal interrupts, to be restarted, is there when the signal came in time.
    if re.search(r"= \? ERESTART", text):
        continue
    by_pid.setdefault(pid, []).append(re.sub(r"\s+", "", text))
for pid in sorted(set(by_pid) | set(signals), key=str):
    for text in by_pid.get(pid, []):
        print(pid, text)
    for text in sorted(signals.get(pid, [])):
        print(pid, "(signal)", text)
'
}

t_strace_pipeline() {
  command -v strace >/dev/null || { fail_because "strace is not installed"; return; }
  EXPECT_LINE='^[0-9]+ \+\+\+exitedwith0\+\+\+$' EXPECT_STATUS=0 \
    differential_normalized strace_lines strace -q -f -e trace=process,signal \
    sh -c 'echo hi | cat >/dev/null; exec /bin/true'
  grep -qE '^[0-9]+ execve\("/usr/bin/cat"' "$work/$name.box" ||
    fail_because "cat's execve is missing: $(head -c 800 "$work/$name.box")"
}

# An AddressSanitizer build: LeakSanitizer's helper (a CLONE_UNTRACED task that checks
# getppid() and attaches to every thread) reports the leak and the exit status is ASan's;
# without a leak, 0.
asan_program() {
  command -v clang >/dev/null || { fail_because "clang is not installed"; return 1; }
  cat >"$work/leak.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
void *keep;
int main(int argc, char **argv) {
  (void)argv;
  char *p = malloc(77);
  strcpy(p, "leaked");
  if (argc > 1) keep = p;
  p = 0;
  printf("allocated\n");
  return 0;
}
EOF
  CC_FOR_TESTS=clang build_c leak -fsanitize=address
}

t_asan_leak_report() {
  asan_program || return
  EXPECT_LINE='^SUMMARY: AddressSanitizer: 77 byte\(s\) leaked in 1 allocation\(s\)\.$' \
    EXPECT_STATUS=1 differential_normalized normalize_addresses "$work/leak"
}

t_asan_no_leak() {
  asan_program || return
  EXPECT_LINE='^allocated$' EXPECT_STATUS=0 differential_normalized normalize_addresses \
    "$work/leak" keep
}

# Fail closed with a tracer inside: kill -9 of the supervisor ends the tracer and its stopped
# tracee alike.
t_ptrace_supervisor_kill9() {
  local pid end
  "${RUN[@]}" -- sh -c 'sleep 302.5 & s=$!; exec strace -q -p $s' >/dev/null 2>"$work/k9.err" </dev/null &
  pid=$!
  end=$(($(now_ms) + 5000))
  until [ -n "$(procs_matching 'strace -q -p *')" ]; do
    if [ "$(now_ms)" -ge "$end" ]; then
      fail_because "strace -p did not start within 5 s ($(head -c 300 "$work/k9.err"))"
      break
    fi
    sleep 0.02
  done
  sleep 0.2
  kill -KILL "$pid"
  reap "$pid" >/dev/null
  end=$(($(now_ms) + 3000))
  while [ -n "$(procs_matching '*302.5*')$(procs_matching 'strace -q -p *')" ] &&
    [ "$(now_ms)" -lt "$end" ]; do
    sleep 0.05
  done
  expect_no_process 302.5 "3 s after kill -9 of vpidbox (the tracee)"
  expect_no_process 'strace -q -p' "3 s after kill -9 of vpidbox (the tracer)"
}
