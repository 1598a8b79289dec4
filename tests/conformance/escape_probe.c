// escape_probe: every call that takes, keeps or reports a pid, aimed for real at a process outside
// the box (VPIDBOX_TEST_OUTSIDE_PID, see isolation.c) and at its process group: signals are real
// (SIGUSR1), descriptors whose owner is set have O_ASYNC armed and are then made ready, so that
// a number that slipped through would send SIGIO (or F_SETSIG's signal) to the outside process.
// In a pid namespace each call fails as for a number that names nothing. The runner checks, after
// the run, that the outside process is alive, not stopped and has no signal pending (it blocks
// them all): "outside_witness=untouched". The outside number itself is never printed.
// Then the same owner calls with the box's own numbers: SIGIO reaches the caller, a child and a
// group, and F_GETOWN, F_GETOWN_EX, FIOGETOWN and SIOCGPGRP read them back.
// docs/pid-semantics.md E.39 (SIGIO through F_SETOWN), F.42 (outside processes cannot be
// addressed), F.48 (nor their groups); §1.4 (prctl), §1.6 (F_SETOWN).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

enum { kIoprioWhoProcess = 1, kIoprioWhoPgrp = 2, kPidfdThread = O_EXCL };
enum { kPrSchedCore = 62, kPrSchedCoreShareTo = 2, kPidtypeTgid = 1 };

// An fd pair (pipe or socketpair) whose read end has O_ASYNC armed, signalling `signo`.
struct armed {
  int fds[2];
};

static struct armed arm(int socket, int signo) {
  struct armed a;
  if (socket ? socketpair(AF_UNIX, SOCK_STREAM, 0, a.fds) : pipe(a.fds)) die("pipe");
  if (fcntl(a.fds[0], F_SETSIG, signo) < 0) die("F_SETSIG");
  if (fcntl(a.fds[0], F_SETFL, fcntl(a.fds[0], F_GETFL) | O_ASYNC) < 0) die("O_ASYNC");
  return a;
}

// Makes the read end ready (SIGIO to its owner, if any) and drains it.
static void fire(struct armed* a) {
  char c = 'x';
  if (write(a->fds[1], &c, 1) != 1) die("write");
  if (read(a->fds[0], &c, 1) != 1) die("read");
}

static void disarm(struct armed* a) {
  close(a->fds[0]);
  close(a->fds[1]);
}

static void show_owner_ex(const char* key, int fd) {
  struct f_owner_ex owner = {-1, -1};
  const long r = fcntl(fd, F_GETOWN_EX, &owner);
  if (r < 0)
    printf("%s=%s\n", key, strerrorname_np(errno));
  else
    printf("%s=type %d pid %d\n", key, owner.type, owner.pid);
}

// An owner ioctl with `value` in memory; also says whether the value was left as it was.
static void show_owner_ioctl(const char* key, int fd, unsigned long request, int value) {
  int in_memory = value;
  show(key, ioctl(fd, request, &in_memory));
  printf("%s_value_kept=%d\n", key, in_memory == value);
}

