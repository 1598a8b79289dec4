// thread_group_exit: a child process whose main thread exits (pthread_exit) while another thread
// lives on. The process keeps its number and can still be addressed through it; the parent is
// told nothing until the whole thread group has exited, and then gets the status of the last
// thread's exit_group().
// docs/pid-semantics.md I.82 (the leader stays a zombie; the parent is notified when the whole
// group has exited), I.77, C (waitpid with WNOHANG), F.42 (the number still names the process).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static int gate[2], ready[2];
static pthread_t main_thread;

static void* survivor(void* arg) {
  (void)arg;
  pthread_join(main_thread, NULL);  // the main thread has exited
  show("survivor_getpid", getpid());
  show("survivor_gettid", syscall(SYS_gettid));
  show("survivor_getppid", getppid());
  show("survivor_getpgid_0", getpgid(0));
  fflush(stdout);
  close(ready[1]);
  char c;
  while (read(gate[0], &c, 1) < 0 && errno == EINTR) continue;
  exit(5);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (pipe(gate) < 0 || pipe(ready) < 0) die("pipe");
  pid_t p = fork_flushed();  // 2, with a thread 3
  if (p == 0) {
    close(gate[1]);
    close(ready[0]);
    main_thread = pthread_self();
    pthread_t t;
    if (pthread_create(&t, NULL, survivor, NULL) != 0) die("pthread_create");
    pthread_exit(NULL);
  }
  close(gate[0]);
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 0) die("read ready");
  int status;
  show("waitpid_nohang_while_thread_lives", waitpid(p, &status, WNOHANG));
  siginfo_t si;
  memset(&si, 0, sizeof(si));
  show("waitid_nohang_while_thread_lives", waitid(P_PID, p, &si, WEXITED | WNOHANG));
  show("waitid_nohang_si_pid", si.si_pid);
  show("kill_0_process", kill(p, 0));
  show("getpgid_process", getpgid(p));
  show("tgkill_thread", syscall(SYS_tgkill, p, 3, 0));
  show("tkill_zombie_leader", syscall(SYS_tkill, p, 0));
  close(gate[1]);
  show("waitpid_after", waitpid(p, &status, 0));
  show("exit_status", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  show("kill_0_after", kill(p, 0));
  return 0;
}
