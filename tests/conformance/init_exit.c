// init_exit: when init exits, everything else in the box dies with it, and the box's exit
// status is init's. The runner also checks that no process of this program survives the run.
// docs/pid-semantics.md D.25 (init's death SIGKILLs every other process, including ones in
// other sessions and ones that ignore or block every catchable signal), D.27 (the exit is
// reported only when the space is empty).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

// Makes the caller immune to every catchable signal, then waits forever.
_Noreturn static void linger(int ready_fd) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  for (int s = 1; s < NSIG; ++s) signal(s, SIG_IGN);
  close(ready_fd);
  for (;;) pause();
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int ready[2];
  if (pipe(ready) < 0) die("pipe");

  // A plain child, and a daemon: a grandchild in a session of its own whose parent has exited.
  if (fork_flushed() == 0) {
    close(ready[0]);
    linger(ready[1]);
  }
  if (fork() == 0) {
    close(ready[0]);
    if (fork() == 0) {
      if (setsid() < 0) die("setsid");
      if (fork() == 0) linger(ready[1]);
      _exit(0);
    }
    _exit(0);
  }
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 0) die("read ready");  // EOF: both lingerers are in place
  printf("lingerers_ready=1\n");
  printf("init_exits_with=5\n");
  return 5;
}