// The owner calls, aimed at `pid` (a process) and -pid (its group); nothing may reach them.
static void owners_outside(pid_t pid) {
  struct armed a = arm(0, SIGUSR1);
  show("f_setown", fcntl(a.fds[0], F_SETOWN, pid));
  fire(&a);
  show("f_setown_group", fcntl(a.fds[0], F_SETOWN, -pid));
  fire(&a);
  static const struct {
    const char* key;
    int type;
  } types[] = {{"f_setown_ex_pid", F_OWNER_PID},
               {"f_setown_ex_tid", F_OWNER_TID},
               {"f_setown_ex_pgrp", F_OWNER_PGRP}};
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); ++i) {
    struct f_owner_ex owner = {types[i].type, pid};
    show(types[i].key, fcntl(a.fds[0], F_SETOWN_EX, &owner));
    printf("%s_value_kept=%d\n", types[i].key,
           owner.pid == pid && (int)owner.type == types[i].type);
    fire(&a);
  }
  show("f_getown_after", fcntl(a.fds[0], F_GETOWN));
  show("f_getown_raw_after", syscall(SYS_fcntl, a.fds[0], F_GETOWN));
  show_owner_ex("f_getown_ex_after", a.fds[0]);
  disarm(&a);

  struct armed s = arm(1, SIGIO);
  show_owner_ioctl("fiosetown", s.fds[0], FIOSETOWN, pid);
  fire(&s);
  show_owner_ioctl("fiosetown_group", s.fds[0], FIOSETOWN, -pid);
  fire(&s);
  show_owner_ioctl("siocspgrp", s.fds[0], SIOCSPGRP, pid);
  fire(&s);
  show_owner_ioctl("siocspgrp_group", s.fds[0], SIOCSPGRP, -pid);
  fire(&s);
  int owner = -1;
  show("fiogetown_after", ioctl(s.fds[0], FIOGETOWN, &owner));
  printf("fiogetown_value=%d\n", owner);
  owner = -1;
  show("siocgpgrp_after", ioctl(s.fds[0], SIOCGPGRP, &owner));
  printf("siocgpgrp_value=%d\n", owner);
  disarm(&s);
}

