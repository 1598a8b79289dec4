// kill_senders: who a signal sent with kill() names as its sender, where several are pending at
// once. A real-time signal is queued once for every kill(), each with its own sender: two
// children kill init with SIGRTMIN and exit (reaped before init reads), a third with
// SIGRTMIN+1, and init reads them in order by sigwaitinfo() and by an SA_SIGINFO handler, each
// naming its sender (si_pid, si_code, si_uid). And kill() of a thread's number reaches its
// process, that thread first.
// docs/pid-semantics.md F.42 (what a process names it reaches), G.57 (si_pid is the sender's
// number, also when the sender has exited), G.61 (si_uid).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>

#include "common.h"

static pid_t children[3];
static volatile sig_atomic_t handler_pid, handler_code, handler_tid;

static void on_rt(int signo, siginfo_t* info, void* context) {
  (void)signo;
  (void)context;
  handler_pid = info->si_pid;
  handler_code = info->si_code;
}

static void on_usr1(int signo) {
  (void)signo;
  handler_tid = gettid();
}

// The index of the child that is `pid`, or -1.
static int child_index(pid_t pid) {
  for (int i = 0; i < 3; ++i)
    if (children[i] == pid) return i;
  return -1;
}

static void senders_in_order(void) {
  const int rt = SIGRTMIN, rt1 = SIGRTMIN + 1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, rt);
  sigaddset(&set, rt1);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) die("sigprocmask");
  for (int i = 0; i < 3; ++i) {
    children[i] = fork_flushed();
    if (children[i] == 0) _exit(kill(getppid(), i < 2 ? rt : rt1) == 0 ? 0 : 1);
    int status;
    if (waitpid(children[i], &status, 0) != children[i]) die("waitpid");
    printf("child%d_kill_ok=%d\n", i, WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  sigset_t rt_only;
  sigemptyset(&rt_only);
  sigaddset(&rt_only, rt);
  for (int i = 0; i < 2; ++i) {
    siginfo_t info;
    const int got = sigwaitinfo(&rt_only, &info);
    printf("wait%d_signal_is_rt=%d\n", i, got == rt);
    printf("wait%d_sender=child%d\n", i, child_index(info.si_pid));
    printf("wait%d_code_user=%d\n", i, info.si_code == SI_USER);
    printf("wait%d_uid_mine=%d\n", i, info.si_uid == getuid());
  }
  struct timespec none = {0, 0};
  show("rt_left", sigtimedwait(&rt_only, NULL, &none));
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_rt;
  sa.sa_flags = SA_SIGINFO;
  if (sigaction(rt1, &sa, NULL) != 0) die("sigaction");
  if (sigprocmask(SIG_UNBLOCK, &set, NULL) != 0) die("sigprocmask");
  printf("handler_sender=child%d\n", child_index(handler_pid));
  printf("handler_code_user=%d\n", handler_code == SI_USER);
}

static volatile pid_t thread_tid;

static void* waiting_thread(void* arg) {
  (void)arg;
  thread_tid = gettid();
  while (!handler_tid) pause();
  return NULL;
}

static void thread_number(void) {
  signal(SIGUSR1, on_usr1);
  pthread_t thread;
  if (pthread_create(&thread, NULL, waiting_thread, NULL) != 0) die("pthread_create");
  while (!thread_tid) sched_yield();
  show("kill_thread_number", kill(thread_tid, SIGUSR1));
  pthread_join(thread, NULL);
  show("handled_by_named_thread", handler_tid == thread_tid);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  senders_in_order();
  thread_number();
  return 0;
}
