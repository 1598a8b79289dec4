// clone3_set_tid: choosing the new process's pid with clone3(set_tid), as checkpoint/restore
// tools do (needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE; the tests run as root). The number
// asked for is the number in the caller's pid space (automatic allocation is not moved by it:
// the next fork still gets the lowest free number above the last automatic one); a number in
// use gives EEXIST, also when it is held only by a process group whose leader has exited.
// docs/pid-semantics.md A.10 (set_tid, EEXIST, EINVAL for a size beyond the nesting depth),
// A.8 (a number stays allocated while a group still uses it), A.3.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

// clone3 with set_tid = {tid, outer} (size entries, the rest 0) and `flags`; the child prints its
// getpid() (and, with CLONE_PARENT, getppid()) under `key` (the parent waits until it has) and
// then waits for EOF on gate_read (if >= 0).
static long spawn_in(const char* key, pid_t tid, pid_t outer, size_t size, unsigned long flags,
                     int gate_read, int gate_write) {
  pid_t set_tid[40];
  memset(set_tid, 0, sizeof(set_tid));
  set_tid[0] = tid;
  set_tid[1] = outer;
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.flags = flags;
  args.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;  // a sibling's is the caller's
  args.set_tid = (uint64_t)(uintptr_t)set_tid;
  args.set_tid_size = size;
  int printed[2];
  if (pipe(printed) < 0) die("pipe");
  fflush(stdout);
  long c = syscall(SYS_clone3, &args, sizeof(args));
  if (c == 0) {
    close(printed[0]);
    printf("%s_child_getpid=%ld\n", key, (long)getpid());
    if (flags & CLONE_PARENT) printf("%s_child_getppid=%ld\n", key, (long)getppid());
    fflush(stdout);
    close(printed[1]);
    if (gate_write >= 0) close(gate_write);
    if (gate_read >= 0) await_eof(gate_read);
    _exit(0);
  }
  const int saved = errno;
  close(printed[1]);
  if (c > 0) await_eof(printed[0]);
  close(printed[0]);
  errno = saved;
  return c;
}

static long spawn_with_tid(const char* key, pid_t tid, size_t size, int gate_read, int gate_write) {
  return spawn_in(key, tid, 0, size, 0, gate_read, gate_write);
}

static void reap(long pid) {
  if (pid > 0 && waitpid((pid_t)pid, NULL, 0) != pid) die("waitpid");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);

  // 1. Ask for 50; the next fork continues above it.
  long c = spawn_with_tid("fifty", 50, 1, -1, -1);
  reap(c);
  show("set_tid_50", c);
  pid_t p = fork_flushed();
  if (p == 0) _exit(0);
  reap(p);
  show("fork_after_50", p);

  // 2. Numbers in use: init's own, and a live child's (60).
  int gate[2];
  if (pipe(gate) < 0) die("pipe");
  long live = spawn_with_tid("sixty", 60, 1, gate[0], gate[1]);
  show("set_tid_60", live);
  show("set_tid_60_again", spawn_with_tid("sixty_again", 60, 1, -1, -1));
  show("set_tid_1", spawn_with_tid("one", 1, 1, -1, -1));
  show("set_tid_size_40", spawn_with_tid("forty", 70, 40, -1, -1));
  close(gate[0]);
  close(gate[1]);
  reap(live);

  // 3. A group outlives its leader (80) through a member: the number stays in use until the
  // member is gone too.
  int ready[2];
  if (pipe(gate) < 0 || pipe(ready) < 0) die("pipe");
  long leader = spawn_with_tid("leader", 80, 1, -1, -1);
  reap(leader);  // 80 is free again
  show("set_tid_80_after_reap", leader);
  leader = spawn_with_tid("leader_again", 80, 1, ready[0], ready[1]);
  show("set_tid_80_again", leader);
  if (setpgid((pid_t)leader, (pid_t)leader) < 0) die("setpgid leader");
  pid_t member = fork_flushed();
  if (member == 0) {
    close(gate[1]);
    close(ready[1]);
    await_eof(gate[0]);
    _exit(0);
  }
  if (setpgid(member, (pid_t)leader) < 0) die("setpgid member");
  show("member_getpgid", getpgid(member));
  close(ready[0]);
  close(ready[1]);  // the leader exits
  reap(leader);
  show("set_tid_80_group_in_use", spawn_with_tid("group_in_use", 80, 1, -1, -1));
  close(gate[0]);
  close(gate[1]);
  reap(member);
  long again = spawn_with_tid("group_gone", 80, 1, -1, -1);
  reap(again);
  show("set_tid_80_group_gone", again);

  // 4. Numbers the kernel refuses in range, and a number for the enclosing pid namespace too
  // (the runner's, where numbers below 30000 are free: README.md).
  show("set_tid_0", spawn_with_tid("zero", 0, 1, -1, -1));
  show("set_tid_negative", spawn_with_tid("negative", -5, 1, -1, -1));
  show("set_tid_pid_max", spawn_with_tid("at_pid_max", 4194304, 1, -1, -1));
  long two_levels = spawn_in("two_levels", 90, 12345, 2, 0, -1, -1);
  reap(two_levels);
  show("set_tid_90_and_outer", two_levels);

  // 5. From a child (2 levels of the same box): a sibling with CLONE_PARENT, and no number at
  // all once the child has dropped its capabilities.
  pid_t child = fork_flushed();
  if (child == 0) {
    show("child_set_tid_96_parent", spawn_in("sibling", 96, 0, 1, CLONE_PARENT, -1, -1));
    if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0) die("setresuid");
    show("unprivileged_set_tid_97", spawn_with_tid("unprivileged", 97, 1, -1, -1));
    _exit(0);
  }
  int status;
  for (int i = 0; i < 2; ++i)
    if (wait(&status) < 0) die("wait");
  return 0;
}
