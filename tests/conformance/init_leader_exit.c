// init_leader_exit: init's main thread exits while another thread of init lives on. The box
// lives on too: the remaining thread keeps init's identity, still reaps and forks, and the box
// ends with the status of the last thread's exit_group().
// docs/pid-semantics.md D.31 (the namespace is torn down only when the whole init thread group
// has exited), I.82 (the leader stays a zombie meanwhile), A.3, B.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static pthread_t main_thread;

static void* survivor(void* arg) {
  (void)arg;
  // Returns once the kernel has cleared the leader's tid, i.e. the leader is exiting.
  if (pthread_join(main_thread, NULL) != 0) die("join main thread");
  usleep(100 * 1000);  // let the leader's exit be processed entirely
  show("survivor_getpid", getpid());
  show("survivor_gettid", gettid());
  show("survivor_getppid", getppid());
  show("survivor_getpgid_0", getpgid(0));
  show("survivor_getpgid_1", getpgid(1));
  if (fork_flushed() == 0) {
    show("child_getpid", getpid());
    show("child_getppid", getppid());
    _exit(0);
  }
  int status;
  if (wait(&status) < 0) die("wait");
  show("child_exit_code", WEXITSTATUS(status));
  exit(4);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  main_thread = pthread_self();
  pthread_t t;
  if (pthread_create(&t, NULL, survivor, NULL) != 0) die("pthread_create");
  show("leader_exiting", 1);
  pthread_exit(NULL);
}
