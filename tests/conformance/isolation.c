// isolation: every call that names a process, thread or group by number, aimed at a process that
// exists but is outside the box, fails as it fails for a pid namespace's member: ESRCH (ECHILD
// for the wait calls, EPERM for setpgid's group). The runner passes the number of such a process
// in VPIDBOX_TEST_OUTSIDE_PID: a `sleep` of the runner's own, leading its own session and group,
// which is in neither the oracle's namespace nor the box (for the box, the kernel would find it,
// so only translation can hide it). 99999 (nothing anywhere) is checked the same way. Only
// harmless requests are made: signal 0, reads, and writes to address 0 (EFAULT if the process
// were ever reached).
// docs/pid-semantics.md F.42 (ESRCH for kill, tgkill, getpgid, getsid, setpgid, sched_*,
// getpriority/setpriority, ioprio, prlimit, ptrace, process_vm_*, kcmp, pidfd_open,
// get_robust_list, migrate_pages, move_pages, perf_event_open), F.48 (groups), F.49 (waits).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

enum { kIoprioWhoProcess = 1, kIoprioWhoPgrp = 2 };

// Every call with `pid` (a process outside the box, or nothing at all); keys start with prefix.
static void probe(const char* prefix, pid_t pid) {
  show_prefixed(prefix, "kill", kill(pid, 0));
  show_prefixed(prefix, "kill_group", kill(-pid, 0));
  show_prefixed(prefix, "tkill", syscall(SYS_tkill, pid, 0));
  show_prefixed(prefix, "tgkill", syscall(SYS_tgkill, pid, pid, 0));
  show_prefixed(prefix, "tgkill_own_tgid", syscall(SYS_tgkill, getpid(), pid, 0));
  siginfo_t q;
  memset(&q, 0, sizeof(q));
  q.si_code = SI_QUEUE;
  q.si_pid = getpid();
  show_prefixed(prefix, "rt_sigqueueinfo", syscall(SYS_rt_sigqueueinfo, pid, 0, &q));
  show_prefixed(prefix, "rt_tgsigqueueinfo", syscall(SYS_rt_tgsigqueueinfo, pid, pid, 0, &q));
  show_prefixed(prefix, "pidfd_open", syscall(SYS_pidfd_open, pid, 0));
  show_prefixed(prefix, "getpgid", getpgid(pid));
  show_prefixed(prefix, "getsid", getsid(pid));
  show_prefixed(prefix, "setpgid_pid", setpgid(pid, 0));
  show_prefixed(prefix, "setpgid_group", setpgid(0, pid));

  struct sched_param param;
  cpu_set_t set;
  struct timespec ts;
  show_prefixed(prefix, "sched_getparam", sched_getparam(pid, &param));
  param.sched_priority = 0;
  show_prefixed(prefix, "sched_setparam", sched_setparam(pid, &param));
  show_prefixed(prefix, "sched_getscheduler", sched_getscheduler(pid));
  show_prefixed(prefix, "sched_setscheduler", sched_setscheduler(pid, SCHED_OTHER, &param));
  show_prefixed(prefix, "sched_getaffinity", sched_getaffinity(pid, sizeof(set), &set));
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  show_prefixed(prefix, "sched_setaffinity", sched_setaffinity(pid, sizeof(set), &set));
  show_prefixed(prefix, "sched_rr_get_interval", sched_rr_get_interval(pid, &ts));
  unsigned char attr[128];
  memset(attr, 0, sizeof(attr));
  show_prefixed(prefix, "sched_getattr", syscall(SYS_sched_getattr, pid, attr, 48, 0));

  errno = 0;
  int prio = getpriority(PRIO_PROCESS, (id_t)pid);
  show_prefixed(prefix, "getpriority_process", errno ? -1 : prio);
  errno = 0;
  prio = getpriority(PRIO_PGRP, (id_t)pid);
  show_prefixed(prefix, "getpriority_pgrp", errno ? -1 : prio);
  show_prefixed(prefix, "setpriority_process", setpriority(PRIO_PROCESS, (id_t)pid, 0));
  show_prefixed(prefix, "setpriority_pgrp", setpriority(PRIO_PGRP, (id_t)pid, 0));
  show_prefixed(prefix, "ioprio_get_process", syscall(SYS_ioprio_get, kIoprioWhoProcess, pid));
  show_prefixed(prefix, "ioprio_get_pgrp", syscall(SYS_ioprio_get, kIoprioWhoPgrp, pid));
  struct rlimit rl;
  show_prefixed(prefix, "prlimit", prlimit(pid, RLIMIT_NOFILE, NULL, &rl));

  char buf[8];
  struct iovec local = {buf, sizeof(buf)}, remote = {NULL, sizeof(buf)};
  show_prefixed(prefix, "process_vm_readv", process_vm_readv(pid, &local, 1, &remote, 1, 0));
  show_prefixed(prefix, "process_vm_writev", process_vm_writev(pid, &local, 1, &remote, 1, 0));
  show_prefixed(prefix, "kcmp_pid2", syscall(SYS_kcmp, getpid(), pid, 0 /* KCMP_FILE */, 0, 0));
  show_prefixed(prefix, "kcmp_pid1", syscall(SYS_kcmp, pid, getpid(), 0 /* KCMP_FILE */, 0, 0));
  void* head = NULL;
  size_t len = 0;
  show_prefixed(prefix, "get_robust_list", syscall(SYS_get_robust_list, pid, &head, &len));
  unsigned long nodes = 1;
  show_prefixed(prefix, "migrate_pages",
                syscall(SYS_migrate_pages, pid, 8 * sizeof(nodes), &nodes, &nodes));
  show_prefixed(prefix, "move_pages", syscall(SYS_move_pages, pid, 0, NULL, NULL, NULL, 0));
  show_prefixed(prefix, "ptrace_attach", ptrace(PTRACE_ATTACH, pid, NULL, NULL));
  show_prefixed(prefix, "perf_event_open", perf_open_task_clock(pid));

  int status;
  siginfo_t si;
  show_prefixed(prefix, "waitpid", waitpid(pid, &status, WNOHANG));
  show_prefixed(prefix, "waitpid_group", waitpid(-pid, &status, WNOHANG));
  show_prefixed(prefix, "wait4", wait4(pid, &status, WNOHANG, NULL));
  show_prefixed(prefix, "waitid_pid", waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG));
  show_prefixed(prefix, "waitid_pgid", waitid(P_PGID, (id_t)pid, &si, WEXITED | WNOHANG));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const pid_t witness = outside_witness();
  // The number itself differs between runs; it is not printed. It must not be one of ours.
  printf("witness_is_not_ours=%d\n", witness > 1);

  // As init, and as a child (whose own children, if any, are not the witness either).
  probe("init_", witness);
  probe("none_", 99999);
  fflush(stdout);
  pid_t p = fork();
  if (p < 0) return 99;
  if (p == 0) {
    probe("child_", witness);
    _exit(0);
  }
  if (waitpid(p, NULL, 0) != p) return 98;
  return 0;
}
