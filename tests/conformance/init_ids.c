// init_ids: what the box's init observes about itself, before and after execve.
// docs/pid-semantics.md A.1 (getpid()==1), A.2 (getppid()==0), H.66 (inherited pgrp and session
// are invisible: 0), I.77 (gettid()==getpid() in the leader), F.42 (numbers that are not in the
// pid space give ESRCH). The same facts must hold after the init re-executes itself.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

// Every key starts with this: "" before the execve, "after_exec_" after it.
static const char* prefix = "";

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1) prefix = "after_exec_";

  show_prefixed(prefix, "getpid", getpid());
  show_prefixed(prefix, "sys_getpid", syscall(SYS_getpid));
  show_prefixed(prefix, "getppid", getppid());
  show_prefixed(prefix, "sys_getppid", syscall(SYS_getppid));
  show_prefixed(prefix, "gettid", gettid());
  show_prefixed(prefix, "sys_gettid", syscall(SYS_gettid));
  show_prefixed(prefix, "gettid_eq_getpid", gettid() == getpid());
  show_prefixed(prefix, "getpgrp", getpgrp());
  show_prefixed(prefix, "sys_getpgrp", syscall(SYS_getpgrp));
  show_prefixed(prefix, "getpgid_0", getpgid(0));
  show_prefixed(prefix, "getpgid_1", getpgid(1));
  show_prefixed(prefix, "getsid_0", getsid(0));
  show_prefixed(prefix, "getsid_1", getsid(1));
  show_prefixed(prefix, "getpgid_2", getpgid(2));  // nothing else exists yet
  show_prefixed(prefix, "getsid_2", getsid(2));
  show_prefixed(prefix, "getpgid_minus1", getpgid(-1));
  show_prefixed(prefix, "getsid_minus1", getsid(-1));
  show_prefixed(prefix, "getpgid_99999", getpgid(99999));
  show_prefixed(prefix, "getsid_99999", getsid(99999));

  if (argc == 1) {
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "again", (char*)NULL);
    printf("execl_failed=%s\n", strerrorname_np(errno));
    return 1;
  }
  return 0;
}
