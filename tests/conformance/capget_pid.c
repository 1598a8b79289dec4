// capget_pid: capget() and capset() name their target in the header's pid field, as libcap-ng
// (setpriv, capsh) does with getpid(): the caller, a child, nobody. docs/pid-semantics.md §1.4
// (capget, capset: a pid in memory) and F.42 (outside numbers are ESRCH).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static long cap_get(pid_t pid, struct __user_cap_data_struct* data) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, pid};
  return syscall(SYS_capget, &header, data);
}

static long cap_set(pid_t pid, struct __user_cap_data_struct* data) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, pid};
  return syscall(SYS_capset, &header, data);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(10);
  struct __user_cap_data_struct mine[2], theirs[2];
  show("capget_0", cap_get(0, mine));
  show("capget_self", cap_get(getpid(), mine));
  show("capset_self", cap_set(getpid(), mine));
  // The header's pid is the caller's to read back unchanged.
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, getpid()};
  syscall(SYS_capget, &header, mine);
  show("header_pid_after", header.pid);
  int gate[2];
  if (pipe(gate) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    char c;
    close(gate[1]);
    (void)!read(gate[0], &c, 1);
    _exit(0);
  }
  show("capget_child", cap_get(child, theirs));
  show("child_same_caps", memcmp(mine, theirs, sizeof(mine)) == 0);
  show("capset_child", cap_set(child, mine));
  show("capget_99999", cap_get(99999, theirs));
  show("capset_99999", cap_set(99999, mine));
  close(gate[1]);
  waitpid(child, NULL, 0);
  show("capget_reaped_child", cap_get(child, theirs));
  return 0;
}
