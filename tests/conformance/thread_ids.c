// thread_ids: tids of several live threads, and execve() from a non-leader thread.
// docs/pid-semantics.md A.3/A.5 (threads take numbers from the same space, in creation order),
// I.77 (every thread sees the tgid as getpid(), its own distinct tid), I.81 (a non-leader thread
// that execs takes over the tgid: afterwards gettid()==getpid()==1; its old tid is released, and
// numbering continues above it), B/H (parent, group and session are unchanged by the exec).
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

enum { kThreads = 3 };
static long seen_tid[kThreads], seen_pid[kThreads], seen_ppid[kThreads];
static pthread_barrier_t all_alive;

static void* worker(void* arg) {
  const int i = (int)(long)arg;
  seen_tid[i] = syscall(SYS_gettid);
  seen_pid[i] = getpid();
  seen_ppid[i] = getppid();
  pthread_barrier_wait(&all_alive);  // nobody exits before all have reported
  return NULL;
}

static char* self_argv0;

static void* exec_thread(void* arg) {
  (void)arg;
  show("exec_thread_gettid", gettid());
  fflush(stdout);
  execl("/proc/self/exe", self_argv0, "after_thread_exec", (char*)NULL);
  die("execl");
  return NULL;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1) {
    show("after_exec_getpid", getpid());
    show("after_exec_gettid", gettid());
    show("after_exec_getppid", getppid());
    show("after_exec_getpgid_0", getpgid(0));
    show("after_exec_getsid_0", getsid(0));
    show("after_exec_getpgid_6", getpgid(6));  // the exec'ing thread's old tid is gone
    if (fork_flushed() == 0) {
      show("child_after_exec_getpid", getpid());
      show("child_after_exec_getppid", getppid());
      _exit(0);
    }
    wait_one("child after exec");
    return 0;
  }

  // Three threads alive at once: tids 2, 3, 4.
  pthread_t t[kThreads];
  if (pthread_barrier_init(&all_alive, NULL, kThreads + 1) != 0) die("barrier");
  for (int i = 0; i < kThreads; ++i)
    if (pthread_create(&t[i], NULL, worker, (void*)(long)i) != 0) die("pthread_create");
  pthread_barrier_wait(&all_alive);
  for (int i = 0; i < kThreads; ++i) {
    if (pthread_join(t[i], NULL) != 0) die("pthread_join");
    printf("thread%d_gettid=%ld\n", i, seen_tid[i]);
    printf("thread%d_getpid=%ld\n", i, seen_pid[i]);
    printf("thread%d_getppid=%ld\n", i, seen_ppid[i]);
  }

  // A child after the threads: pid 5.
  if (fork_flushed() == 0) {
    show("child_getpid", getpid());
    show("child_getppid", getppid());
    _exit(0);
  }
  wait_one("child");

  // Thread 6 execs while the leader waits for it; the exec'd program is still pid 1.
  self_argv0 = argv[0];
  pthread_t e;
  if (pthread_create(&e, NULL, exec_thread, NULL) != 0) die("pthread_create");
  pthread_join(e, NULL);  // never returns: the exec ends this thread
  die("exec thread returned");
}
