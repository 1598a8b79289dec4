// thread_signals: signals aimed at one thread, by the box's tids (tgkill, tkill) and by glibc's
// pthread calls (pthread_kill, pthread_sigqueue, pthread_cancel), which pass the kernel's own tid
// that glibc keeps in struct pthread. Each signal must reach exactly the thread it names; the
// handler records gettid() of the thread it ran in.
// docs/pid-semantics.md I.77 (tids differ from the pid, and come from the same counter), I.80
// (tgkill with a tid of another process: ESRCH), I.84 (tkill/tgkill target one thread);
// §6.2/§6.3 items 1 (pthread_kill, pthread_cancel, pthread_sigqueue to another thread).
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

enum { kThreads = 3 };

// The last signal handled: in which thread, from whom, how.
static volatile long got_tid;
static volatile int got_sig, got_pid, got_code, got_value;
static volatile sig_atomic_t got_count;

static void on_signal(int sig, siginfo_t* si, void* context) {
  (void)context;
  got_tid = syscall(SYS_gettid);
  got_sig = sig;
  got_pid = si->si_pid;
  got_code = si->si_code;
  got_value = si->si_code == SI_QUEUE ? si->si_value.sival_int : 0;
  __atomic_add_fetch(&got_count, 1, __ATOMIC_SEQ_CST);
}

static const char* code_name(int code) {
  switch (code) {
    case SI_USER:
      return "SI_USER";
    case SI_TKILL:
      return "SI_TKILL";
    case SI_QUEUE:
      return "SI_QUEUE";
    default:
      return "other";
  }
}

// Waits up to 5 s for the next handled signal, then prints where it ran: "thread N" for the
// thread with index N (by its tid), or the tid itself.
static long tids[kThreads + 1];  // [0]: main thread

static void report(const char* key, int before) {
  for (int i = 0; i < 500 && __atomic_load_n(&got_count, __ATOMIC_SEQ_CST) == before; ++i) {
    sleep_ms(10);
  }
  if (got_count == before) {
    printf("%s=nothing\n", key);
    return;
  }
  int which = -1;
  for (int i = 0; i <= kThreads; ++i)
    if (tids[i] == got_tid) which = i;
  printf("%s=%s in thread %d si_pid %d %s value %d\n", key, sigabbrev_np(got_sig), which, got_pid,
         code_name(got_code), got_value);
}

static int gates[kThreads][2];
static volatile int started;

static void* thread_main(void* arg) {
  const long index = (long)arg;
  tids[index] = syscall(SYS_gettid);
  __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
  char c;
  // Wait on the gate; handlers run in between (SA_RESTART keeps read going).
  if (read(gates[index - 1][0], &c, 1) < 0) die("read gate");
  return NULL;
}

static void* cancellable_main(void* arg) {
  (void)arg;
  for (;;) pause();  // a cancellation point
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  tids[0] = syscall(SYS_gettid);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&sa.sa_mask);
  if (sigaction(SIGUSR1, &sa, NULL) < 0) die("sigaction");
  if (sigaction(SIGUSR2, &sa, NULL) < 0) die("sigaction");

  // Threads 1..3 get tids 2, 3, 4. The main thread keeps SIGUSR1/2 blocked from now on, so that
  // a signal that is not aimed at one thread could only land in threads 1..3.
  sigset_t both;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR1);
  sigaddset(&both, SIGUSR2);
  pthread_t threads[kThreads];
  for (long i = 0; i < kThreads; ++i) {
    if (pipe(gates[i]) < 0) die("pipe");
    if (pthread_create(&threads[i], NULL, thread_main, (void*)(i + 1)) != 0) die("pthread_create");
  }
  while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < kThreads) sched_yield();
  pthread_sigmask(SIG_BLOCK, &both, NULL);
  for (int i = 0; i <= kThreads; ++i) printf("tid%d=%ld\n", i, tids[i]);
  show("getpid", getpid());
  show("main_gettid_eq_getpid", tids[0] == getpid());

  // tgkill and tkill with the box's tids.
  int before = got_count;
  show("tgkill_thread2", syscall(SYS_tgkill, getpid(), tids[2], SIGUSR1));
  report("tgkill_thread2_got", before);
  before = got_count;
  show("tkill_thread3", syscall(SYS_tkill, tids[3], SIGUSR2));
  report("tkill_thread3_got", before);
  before = got_count;
  show("tgkill_thread1", syscall(SYS_tgkill, getpid(), tids[1], SIGUSR1));
  report("tgkill_thread1_got", before);

  // glibc's thread-directed calls.
  before = got_count;
  show("pthread_kill_thread3", pthread_kill(threads[2], SIGUSR2));
  report("pthread_kill_thread3_got", before);
  before = got_count;
  union sigval v = {.sival_int = 33};
  show("pthread_sigqueue_thread2", pthread_sigqueue(threads[1], SIGUSR1, v));
  report("pthread_sigqueue_thread2_got", before);
  show("pthread_kill_thread1_0", pthread_kill(threads[0], 0));

  // Errors: a tid of this process with another tgid; tids and pids that name nothing.
  show("tgkill_wrong_tgid", syscall(SYS_tgkill, 99999, tids[1], 0));
  show("tgkill_99999", syscall(SYS_tgkill, getpid(), 99999, 0));
  show("tkill_99999", syscall(SYS_tkill, 99999, 0));
  show("tkill_0", syscall(SYS_tkill, 0, 0));
  show("tgkill_0_tid", syscall(SYS_tgkill, 0, tids[1], 0));

  // A child process (5): tgkill(child, one of init's tids) is ESRCH, and so is tgkill(1, child).
  int gate[2];
  pid_t p = fork_gated(gate);
  if (p == 0) {
    char c;
    if (read(gate[0], &c, 1) < 0) _exit(1);
    _exit(0);
  }
  show("child_pid", p);
  show("tgkill_child_with_init_tid", syscall(SYS_tgkill, p, tids[1], 0));
  show("tgkill_init_with_child_tid", syscall(SYS_tgkill, 1, p, 0));
  show("tgkill_child_child", syscall(SYS_tgkill, p, p, 0));
  show("tkill_child", syscall(SYS_tkill, p, 0));
  close(gate[1]);
  if (waitpid(p, NULL, 0) != p) die("waitpid");

  // The threads end. (Whether a joined thread's tid is gone the instant pthread_join returns is
  // a race in the kernel too, so it is not checked.)
  for (int i = 0; i < kThreads; ++i) {
    close(gates[i][1]);
    if (pthread_join(threads[i], NULL) != 0) die("pthread_join");
  }

  // pthread_cancel of a thread blocked in pause() (tid 6): the join reports PTHREAD_CANCELED.
  pthread_t victim;
  if (pthread_create(&victim, NULL, cancellable_main, NULL) != 0) die("pthread_create");
  show("pthread_cancel", pthread_cancel(victim));
  void* result = NULL;
  show("pthread_join_cancelled", pthread_join(victim, &result));
  show("cancelled", result == PTHREAD_CANCELED);
  show("signals_handled", got_count);
  return 0;
}