// Every other call that names a process or group, with a real signal or a real change.
static void calls_outside(pid_t pid) {
  show("kill", kill(pid, SIGUSR1));
  show("kill_group", kill(-pid, SIGUSR1));
  show("tkill", syscall(SYS_tkill, pid, SIGUSR1));
  show("tgkill", syscall(SYS_tgkill, pid, pid, SIGUSR1));
  show("tgkill_own_tgid", syscall(SYS_tgkill, getpid(), pid, SIGUSR1));
  siginfo_t q;
  memset(&q, 0, sizeof(q));
  q.si_code = SI_QUEUE;
  q.si_pid = getpid();
  show("rt_sigqueueinfo", syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &q));
  show("rt_tgsigqueueinfo", syscall(SYS_rt_tgsigqueueinfo, pid, pid, SIGUSR1, &q));
  for (int thread = 0; thread < 2; ++thread) {
    const long fd = syscall(SYS_pidfd_open, pid, thread ? kPidfdThread : 0);
    show(thread ? "pidfd_open_thread" : "pidfd_open", fd);
    if (fd >= 0) {  // a pidfd of the outside process: what it would let the box do
      show("pidfd_send_signal", syscall(SYS_pidfd_send_signal, fd, SIGUSR1, NULL, 0));
      close((int)fd);
    }
  }

  show("setpgid_pid", setpgid(pid, 0));
  show("setpgid_group", setpgid(0, pid));
  show("getpgid", getpgid(pid));
  show("getsid", getsid(pid));

  struct sched_param param = {0};
  show("sched_setparam", sched_setparam(pid, &param));
  show("sched_setscheduler", sched_setscheduler(pid, SCHED_BATCH, &param));
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  show("sched_setaffinity", sched_setaffinity(pid, sizeof(set), &set));
  unsigned int attr[14] = {48};  // struct sched_attr: size 48, SCHED_OTHER, nice 0
  show("sched_setattr", syscall(SYS_sched_setattr, pid, attr, 0));
  show("setpriority_process", setpriority(PRIO_PROCESS, (id_t)pid, 5));
  show("setpriority_pgrp", setpriority(PRIO_PGRP, (id_t)pid, 5));
  const int idle = 3 << 13;  // IOPRIO_CLASS_IDLE
  show("ioprio_set_process", syscall(SYS_ioprio_set, kIoprioWhoProcess, pid, idle));
  show("ioprio_set_pgrp", syscall(SYS_ioprio_set, kIoprioWhoPgrp, pid, idle));
  struct rlimit none = {0, 0};
  show("prlimit_set", prlimit(pid, RLIMIT_CORE, &none, NULL));

  show("ptrace_attach", ptrace(PTRACE_ATTACH, pid, NULL, NULL));
  show("ptrace_seize", ptrace(PTRACE_SEIZE, pid, NULL, NULL));
  char buf[8] = {0};
  struct iovec local = {buf, sizeof(buf)}, remote = {NULL, sizeof(buf)};
  show("process_vm_readv", process_vm_readv(pid, &local, 1, &remote, 1, 0));
  show("process_vm_writev", process_vm_writev(pid, &local, 1, &remote, 1, 0));
  show("kcmp", syscall(SYS_kcmp, getpid(), pid, 0 /* KCMP_FILE */, 0, 0));
  void* head = NULL;
  size_t len = 0;
  show("get_robust_list", syscall(SYS_get_robust_list, pid, &head, &len));
  unsigned long nodes = 1;
  show("migrate_pages", syscall(SYS_migrate_pages, pid, 8 * sizeof(nodes), &nodes, &nodes));
  show("perf_event_open", perf_open_task_clock(pid));
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, pid};
  struct __user_cap_data_struct caps[2];
  show("capget", syscall(SYS_capget, &header, caps));
  header.pid = pid;
  show("capset", syscall(SYS_capset, &header, caps));

  show("pr_set_ptracer", prctl(PR_SET_PTRACER, (unsigned long)pid, 0, 0, 0));
  prctl(PR_SET_PTRACER, 0, 0, 0, 0);
  show("pr_sched_core_share_to", prctl(kPrSchedCore, kPrSchedCoreShareTo, pid, kPidtypeTgid, 0));

  // Notifications to a thread: the kernel accepts only a thread of the caller's own group.
  struct sigevent ev;
  memset(&ev, 0, sizeof(ev));
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGUSR1;
  ev._sigev_un._tid = pid;
  timer_t timer;
  show("timer_create_thread_id", timer_create(CLOCK_MONOTONIC, &ev, &timer));
  struct mq_attr mq = {.mq_maxmsg = 1, .mq_msgsize = 8};
  char name[64];
  snprintf(name, sizeof(name), "/vpidbox-escape-%ld", (long)time(NULL) ^ (long)getpid() << 16);
  mqd_t queue = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &mq);
  if (queue == (mqd_t)-1) die("mq_open");
  mq_unlink(name);
  show("mq_notify_thread_id", mq_notify(queue, &ev));
  mq_close(queue);

  // The terminal's foreground group: a descriptor that is no terminal, then a pty that is not the
  // caller's controlling terminal.
  show("tcsetpgrp_not_tty", tcsetpgrp(STDIN_FILENO, pid));
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0) die("posix_openpt");
  show("tcsetpgrp_pty", tcsetpgrp(master, pid));
  close(master);

  int status;
  siginfo_t si;
  show("wait4", wait4(pid, &status, WNOHANG, NULL));
  show("wait4_group", wait4(-pid, &status, WNOHANG, NULL));
  show("waitid_pid", waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG));
  show("waitid_pgid", waitid(P_PGID, (id_t)pid, &si, WEXITED | WNOHANG));
}

// The signal the box's own owners get: a real-time one, blocked, so that each is queued.
static int owned_signal(void) {
  return SIGRTMIN + 2;
}

static void block_owned_signal(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, owned_signal());
  sigprocmask(SIG_BLOCK, &set, NULL);
}

// Waits up to 5 s for owned_signal() and prints which signal came, and why.
static void show_sigio(const char* key) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, owned_signal());
  siginfo_t si;
  memset(&si, 0, sizeof(si));
  struct timespec ts = {5, 0};
  const int r = sigtimedwait(&set, &si, &ts);
  if (r < 0)
    printf("%s=%s\n", key, strerrorname_np(errno));
  else
    printf("%s=RTMIN+%d code %s\n", key, r - SIGRTMIN, si.si_code == POLL_IN ? "POLL_IN" : "other");
}

