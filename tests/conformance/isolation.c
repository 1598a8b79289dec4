// isolation: every call that names a process, thread or group by number, aimed at a process that
// exists but is outside the box, fails as it fails for a pid namespace's member: ESRCH (ECHILD
// for the wait calls, EPERM for setpgid's group). The runner passes the number of such a process
// in VPIDBOX_TEST_OUTSIDE_PID: a `sleep` of the runner's own, leading its own session and group,
// which is in neither the oracle's namespace nor the box (for the box, the kernel would find it,
// so only translation can hide it). 99999 (nothing anywhere) is checked the same way. Only
// harmless requests are made: signal 0, reads, and writes to address 0 (EFAULT if the process
// were ever reached).
// pid-semantics.md §4: F.42 (ESRCH for kill, tgkill, getpgid, getsid, setpgid, sched_*,
// getpriority/setpriority, ioprio, prlimit, ptrace, process_vm_*, kcmp, pidfd_open,
// get_robust_list, migrate_pages, move_pages, perf_event_open), F.48 (groups), F.49 (waits).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/perf_event.h>
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

enum { kIoprioWhoProcess = 1, kIoprioWhoPgrp = 2 };

static void show(const char* prefix, const char* key, long r) {
  if (r < 0)
    printf("%s_%s=%s\n", prefix, key, strerrorname_np(errno));
  else
    printf("%s_%s=%ld\n", prefix, key, r);
}

// Every call with `pid` (a process outside the box, or nothing at all); keys start with prefix.
static void probe(const char* prefix, pid_t pid) {
  show(prefix, "kill", kill(pid, 0));
  show(prefix, "kill_group", kill(-pid, 0));
  show(prefix, "tkill", syscall(SYS_tkill, pid, 0));
  show(prefix, "tgkill", syscall(SYS_tgkill, pid, pid, 0));
  show(prefix, "tgkill_own_tgid", syscall(SYS_tgkill, getpid(), pid, 0));
  siginfo_t q;
  memset(&q, 0, sizeof(q));
  q.si_code = SI_QUEUE;
  q.si_pid = getpid();
  show(prefix, "rt_sigqueueinfo", syscall(SYS_rt_sigqueueinfo, pid, 0, &q));
  show(prefix, "rt_tgsigqueueinfo", syscall(SYS_rt_tgsigqueueinfo, pid, pid, 0, &q));
  show(prefix, "pidfd_open", syscall(SYS_pidfd_open, pid, 0));
  show(prefix, "getpgid", getpgid(pid));
  show(prefix, "getsid", getsid(pid));
  show(prefix, "setpgid_pid", setpgid(pid, 0));
  show(prefix, "setpgid_group", setpgid(0, pid));

  struct sched_param param;
  cpu_set_t set;
  struct timespec ts;
  show(prefix, "sched_getparam", sched_getparam(pid, &param));
  param.sched_priority = 0;
  show(prefix, "sched_setparam", sched_setparam(pid, &param));
  show(prefix, "sched_getscheduler", sched_getscheduler(pid));
  show(prefix, "sched_setscheduler", sched_setscheduler(pid, SCHED_OTHER, &param));
  show(prefix, "sched_getaffinity", sched_getaffinity(pid, sizeof(set), &set));
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  show(prefix, "sched_setaffinity", sched_setaffinity(pid, sizeof(set), &set));
  show(prefix, "sched_rr_get_interval", sched_rr_get_interval(pid, &ts));
  unsigned char attr[128];
  memset(attr, 0, sizeof(attr));
  show(prefix, "sched_getattr", syscall(SYS_sched_getattr, pid, attr, 48, 0));

  errno = 0;
  int prio = getpriority(PRIO_PROCESS, (id_t)pid);
  show(prefix, "getpriority_process", errno ? -1 : prio);
  errno = 0;
  prio = getpriority(PRIO_PGRP, (id_t)pid);
  show(prefix, "getpriority_pgrp", errno ? -1 : prio);
  show(prefix, "setpriority_process", setpriority(PRIO_PROCESS, (id_t)pid, 0));
  show(prefix, "setpriority_pgrp", setpriority(PRIO_PGRP, (id_t)pid, 0));
  show(prefix, "ioprio_get_process", syscall(SYS_ioprio_get, kIoprioWhoProcess, pid));
  show(prefix, "ioprio_get_pgrp", syscall(SYS_ioprio_get, kIoprioWhoPgrp, pid));
  struct rlimit rl;
  show(prefix, "prlimit", prlimit(pid, RLIMIT_NOFILE, NULL, &rl));

  char buf[8];
  struct iovec local = {buf, sizeof(buf)}, remote = {NULL, sizeof(buf)};
  show(prefix, "process_vm_readv", process_vm_readv(pid, &local, 1, &remote, 1, 0));
  show(prefix, "process_vm_writev", process_vm_writev(pid, &local, 1, &remote, 1, 0));
  show(prefix, "kcmp_pid2", syscall(SYS_kcmp, getpid(), pid, 0 /* KCMP_FILE */, 0, 0));
  show(prefix, "kcmp_pid1", syscall(SYS_kcmp, pid, getpid(), 0 /* KCMP_FILE */, 0, 0));
  void* head = NULL;
  size_t len = 0;
  show(prefix, "get_robust_list", syscall(SYS_get_robust_list, pid, &head, &len));
  unsigned long nodes = 1;
  show(prefix, "migrate_pages", syscall(SYS_migrate_pages, pid, 8 * sizeof(nodes), &nodes, &nodes));
  show(prefix, "move_pages", syscall(SYS_move_pages, pid, 0, NULL, NULL, NULL, 0));
  show(prefix, "ptrace_attach", ptrace(PTRACE_ATTACH, pid, NULL, NULL));
  struct perf_event_attr pe;
  memset(&pe, 0, sizeof(pe));
  pe.type = PERF_TYPE_SOFTWARE;
  pe.size = sizeof(pe);
  pe.config = PERF_COUNT_SW_TASK_CLOCK;
  pe.disabled = 1;
  pe.exclude_kernel = 1;
  pe.exclude_hv = 1;
  show(prefix, "perf_event_open", syscall(SYS_perf_event_open, &pe, pid, -1, -1, 0));

  int status;
  siginfo_t si;
  show(prefix, "waitpid", waitpid(pid, &status, WNOHANG));
  show(prefix, "waitpid_group", waitpid(-pid, &status, WNOHANG));
  show(prefix, "wait4", wait4(pid, &status, WNOHANG, NULL));
  show(prefix, "waitid_pid", waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG));
  show(prefix, "waitid_pgid", waitid(P_PGID, (id_t)pid, &si, WEXITED | WNOHANG));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char* outside = getenv("VPIDBOX_TEST_OUTSIDE_PID");
  const pid_t witness = outside ? (pid_t)atoi(outside) : 99999;
  // The number itself differs between runs; it is not printed. It must not be one of ours.
  printf("witness_is_not_ours=%d\n", witness > 1);

  // As init, and as a child (whose own children, if any, are not the witness either).
  probe("init", witness);
  probe("none", 99999);
  fflush(stdout);
  pid_t p = fork();
  if (p < 0) return 99;
  if (p == 0) {
    probe("child", witness);
    _exit(0);
  }
  if (waitpid(p, NULL, 0) != p) return 98;
  return 0;
}
