// init_attributes: process attributes of the box's init that a program can read about itself and
// that a pid namespace's init does not have unless it sets them: it is not a child subreaper (the
// kernel makes a namespace init the reaper of orphans without that flag) and has no parent-death
// signal. Both can be set and cleared like anywhere else. Orphans still go to init.
// docs/pid-semantics.md C.18-C.20 and C.22 (the subreaper attribute, read back with
// PR_GET_CHILD_SUBREAPER), B.17 (PR_GET_PDEATHSIG), A.1/A.2.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static int get_int(int option) {
  int value = -1;
  if (prctl(option, &value) < 0) return -1;
  return value;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  show("init_child_subreaper", get_int(PR_GET_CHILD_SUBREAPER));
  show("init_pdeathsig", get_int(PR_GET_PDEATHSIG));
  show("init_set_pdeathsig", prctl(PR_SET_PDEATHSIG, 10));
  show("init_pdeathsig_set", get_int(PR_GET_PDEATHSIG));
  show("init_clear_pdeathsig", prctl(PR_SET_PDEATHSIG, 0));
  show("init_set_child_subreaper", prctl(PR_SET_CHILD_SUBREAPER, 1));
  show("init_child_subreaper_set", get_int(PR_GET_CHILD_SUBREAPER));
  show("init_clear_child_subreaper", prctl(PR_SET_CHILD_SUBREAPER, 0));
  show("init_child_subreaper_cleared", get_int(PR_GET_CHILD_SUBREAPER));

  // With the flag cleared, an orphan (3, child of 2) still comes to init.
  int gate[2];
  if (pipe(gate) < 0) return 99;
  fflush(stdout);
  pid_t p = fork();
  if (p < 0) return 99;
  if (p == 0) {
    show("child_child_subreaper", get_int(PR_GET_CHILD_SUBREAPER));
    show("child_pdeathsig", get_int(PR_GET_PDEATHSIG));
    if (fork_flushed() == 0) {
      close(gate[1]);
      char c;
      if (read(gate[0], &c, 1) < 0) _exit(1);
      show("orphan_getppid", getppid());
      _exit(0);
    }
    _exit(0);
  }
  close(gate[0]);
  if (waitpid(p, NULL, 0) != p) return 98;
  close(gate[1]);
  int status;
  show("init_reaped_orphan", wait(&status));
  return 0;
}
