// init_signal_handlers: every signal vpidbox forwards (HUP INT QUIT USR1 USR2 TERM) reaches an
// init that has a handler for it, once, in the order sent, and the handler sees it as a signal
// from an ancestor namespace: si_pid 0 (si_code SI_USER, as kill(2) sends it).
// The runner sends the signals listed on the "send_signals=" line, 0.3 s apart (see
// init_signal.c). SIGTERM is not sent: a SIGINT followed by a SIGTERM within 5 s would make
// vpidbox kill the box; the clients suite covers SIGTERM.
// docs/pid-semantics.md E.33/E.35 (handled signals from an ancestor are delivered), E.36 and G.56
// (si_pid is 0 in the handler).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { kMaxEvents = 16 };

// Filled by the handler (one handler runs at a time: sa_mask blocks the others), printed by main.
static volatile sig_atomic_t event_count;
static volatile int event_sig[kMaxEvents], event_pid[kMaxEvents], event_code[kMaxEvents];
static volatile sig_atomic_t done;

static void on_signal(int sig, siginfo_t* si, void* context) {
  (void)context;
  const int i = event_count;
  if (i < kMaxEvents) {
    event_sig[i] = sig;
    event_pid[i] = si->si_pid;
    event_code[i] = si->si_code;
    event_count = i + 1;
  }
  if (sig == SIGUSR1) done = 1;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM};
  sigset_t block, old;
  sigemptyset(&block);
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); ++i) sigaddset(&block, sigs[i]);
  sigprocmask(SIG_BLOCK, &block, &old);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO;
  sa.sa_mask = block;  // one handler at a time
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); ++i) sigaction(sigs[i], &sa, NULL);
  printf("send_signals=HUP QUIT USR2 INT USR1\n");
  fflush(stdout);
  while (!done) sigsuspend(&old);
  for (int i = 0; i < event_count; ++i)
    printf("got=%s si_pid=%d si_code=%s\n", sigabbrev_np(event_sig[i]), event_pid[i],
           event_code[i] == SI_USER ? "SI_USER" : "other");
  printf("done=1\n");
  return 0;
}
