// concurrent_relations: many processes and threads created at the same time still see a
// consistent pid space. Which number each one gets depends on scheduling, so only relations and
// the set of numbers are printed: 16 children forked back to back, each forking a grandchild,
// take exactly the numbers 2..33; each sees its parent's number as getppid(); then 8 threads
// alive at once take exactly 34..41, each with a stable tid and getpid()==1.
// docs/pid-semantics.md A.3, A.5, B, I.77.
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

enum { kChildren = 16, kThreads = 8, kIterations = 2000 };

// What one process reports to init through the pipe.
struct report {
  int pid;
  int bad;  // number of failed checks
};

static void send_report(int fd, int pid, int bad) {
  struct report r = {pid, bad};
  if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r)) _exit(97);
}

static int check_self(void) {
  int bad = 0;
  const pid_t p = getpid();
  for (int i = 0; i < 50; ++i) {
    bad += getpid() != p;
    bad += syscall(SYS_gettid) != p;
    bad += getpgid(0) != 0;  // the inherited, invisible group
    bad += getsid(0) != 0;
    bad += getpgid(p) != 0;
  }
  return bad;
}

static pthread_barrier_t all_threads;
static long thread_tid[kThreads];
static int thread_bad[kThreads];

static void* thread_main(void* arg) {
  const int i = (int)(long)arg;
  pthread_barrier_wait(&all_threads);
  const long tid = syscall(SYS_gettid);
  int bad = 0;
  for (int k = 0; k < kIterations; ++k) {
    bad += syscall(SYS_gettid) != tid;
    bad += getpid() != 1;
    bad += getppid() != 0;
  }
  thread_tid[i] = tid;
  thread_bad[i] = bad;
  pthread_barrier_wait(&all_threads);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int reports[2], gate[2];
  if (pipe(reports) < 0 || pipe(gate) < 0) die("pipe");

  fflush(stdout);
  for (int i = 0; i < kChildren; ++i) {
    pid_t c = fork();
    if (c < 0) die("fork");
    if (c > 0) continue;
    // Child: wait until all siblings exist, then check itself and fork a grandchild.
    close(reports[0]);
    close(gate[1]);
    char byte;
    if (read(gate[0], &byte, 1) != 0) _exit(96);
    const pid_t me = getpid();
    int bad = check_self() + (getppid() != 1);
    pid_t g = fork();
    if (g < 0) _exit(95);
    if (g == 0) {
      int gbad = check_self() + (getppid() != me) + (getpid() == me);
      send_report(reports[1], getpid(), gbad);
      _exit(0);
    }
    int status;
    if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ++bad;
    bad += getppid() != 1;
    send_report(reports[1], me, bad);
    _exit(0);
  }
  close(reports[1]);
  close(gate[0]);
  close(gate[1]);  // all children go at once

  int seen[2 * kChildren + 2] = {0};
  int bad = 0, count = 0, out_of_range = 0;
  struct report r;
  while (read(reports[0], &r, sizeof(r)) == (ssize_t)sizeof(r)) {
    ++count;
    bad += r.bad;
    if (r.pid >= 2 && r.pid <= 2 * kChildren + 1)
      seen[r.pid]++;
    else
      ++out_of_range;
  }
  for (int i = 0; i < kChildren; ++i) {
    int status;
    if (wait(&status) < 0) die("wait");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++bad;
  }
  int all_once = out_of_range == 0;
  for (int p = 2; p <= 2 * kChildren + 1; ++p) all_once &= seen[p] == 1;
  printf("processes_reported=%d\n", count);
  printf("process_pids_are_2_to_33=%d\n", all_once);
  printf("process_failed_checks=%d\n", bad);

  pthread_t t[kThreads];
  if (pthread_barrier_init(&all_threads, NULL, kThreads) != 0) die("barrier");
  for (int i = 0; i < kThreads; ++i)
    if (pthread_create(&t[i], NULL, thread_main, (void*)(long)i) != 0) die("pthread_create");
  for (int i = 0; i < kThreads; ++i)
    if (pthread_join(t[i], NULL) != 0) die("pthread_join");
  int tseen[kThreads] = {0}, tbad = 0, tall = 1;
  for (int i = 0; i < kThreads; ++i) {
    tbad += thread_bad[i];
    const long k = thread_tid[i] - (2 * kChildren + 2);
    if (k >= 0 && k < kThreads)
      tseen[k]++;
    else
      tall = 0;
  }
  for (int i = 0; i < kThreads; ++i) tall &= tseen[i] == 1;
  printf("thread_tids_are_34_to_41=%d\n", tall);
  printf("thread_failed_checks=%d\n", tbad);
  return 0;
}
