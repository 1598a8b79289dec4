// ptrace_attach: who may trace whom, and the errors of requests that name the wrong task.
// PTRACE_TRACEME, PTRACE_ATTACH and PTRACE_SEIZE (their options, a zombie, a task traced
// already, the caller itself and its own threads), the access rules for other users (ids,
// dumpable, CAP_SYS_PTRACE, PR_SET_PTRACER), requests from the wrong thread or process or to a
// running tracee, TracerPid, and process_vm_readv and /proc/<n>/mem between box processes;
// nothing outside the box may be reached.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "common.h"

static volatile long marker = 0x5eed;

// The TracerPid line of /proc/<pid>/status.
static long tracer_pid(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE* f = fopen(path, "re");
  if (!f) return -1;
  long tracer = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "TracerPid: %ld", &tracer) == 1) break;
  fclose(f);
  return tracer;
}

// A child that waits on a pipe until the parent closes it.
static pid_t sleeper(int gate[2]) {
  pid_t p = fork_gated(gate);
  if (p == 0) {
    await_eof(gate[0]);
    _exit(0);
  }
  return p;
}

static void finish(pid_t child, int gate[2]) {
  close(gate[1]);
  int status;
  waitpid(child, &status, __WALL);
}

static pid_t traced_child;
static void* ptrace_from_thread(void* arg) {
  struct user_regs_struct regs;
  *(long*)arg = ptrace(PTRACE_GETREGS, traced_child, 0, &regs) < 0 ? -errno : 0;
  return NULL;
}
static void* attach_main_thread(void* arg) {
  *(long*)arg = ptrace(PTRACE_ATTACH, getpid(), 0, 0) < 0 ? -errno : 0;
  return NULL;
}

static void show_result(const char* key, long r) {
  if (r < 0) {
    errno = (int)-r;
    show(key, -1);
  } else {
    show(key, r);
  }
}

static void traceme_rules(void) {
  pid_t child = fork_flushed();
  if (child == 0) {
    show("traceme", ptrace(PTRACE_TRACEME, 0, 0, 0));
    show("traceme_again", ptrace(PTRACE_TRACEME, 0, 0, 0));
    fflush(stdout);
    _exit(0);
  }
  int status;
  show("traceme_child_wait", waitpid(child, &status, 0) == child && WIFEXITED(status));
}

static void self_and_outside(void) {
  show("attach_self", ptrace(PTRACE_ATTACH, getpid(), 0, 0));
  show("seize_self", ptrace(PTRACE_SEIZE, getpid(), 0, 0));
  pthread_t t;
  long r = 0;
  pthread_create(&t, NULL, attach_main_thread, &r);
  pthread_join(t, NULL);
  show_result("attach_own_thread_group", r);
  const pid_t outside = outside_witness();
  show("attach_outside", ptrace(PTRACE_ATTACH, outside, 0, 0));
  show("seize_outside", ptrace(PTRACE_SEIZE, outside, 0, 0));
  show("cont_outside", ptrace(PTRACE_CONT, outside, 0, 0));
  show("kill_outside", ptrace(PTRACE_KILL, outside, 0, 0));
  show("attach_nonexistent", ptrace(PTRACE_ATTACH, 99999, 0, 0));
  show("attach_zero", ptrace(PTRACE_ATTACH, 0, 0, 0));
  long word = 0;
  struct iovec local = {&word, sizeof word}, remote = {(void*)&marker, sizeof word};
  show("process_vm_readv_outside", process_vm_readv(outside, &local, 1, &remote, 1, 0));
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", (int)outside);
  show("open_mem_outside", open(path, O_RDONLY));
}

