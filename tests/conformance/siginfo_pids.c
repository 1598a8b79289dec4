// siginfo_pids: the pid a signal carries, as every reader of siginfo sees it: an SA_SIGINFO
// handler, sigtimedwait/sigwaitinfo. Senders are kill, tkill, tgkill, sigqueue, raw
// rt_sigqueueinfo, and the kernel itself (SIGCHLD on exit, kill, stop and continue).
// docs/pid-semantics.md G.57 (si_pid is the sender's number in the box, also when the sender has
// exited before the signal is read), G.58 (SIGCHLD carries the child's pid), G.60
// (rt_sigqueueinfo's si_pid is passed through as the sender wrote it), G.61 (si_uid), E.33.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char* code_name(int sig, int code) {
  if (sig == SIGCHLD) {
    switch (code) {
      case CLD_EXITED:
        return "CLD_EXITED";
      case CLD_KILLED:
        return "CLD_KILLED";
      case CLD_STOPPED:
        return "CLD_STOPPED";
      case CLD_CONTINUED:
        return "CLD_CONTINUED";
    }
  }
  switch (code) {
    case SI_USER:
      return "SI_USER";
    case SI_TKILL:
      return "SI_TKILL";
    case SI_QUEUE:
      return "SI_QUEUE";
    case SI_KERNEL:
      return "SI_KERNEL";
    default:
      return "other";
  }
}

static void show_info(const char* key, int r, const siginfo_t* si) {
  if (r < 0) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  printf("%s=%s si_pid %d si_uid %d %s", key, sigabbrev_np(r), si->si_pid, (int)si->si_uid,
         code_name(r, si->si_code));
  if (r == SIGCHLD)
    printf(" si_status %d\n", si->si_status);
  else if (si->si_code == SI_QUEUE)
    printf(" si_value %d\n", si->si_value.sival_int);
  else
    printf("\n");
}

// Waits up to 5 s for one of the signals in `set` (which the caller blocks).
static int wait_signal(const sigset_t* set, siginfo_t* si) {
  struct timespec ts = {5, 0};
  memset(si, 0, sizeof(*si));
  return sigtimedwait(set, si, &ts);
}

static void reap(pid_t pid) {
  int status;
  if (waitpid(pid, &status, 0) != pid) die("waitpid");
}

static siginfo_t handler_info;
static volatile sig_atomic_t handler_sig;

