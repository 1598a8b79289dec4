// queued_signals: signals sent with a siginfo of the sender's (sigqueue(), pthread_sigqueue(),
// rt_sigqueueinfo() with a code of one's choosing), which the box sends for its processes. The
// receiver sees the siginfo as it was written, through a handler, sigwaitinfo() and a signalfd;
// a signal to oneself is delivered before the call returns; queued real-time signals come in
// order and stop at the receiver's RLIMIT_SIGPENDING (EAGAIN); a code only the kernel or
// kill()/tgkill() give may be written only for oneself (EPERM otherwise), and then arrives as
// written; init receives what it handles; another user's process is EPERM.
// docs/pid-semantics.md G.60 (sigqueue/rt_sigqueueinfo deliver the si_pid the sender wrote),
// G.61 (si_uid), F.42 (rt_sigqueueinfo's pid and rt_tgsigqueueinfo's tid name what the caller's
// namespace numbers), E.33 (what init receives from inside).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>

#include "common.h"

static volatile sig_atomic_t got_signo, got_code, got_pid, got_uid, got_value, got_in_tid;

static void on_siginfo(int signo, siginfo_t* info, void* context) {
  (void)context;
  got_signo = signo;
  got_code = info->si_code;
  got_pid = info->si_pid;
  got_uid = (sig_atomic_t)info->si_uid;
  got_value = info->si_value.sival_int;
  got_in_tid = (sig_atomic_t)syscall(SYS_gettid);
}

static void handle(int signo) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_siginfo;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  if (sigaction(signo, &sa, NULL) != 0) die("sigaction");
}

// The siginfo the last handler saw (its code may be negative: printed as a number).
static void show_got(const char* prefix) {
  printf("%s_code=%d\n%s_pid=%d\n%s_uid=%d\n%s_value=%d\n", prefix, (int)got_code, prefix,
         (int)got_pid, prefix, (int)got_uid, prefix, (int)got_value);
  got_signo = got_code = got_pid = got_uid = got_value = 0;
}

static long queue_with(pid_t pid, int signo, int code, pid_t pid_written, int value) {
  siginfo_t info;
  memset(&info, 0, sizeof(info));
  info.si_signo = signo;
  info.si_code = code;
  info.si_pid = pid_written;
  info.si_uid = 4321;
  info.si_value.sival_int = value;
  return syscall(SYS_rt_sigqueueinfo, pid, signo, &info);
}

// To oneself: delivered before the call returns, as written.
static void to_self(void) {
  handle(SIGUSR1);
  union sigval v = {.sival_int = 11};
  show("self_sigqueue", sigqueue(getpid(), SIGUSR1, v));
  show("self_delivered_before_return", got_signo == SIGUSR1);
  show_got("self");
  // A code of kill()'s, written by oneself for oneself, arrives as written.
  show("self_forged_si_user", queue_with(getpid(), SIGUSR1, SI_USER, 12345, 12));
  show("self_forged_delivered_before_return", got_signo == SIGUSR1);
  show_got("self_forged");
  show("self_forged_kernel_code", queue_with(getpid(), SIGUSR1, 1, 0, 13));
  show_got("self_kernel_code");
  show("self_signal_0", queue_with(getpid(), 0, SI_QUEUE, 0, 0));
  show("self_bad_signal", queue_with(getpid(), 999, SI_QUEUE, 0, 0));
  show("self_bad_pointer", syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, (void*)8));
}

