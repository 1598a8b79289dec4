// setsid_ids: sessions and process groups created inside the box, as their members see them.
// setsid()/setpgid() return values are not printed (only success or the errno), the ids are
// read back with getsid/getpgid/getpgrp.
// docs/pid-semantics.md H.66 (inherited ids read as 0), H.67 (after setsid() in init,
// getsid(0)==getpgid(0)==1; a second setsid() fails with EPERM), H.68 (setpgid(0,0) makes a
// group numbered by the caller's pid), H.70 (a group outlives its leader and keeps its number).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

// "ok" or the errno name: the return value itself is a pid and is not shown.
static void show_ok(const char* key, long r) {
  if (r < 0)
    printf("%s=%s\n", key, strerrorname_np(errno));
  else
    printf("%s=ok\n", key);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);

  show("init_getsid_0_before", getsid(0));
  show("init_getpgid_0_before", getpgid(0));
  show_ok("init_setsid", setsid());
  show("init_getsid_0", getsid(0));
  show("init_getpgid_0", getpgid(0));
  show("init_getpgrp", getpgrp());
  show("init_sys_getpgrp", syscall(SYS_getpgrp));
  show("init_getsid_1", getsid(1));
  show("init_getpgid_1", getpgid(1));
  show_ok("init_setsid_again", setsid());
  show_ok("init_setpgid_0_0", setpgid(0, 0));  // session leader: EPERM
  show("init_getpgid_0_end", getpgid(0));

  // a (pid 2): inherits session 1 and group 1, then makes its own group 2; then setsid() fails
  // because it leads a group.
  if (fork_flushed() == 0) {
    show("a_getsid_0", getsid(0));
    show("a_getpgid_0", getpgid(0));
    show_ok("a_setpgid_0_0", setpgid(0, 0));
    show("a_getpgid_0_after", getpgid(0));
    show("a_getpgrp_after", getpgrp());
    show("a_getsid_0_after", getsid(0));
    show_ok("a_setsid", setsid());
    show("a_getsid_1", getsid(1));
    show("a_getpgid_1", getpgid(1));
    _exit(0);
  }
  wait_one("a");

  // b (pid 3) starts a session 3; its child c (pid 4) is in it, then makes group 4 in it.
  if (fork_flushed() == 0) {
    show_ok("b_setsid", setsid());
    show("b_getsid_0", getsid(0));
    show("b_getpgid_0", getpgid(0));
    show("b_getpgrp", getpgrp());
    show("b_getsid_1", getsid(1));
    show("b_getpgid_1", getpgid(1));
    if (fork_flushed() == 0) {
      show("c_getsid_0", getsid(0));
      show("c_getpgid_0", getpgid(0));
      show_ok("c_setpgid_0_0", setpgid(0, 0));
      show("c_getpgid_0_after", getpgid(0));
      show("c_getsid_0_after", getsid(0));
      show("c_getpgid_3", getpgid(3));
      show("c_getsid_3", getsid(3));
      _exit(0);
    }
    wait_one("c");
    _exit(0);
  }
  wait_one("b");

  // d (pid 5) makes group 5 and forks e (pid 6) into it, then exits. After init reaped d, the
  // group still exists with number 5 and e is in it.
  int gate[2];
  if (pipe(gate) < 0) die("pipe");
  if (fork_flushed() == 0) {
    if (setpgid(0, 0) < 0) die("setpgid");
    if (fork_flushed() == 0) {
      close(gate[1]);
      await_eof(gate[0]);
      show("e_getpid", getpid());
      show("e_getpgid_0", getpgid(0));
      show("e_getpgrp", getpgrp());
      show("e_getsid_0", getsid(0));
      show("e_getpgid_5", getpgid(5));  // the leader is gone
      _exit(0);
    }
    _exit(0);
  }
  wait_one("d");
  show("init_getpgid_6", getpgid(6));
  show("init_getsid_6", getsid(6));
  show("init_getpgid_5", getpgid(5));
  close(gate[0]);
  close(gate[1]);
  wait_one("e");
  return 0;
}
