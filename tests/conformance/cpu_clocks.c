// cpu_clocks: CPU-time clock ids that encode a pid or a tid ((~pid << 3) | type), through every
// call that takes a clock id: clock_gettime, clock_getres, clock_nanosleep, clock_settime,
// clock_adjtime and timer_create. A process clock names a process (a thread's tid is refused,
// except by that thread itself), a thread clock a thread of the caller's own process; glibc's
// clock_getcpuclockid() and pthread_getcpuclockid() build them (the latter from glibc's cached
// tid), and a clock of a zombie still reads. FD clocks (type 3) carry a descriptor, not a pid.
// docs/pid-semantics.md §1.7 (CPU-time clock ids embed a pid), §6.3 item 4, I.77, F.42.
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
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static clockid_t process_clock(pid_t pid) {
  return (clockid_t)((~(unsigned)pid << 3) | 2);  // CPUCLOCK_SCHED
}
static clockid_t thread_clock(pid_t tid) {
  return (clockid_t)((~(unsigned)tid << 3) | 6);  // CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED
}

static long gettime(clockid_t clock) {
  struct timespec ts;
  return clock_gettime(clock, &ts);
}
static long getres(clockid_t clock) {
  struct timespec ts;
  return clock_getres(clock, &ts);
}
// clock_nanosleep returns the error instead of setting errno.
static long sleep_until_zero(clockid_t clock) {
  struct timespec zero = {0, 0};
  int err = clock_nanosleep(clock, TIMER_ABSTIME, &zero, NULL);
  if (err) errno = err;
  return err ? -1 : 0;
}

struct thread_pipes {
  int tid[2];
  int gate[2];
  pthread_t main;
};

// A thread that reads its own clocks, tells its tid and waits.
static void* thread_main(void* arg) {
  struct thread_pipes* pipes = arg;
  const pid_t tid = (pid_t)syscall(SYS_gettid);
  show("thread_own_tid_as_process_clock", gettime(process_clock(tid)));
  clockid_t own;
  int err = pthread_getcpuclockid(pthread_self(), &own);
  show("thread_pthread_getcpuclockid_self", err ? -(errno = err, 1) : gettime(own));
  err = pthread_getcpuclockid(pipes->main, &own);
  show("thread_pthread_getcpuclockid_main", err ? -(errno = err, 1) : gettime(own));
  fflush(stdout);
  if (write(pipes->tid[1], &tid, sizeof(tid)) != sizeof(tid)) die("write tid");
  await_eof(pipes->gate[0]);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);

  // 1. A thread of init (2).
  struct thread_pipes pipes;
  pipes.main = pthread_self();
  if (pipe(pipes.tid) < 0 || pipe(pipes.gate) < 0) die("pipe");
  pthread_t t;
  if (pthread_create(&t, NULL, thread_main, &pipes) != 0) die("pthread_create");
  pid_t tid = 0;
  if (read(pipes.tid[0], &tid, sizeof(tid)) != sizeof(tid)) die("read tid");
  show("thread_clock_of_own_thread", gettime(thread_clock(tid)));
  show("thread_clock_getres", getres(thread_clock(tid)));
  show("process_clock_of_own_thread", gettime(process_clock(tid)));
  clockid_t clock;
  int err = pthread_getcpuclockid(t, &clock);
  show("pthread_getcpuclockid_thread", err ? -(errno = err, 1) : gettime(clock));
  show("process_clock_of_self_by_pid", gettime(process_clock(getpid())));
  show("thread_clock_of_self_by_tid", gettime(thread_clock((pid_t)syscall(SYS_gettid))));
  show("sleep_on_own_thread_clock", sleep_until_zero(thread_clock((pid_t)syscall(SYS_gettid))));

  // 2. A child (3) and its thread-less clock, from init; a process clock of a thread of another
  // process, and a thread clock of another process, are refused.
  int gate[2], printed[2];
  if (pipe(printed) < 0) die("pipe");
  pid_t child = fork_gated(gate);
  if (child == 0) {
    close(printed[0]);
    show("child_thread_clock_of_init_thread", gettime(thread_clock(tid)));
    show("child_process_clock_of_init", gettime(process_clock(1)));
    show("child_process_clock_of_init_thread", gettime(process_clock(tid)));
    fflush(stdout);
    close(printed[1]);
    await_eof(gate[0]);
    _exit(0);
  }
  close(printed[1]);
  await_eof(printed[0]);
  close(printed[0]);
  err = clock_getcpuclockid(child, &clock);
  show("clock_getcpuclockid_child", err ? -(errno = err, 1) : 0);
  if (err == 0) {
    show("clock_gettime_child", gettime(clock));
    show("clock_getres_child", getres(clock));
    show("clock_nanosleep_child", sleep_until_zero(clock));
    struct timespec ts = {0, 0};
    show("clock_settime_child", clock_settime(clock, &ts));
    struct timex tx;
    memset(&tx, 0, sizeof(tx));
    show("clock_adjtime_child", clock_adjtime(clock, &tx));
    timer_t timer;
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_NONE;
    long r = timer_create(clock, &ev, &timer);
    show("timer_create_child_clock", r);
    if (r == 0) timer_delete(timer);
  }
  show("thread_clock_of_child", gettime(thread_clock(child)));
  show("sleep_on_process_clock_of_unknown", sleep_until_zero(process_clock(4000)));
  struct timespec ts = {0, 0};
  show("settime_on_process_clock_of_unknown", clock_settime(process_clock(4000), &ts));
  close(gate[1]);
  // A zombie's clock still reads.
  siginfo_t si;
  if (waitid(P_PID, child, &si, WEXITED | WNOWAIT) < 0) die("waitid");
  show("clock_gettime_zombie", gettime(process_clock(child)));
  wait_exited(child);
  show("clock_gettime_reaped", gettime(process_clock(child)));
  timer_t timer;
  struct sigevent ev;
  memset(&ev, 0, sizeof(ev));
  ev.sigev_notify = SIGEV_NONE;
  show("timer_create_reaped_clock", timer_create(process_clock(child), &ev, &timer));

  // 3. FD clocks carry a descriptor: stdout's is no clock at all.
  show("fd_clock_of_stdout", gettime((clockid_t)((~1u << 3) | 3)));

  close(pipes.gate[1]);
  pthread_join(t, NULL);
  return 0;
}
