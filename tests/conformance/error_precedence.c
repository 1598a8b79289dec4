// error_precedence: every call the box translates, with a pid that names nothing visible (the
// runner's outside process, VPIDBOX_TEST_OUTSIDE_PID, see isolation.c, and its group) AND one
// other invalid argument: a bad descriptor, flag, signal, `which`, size or pointer. The kernel
// checks some of these before it looks the pid up and some after; in a pid namespace the outside
// number is simply not found, so the errno printed is whichever check the kernel makes first.
// The box must answer the same (it hands the kernel a number that cannot exist, never its own
// ESRCH). Nothing can reach the outside process: every call fails before or at the lookup.
// docs/pid-semantics.md F.42 (outside numbers), and the kernel's own order of checks.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

enum { kIoprioWhoProcess = 1, kIoprioWhoPgrp = 2, kBadFd = 999 };
enum { kPrSchedCore = 62 };
#define BAD_POINTER ((void*)1)

static void probe(const char* p, pid_t pid) {
  // Waiting: bad options, bad idtype.
  int status;
  siginfo_t si;
  show_prefixed(p, "wait4_bad_options", wait4(pid, &status, 0x40000000, NULL));
  show_prefixed(p, "wait4_group_bad_options", wait4(-pid, &status, 0x40000000, NULL));
  show_prefixed(p, "wait4_bad_status", wait4(pid, BAD_POINTER, WNOHANG, NULL));
  show_prefixed(p, "waitid_pid_no_options", waitid(P_PID, (id_t)pid, &si, 0));
  show_prefixed(p, "waitid_pgid_bad_options", waitid(P_PGID, (id_t)pid, &si, 0x40000000));
  show_prefixed(p, "waitid_bad_idtype", waitid((idtype_t)99, (id_t)pid, &si, WEXITED));
  show_prefixed(p, "waitid_pid_bad_info", syscall(SYS_waitid, P_PID, pid, BAD_POINTER, WEXITED, 0));

  // Signals: a bad signal number, a bad siginfo pointer, a siginfo the caller may not forge.
  show_prefixed(p, "kill_bad_signal", kill(pid, 999));
  show_prefixed(p, "kill_group_bad_signal", kill(-pid, 999));
  show_prefixed(p, "tkill_bad_signal", syscall(SYS_tkill, pid, 999));
  show_prefixed(p, "tgkill_bad_signal", syscall(SYS_tgkill, pid, pid, 999));
  show_prefixed(p, "tgkill_own_tgid_bad_signal", syscall(SYS_tgkill, getpid(), pid, 999));
  show_prefixed(p, "rt_sigqueueinfo_bad_info",
                syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, BAD_POINTER));
  siginfo_t forged;
  memset(&forged, 0, sizeof(forged));
  forged.si_code = SI_USER;  // only the kernel sends these to another process
  show_prefixed(p, "rt_sigqueueinfo_si_user", syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &forged));
  show_prefixed(p, "rt_tgsigqueueinfo_bad_info",
                syscall(SYS_rt_tgsigqueueinfo, pid, pid, SIGUSR1, BAD_POINTER));
  show_prefixed(p, "pidfd_open_bad_flags", syscall(SYS_pidfd_open, pid, 0x1));

  // Groups.
  show_prefixed(p, "setpgid_negative_group", setpgid(pid, -5));
  show_prefixed(p, "getpgid", getpgid(pid));
  show_prefixed(p, "getsid", getsid(pid));

  // Scheduling: NULL or bad parameters, bad policies, sizes and flags.
  show_prefixed(p, "sched_setparam_null", syscall(SYS_sched_setparam, pid, NULL));
  show_prefixed(p, "sched_getparam_null", syscall(SYS_sched_getparam, pid, NULL));
  struct sched_param param = {0};
  show_prefixed(p, "sched_setscheduler_bad_policy",
                syscall(SYS_sched_setscheduler, pid, -5, &param));
  show_prefixed(p, "sched_setscheduler_null", syscall(SYS_sched_setscheduler, pid, 0, NULL));
  show_prefixed(p, "sched_rr_get_interval_null", syscall(SYS_sched_rr_get_interval, pid, NULL));
  show_prefixed(p, "sched_setaffinity_bad_mask",
                syscall(SYS_sched_setaffinity, pid, 128, BAD_POINTER));
  cpu_set_t set;
  show_prefixed(p, "sched_getaffinity_bad_size", syscall(SYS_sched_getaffinity, pid, 3, &set));
  show_prefixed(p, "sched_setattr_null", syscall(SYS_sched_setattr, pid, NULL, 0));
  unsigned int attr[14] = {48};
  show_prefixed(p, "sched_setattr_bad_flags", syscall(SYS_sched_setattr, pid, attr, 1));
  show_prefixed(p, "sched_getattr_bad_size", syscall(SYS_sched_getattr, pid, attr, 1, 0));
  show_prefixed(p, "sched_getattr_bad_flags", syscall(SYS_sched_getattr, pid, attr, 48, 1));
  show_prefixed(p, "getpriority_bad_which", syscall(SYS_getpriority, 99, pid));
  show_prefixed(p, "setpriority_bad_which", syscall(SYS_setpriority, 99, pid, 0));
  show_prefixed(p, "ioprio_get_bad_which", syscall(SYS_ioprio_get, 99, pid));
  show_prefixed(p, "ioprio_set_bad_which", syscall(SYS_ioprio_set, 99, pid, 0));
  show_prefixed(p, "ioprio_set_process_bad_class",
                syscall(SYS_ioprio_set, kIoprioWhoProcess, pid, 7 << 13));
  show_prefixed(p, "ioprio_set_pgrp_bad_class",
                syscall(SYS_ioprio_set, kIoprioWhoPgrp, pid, 7 << 13));

  // Resources and memory.
  struct rlimit rl;
  show_prefixed(p, "prlimit_bad_resource", syscall(SYS_prlimit64, pid, 999, NULL, &rl));
  show_prefixed(p, "prlimit_bad_new", syscall(SYS_prlimit64, pid, RLIMIT_CORE, BAD_POINTER, NULL));
  show_prefixed(p, "get_robust_list_null", syscall(SYS_get_robust_list, pid, NULL, NULL));
  unsigned long nodes = 1;
  show_prefixed(p, "migrate_pages_bad_nodes",
                syscall(SYS_migrate_pages, pid, 8 * sizeof(nodes), BAD_POINTER, &nodes));
  show_prefixed(p, "move_pages_bad_flags", syscall(SYS_move_pages, pid, 0, NULL, NULL, NULL, 8));
  char buf[8];
  struct iovec local = {buf, sizeof(buf)}, remote = {NULL, sizeof(buf)};
  show_prefixed(p, "process_vm_readv_bad_flags",
                syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1, 1));
  show_prefixed(p, "process_vm_writev_bad_flags",
                syscall(SYS_process_vm_writev, pid, &local, 1, &remote, 1, 1));
  show_prefixed(p, "process_vm_readv_bad_iov",
                syscall(SYS_process_vm_readv, pid, BAD_POINTER, 1, &remote, 1, 0));
  show_prefixed(p, "kcmp_bad_type", syscall(SYS_kcmp, getpid(), pid, 99, 0, 0));
  show_prefixed(p, "kcmp_first_bad_type", syscall(SYS_kcmp, pid, getpid(), 99, 0, 0));
  show_prefixed(p, "ptrace_bad_request", syscall(SYS_ptrace, 0x7777, pid, 0, 0));
  show_prefixed(p, "ptrace_attach", syscall(SYS_ptrace, PTRACE_ATTACH, pid, 0, 0));

  // capget()/capset(): the header's version is checked first, and a NULL data pointer only
  // asks for the version.
  struct __user_cap_header_struct header = {0x12345678, pid};
  struct __user_cap_data_struct data[2];
  show_prefixed(p, "capget_bad_version", syscall(SYS_capget, &header, data));
  header = (struct __user_cap_header_struct){_LINUX_CAPABILITY_VERSION_3, pid};
  show_prefixed(p, "capget_null_data", syscall(SYS_capget, &header, NULL));
  printf("%scapget_header_pid_kept=%d\n", p, header.pid == pid);
  show_prefixed(p, "capget_bad_header", syscall(SYS_capget, BAD_POINTER, data));
  header = (struct __user_cap_header_struct){0x12345678, pid};
  show_prefixed(p, "capset_bad_version", syscall(SYS_capset, &header, data));
  header = (struct __user_cap_header_struct){_LINUX_CAPABILITY_VERSION_3, -pid};
  show_prefixed(p, "capget_negative", syscall(SYS_capget, &header, data));

  // perf_event_open: bad flags, a bad attribute pointer.
  struct perf_event_attr pe;
  perf_task_clock_attr(&pe);
  show_prefixed(p, "perf_event_open_bad_flags",
                syscall(SYS_perf_event_open, &pe, pid, -1, -1, 0x100));
  show_prefixed(p, "perf_event_open_bad_attr",
                syscall(SYS_perf_event_open, BAD_POINTER, pid, -1, -1, 0));

  // The terminal: a bad descriptor, a descriptor that is no terminal, a pty that is not the
  // caller's controlling terminal, a bad pointer, a negative group.
  const int devnull = open("/dev/null", O_RDWR);
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (devnull < 0 || master < 0) die("open");
  show_prefixed(p, "tcsetpgrp_bad_fd", tcsetpgrp(kBadFd, pid));
  show_prefixed(p, "tcsetpgrp_not_tty", tcsetpgrp(devnull, pid));
  show_prefixed(p, "tcsetpgrp_not_tty_negative", tcsetpgrp(devnull, -pid));
  show_prefixed(p, "tcsetpgrp_pty", tcsetpgrp(master, pid));
  show_prefixed(p, "tcsetpgrp_pty_negative", tcsetpgrp(master, -pid));
  show_prefixed(p, "tcsetpgrp_pty_bad_pointer", ioctl(master, TIOCSPGRP, BAD_POINTER));
  show_prefixed(p, "tcgetpgrp_bad_fd", tcgetpgrp(kBadFd));
  show_prefixed(p, "tcgetsid_not_tty", tcgetsid(devnull));

  // Owners: a bad descriptor, one whose ioctl knows no owner, a bad type, a bad pointer, INT_MIN.
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) die("socketpair");
  show_prefixed(p, "f_setown_bad_fd", fcntl(kBadFd, F_SETOWN, pid));
  show_prefixed(p, "f_setown_group_bad_fd", fcntl(kBadFd, F_SETOWN, -pid));
  show_prefixed(p, "f_setown_int_min", fcntl(devnull, F_SETOWN, INT_MIN));
  struct f_owner_ex owner = {F_OWNER_PID, pid};
  show_prefixed(p, "f_setown_ex_bad_fd", fcntl(kBadFd, F_SETOWN_EX, &owner));
  owner.type = 9;
  show_prefixed(p, "f_setown_ex_bad_type", fcntl(devnull, F_SETOWN_EX, &owner));
  owner = (struct f_owner_ex){F_OWNER_PGRP, -pid};
  show_prefixed(p, "f_setown_ex_negative", fcntl(devnull, F_SETOWN_EX, &owner));
  show_prefixed(p, "f_setown_ex_bad_pointer", fcntl(devnull, F_SETOWN_EX, BAD_POINTER));
  show_prefixed(p, "f_getown_bad_fd", syscall(SYS_fcntl, kBadFd, F_GETOWN));
  show_prefixed(p, "f_getown_ex_bad_pointer", fcntl(devnull, F_GETOWN_EX, BAD_POINTER));
  int value = pid;
  show_prefixed(p, "fiosetown_bad_fd", ioctl(kBadFd, FIOSETOWN, &value));
  show_prefixed(p, "fiosetown_not_socket", ioctl(devnull, FIOSETOWN, &value));
  show_prefixed(p, "fiosetown_bad_pointer", ioctl(sv[0], FIOSETOWN, BAD_POINTER));
  value = -pid;
  show_prefixed(p, "siocspgrp_not_socket", ioctl(devnull, SIOCSPGRP, &value));
  value = INT_MIN;
  show_prefixed(p, "siocspgrp_int_min", ioctl(sv[0], SIOCSPGRP, &value));
  show_prefixed(p, "fiogetown_bad_fd", ioctl(kBadFd, FIOGETOWN, &value));
  show_prefixed(p, "siocgpgrp_bad_pointer", ioctl(sv[0], SIOCGPGRP, BAD_POINTER));

  // prctl options that keep a pid (EINVAL where Yama or core scheduling are not built in).
  show_prefixed(p, "pr_set_ptracer", prctl(PR_SET_PTRACER, (unsigned long)pid, 0, 0, 0));
  prctl(PR_SET_PTRACER, 0, 0, 0, 0);
  show_prefixed(p, "pr_sched_core_bad_cmd", prctl(kPrSchedCore, 99, pid, 0, 0));
  // A timer signalling a thread: a bad clock, a bad sigevent pointer.
  struct sigevent ev;
  memset(&ev, 0, sizeof(ev));
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGUSR1;
  ev._sigev_un._tid = pid;
  timer_t timer;
  show_prefixed(p, "timer_create_bad_clock", syscall(SYS_timer_create, 99, &ev, &timer));
  show_prefixed(p, "timer_create_bad_sigevent",
                syscall(SYS_timer_create, CLOCK_MONOTONIC, BAD_POINTER, &timer));
  printf("%stimer_sigevent_tid_kept=%d\n", p, ev._sigev_un._tid == pid);
  show_prefixed(p, "pidfd_send_signal_bad_fd",
                syscall(SYS_pidfd_send_signal, kBadFd, SIGUSR1, NULL, 0));

  close(devnull);
  close(master);
  close(sv[0]);
  close(sv[1]);
}