static void attach_and_requests(void) {
  int gate[2];
  const pid_t child = sleeper(gate);
  traced_child = child;
  struct user_regs_struct regs;
  show("getregs_untraced", ptrace(PTRACE_GETREGS, child, 0, &regs));
  show("attach", ptrace(PTRACE_ATTACH, child, 0, 0));
  int status = 0;
  show("attach_wait", waitpid(child, &status, 0));
  show("attach_stopped", WIFSTOPPED(status));
  show("attach_stopsig", WSTOPSIG(status));
  siginfo_t info;
  memset(&info, 0, sizeof info);
  show("attach_getsiginfo", ptrace(PTRACE_GETSIGINFO, child, 0, &info));
  show("attach_si_signo", info.si_signo);
  show("attach_si_code", info.si_code);
  show("attach_si_pid", info.si_pid);
  show("attach_again", ptrace(PTRACE_ATTACH, child, 0, 0));
  show("seize_traced", ptrace(PTRACE_SEIZE, child, 0, 0));
  show("tracer_pid", tracer_pid(child));
  show("getregs", ptrace(PTRACE_GETREGS, child, 0, &regs));
  // The tracer is a thread: another thread of the same process may not make requests.
  pthread_t t;
  long r = 0;
  pthread_create(&t, NULL, ptrace_from_thread, &r);
  pthread_join(t, NULL);
  show_result("getregs_other_thread", r);
  // Another process neither.
  pid_t other = fork_flushed();
  if (other == 0) {
    show("other_attach", ptrace(PTRACE_ATTACH, child, 0, 0));
    show("other_cont", ptrace(PTRACE_CONT, child, 0, 0));
    fflush(stdout);
    _exit(0);
  }
  wait_exited(other);
  show("interrupt_not_seized", ptrace(PTRACE_INTERRUPT, child, 0, 0));
  show("listen_not_seized", ptrace(PTRACE_LISTEN, child, 0, 0));
  show("cont_bad_signal", ptrace(PTRACE_CONT, child, 0, 65));
  show("detach_bad_signal", ptrace(PTRACE_DETACH, child, 0, 65));
  show("setoptions_bad", ptrace(PTRACE_SETOPTIONS, child, 0, 1 << 30));
  show("bad_request", ptrace((enum __ptrace_request)0x4fff, child, 0, 0));
  show("peekdata", ptrace(PTRACE_PEEKDATA, child, &marker, 0) == 0x5eed);
  show("peekdata_unmapped", ptrace(PTRACE_PEEKDATA, child, (void*)8, 0));
  show("detach", ptrace(PTRACE_DETACH, child, 0, 0));
  show("tracer_pid_after_detach", tracer_pid(child));
  show("getregs_after_detach", ptrace(PTRACE_GETREGS, child, 0, &regs));

  // PTRACE_SEIZE: its address must be 0 and its options known; it does not stop the tracee.
  show("seize_addr", ptrace(PTRACE_SEIZE, child, 1, 0));
  show("seize_bad_options", ptrace(PTRACE_SEIZE, child, 0, 1 << 30));
  show("seize", ptrace(PTRACE_SEIZE, child, 0, PTRACE_O_TRACESYSGOOD));
  show("getregs_running", ptrace(PTRACE_GETREGS, child, 0, &regs));
  show("wait_running", waitpid(child, &status, WNOHANG | __WALL));
  show("interrupt", ptrace(PTRACE_INTERRUPT, child, 0, 0));
  show("interrupt_wait", waitpid(child, &status, __WALL));
  show("interrupt_event", status >> 16);
  show("interrupt_stopsig", WSTOPSIG(status));
  memset(&info, 0, sizeof info);
  show("interrupt_getsiginfo", ptrace(PTRACE_GETSIGINFO, child, 0, &info));
  show("interrupt_si_code", info.si_code);
  show("interrupt_si_pid", info.si_pid);
  show("listen_interrupt_stop", ptrace(PTRACE_LISTEN, child, 0, 0));
  show("getregs_listening", ptrace(PTRACE_GETREGS, child, 0, &regs));
  show("interrupt_listening", ptrace(PTRACE_INTERRUPT, child, 0, 0));
  show("interrupt_listening_wait", waitpid(child, &status, __WALL));
  show("interrupt_listening_event", status >> 16);
  show("detach_seized", ptrace(PTRACE_DETACH, child, 0, 0));
  finish(child, gate);
}

