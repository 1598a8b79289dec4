// create_calls: what every way of creating a process or a thread returns to the creator, and
// what the new process or thread sees itself. All share one counter: 2, 3, 4, ... in creation
// order, threads included. Each child reports before it exits and the parent prints only after
// reaping it, so the order of the lines is fixed.
// docs/pid-semantics.md A.3 (the next number is the lowest free one above the last: reaped numbers
// and a joined thread's tid are not reused), A.5 (threads take numbers from the same counter),
// B.12 (children see init as parent), B.16 (CLONE_PARENT from init fails with EINVAL; from a
// child, the new process is the caller's sibling, a child of init), I.77, I.78 (CLONE_THREAD with
// CLONE_NEWPID, or after unshare(CLONE_NEWPID): EINVAL), I.83 (vfork and posix_spawn children get
// their own pid).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

extern char** environ;

// Reaps the child `pid` (by its number) and requires a clean exit.
static void reap(const char* who, pid_t pid) {
  int status;
  pid_t r = waitpid(pid, &status, 0);
  if (r < 0) die(who);
  if (r != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "create_calls: %s: waitpid gave %d, status 0x%x\n", who, r, status);
    exit(98);
  }
}

// A child of any kind: reports what it sees, then exits.
static void child_report(const char* who) {
  printf("%s_child_getpid=%ld\n", who, (long)getpid());
  printf("%s_child_getppid=%ld\n", who, (long)getppid());
  printf("%s_child_gettid=%ld\n", who, (long)syscall(SYS_gettid));
  fflush(stdout);
}

static long raw_clone(unsigned long flags) {
  return syscall(SYS_clone, flags, NULL, NULL, NULL, 0UL);
}

static long raw_clone3(struct clone_args* args) {
  return syscall(SYS_clone3, args, sizeof(*args));
}