// Signals a namespace's init discards (SIGKILL, SIGSTOP, or one it neither handles nor blocks)
// still go through the kernel's other checks first: the siginfo, flags, the signal's range and
// the sender's permission. Run in a child (init would be signalling itself).
static void signals_to_init(void) {
  show("init_kill_bad_signal", kill(1, 999));
  show("init_tgkill_bad_signal", syscall(SYS_tgkill, 1, 1, 999));
  show("init_rt_sigqueueinfo_bad_info", syscall(SYS_rt_sigqueueinfo, 1, SIGKILL, BAD_POINTER));
  siginfo_t forged;
  memset(&forged, 0, sizeof(forged));
  forged.si_code = SI_USER;
  show("init_rt_sigqueueinfo_si_user", syscall(SYS_rt_sigqueueinfo, 1, SIGTERM, &forged));
  show("init_rt_tgsigqueueinfo_bad_info",
       syscall(SYS_rt_tgsigqueueinfo, 1, 1, SIGKILL, BAD_POINTER));
  const long pidfd = syscall(SYS_pidfd_open, 1, 0);
  if (pidfd < 0) die("pidfd_open");
  show("init_pidfd_send_signal_bad_flags",
       syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0x1));
  show("init_kill_sigkill", kill(1, SIGKILL));
  // Another user may not signal init at all: EPERM, whatever init would do with the signal.
  show("setresuid_nobody", setresuid(65534, 65534, 65534));
  show("init_kill_sigkill_other_user", kill(1, SIGKILL));
  show("init_kill_sigterm_other_user", kill(1, SIGTERM));
  show("init_kill_0_other_user", kill(1, 0));
  show("init_pidfd_send_signal_other_user",
       syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0));
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(10);
  const pid_t witness = outside_witness();
  printf("witness_is_not_ours=%d\n", witness > 1);
  probe("outside_", witness);
  probe("none_", 99999);
  // Numbers with a meaning of their own.
  show("kill_int_min_bad_signal", kill(INT_MIN, 999));
  show("wait4_int_min_bad_options", wait4(INT_MIN, NULL, 0x40000000, NULL));
  show("waitid_pid_zero", waitid(P_PID, 0, NULL, WEXITED));
  show("sched_getscheduler_negative", sched_getscheduler(-1));
  show("tkill_zero_bad_signal", syscall(SYS_tkill, 0, 999));
  if (fork_flushed() == 0) {
    signals_to_init();
    _exit(0);
  }
  wait_one("signals_to_init");
  return 0;
}
