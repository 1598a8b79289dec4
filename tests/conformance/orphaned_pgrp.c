// orphaned_pgrp: when a process group becomes orphaned (no member has a parent in another group
// of the same session) while one of its members is stopped, the kernel sends the group SIGHUP and
// then SIGCONT. Here a session leader (2) has a child (3) that leads a group of its own in the
// same session (a job of a shell) and stops itself; when the leader exits, 3 is adopted by init,
// which is in another session, so group 3 is orphaned. 3 reports both signals as the kernel sent
// them: SI_KERNEL, si_pid 0.
// docs/pid-semantics.md H.75 (orphaned-group SIGHUP/SIGCONT use the real relationships), C.18,
// C.20 (adopted by init).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

enum { kMax = 4 };
static volatile sig_atomic_t count;
static volatile int sigs[kMax], pids[kMax], codes[kMax];

static void on_signal(int sig, siginfo_t* si, void* context) {
  (void)context;
  const int i = count;
  if (i < kMax) {
    sigs[i] = sig;
    pids[i] = si->si_pid;
    codes[i] = si->si_code;
  }
  count = i + 1;
}

static const char* code_name(int code) {
  switch (code) {
    case SI_USER:
      return "SI_USER";
    case SI_KERNEL:
      return "SI_KERNEL";
    default:
      return "other";
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pid_t leader = fork_flushed();  // 2
  if (leader == 0) {
    if (setsid() < 0) die("setsid");
    pid_t member = fork_flushed();  // 3
    if (member == 0) {
      if (setpgid(0, 0) < 0) die("setpgid");
      struct sigaction sa;
      memset(&sa, 0, sizeof(sa));
      sa.sa_sigaction = on_signal;
      sa.sa_flags = SA_SIGINFO;
      sigfillset(&sa.sa_mask);
      if (sigaction(SIGHUP, &sa, NULL) < 0 || sigaction(SIGCONT, &sa, NULL) < 0) die("sigaction");
      raise(SIGSTOP);
      // Continued by the kernel's SIGCONT; SIGHUP came first.
      sigset_t none;
      sigemptyset(&none);
      while (count < 2) sigsuspend(&none);
      for (int i = 0; i < count && i < kMax; ++i)
        printf("member_signal%d=%s si_pid %d %s\n", i, sigabbrev_np(sigs[i]), pids[i],
               code_name(codes[i]));
      printf("member_getppid=%d\n", (int)getppid());
      printf("member_getpgrp=%d\n", (int)getpgrp());
      printf("member_getsid=%d\n", (int)getsid(0));
      _exit(0);
    }
    setpgid(member, member);
    int status;
    if (waitpid(member, &status, WUNTRACED) != member || !WIFSTOPPED(status))
      die("member did not stop");
    printf("leader_saw_member_stopped=%s\n", sigabbrev_np(WSTOPSIG(status)));
    fflush(stdout);
    _exit(0);  // group 3 is now orphaned, with a stopped member
  }
  int status;
  if (waitpid(leader, &status, 0) != leader) die("waitpid leader");
  pid_t r = wait(&status);
  printf("init_reaped=%d\n", (int)r);
  printf("member_exit=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