static void* thread_main(void* arg) {
  (void)arg;
  show("thread_gettid", syscall(SYS_gettid));
  show("thread_getpid", getpid());
  return NULL;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1) {  // started by posix_spawn below
    child_report("posix_spawn");
    return 0;
  }

  // fork: 2.
  pid_t p = fork_flushed();
  if (p == 0) {
    child_report("fork");
    _exit(0);
  }
  reap("fork", p);
  show("fork_ret", p);

  // vfork: 3. The child only stores what it sees.
  static volatile long v_pid, v_ppid;
  fflush(stdout);
  p = vfork();
  if (p == 0) {
    v_pid = getpid();
    v_ppid = getppid();
    _exit(0);
  }
  if (p < 0) die("vfork");
  reap("vfork", p);
  show("vfork_ret", p);
  show("vfork_child_getpid", v_pid);
  show("vfork_child_getppid", v_ppid);

  // Raw clone(SIGCHLD): 4.
  fflush(stdout);
  long c = raw_clone(SIGCHLD);
  if (c < 0) die("clone");
  if (c == 0) {
    child_report("clone");
    _exit(0);
  }
  reap("clone", (pid_t)c);
  show("clone_ret", c);

  // Raw clone3 without a pidfd: 5.
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.exit_signal = SIGCHLD;
  fflush(stdout);
  c = raw_clone3(&args);
  if (c < 0) die("clone3");
  if (c == 0) {
    child_report("clone3");
    _exit(0);
  }
  reap("clone3", (pid_t)c);
  show("clone3_ret", c);

  // Raw clone3 with CLONE_PIDFD: 6. The pidfd names the child: waitid(P_PIDFD) reaps it.
  int gate[2];
  if (pipe(gate) < 0) die("pipe");
  int pidfd = -1;
  memset(&args, 0, sizeof(args));
  args.flags = CLONE_PIDFD;
  args.pidfd = (uint64_t)(uintptr_t)&pidfd;
  args.exit_signal = SIGCHLD;
  fflush(stdout);
  c = raw_clone3(&args);
  if (c < 0) die("clone3 CLONE_PIDFD");
  if (c == 0) {
    close(gate[1]);
    char ch;
    if (read(gate[0], &ch, 1) < 0) _exit(97);  // EOF: the parent is done signalling
    child_report("clone3_pidfd");
    _exit(0);
  }
  close(gate[0]);
  show("clone3_pidfd_ret", c);
  show("clone3_pidfd_valid", pidfd >= 0);
  show("clone3_pidfd_send_signal_0", syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0));
  close(gate[1]);
  siginfo_t si;
  memset(&si, 0, sizeof(si));
  show("clone3_pidfd_waitid", waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED));
  show("clone3_pidfd_waitid_si_pid", si.si_pid);
  show("clone3_pidfd_waitid_si_code_exited", si.si_code == CLD_EXITED);
  close(pidfd);

  // posix_spawn of this program: 7.
  char* spawn_argv[] = {argv[0], "spawned", NULL};
  fflush(stdout);
  int err = posix_spawn(&p, "/proc/self/exe", NULL, NULL, spawn_argv, environ);
  if (err != 0) {
    errno = err;
    die("posix_spawn");
  }
  reap("posix_spawn", p);
  show("posix_spawn_pid", p);

  // pthread_create: tid 8.
  pthread_t t;
  if (pthread_create(&t, NULL, thread_main, NULL) != 0) die("pthread_create");
  if (pthread_join(t, NULL) != 0) die("pthread_join");

  // fork again: 9 (the joined thread's 8 is not reused).
  p = fork_flushed();
  if (p == 0) {
    child_report("fork2");
    _exit(0);
  }
  reap("fork2", p);
  show("fork2_ret", p);

  // CLONE_PARENT from init: EINVAL, with clone and with clone3, and no number is used up.
  // (If it ever succeeded, the new process would leave at once.)
  fflush(stdout);
  c = raw_clone(CLONE_PARENT | SIGCHLD);
  if (c == 0) _exit(0);
  show("init_clone_parent", c);
  memset(&args, 0, sizeof(args));
  args.flags = CLONE_PARENT;
  args.exit_signal = SIGCHLD;
  fflush(stdout);
  c = raw_clone3(&args);
  if (c == 0) _exit(0);
  show("init_clone3_parent", c);

  // CLONE_THREAD together with CLONE_NEWPID: EINVAL, nothing created.
  fflush(stdout);
  c = raw_clone(CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_NEWPID);
  if (c == 0) _exit(0);
  show("clone_thread_newpid", c);

  // CLONE_PARENT from a child (10): the new process (11) is its sibling, a child of init. The
  // sibling reports once the caller has exited (EOF on `after`, whose write end only the caller
  // holds).
  int pgate[2], after[2];
  if (pipe(pgate) < 0 || pipe(after) < 0) die("pipe");
  p = fork_flushed();
  if (p == 0) {
    close(pgate[0]);
    fflush(stdout);
    long s = raw_clone(CLONE_PARENT | SIGCHLD);
    if (s == 0) {
      close(pgate[1]);
      close(after[1]);
      char ch;
      if (read(after[0], &ch, 1) != 0) _exit(97);
      child_report("sibling");
      _exit(0);
    }
    if (s < 0) die("clone CLONE_PARENT in child");
    close(after[0]);
    show("clone_parent_caller_getpid", getpid());
    show("clone_parent_caller_wait", waitpid(-1, NULL, WNOHANG));  // not its child: ECHILD
    if (write(pgate[1], &s, sizeof(s)) != (ssize_t)sizeof(s)) die("write");
    _exit(0);
  }
  close(pgate[1]);
  close(after[0]);
  close(after[1]);
  long sibling = 0;
  if (read(pgate[0], &sibling, sizeof(sibling)) != (ssize_t)sizeof(sibling)) die("read");
  close(pgate[0]);
  reap("clone_parent caller", p);
  reap("clone_parent sibling", (pid_t)sibling);  // init's own child
  show("clone_parent_ret", sibling);

  // CLONE_THREAD in a process that has unshared its pid namespace for its children: EINVAL
  // (pthread_create reports it). The process (12) creates no child in the new namespace.
  p = fork_flushed();
  if (p == 0) {
    show("unshare_child_unshare_newpid", unshare(CLONE_NEWPID));
    pthread_t u;
    int err = pthread_create(&u, NULL, thread_main, NULL);
    printf("unshare_child_pthread_create=%s\n", err ? strerrorname_np(err) : "0");
    if (err == 0) pthread_join(u, NULL);
    _exit(0);
  }
  reap("unshare child", p);

  // After all of that, the next fork gets 13.
  p = fork_flushed();
  if (p == 0) _exit(0);
  reap("fork3", p);
  show("fork3_ret", p);
  show("init_getpid_end", getpid());
  return 0;
}
