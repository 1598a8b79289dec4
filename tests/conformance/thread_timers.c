// thread_timers: the other kernel interfaces that take a tid or pid inside a structure or an id:
// POSIX timers that signal one thread (SIGEV_THREAD_ID with a tid from gettid()), glibc's
// SIGEV_THREAD timers (which use a helper thread's kernel tid), and CPU-time clocks of another
// process (clock_getcpuclockid, which encodes the pid in the clock id).
// docs/pid-semantics.md §1.7 (timer_create's sigev_notify_thread_id: a thread of the caller's
// process: EINVAL otherwise), §6.3 items 4 and 5, I.77, I.84, F.42 (a clock of a process that is
// not in the box cannot be read).
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
#include <time.h>
#include <unistd.h>

#include "common.h"

static volatile long handled_in_tid;
static volatile int handled_code;

static void on_usr1(int sig, siginfo_t* si, void* context) {
  (void)sig;
  (void)context;
  handled_code = si->si_code;
  __atomic_store_n(&handled_in_tid, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
}

// Creates a one-shot timer (10 ms) that sends SIGUSR1 to thread `tid`. Returns 0 or -1.
static int thread_timer(long tid, timer_t* timer) {
  struct sigevent ev;
  memset(&ev, 0, sizeof(ev));
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGUSR1;
  ev._sigev_un._tid = (pid_t)tid;
  return timer_create(CLOCK_MONOTONIC, &ev, timer);
}

static void arm(timer_t timer) {
  struct itimerspec its;
  memset(&its, 0, sizeof(its));
  its.it_value.tv_nsec = 10 * 1000 * 1000;
  if (timer_settime(timer, 0, &its, NULL) < 0) die("timer_settime");
}

// Waits up to 2 s for the handler; prints where it ran.
static void report(const char* key, long main_tid, long other_tid) {
  for (int i = 0; i < 200 && __atomic_load_n(&handled_in_tid, __ATOMIC_SEQ_CST) == 0; ++i) {
    sleep_ms(10);
  }
  const long tid = handled_in_tid;
  printf("%s=%s%s\n", key,
         tid == 0           ? "nothing"
         : tid == main_tid  ? "main thread"
         : tid == other_tid ? "other thread"
                            : "unknown thread",
         tid != 0 && handled_code == SI_TIMER ? " SI_TIMER" : "");
  handled_in_tid = 0;
}

static int gate[2];
static volatile long other_tid;

static void* other_thread(void* arg) {
  (void)arg;
  __atomic_store_n(&other_tid, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
  char c;
  while (read(gate[0], &c, 1) < 0 && errno == EINTR) continue;
  return NULL;
}

static volatile int thread_notified;

static void on_timer_thread(union sigval v) {
  __atomic_store_n(&thread_notified, v.sival_int, __ATOMIC_SEQ_CST);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  if (sigaction(SIGUSR1, &sa, NULL) < 0) die("sigaction");
  const long main_tid = syscall(SYS_gettid);

  if (pipe(gate) < 0) die("pipe");
  pthread_t t;
  if (pthread_create(&t, NULL, other_thread, NULL) != 0) die("pthread_create");
  while (__atomic_load_n(&other_tid, __ATOMIC_SEQ_CST) == 0) sched_yield();
  show("other_tid", other_tid);

  // SIGEV_THREAD_ID with the main thread's tid, then with the other thread's.
  timer_t timer;
  int r = thread_timer(main_tid, &timer);
  show("timer_create_thread_id_main", r);
  if (r == 0) {
    arm(timer);
    report("timer_main_fired_in", main_tid, other_tid);
    timer_delete(timer);
  }
  r = thread_timer(other_tid, &timer);
  show("timer_create_thread_id_other", r);
  if (r == 0) {
    arm(timer);
    report("timer_other_fired_in", main_tid, other_tid);
    timer_delete(timer);
  }
  // A tid that is not a thread of this process, and one that names nothing.
  pid_t child = fork_flushed();
  if (child == 0) {
    char c;
    close(gate[1]);
    while (read(gate[0], &c, 1) < 0 && errno == EINTR) continue;
    _exit(0);
  }
  show("child", child);
  show("timer_create_thread_id_child", thread_timer(child, &timer));
  show("timer_create_thread_id_99999", thread_timer(99999, &timer));

  // CPU-time clocks of processes, named by pid.
  clockid_t clock;
  struct timespec ts;
  int err = clock_getcpuclockid(child, &clock);
  show("clock_getcpuclockid_child", err ? -(errno = err, 1) : 0);
  if (err == 0) show("clock_gettime_child", clock_gettime(clock, &ts));
  err = clock_getcpuclockid(0, &clock);
  show("clock_getcpuclockid_self", err ? -(errno = err, 1) : 0);
  if (err == 0) show("clock_gettime_self", clock_gettime(clock, &ts));
  err = clock_getcpuclockid(99999, &clock);
  show("clock_getcpuclockid_99999", err ? -(errno = err, 1) : 0);
  // The same clocks built by hand (glibc's encoding of MAKE_PROCESS_CPUCLOCK), read directly.
  show("clock_gettime_process_clock_child",
       clock_gettime((clockid_t)((~(unsigned)child << 3) | 2), &ts));
  show("clock_gettime_thread_clock_other",
       clock_gettime((clockid_t)((~(unsigned)other_tid << 3) | 6), &ts));
  show("clock_gettime_thread_clock_99999",
       clock_gettime((clockid_t)((~(unsigned)99999 << 3) | 6), &ts));

  close(gate[1]);
  pthread_join(t, NULL);
  if (waitpid(child, NULL, 0) != child) die("waitpid");

  // SIGEV_THREAD, last: glibc runs the function in a thread created by a helper thread.
  struct sigevent ev;
  memset(&ev, 0, sizeof(ev));
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = on_timer_thread;
  ev.sigev_value.sival_int = 5;
  r = timer_create(CLOCK_MONOTONIC, &ev, &timer);
  show("timer_create_sigev_thread", r);
  if (r == 0) {
    arm(timer);
    for (int i = 0; i < 200 && __atomic_load_n(&thread_notified, __ATOMIC_SEQ_CST) == 0; ++i) {
      sleep_ms(10);
    }
    show("sigev_thread_notified", thread_notified);
    timer_delete(timer);
  }

  return 0;
}
