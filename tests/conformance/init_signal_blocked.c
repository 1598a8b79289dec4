// init_signal_blocked: a signal sent from outside to an init that has it *blocked* is queued
// whatever the disposition (blocked signals are never "ignored"). If init installs a handler
// before unblocking, the handler runs; if the disposition is still SIG_DFL when it is unblocked,
// the signal is dropped and init survives (even SIGTERM).
// The runner sends the signals of the "send_signals=" line, 0.3 s apart (see init_signal.c).
// docs/pid-semantics.md E.37 (LTP pidns20), E.33/E.35.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t got_usr2;

static void on_usr2(int sig) {
  (void)sig;
  got_usr2 = 1;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t both;
  sigemptyset(&both);
  sigaddset(&both, SIGUSR2);
  sigaddset(&both, SIGTERM);
  sigprocmask(SIG_BLOCK, &both, NULL);
  printf("send_signals=USR2 TERM\n");
  fflush(stdout);

  // Wait (at most 10 s) until both are pending.
  sigset_t pending;
  for (int i = 0; i < 1000; ++i) {
    sigpending(&pending);
    if (sigismember(&pending, SIGUSR2) && sigismember(&pending, SIGTERM)) break;
    sleep_ms(10);
  }
  sigpending(&pending);
  printf("pending_usr2=%d\n", sigismember(&pending, SIGUSR2));
  printf("pending_term=%d\n", sigismember(&pending, SIGTERM));
  fflush(stdout);

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_usr2;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR2, &sa, NULL);
  sigprocmask(SIG_UNBLOCK, &both, NULL);  // USR2 runs its handler, TERM (SIG_DFL) is dropped
  // Give a late delivery (if any) a chance to act before reporting.
  sleep_ms(200);
  printf("got_usr2=%d\n", (int)got_usr2);
  sigpending(&pending);
  printf("pending_term_after_unblock=%d\n", sigismember(&pending, SIGTERM));
  printf("survived=1\n");
  return 0;
}
