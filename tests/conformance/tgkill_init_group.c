// tgkill_init_group: tgkill() and rt_tgsigqueueinfo() naming init's thread group but a thread of
// another process fail with ESRCH, whatever init would do with the signal; aimed at init's own
// thread, a signal init neither handles nor blocks is discarded and the call returns 0.
// Found by the random-program tester (tests/random, seed 56): the box answered 0 for
// tgkill(1, own tid, sig) because init would have discarded sig.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

static long queue_info(pid_t tgid, pid_t tid, int sig) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_code = SI_QUEUE;
  si.si_pid = getpid();
  si.si_uid = getuid();
  return syscall(SYS_rt_tgsigqueueinfo, tgid, tid, sig, &si);
}

int main(void) {
  pid_t child = fork_flushed();
  if (child == 0) {
    pid_t self = gettid();
    show("child_tgkill_init_own_tid_term", syscall(SYS_tgkill, 1, self, SIGTERM));
    show("child_tgkill_init_own_tid_kill", syscall(SYS_tgkill, 1, self, SIGKILL));
    show("child_tgkill_init_own_tid_usr1", syscall(SYS_tgkill, 1, self, SIGUSR1));
    show("child_tgkill_init_own_tid_0", syscall(SYS_tgkill, 1, self, 0));
    show("child_rt_tgsigqueueinfo_init_own_tid", queue_info(1, self, SIGTERM));
    show("child_tgkill_init_init_term", syscall(SYS_tgkill, 1, 1, SIGTERM));
    fflush(stdout);
    _exit(0);
  }
  wait_one("child");
  // init names its own group with the child's (reaped) number, and the child's group with its own.
  show("init_tgkill_init_reaped_child_term", syscall(SYS_tgkill, 1, child, SIGTERM));
  show("init_tgkill_init_init_term", syscall(SYS_tgkill, 1, 1, SIGTERM));
  return 0;
}
