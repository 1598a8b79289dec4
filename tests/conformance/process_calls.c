// process_calls: the calls that name another process by number, aimed at a child of init inside
// the box, act on that child: resource limits (prlimit), I/O and CPU priorities of the process
// and of its group (ioprio_*, getpriority/setpriority with PRIO_PROCESS and PRIO_PGRP),
// affinity and scheduling attributes, kcmp, process_vm_readv/writev, get_robust_list,
// migrate_pages/move_pages and perf_event_open. The child checks the effects itself.
// docs/pid-semantics.md F.42 (what the box can address, it reaches: the positive side of the
// isolation test), H.68 (group numbers for PRIO_PGRP / IOPRIO_WHO_PGRP).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

enum { kIoprioWhoProcess = 1, kIoprioWhoPgrp = 2, kIoprioClassBe = 2, kIoprioClassShift = 13 };

static volatile long shared_value = 1;  // each process has its own copy after fork

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int ready[2], gate[2];
  if (pipe(ready) < 0 || pipe(gate) < 0) die("pipe");
  pid_t c = fork_flushed();  // 2, leading group 2
  if (c == 0) {
    close(ready[0]);
    close(gate[1]);
    setpgid(0, 0);
    shared_value = 22;
    close(ready[1]);
    await_eof(gate[0]);
    // Report what the parent changed.
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("child_nofile_soft=%ld\n", (long)rl.rlim_cur);
    printf("child_value_after_writev=%ld\n", shared_value);
    errno = 0;
    int prio = getpriority(PRIO_PROCESS, 0);
    printf("child_nice=%d\n", errno ? -1 : prio);
    long io = syscall(SYS_ioprio_get, kIoprioWhoProcess, 0);
    printf("child_ioprio_class=%ld level=%ld\n", io >> kIoprioClassShift,
           io & ((1 << kIoprioClassShift) - 1));
    cpu_set_t set;
    sched_getaffinity(0, sizeof(set), &set);
    printf("child_affinity_cpu0_only=%d\n", CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set));
    printf("child_policy_is_batch=%d\n", sched_getscheduler(0) == SCHED_BATCH);
    _exit(0);
  }
  setpgid(c, c);
  close(ready[1]);
  close(gate[0]);
  await_eof(ready[0]);

  struct rlimit rl;
  show("prlimit_get", prlimit(c, RLIMIT_NOFILE, NULL, &rl));
  struct rlimit lower = {64, rl.rlim_max};
  show("prlimit_set", prlimit(c, RLIMIT_NOFILE, &lower, NULL));

  long local = 0;
  struct iovec liov = {&local, sizeof(local)};
  struct iovec riov = {(void*)&shared_value, sizeof(shared_value)};
  show("process_vm_readv", process_vm_readv(c, &liov, 1, &riov, 1, 0));
  show("process_vm_readv_value", local);
  local = 33;
  show("process_vm_writev", process_vm_writev(c, &liov, 1, &riov, 1, 0));

  show("kcmp_vm_self", syscall(SYS_kcmp, getpid(), getpid(), KCMP_VM, 0, 0));
  show("kcmp_vm_child_differs", syscall(SYS_kcmp, getpid(), c, KCMP_VM, 0, 0) > 0);
  show("kcmp_fs_child", syscall(SYS_kcmp, 1, c, KCMP_FS, 0, 0) > 0);
  show("kcmp_file_stdout", syscall(SYS_kcmp, getpid(), c, KCMP_FILE, 1, 1));

  show("setpriority_process", setpriority(PRIO_PROCESS, (id_t)c, 3));
  errno = 0;
  int prio = getpriority(PRIO_PROCESS, (id_t)c);
  show("getpriority_process", errno ? -1 : prio);
  show("setpriority_pgrp", setpriority(PRIO_PGRP, (id_t)c, 4));
  errno = 0;
  prio = getpriority(PRIO_PGRP, (id_t)c);
  show("getpriority_pgrp", errno ? -1 : prio);

  const long io = (kIoprioClassBe << kIoprioClassShift) | 6;
  show("ioprio_set_process", syscall(SYS_ioprio_set, kIoprioWhoProcess, c, io));
  show("ioprio_get_process", syscall(SYS_ioprio_get, kIoprioWhoProcess, c) == io);
  show("ioprio_set_pgrp", syscall(SYS_ioprio_set, kIoprioWhoPgrp, c, io + 1));
  show("ioprio_get_pgrp", syscall(SYS_ioprio_get, kIoprioWhoPgrp, c) == io + 1);

  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  show("sched_setaffinity", sched_setaffinity(c, sizeof(one), &one));
  cpu_set_t got;
  CPU_ZERO(&got);
  show("sched_getaffinity", sched_getaffinity(c, sizeof(got), &got));
  show("sched_getaffinity_cpu0_only", CPU_EQUAL(&one, &got));
  struct sched_param param = {.sched_priority = 0};
  show("sched_setscheduler", sched_setscheduler(c, SCHED_BATCH, &param));
  show("sched_getscheduler_is_batch", sched_getscheduler(c) == SCHED_BATCH);
  show("sched_getparam", sched_getparam(c, &param));
  unsigned char attr[128];
  memset(attr, 0, sizeof(attr));
  show("sched_getattr", syscall(SYS_sched_getattr, c, attr, 48, 0));

  void* head = NULL;
  size_t len = 0;
  show("get_robust_list", syscall(SYS_get_robust_list, c, &head, &len));
  unsigned long nodes = 1;
  show("migrate_pages", syscall(SYS_migrate_pages, c, 8 * sizeof(nodes), &nodes, &nodes));
  show("move_pages", syscall(SYS_move_pages, c, 0, NULL, NULL, NULL, 0));

  long fd = perf_open_task_clock(c);
  show("perf_event_open_ok", fd >= 0);
  if (fd >= 0) close((int)fd);

  fflush(stdout);
  close(gate[1]);
  int status;
  if (waitpid(c, &status, 0) != c) die("waitpid");
  show("child_exit", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
