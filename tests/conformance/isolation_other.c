// isolation_other: the remaining interfaces that take a pid, aimed at a process outside the box
// (VPIDBOX_TEST_OUTSIDE_PID, see isolation.c) and at 99999: capget's header pid, a CPU-time
// clock id built from the pid, fcntl(F_SETOWN / F_SETOWN_EX), prctl(PR_SET_PTRACER), and the
// pid of an SCM_CREDENTIALS message. In a pid namespace none of them reaches the outside process.
// Nothing is ever sent to it: no O_ASYNC is set on the descriptor whose owner is changed, and the
// ptracer setting only allows (never starts) tracing.
// docs/pid-semantics.md F.42 (capget; outside processes cannot be addressed), G.62 (the pid of
// SCM_CREDENTIALS is looked up in the sender's namespace); §1.4 (prctl), §1.6 (F_SETOWN), §1.7
// (CPU-time clocks embed a pid).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static void probe(const char* prefix, pid_t pid) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, pid};
  struct __user_cap_data_struct data[2];
  show_prefixed(prefix, "capget", syscall(SYS_capget, &header, data));

  struct timespec ts;
  show_prefixed(prefix, "clock_gettime_process_cpu",
                clock_gettime((clockid_t)((~(unsigned)pid << 3) | 2), &ts));
  show_prefixed(prefix, "clock_gettime_thread_cpu",
                clock_gettime((clockid_t)((~(unsigned)pid << 3) | 6), &ts));

  int fds[2];
  if (pipe(fds) < 0) exit(99);
  show_prefixed(prefix, "f_setown", fcntl(fds[0], F_SETOWN, pid));
  show_prefixed(prefix, "f_setown_group", fcntl(fds[0], F_SETOWN, -pid));
  struct f_owner_ex owner = {F_OWNER_PID, pid};
  show_prefixed(prefix, "f_setown_ex", fcntl(fds[0], F_SETOWN_EX, &owner));
  owner.type = F_OWNER_TID;
  show_prefixed(prefix, "f_setown_ex_tid", fcntl(fds[0], F_SETOWN_EX, &owner));
  show_prefixed(prefix, "f_getown_after", fcntl(fds[0], F_GETOWN));
  close(fds[0]);
  close(fds[1]);

  show_prefixed(prefix, "pr_set_ptracer", prctl(PR_SET_PTRACER, (unsigned long)pid, 0, 0, 0));
  prctl(PR_SET_PTRACER, 0, 0, 0, 0);

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0) exit(99);
  show_prefixed(prefix, "scm_credentials_send", send_creds(sv[0], pid));
  close(sv[0]);
  close(sv[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const pid_t witness = outside_witness();
  printf("witness_is_not_ours=%d\n", witness > 1);
  probe("outside_", witness);
  probe("none_", 99999);
  return 0;
}
