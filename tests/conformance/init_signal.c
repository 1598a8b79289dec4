// init_signal: signals sent to the box from outside reach init as they reach a pid-namespace
// init from an ancestor: those init has no handler for are discarded, a handled one is delivered.
// The runner sends the signals listed on the "send_signals=" line, in order, 0.3 s apart, to
// the namespace init (oracle) or to the vpidbox process (which forwards them to init).
// docs/pid-semantics.md E.33/E.35 (SIG_DFL signals are discarded, even SIGTERM/SIGQUIT whose
// default action would kill or dump core), E.37 (no blocking involved here).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig) {
  (void)sig;
  got_usr1 = 1;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t usr1, old;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &old);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGUSR1, &sa, NULL) < 0) {
    perror("sigaction");
    return 99;
  }
  // Only SIGTERM of SIGINT/SIGTERM: two of them would make vpidbox kill the box.
  printf("send_signals=HUP QUIT USR2 TERM USR1\n");
  fflush(stdout);
  while (!got_usr1) sigsuspend(&old);  // SIGUSR1 is unblocked only while suspended
  printf("got_usr1=1\n");
  printf("survived_unhandled=1\n");
  return 0;
}