static void zombie(void) {
  pid_t child = fork_flushed();
  if (child == 0) _exit(0);
  // Until it is a zombie: waitid with WNOWAIT reports it without reaping.
  siginfo_t info;
  waitid(P_PID, child, &info, WEXITED | WNOWAIT);
  show("attach_zombie", ptrace(PTRACE_ATTACH, child, 0, 0));
  show("seize_zombie", ptrace(PTRACE_SEIZE, child, 0, 0));
  wait_exited(child);
}

// As another user: real ids must match all of the target's, the target must be dumpable, and
// CAP_SYS_PTRACE overrides both. Without Yama, PR_SET_PTRACER is EINVAL and changes nothing.
static void become_nobody(void) {
  if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) _exit(97);
}

static void read_byte(int fd) {
  char c;
  while (read(fd, &c, 1) < 0 && errno == EINTR) {
  }
}

static void other_users(void) {
  if (getuid() != 0) return;
  int make_dumpable[2], dumpable[2], gate[2];
  if (pipe(make_dumpable) < 0 || pipe(dumpable) < 0 || pipe(gate) < 0) die("pipe");
  const pid_t nobody = fork_flushed();
  if (nobody == 0) {
    become_nobody();  // not dumpable now: it changed its ids
    read_byte(make_dumpable[0]);
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (write(dumpable[1], "x", 1) != 1) _exit(96);
    close(gate[1]);
    await_eof(gate[0]);
    _exit(0);
  }
  const pid_t prober = fork_flushed();
  if (prober == 0) {
    become_nobody();
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    show("nobody_attach_root", ptrace(PTRACE_ATTACH, getppid(), 0, 0));
    show("nobody_attach_undumpable", ptrace(PTRACE_SEIZE, nobody, 0, 0));
    show("nobody_set_ptracer", prctl(PR_SET_PTRACER, getppid(), 0, 0, 0));
    long word = 0;
    struct iovec local = {&word, sizeof word}, remote = {(void*)&marker, sizeof word};
    show("nobody_vm_readv_root", process_vm_readv(getppid(), &local, 1, &remote, 1, 0));
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)getppid());
    show("nobody_open_root_mem", open(path, O_RDONLY));
    if (write(make_dumpable[1], "x", 1) != 1) _exit(96);
    read_byte(dumpable[0]);
    show("nobody_attach_dumpable", ptrace(PTRACE_SEIZE, nobody, 0, 0));
    show("nobody_detach", ptrace(PTRACE_INTERRUPT, nobody, 0, 0) == 0 &&
                              waitpid(nobody, NULL, __WALL) == nobody &&
                              ptrace(PTRACE_DETACH, nobody, 0, 0) == 0);
    fflush(stdout);
    _exit(0);
  }
  wait_exited(prober);
  show("root_attach_nobody", ptrace(PTRACE_SEIZE, nobody, 0, 0));
  show("root_detach_nobody", ptrace(PTRACE_INTERRUPT, nobody, 0, 0) == 0 &&
                                 waitpid(nobody, NULL, __WALL) == nobody &&
                                 ptrace(PTRACE_DETACH, nobody, 0, 0) == 0);
  close(gate[1]);
  wait_exited(nobody);
  close(make_dumpable[0]);
  close(make_dumpable[1]);
  close(dumpable[0]);
  close(dumpable[1]);
  close(gate[0]);
}

// Memory between box processes: the kernel's own checks, as for any two processes.
static void memory_access(void) {
  int gate[2];
  const pid_t child = sleeper(gate);
  long word = 0;
  struct iovec local = {&word, sizeof word}, remote = {(void*)&marker, sizeof word};
  show("vm_readv_child", process_vm_readv(child, &local, 1, &remote, 1, 0));
  show("vm_readv_value", word == 0x5eed);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", (int)child);
  int fd = open(path, O_RDONLY);
  show("open_child_mem", fd >= 0 ? 0 : -1);
  word = 0;
  show("pread_child_mem", fd >= 0 ? pread(fd, &word, sizeof word, (off_t)(long)&marker) : -1);
  show("pread_value", word == 0x5eed);
  if (fd >= 0) close(fd);
  finish(child, gate);
}

int main(void) {
  traceme_rules();
  self_and_outside();
  attach_and_requests();
  zombie();
  other_users();
  memory_access();
  return 0;
}