// The box's own numbers as owners: the caller, a child, the caller's group.
static void owners_inside(void) {
  // Init leads its own group, numbered 1 (in the oracle, its group is outside until now).
  if (setpgid(0, 0) < 0) die("setpgid");
  struct armed a = arm(0, owned_signal());
  show("own_f_setown", fcntl(a.fds[0], F_SETOWN, getpid()));
  show("own_f_getown_raw", syscall(SYS_fcntl, a.fds[0], F_GETOWN));
  show_owner_ex("own_f_getown_ex", a.fds[0]);
  fire(&a);
  show_sigio("own_sigio");
  show("own_f_setown_group", fcntl(a.fds[0], F_SETOWN, -getpgrp()));
  // glibc reads F_GETOWN through F_GETOWN_EX, and group 1 comes back as -1 with errno untouched.
  errno = 0;
  const int group_owner = fcntl(a.fds[0], F_GETOWN);
  printf("own_f_getown_group=%d %s\n", group_owner, errno ? strerrorname_np(errno) : "no error");
  show_owner_ex("own_f_getown_ex_group", a.fds[0]);
  fire(&a);
  show_sigio("own_group_sigio");
  struct f_owner_ex me = {F_OWNER_TID, (pid_t)syscall(SYS_gettid)};
  show("own_f_setown_ex_tid", fcntl(a.fds[0], F_SETOWN_EX, &me));
  show_owner_ex("own_f_getown_ex_tid", a.fds[0]);
  fire(&a);
  show_sigio("own_tid_sigio");

  // A child owns the pipe, then (through FIOSETOWN) a socket, then its own group (SIOCSPGRP).
  struct armed s = arm(1, owned_signal());
  int gate[2];
  pid_t child = fork_gated(gate);
  if (child == 0) {
    if (setpgid(0, 0) < 0) die("setpgid child");
    await_eof(gate[0]);
    show_sigio("child_pipe_sigio");
    show_sigio("child_socket_sigio");
    show_sigio("child_group_sigio");
    _exit(0);
  }
  setpgid(child, child);
  show("child_f_setown", fcntl(a.fds[0], F_SETOWN, child));
  show("child_f_getown_raw", syscall(SYS_fcntl, a.fds[0], F_GETOWN));
  show_owner_ex("child_f_getown_ex", a.fds[0]);
  fire(&a);
  show_owner_ioctl("child_fiosetown", s.fds[0], FIOSETOWN, child);
  int owner = -1;
  show("child_fiogetown", ioctl(s.fds[0], FIOGETOWN, &owner));
  printf("child_fiogetown_value=%d\n", owner);
  fire(&s);
  show_owner_ioctl("child_siocspgrp_group", s.fds[0], SIOCSPGRP, -child);
  owner = -1;
  show("child_siocgpgrp", ioctl(s.fds[0], SIOCGPGRP, &owner));
  printf("child_siocgpgrp_value=%d\n", owner);
  fire(&s);
  close(gate[1]);
  wait_exited(child);
  // The owner is gone: the kernel reports no owner.
  show("reaped_child_f_getown", fcntl(a.fds[0], F_GETOWN));
  disarm(&a);
  disarm(&s);
}

// pidfd_send_signal(PIDFD_SIGNAL_PROCESS_GROUP) signals the group numbered as the pidfd's
// process: init's (init leads it since owners_inside), whose other member gets SIGTERM while init,
// which neither handles nor blocks it, discards it; a process that leads no group has none.
static void pidfd_group_signal(void) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, NULL);  // the member inherits it blocked
  int gate[2];
  const pid_t member = fork_gated(gate);
  if (member == 0) {
    await_eof(gate[0]);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    struct timespec ts = {5, 0};
    const int r = sigtimedwait(&term, &si, &ts);
    if (r < 0)
      printf("group_member_got=%s\n", strerrorname_np(errno));
    else
      printf("group_member_got=%s from %d\n", sigabbrev_np(r), si.si_pid);
    _exit(0);
  }
  sigprocmask(SIG_UNBLOCK, &term, NULL);
  const long own = syscall(SYS_pidfd_open, getpid(), 0);
  const long theirs = syscall(SYS_pidfd_open, member, 0);
  if (own < 0 || theirs < 0) die("pidfd_open");
  show("pidfd_group_not_leader", syscall(SYS_pidfd_send_signal, theirs, SIGTERM, NULL, 4));
  show("pidfd_group_init", syscall(SYS_pidfd_send_signal, own, SIGTERM, NULL, 4));
  close(gate[1]);
  wait_exited(member);
  close((int)own);
  close((int)theirs);
}

