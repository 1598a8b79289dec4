// init_tty_signals: terminal-generated signals aimed at init. Init makes itself a session leader
// with a pty as controlling terminal, so that it is in the terminal's foreground group. ^C and the
// quit key (SIGINT, SIGQUIT, sent by the kernel on behalf of the terminal) are discarded while init
// has no handler; with a handler, SIGINT is delivered with si_code SI_KERNEL and si_pid 0.
// docs/pid-semantics.md E.38 (kernel-sent signals to init: only SIGKILL/SIGSTOP are forced), E.33,
// H.74 (terminal signals carry no sender).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t got, got_code, got_pid;

static void on_int(int sig, siginfo_t* si, void* context) {
  (void)sig;
  (void)context;
  got_code = si->si_code;
  got_pid = si->si_pid;
  got = got + 1;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  // The runner may start the test with SIGINT/SIGQUIT ignored (a background job of a shell).
  signal(SIGINT, SIG_DFL);
  signal(SIGQUIT, SIG_DFL);
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) die("posix_openpt");
  show("setsid", setsid());
  int tty = open(ptsname(master), O_RDWR);
  if (tty < 0) die("open tty");
  show("tiocsctty", ioctl(tty, TIOCSCTTY, 0));
  show("tcgetpgrp", tcgetpgrp(tty));

  // No handler: ^C and ^\ are discarded; init goes on.
  const char intr = 3, quit = 28;
  show("write_intr", write(master, &intr, 1));
  show("write_quit", write(master, &quit, 1));
  sleep_ms(200);
  show("alive_after_default_int_quit", 1);

  // A handler for SIGINT: ^C is delivered, from the kernel.
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_int;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  if (sigaction(SIGINT, &sa, NULL) < 0) die("sigaction");
  show("write_intr_handled", write(master, &intr, 1));
  for (int i = 0; i < 100 && got == 0; ++i) sleep_ms(200);
  show("handled_count", got);
  printf("handled_si_code=%s\n", got_code == SI_KERNEL ? "SI_KERNEL" : "other");
  show("handled_si_pid", got_pid);
  close(tty);
  close(master);
  return 0;
}
