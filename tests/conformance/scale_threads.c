// scale_threads: one process with 1000 threads alive at once.
// pid-semantics.md §4: A.3/A.5 (threads take numbers from the same space in creation order: the
// thousand tids run 2…1001), I.77 (each sees the tgid as getpid() and its own tid), A.7
// (/proc/self/task lists every thread, each under its own name), E (tgkill reaches each thread by
// its tid, and the receiving thread is the one named).
// Prints summaries only. How long it took goes to stderr.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

enum { kThreads = 1000 };

static pid_t tid_of[kThreads];
static int pid_seen_by[kThreads];
static atomic_int hits[kThreads];
static atomic_int wrong_receiver;
static _Thread_local int my_index = -1;
static pthread_barrier_t all_alive;
static int release_pipe[2];

static void on_usr1(int sig) {
  (void)sig;
  if (my_index < 0 || syscall(SYS_gettid) != tid_of[my_index])
    atomic_fetch_add(&wrong_receiver, 1);
  else
    atomic_fetch_add(&hits[my_index], 1);
}

static void* worker(void* arg) {
  my_index = (int)(long)arg;
  tid_of[my_index] = (pid_t)syscall(SYS_gettid);
  pid_seen_by[my_index] = getpid();
  char name[16];
  snprintf(name, sizeof name, "w%d", my_index);
  prctl(PR_SET_NAME, name);
  pthread_barrier_wait(&all_alive);
  await_eof(release_pipe[0]);  // the signals arrive meanwhile, interrupting nothing that matters
  return NULL;
}

static double seconds_since(const struct timespec* start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

// Index of the worker whose tid is `tid`, or -1.
static int index_of(pid_t tid) {
  // tids are handed out in creation order, but nothing here relies on it.
  for (int i = 0; i < kThreads; ++i)
    if (tid_of[i] == tid) return i;
  return -1;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  if (pipe(release_pipe) < 0) die("pipe");
  pthread_barrier_init(&all_alive, NULL, kThreads + 1);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  static pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; ++i) {
    const int err = pthread_create(&threads[i], &attr, worker, (void*)(long)i);
    if (err) {
      errno = err;
      die("pthread_create");
    }
  }
  pthread_barrier_wait(&all_alive);
  const double created_after = seconds_since(&start);

  int gaps = 0, pid_is_1 = 0;
  for (int i = 0; i < kThreads; ++i) {
    if (i > 0) gaps += tid_of[i] != tid_of[i - 1] + 1;
    pid_is_1 += pid_seen_by[i] == 1;
  }
  printf("threads=%d first_tid=%d last_tid=%d gaps_between_consecutive_tids=%d getpid_1=%d\n",
         kThreads, (int)tid_of[0], (int)tid_of[kThreads - 1], gaps, pid_is_1);

  // /proc/self/task: the leader and every worker, each under the name it gave itself.
  DIR* d = opendir("/proc/self/task");
  if (!d) die("opendir /proc/self/task");
  int listed = 0, listed_workers = 0, names_match = 0, leader_listed = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    char* end;
    const long tid = strtol(e->d_name, &end, 10);
    if (*end != '\0' || end == e->d_name) continue;
    ++listed;
    if (tid == getpid()) {
      ++leader_listed;
      continue;
    }
    const int i = index_of((pid_t)tid);
    if (i < 0) continue;
    ++listed_workers;
    char path[64], name[32] = "", want[16];
    snprintf(path, sizeof path, "/proc/self/task/%ld/comm", tid);
    FILE* f = fopen(path, "re");
    if (f) {
      if (!fgets(name, sizeof name, f)) name[0] = '\0';
      fclose(f);
    }
    name[strcspn(name, "\n")] = '\0';
    snprintf(want, sizeof want, "w%d", i);
    names_match += strcmp(name, want) == 0;
  }
  closedir(d);
  printf("task_entries=%d leader_listed=%d workers_listed=%d worker_names_match=%d\n", listed,
         leader_listed, listed_workers, names_match);

  // tgkill to each worker: the named thread, and only it, runs the handler.
  int tgkill_ok = 0;
  for (int i = 0; i < kThreads; ++i)
    tgkill_ok += syscall(SYS_tgkill, getpid(), tid_of[i], SIGUSR1) == 0;
  int delivered = 0;
  for (int waited_ms = 0; waited_ms < 10000; waited_ms += 10) {
    delivered = 0;
    for (int i = 0; i < kThreads; ++i) delivered += atomic_load(&hits[i]) == 1;
    if (delivered == kThreads) break;
    sleep_ms(10);
  }
  printf("tgkill_ok=%d delivered_once_to_the_named_thread=%d wrong_receiver=%d\n", tgkill_ok,
         delivered, atomic_load(&wrong_receiver));
  errno = 0;
  const long outside = syscall(SYS_tgkill, getpid(), tid_of[kThreads - 1] + 1, 0);
  show("tgkill_last_plus_1", outside);

  close(release_pipe[1]);
  int joined = 0;
  for (int i = 0; i < kThreads; ++i) joined += pthread_join(threads[i], NULL) == 0;
  show("joined", joined);
  fprintf(stderr, "scale_threads: %d threads alive after %.2f s, done after %.2f s\n", kThreads,
          created_after, seconds_since(&start));
  return 0;
}