// The same numbers from memory the caller cannot write (the box must still give the kernel its
// translation, and put the caller's own number back).
static void owners_read_only(pid_t outside) {
  int* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) die("mmap");
  page[0] = outside;
  page[1] = -outside;
  page[2] = F_OWNER_PID;
  page[3] = outside;
  page[4] = getpid();
  if (mprotect(page, 4096, PROT_READ) < 0) die("mprotect");
  struct armed s = arm(1, SIGUSR1);
  show("read_only_fiosetown", ioctl(s.fds[0], FIOSETOWN, &page[0]));
  fire(&s);
  show("read_only_siocspgrp_group", ioctl(s.fds[0], SIOCSPGRP, &page[1]));
  fire(&s);
  show("read_only_f_setown_ex", fcntl(s.fds[0], F_SETOWN_EX, &page[2]));
  fire(&s);
  show("read_only_own_fiosetown", ioctl(s.fds[0], FIOSETOWN, &page[4]));
  int owner = -1;
  show("read_only_own_fiogetown", ioctl(s.fds[0], FIOGETOWN, &owner));
  printf("read_only_own_fiogetown_value=%d\n", owner);
  printf("read_only_values_kept=%d\n", page[0] == outside && page[1] == -outside &&
                                           page[2] == F_OWNER_PID && page[3] == outside &&
                                           page[4] == getpid());
  disarm(&s);
  munmap(page, 4096);
}

// Another thread keeps writing the outside number where the owner is read, while the box's own
// number is being set: whatever the timing, the kernel must never take the outside one. Only
// the witness's state (checked by the runner) says how it went; the calls' results race.
static volatile int race_value;
static struct f_owner_ex race_owner = {F_OWNER_PID, 0};
static volatile int race_over;
static int race_outside;

static void* race_writer(void* unused) {
  (void)unused;
  volatile int* owner_pid = &race_owner.pid;
  while (!race_over) {
    race_value = race_outside;
    *owner_pid = race_outside;
    race_value = getpid();
    *owner_pid = getpid();
  }
  return NULL;
}

static void owners_raced(pid_t outside) {
  race_outside = outside;
  race_value = race_owner.pid = getpid();
  pthread_t writer;
  if (pthread_create(&writer, NULL, race_writer, NULL) != 0) die("pthread_create");
  // SIGWINCH: were the box's own number read untranslated, it would name a process of the
  // runner, which ignores this signal; the witness, blocking it, keeps it pending.
  struct armed s = arm(1, SIGWINCH);
  for (int i = 0; i < 300; ++i) {
    ioctl(s.fds[0], FIOSETOWN, &race_value);
    fire(&s);
    fcntl(s.fds[0], F_SETOWN_EX, &race_owner);
    fire(&s);
  }
  race_over = 1;
  pthread_join(writer, NULL);
  fcntl(s.fds[0], F_SETOWN, 0);
  disarm(&s);
  printf("owners_raced=done\n");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(15);
  block_owned_signal();
  const pid_t witness = outside_witness();
  printf("witness_is_not_ours=%d\n", witness > 1);
  owners_outside(witness);
  owners_read_only(witness);
  owners_raced(witness);
  calls_outside(witness);
  owners_inside();
  pidfd_group_signal();
  return 0;
}