static void on_signal(int sig, siginfo_t* si, void* context) {
  (void)context;
  handler_info = *si;
  handler_sig = sig;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t chld, usr1, usr2, none;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  sigemptyset(&none);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  siginfo_t si;
  int gate[2];

  // 1. SIGCHLD to a handler: child 2 exits with 3. SIGCHLD is blocked until sigsuspend.
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO;
  sigfillset(&sa.sa_mask);
  if (sigaction(SIGCHLD, &sa, NULL) < 0) die("sigaction");
  pid_t p = fork_flushed();
  if (p == 0) _exit(3);
  while (handler_sig == 0) sigsuspend(&usr1);  // everything but SIGUSR1 unblocked
  show_info("handler_sigchld_exit", handler_sig, &handler_info);
  reap(p);
  signal(SIGCHLD, SIG_DFL);

  // 2. SIGCHLD by sigtimedwait: child 3 is killed by SIGTERM from init.
  p = fork_gated(gate);
  if (p == 0) {
    await_eof(gate[0]);
    _exit(0);
  }
  show("kill_3_term", kill(p, SIGTERM));
  show_info("sigtimedwait_sigchld_killed", wait_signal(&chld, &si), &si);
  close(gate[1]);
  reap(p);

  // 3. SIGCHLD for a stop and a continue: child 4 stops itself; init continues it. The child
  // exits only once init has read the "continued" SIGCHLD (a second SIGCHLD pending at the same
  // time would be merged with it).
  p = fork_gated(gate);
  if (p == 0) {
    raise(SIGSTOP);
    await_eof(gate[0]);
    _exit(4);
  }
  show_info("sigtimedwait_sigchld_stopped", wait_signal(&chld, &si), &si);
  show("kill_4_cont", kill(p, SIGCONT));
  show_info("sigtimedwait_sigchld_continued", wait_signal(&chld, &si), &si);
  close(gate[1]);
  show_info("sigtimedwait_sigchld_exited", wait_signal(&chld, &si), &si);
  reap(p);

  // 4. kill() from child 5, which is still alive when init reads the signal.
  p = fork_gated(gate);
  if (p == 0) {
    kill(1, SIGUSR1);
    await_eof(gate[0]);
    _exit(0);
  }
  show_info("sigwaitinfo_kill_live_sender", sigwaitinfo(&usr1, &si), &si);
  close(gate[1]);
  reap(p);
  show_info("sigchld_5", wait_signal(&chld, &si), &si);

  // 5. kill() from child 6, which has exited and been reaped before init reads the signal.
  p = fork_flushed();
  if (p == 0) {
    kill(1, SIGUSR1);
    _exit(0);
  }
  reap(p);
  show_info("sigchld_6", wait_signal(&chld, &si), &si);
  show_info("sigwaitinfo_kill_dead_sender", sigwaitinfo(&usr1, &si), &si);

  // 6. sigqueue, tkill, tgkill, and rt_sigqueueinfo with a made-up si_pid, from child 7.
  p = fork_gated(gate);
  if (p == 0) {
    union sigval v = {.sival_int = 42};
    sigqueue(1, SIGUSR1, v);
    await_eof(gate[0]);
    _exit(0);
  }
  show_info("sigwaitinfo_sigqueue", sigwaitinfo(&usr1, &si), &si);
  close(gate[1]);
  reap(p);
  show_info("sigchld_7", wait_signal(&chld, &si), &si);

  p = fork_gated(gate);  // 8
  if (p == 0) {
    syscall(SYS_tkill, 1, SIGUSR1);
    await_eof(gate[0]);
    _exit(0);
  }
  show_info("sigwaitinfo_tkill", sigwaitinfo(&usr1, &si), &si);
  close(gate[1]);
  reap(p);
  show_info("sigchld_8", wait_signal(&chld, &si), &si);

  p = fork_gated(gate);  // 9
  if (p == 0) {
    syscall(SYS_tgkill, 1, 1, SIGUSR1);
    await_eof(gate[0]);
    _exit(0);
  }
  show_info("sigwaitinfo_tgkill", sigwaitinfo(&usr1, &si), &si);
  close(gate[1]);
  reap(p);
  show_info("sigchld_9", wait_signal(&chld, &si), &si);

  if (pipe(gate) < 0) die("pipe");
  p = fork_flushed();  // 10
  if (p == 0) {
    close(gate[0]);  // the child holds the write end until it has printed
    siginfo_t q;
    memset(&q, 0, sizeof(q));
    q.si_signo = SIGUSR1;
    q.si_code = SI_QUEUE;
    q.si_pid = 4242;
    q.si_uid = 0;
    q.si_value.sival_int = 5;
    show("child10_rt_sigqueueinfo_forged", syscall(SYS_rt_sigqueueinfo, 1, SIGUSR1, &q));
    q.si_code = SI_USER;  // only the kernel may claim SI_USER for another process
    show("child10_rt_sigqueueinfo_si_user", syscall(SYS_rt_sigqueueinfo, 1, SIGUSR1, &q));
    q.si_code = SI_TKILL;
    show("child10_rt_sigqueueinfo_si_tkill", syscall(SYS_rt_sigqueueinfo, 1, SIGUSR1, &q));
    fflush(stdout);
    close(gate[1]);
    _exit(0);
  }
  close(gate[1]);
  await_eof(gate[0]);  // child 10 has printed and is exiting
  close(gate[0]);
  show_info("sigwaitinfo_forged", sigwaitinfo(&usr1, &si), &si);
  reap(p);
  show_info("sigchld_10", wait_signal(&chld, &si), &si);

  // 7. Init to a child (11): sigqueue with a value, then kill, each read by sigwaitinfo in the
  // child, which acknowledges each one after printing it.
  int ready[2], ack[2];
  if (pipe(ready) < 0 || pipe(ack) < 0) die("pipe");
  p = fork_flushed();
  if (p == 0) {
    close(ready[0]);
    close(ack[0]);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    close(ready[1]);
    siginfo_t ci;
    memset(&ci, 0, sizeof(ci));
    show_info("child11_from_init_sigqueue", sigwaitinfo(&usr2, &ci), &ci);
    if (write(ack[1], "a", 1) != 1) die("write");
    memset(&ci, 0, sizeof(ci));
    show_info("child11_from_init_kill", sigwaitinfo(&usr2, &ci), &ci);
    _exit(0);
  }
  close(ready[1]);
  close(ack[1]);
  await_eof(ready[0]);
  close(ready[0]);
  union sigval v = {.sival_int = 99};
  const int sigqueue_ret = sigqueue(p, SIGUSR2, v);
  char c;
  if (read(ack[0], &c, 1) != 1) die("read ack");
  const int kill_ret = kill(p, SIGUSR2);
  await_eof(ack[0]);
  close(ack[0]);
  reap(p);
  show("sigqueue_to_11", sigqueue_ret);
  show("kill_to_11", kill_ret);
  show_info("sigchld_11", wait_signal(&chld, &si), &si);

  // 8. Sibling to sibling, through a handler: 13 signals 12.
  if (pipe(ready) < 0) die("pipe");
  pid_t receiver = fork_flushed();  // 12
  if (receiver == 0) {
    close(ready[0]);
    handler_sig = 0;
    if (sigaction(SIGUSR2, &sa, NULL) < 0) die("sigaction");
    close(ready[1]);
    while (handler_sig == 0) sigsuspend(&none);
    show_info("child12_handler_from_sibling", handler_sig, &handler_info);
    _exit(0);
  }
  close(ready[1]);
  await_eof(ready[0]);
  close(ready[0]);
  p = fork_flushed();  // 13
  if (p == 0) {
    kill(receiver, SIGUSR2);
    _exit(0);
  }
  reap(receiver);
  reap(p);
  return 0;
}
