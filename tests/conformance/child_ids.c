// child_ids: numbering and parentage of the init's children, grandchildren, threads and a vfork
// child. Nothing printed depends on what fork/vfork/wait return: each process reports what it
// sees itself, and the parent only waits.
// docs/pid-semantics.md A.3 (pids start at 1 and are allocated upward: the next number is the
// lowest free one above the last, so reaped numbers are not reused), A.5 (threads share the
// number space), B (getppid of children), H.66 (inherited invisible pgrp/session read as 0),
// I.77 (thread ids), I.83 (the vfork child gets its own pid).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static void* thread_main(void* arg) {
  (void)arg;
  show("thread_getpid", getpid());
  show("thread_getppid", getppid());
  show("thread_gettid_ne_getpid", gettid() != getpid());
  show("thread_gettid", gettid());  // 2 and 3 were used and reaped: the next number is 4
  show("thread_sys_gettid", syscall(SYS_gettid));
  show("thread_getpgid_0", getpgid(0));
  show("thread_getsid_0", getsid(0));
  return NULL;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1) {  // re-executed by the child "e" below
    show("e_after_exec_getpid", getpid());
    show("e_after_exec_getppid", getppid());
    show("e_after_exec_gettid", gettid());
    return 0;
  }

  // First child: pid 2. Its own child: pid 3.
  if (fork_flushed() == 0) {
    show("a_getpid", getpid());
    show("a_getppid", getppid());
    show("a_gettid_eq_getpid", gettid() == getpid());
    show("a_getpgrp", getpgrp());
    show("a_getpgid_0", getpgid(0));
    show("a_getsid_0", getsid(0));
    const pid_t a_self = getpid();
    if (fork_flushed() == 0) {
      show("g_getpid", getpid());
      show("g_getppid", getppid());
      show("g_getppid_eq_parent_getpid", getppid() == a_self);
      show("g_getpgid_0", getpgid(0));
      show("g_getsid_0", getsid(0));
      _exit(0);
    }
    wait_one("g");
    show("a_getpid_after_child", getpid());
    _exit(0);
  }
  wait_one("a");

  // A thread of init: tid 4.
  pthread_t t;
  if (pthread_create(&t, NULL, thread_main, NULL) != 0) die("pthread_create");
  if (pthread_join(t, NULL) != 0) die("pthread_join");
  show("init_gettid_after_thread", gettid());

  // A vfork child: pid 5. It only stores what it sees; the parent prints after it exits.
  static volatile long v_pid, v_ppid, v_tid;
  fflush(stdout);
  pid_t v = vfork();
  if (v == 0) {
    v_pid = getpid();
    v_ppid = getppid();
    v_tid = syscall(SYS_gettid);
    _exit(0);
  }
  if (v < 0) die("vfork");
  wait_one("v");
  show("v_getpid", v_pid);
  show("v_getppid", v_ppid);
  show("v_gettid", v_tid);
  show("init_getpid_after_vfork", getpid());

  // A child that re-executes this program: pid 6 before and after exec.
  if (fork_flushed() == 0) {
    show("e_getpid", getpid());
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "exec", (char*)NULL);
    die("execl");
  }
  wait_one("e");

  // Two children alive at the same time: pids 7 and 8, both see init as parent. Each waits for
  // its own gate to close, so that they print in a fixed order.
  int gates[2][2];
  for (int i = 0; i < 2; ++i)
    if (pipe(gates[i]) < 0) die("pipe");
  for (int i = 0; i < 2; ++i) {
    if (fork_flushed() == 0) {
      close(gates[0][1]);
      close(gates[1][1]);
      char c;
      if (read(gates[i][0], &c, 1) != 0) die("read gate");  // EOF when init closes it
      printf("pair%d_getpid=%ld\n", i, (long)getpid());
      printf("pair%d_getppid=%ld\n", i, (long)getppid());
      _exit(0);
    }
  }
  for (int i = 0; i < 2; ++i) {
    close(gates[i][0]);
    close(gates[i][1]);
    wait_one("pair");
  }
  show("init_getpid_end", getpid());
  return 0;
}