// A child blocking SIGRTMIN and SIGUSR2 takes queued signals with sigwaitinfo() and a signalfd.
static void to_child(void) {
  int gate[2], ready[2];
  if (pipe(ready) != 0) die("pipe");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, NULL);
  const pid_t child = fork_gated(gate);
  if (child == 0) {
    close(ready[0]);
    close(ready[1]);
    await_eof(gate[0]);
    siginfo_t info;
    for (int i = 0; i < 3; ++i) {
      sigset_t rt;
      sigemptyset(&rt);
      sigaddset(&rt, SIGRTMIN);
      if (sigwaitinfo(&rt, &info) != SIGRTMIN) die("sigwaitinfo");
      printf("child_rt%d_code=%d\nchild_rt%d_pid=%d\nchild_rt%d_value=%d\n", i, info.si_code, i,
             info.si_pid, i, info.si_value.sival_int);
    }
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    const int fd = signalfd(-1, &usr2, 0);
    struct signalfd_siginfo ssi;
    if (fd < 0 || read(fd, &ssi, sizeof(ssi)) != sizeof(ssi)) die("signalfd");
    printf(
        "child_signalfd_signo=%u\nchild_signalfd_code=%d\nchild_signalfd_pid=%u\n"
        "child_signalfd_uid=%u\nchild_signalfd_value=%d\n",
        ssi.ssi_signo, ssi.ssi_code, ssi.ssi_pid, ssi.ssi_uid, ssi.ssi_int);
    fflush(stdout);
    _exit(0);
  }
  close(ready[1]);
  for (int i = 0; i < 3; ++i) {
    union sigval v = {.sival_int = 100 + i};
    if (sigqueue(child, SIGRTMIN, v) != 0) die("sigqueue");
  }
  union sigval v = {.sival_int = 42};
  show("child_sigqueue_usr2", sigqueue(child, SIGUSR2, v));
  // A code of kill()'s for another process: refused.
  show("child_forged_si_user", queue_with(child, SIGUSR2, SI_USER, getpid(), 0));
  show("child_forged_si_tkill", queue_with(child, SIGUSR2, SI_TKILL, getpid(), 0));
  close(gate[1]);
  wait_one("child");
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  show("reaped_child_sigqueue", queue_with(child, SIGUSR2, SI_QUEUE, 0, 0));
}

// A receiver of another user, with RLIMIT_SIGPENDING 3, blocking SIGRTMIN: the fourth queued
// signal is EAGAIN; the user's SIGKILL is still EPERM-free for root, and the user itself is
// refused by root's init.
static void limits_and_users(void) {
  int gate[2], ready[2];
  if (pipe(ready) != 0) die("pipe");
  const pid_t child = fork_gated(gate);
  if (child == 0) {
    close(ready[0]);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &set, NULL);
    const struct rlimit three = {3, 3};
    if (setrlimit(RLIMIT_SIGPENDING, &three) != 0) die("setrlimit");
    if (setresuid(2000, 2000, 2000) != 0) die("setresuid");
    close(ready[1]);
    await_eof(gate[0]);
    show("other_user_sigqueue_to_init", queue_with(1, SIGUSR1, SI_QUEUE, getpid(), 0));
    fflush(stdout);
    _exit(0);
  }
  close(ready[1]);
  await_eof(ready[0]);
  for (int i = 0; i < 5; ++i) {
    char key[32];
    snprintf(key, sizeof(key), "limited_rt%d", i);
    show(key, queue_with(child, SIGRTMIN, SI_QUEUE, getpid(), i));
  }
  close(gate[1]);
  wait_one("limited child");
}

// pthread_sigqueue(): to one thread, which runs the handler.
static pid_t thread_tid;
static int thread_gate[2];

static void* waiting_thread(void* arg) {
  (void)arg;
  thread_tid = (pid_t)syscall(SYS_gettid);
  char c;
  if (read(thread_gate[0], &c, 1) != 1) die("thread gate");
  return NULL;
}

static void to_thread(void) {
  handle(SIGUSR2);
  if (pipe(thread_gate) != 0) die("pipe");
  pthread_t thread;
  if (pthread_create(&thread, NULL, waiting_thread, NULL) != 0) die("pthread_create");
  while (!__atomic_load_n(&thread_tid, __ATOMIC_SEQ_CST)) sched_yield();
  union sigval v = {.sival_int = 77};
  show("thread_pthread_sigqueue", pthread_sigqueue(thread, SIGUSR2, v));
  if (write(thread_gate[1], "x", 1) != 1) die("thread gate");
  pthread_join(thread, NULL);
  show("thread_ran_in_target", got_in_tid == thread_tid);
  show_got("thread");
}

// A child signals init, which handles SIGUSR1 and nothing else: SIGUSR1 arrives as written,
// SIGTERM is discarded and the call still succeeds.
static void to_init(void) {
  handle(SIGUSR1);
  const pid_t child = fork_flushed();
  if (child == 0) {
    show("to_init_usr1", queue_with(1, SIGUSR1, SI_QUEUE, getpid(), 5));
    show("to_init_term", queue_with(1, SIGTERM, SI_QUEUE, getpid(), 6));
    fflush(stdout);
    _exit(0);
  }
  wait_one("init's child");
  show_got("init");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(15);
  to_self();
  to_child();
  limits_and_users();
  to_thread();
  to_init();
  return 0;
}
