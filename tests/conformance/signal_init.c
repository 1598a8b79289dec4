// signal_init: signals sent to init from inside the box. Init receives only the signals it has a
// handler for; the others, SIGKILL and SIGSTOP included, are discarded although the sending call
// succeeds, whichever call sends them (kill, tkill, tgkill, sigqueue). A delivered signal carries
// the sender's pid as init sees it. A blocked signal is queued whatever its disposition, and is
// delivered if a handler is installed before it is unblocked, dropped otherwise.
// docs/pid-semantics.md E.33, E.34 (kill(1, SIGKILL) from inside returns 0 and does nothing),
// E.37 (blocked signals from inside), E.40 (SIGSTOP/SIGTSTP from inside are ignored), G.57
// (si_pid is the sender's pid in the box; kill(getpid()) by init gives 1).
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

enum { kMaxEvents = 16 };

static volatile sig_atomic_t event_count;
static volatile int event_sig[kMaxEvents], event_pid[kMaxEvents], event_code[kMaxEvents];

static void on_signal(int sig, siginfo_t* si, void* context) {
  (void)context;
  const int i = event_count;
  if (i < kMaxEvents) {
    event_sig[i] = sig;
    event_pid[i] = si->si_pid;
    event_code[i] = si->si_code;
  }
  event_count = i + 1;
}

static void handle(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) < 0) die("sigaction");
}

static const char* code_name(int code) {
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

// Waits up to 2 s for `n` handled signals in all, then prints the events from `from` on.
static void report_events(const char* key, int from, int n) {
  for (int i = 0; i < 200 && event_count < n; ++i) {
    sleep_ms(10);
  }
  for (int i = from; i < event_count && i < kMaxEvents; ++i)
    printf("%s_event%d=%s si_pid %d %s\n", key, i - from, sigabbrev_np(event_sig[i]), event_pid[i],
           code_name(event_code[i]));
  printf("%s_events=%d\n", key, event_count - from);
}

static void reap(const char* who) {
  int status;
  if (wait(&status) < 0) die("wait");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "signal_init: %s: status 0x%x\n", who, status);
    exit(98);
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  handle(SIGUSR1);

  // 1. Init signals itself: a handled signal arrives from pid 1; unhandled ones are discarded.
  show("self_kill_usr1", kill(getpid(), SIGUSR1));
  report_events("self", 0, 1);
  show("self_kill_term", kill(1, SIGTERM));
  show("self_raise_term", raise(SIGTERM));
  show("self_kill_kill", kill(1, SIGKILL));
  show("self_kill_stop", kill(1, SIGSTOP));
  show("self_alive_after_self_signals", 1);

  // 2. A child (2) sends everything to init; every call succeeds, only SIGUSR1 arrives.
  int base = event_count;
  pid_t p = fork_flushed();
  if (p == 0) {
    union sigval v = {.sival_int = 7};
    show("child_kill_0", kill(1, 0));
    show("child_kill_kill", kill(1, SIGKILL));
    show("child_kill_term", kill(1, SIGTERM));
    show("child_kill_int", kill(1, SIGINT));
    show("child_kill_hup", kill(1, SIGHUP));
    show("child_kill_quit", kill(1, SIGQUIT));
    show("child_kill_stop", kill(1, SIGSTOP));
    show("child_kill_tstp", kill(1, SIGTSTP));
    show("child_kill_usr2", kill(1, SIGUSR2));
    show("child_tkill_term", syscall(SYS_tkill, 1, SIGTERM));
    show("child_tkill_stop", syscall(SYS_tkill, 1, SIGSTOP));
    show("child_tgkill_term", syscall(SYS_tgkill, 1, 1, SIGTERM));
    show("child_tgkill_stop", syscall(SYS_tgkill, 1, 1, SIGSTOP));
    show("child_sigqueue_term", sigqueue(1, SIGTERM, v));
    show("child_sigqueue_stop", sigqueue(1, SIGSTOP, v));
    show("child_kill_usr1", kill(1, SIGUSR1));
    _exit(0);
  }
  reap("sender 2");
  report_events("from_child", base, base + 1);
  show("alive_after_child_signals", 1);

  // 3. A handler for SIGTERM: now a SIGTERM from a child (3) is delivered, with its pid.
  handle(SIGTERM);
  base = event_count;
  p = fork_flushed();
  if (p == 0) {
    show("child3_kill_term", kill(1, SIGTERM));
    _exit(0);
  }
  reap("sender 3");
  report_events("term_handled", base, base + 1);
  signal(SIGTERM, SIG_DFL);

  // 4. Blocked signals from a child (4): SIGUSR2 and SIGTERM, both SIG_DFL, are queued. A handler
  // is installed for SIGUSR2 only; after unblocking, it runs once and SIGTERM is dropped.
  sigset_t block, pending;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, NULL);
  base = event_count;
  p = fork_flushed();
  if (p == 0) {
    show("child4_kill_usr2", kill(1, SIGUSR2));
    show("child4_kill_term", kill(1, SIGTERM));
    _exit(0);
  }
  reap("sender 4");
  // Pending state of the blocked signals, once the sends have completed.
  for (int i = 0; i < 200; ++i) {
    sigpending(&pending);
    if (sigismember(&pending, SIGUSR2) && sigismember(&pending, SIGTERM)) break;
    sleep_ms(10);
  }
  show("blocked_usr2_pending", sigismember(&pending, SIGUSR2));
  show("blocked_term_pending", sigismember(&pending, SIGTERM));
  handle(SIGUSR2);
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  report_events("blocked", base, base + 1);
  show("alive_after_blocked", 1);

  // 5. From a grandchild in a session of its own (6, child of 5): still discarded, still 0.
  p = fork_flushed();
  if (p == 0) {
    pid_t g = fork_flushed();
    if (g == 0) {
      show("other_session_setsid", setsid());
      show("other_session_kill_kill", kill(1, SIGKILL));
      show("other_session_kill_stop", kill(1, SIGSTOP));
      _exit(0);
    }
    reap("grandchild 6");
    _exit(0);
  }
  reap("child 5");
  show("alive_after_other_session", 1);

  // 6. SIGKILL by the thread-directed and queued calls (from 7), last: the same as kill().
  p = fork_flushed();
  if (p == 0) {
    union sigval v = {.sival_int = 7};
    show("child7_tkill_kill", syscall(SYS_tkill, 1, SIGKILL));
    show("child7_tgkill_kill", syscall(SYS_tgkill, 1, 1, SIGKILL));
    show("child7_sigqueue_kill", sigqueue(1, SIGKILL, v));
    _exit(0);
  }
  reap("sender 7");
  sleep_ms(100);
  show("alive_at_end", 1);
  show("events_total", event_count);
  return 0;
}
