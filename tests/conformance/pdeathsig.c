// pdeathsig: PR_SET_PDEATHSIG fires when the parent dies: when a parent process exits, and when
// the parent *thread* that forked the child exits while its process lives on. The signal carries
// the dying parent's number (SI_USER), and afterwards getppid() names the new parent.
// docs/pid-semantics.md B.17 (the death signal follows the parent thread), C.18/C.20 (adoption by
// init; a thread's child stays with the thread group), G.57.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

// The orphan's side: waits for the death signal `sig` (blocked since before fork), prints it
// and the new parent.
static void report_death_signal(const char* who, int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  siginfo_t si;
  memset(&si, 0, sizeof(si));
  struct timespec ts = {5, 0};
  int r = sigtimedwait(&set, &si, &ts);
  if (r < 0)
    printf("%s_death_signal=%s\n", who, strerrorname_np(errno));
  else
    printf("%s_death_signal=%s si_pid %d %s\n", who, sigabbrev_np(r), si.si_pid,
           si.si_code == SI_USER ? "SI_USER" : "other");
  printf("%s_getppid_after=%d\n", who, (int)getppid());
  fflush(stdout);
}

static int thread_ready[2];

static void* forking_thread(void* arg) {
  (void)arg;
  pid_t c = fork_flushed();  // 5
  if (c == 0) {
    close(thread_ready[0]);
    if (prctl(PR_SET_PDEATHSIG, SIGUSR2) < 0) die("PR_SET_PDEATHSIG");
    printf("thread_child_getppid_before=%d\n", (int)getppid());
    fflush(stdout);
    close(thread_ready[1]);
    report_death_signal("thread_child", SIGUSR2);
    _exit(0);
  }
  close(thread_ready[1]);
  await_eof(thread_ready[0]);  // the child has set its death signal
  close(thread_ready[0]);
  return NULL;  // the thread exits: its child gets SIGUSR2
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t both;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  sigprocmask(SIG_BLOCK, &both, NULL);  // inherited: the signals wait for sigtimedwait

  // 1. A parent process (2) exits; its child (3) gets SIGUSR1 and is adopted by init.
  int ready[2];
  if (pipe(ready) < 0) die("pipe");
  pid_t p = fork_flushed();
  if (p == 0) {
    pid_t c = fork_flushed();
    if (c == 0) {
      close(ready[0]);
      int inherited = -1;
      prctl(PR_GET_PDEATHSIG, &inherited);
      printf("child_pdeathsig_after_fork=%d\n", inherited);
      if (prctl(PR_SET_PDEATHSIG, SIGUSR1) < 0) die("PR_SET_PDEATHSIG");
      int got = 0;
      prctl(PR_GET_PDEATHSIG, &got);
      printf("child_pdeathsig=%s\n", sigabbrev_np(got));
      printf("child_getppid_before=%d\n", (int)getppid());
      fflush(stdout);
      close(ready[1]);
      report_death_signal("child", SIGUSR1);
      _exit(0);
    }
    close(ready[1]);
    await_eof(ready[0]);
    _exit(0);
  }
  close(ready[0]);
  close(ready[1]);
  int status;
  if (waitpid(p, &status, 0) != p) die("waitpid 2");
  if (wait(&status) != 3) die("wait 3");

  // 2. A thread of init (4) forks a child (5) and exits; the child gets SIGUSR2 and stays with
  // init's thread group.
  if (pipe(thread_ready) < 0) die("pipe");
  pthread_t t;
  if (pthread_create(&t, NULL, forking_thread, NULL) != 0) die("pthread_create");
  pthread_join(t, NULL);
  if (wait(&status) != 5) die("wait 5");
  return 0;
}
