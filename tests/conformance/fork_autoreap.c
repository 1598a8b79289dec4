// fork_autoreap: fork() returns the child's number to the parent even when the child is already
// gone by the time fork() returns: with SIGCHLD ignored (the kernel reaps the child the moment it
// exits), with SA_NOCLDWAIT, and with another thread reaping every child as soon as it exits.
// Each child exits at once. A fork() that returns 0 in the parent itself (init, pid 1) is
// counted, not followed.
// docs/pid-semantics.md A.3 (numbers are allocated upward, so the parent can check them), C.23
// (SIGCHLD SIG_IGN / SA_NOCLDWAIT in init), I.77.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

enum { kForks = 40 };

// Forks kForks children that exit at once; prints how many fork() calls returned what. The
// children's numbers are consecutive, starting at `first`.
static void fork_many(const char* key, pid_t first) {
  int zero_in_parent = 0, expected = 0, other = 0;
  for (int i = 0; i < kForks; ++i) {
    pid_t c = fork_flushed();
    if (c == 0) {
      if (getpid() == 1) {  // this is init: fork() lied
        ++zero_in_parent;
        continue;
      }
      _exit(0);
    }
    if (c == first + i)
      ++expected;
    else
      ++other;
  }
  printf("%s_returned_child_number=%d\n", key, expected);
  printf("%s_returned_other_number=%d\n", key, other);
  printf("%s_returned_0_in_parent=%d\n", key, zero_in_parent);
}

static volatile int stop_reaper;

static void* reaper(void* arg) {
  (void)arg;
  while (!__atomic_load_n(&stop_reaper, __ATOMIC_SEQ_CST)) {
    if (waitpid(-1, NULL, __WALL) < 0 && errno == ECHILD) sched_yield();
  }
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);

  // 1. SIGCHLD ignored: children 2..41.
  signal(SIGCHLD, SIG_IGN);
  fork_many("sig_ign", 2);
  while (wait(NULL) > 0) continue;

  // 2. SA_NOCLDWAIT: children 42..81.
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_DFL;
  sa.sa_flags = SA_NOCLDWAIT;
  sigaction(SIGCHLD, &sa, NULL);
  fork_many("nocldwait", 2 + kForks);
  while (wait(NULL) > 0) continue;

  // 3. Default disposition, and a thread (tid 82) that reaps every child as soon as it exits:
  // children 83..122.
  signal(SIGCHLD, SIG_DFL);
  pthread_t t;
  if (pthread_create(&t, NULL, reaper, NULL) != 0) die("pthread_create");
  fork_many("reaper_thread", 3 + 2 * kForks);
  __atomic_store_n(&stop_reaper, 1, __ATOMIC_SEQ_CST);
  // Wake the reaper if it is blocked in waitpid: one more child (123).
  fflush(stdout);
  pid_t last = fork();
  if (last == 0 && getpid() != 1) _exit(0);
  pthread_join(t, NULL);
  while (wait(NULL) > 0) continue;
  printf("init_alive_at_end=1\n");
  return 0;
}
