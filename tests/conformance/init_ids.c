// init_ids: what the box's init observes about itself, before and after execve.
// pid-semantics.md §4: A.1 (getpid()==1), A.2 (getppid()==0), H.66 (inherited pgrp and session
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

static const char* prefix = "";

// Prints "key=value", or "key=ENAME" when the call failed.
static void show(const char* key, long r) {
  if (r < 0)
    printf("%s%s=%s\n", prefix, key, strerrorname_np(errno));
  else
    printf("%s%s=%ld\n", prefix, key, r);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1) prefix = "after_exec_";

  show("getpid", getpid());
  show("sys_getpid", syscall(SYS_getpid));
  show("getppid", getppid());
  show("sys_getppid", syscall(SYS_getppid));
  show("gettid", gettid());
  show("sys_gettid", syscall(SYS_gettid));
  show("gettid_eq_getpid", gettid() == getpid());
  show("getpgrp", getpgrp());
  show("sys_getpgrp", syscall(SYS_getpgrp));
  show("getpgid_0", getpgid(0));
  show("getpgid_1", getpgid(1));
  show("getsid_0", getsid(0));
  show("getsid_1", getsid(1));
  show("getpgid_2", getpgid(2));  // nothing else exists yet
  show("getsid_2", getsid(2));
  show("getpgid_minus1", getpgid(-1));
  show("getsid_minus1", getsid(-1));
  show("getpgid_99999", getpgid(99999));
  show("getsid_99999", getsid(99999));

  if (argc == 1) {
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "again", (char*)NULL);
    printf("execl_failed=%s\n", strerrorname_np(errno));
    return 1;
  }
  return 0;
}
