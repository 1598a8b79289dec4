// untraced_clone: children made in ways that could slip past a supervisor that follows the box by
// ptrace's automatic attach: clone() and clone3() with CLONE_UNTRACED (LeakSanitizer makes its
// helper task so), vfork(), a CLONE_VM thread made by a raw clone, and a process that installs a
// seccomp filter of its own. Each must see the box's numbers: getpid/getppid, the fork result its
// parent gets, what waitpid reports, the pids of its own children, kill() to its parent.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sysinfo.h>

#include "common.h"

// What a freshly made child reports: its own numbers, a kill of its parent with signal 0, and a
// fork of its own (the grandchild reports too). `key` prefixes every line.
static void child_report(const char* key) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%s_", key);
  show_prefixed(prefix, "getpid", getpid());
  show_prefixed(prefix, "getppid", getppid());
  show_prefixed(prefix, "gettid", gettid());
  show_prefixed(prefix, "kill_parent_0", kill(getppid(), 0));
  show_prefixed(prefix, "getpgid_parent", getpgid(getppid()));
  pid_t grandchild = fork_flushed();
  if (grandchild == 0) {
    snprintf(prefix, sizeof prefix, "%s_grandchild_", key);
    show_prefixed(prefix, "getpid", getpid());
    show_prefixed(prefix, "getppid", getppid());
    fflush(stdout);
    _exit(7);
  }
  show_prefixed(prefix, "fork", grandchild);
  int status = 0;
  show_prefixed(prefix, "waitpid", waitpid(grandchild, &status, 0));
  show_prefixed(prefix, "grandchild_exit", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  fflush(stdout);
}

static void parent_report(const char* key, long child) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%s_parent_", key);
  show_prefixed(prefix, "clone", child);
  int status = 0;
  show_prefixed(prefix, "waitpid", child > 0 ? waitpid((pid_t)child, &status, __WALL) : -1);
  show_prefixed(prefix, "exit", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  fflush(stdout);
}

static void by_clone(void) {
  fflush(stdout);
  long child = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
  if (child == 0) {
    child_report("clone_untraced");
    _exit(3);
  }
  parent_report("clone_untraced", child);
}

static void by_clone3(void) {
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.flags = CLONE_UNTRACED;
  args.exit_signal = SIGCHLD;
  fflush(stdout);
  long child = syscall(SYS_clone3, &args, sizeof(args));
  if (child == 0) {
    child_report("clone3_untraced");
    _exit(4);
  }
  parent_report("clone3_untraced", child);
}

// A clone3 with a larger (zero-padded) argument struct than the kernel's, as newer programs pass.
static void by_clone3_padded(void) {
  uint64_t words[16];
  memset(words, 0, sizeof(words));
  struct clone_args* args = (struct clone_args*)words;
  args->flags = CLONE_UNTRACED;
  args->exit_signal = SIGCHLD;
  fflush(stdout);
  long child = syscall(SYS_clone3, args, sizeof(words));
  if (child == 0) {
    child_report("clone3_padded");
    _exit(5);
  }
  parent_report("clone3_padded", child);
}

static void by_vfork(void) {
  fflush(stdout);
  // vfork's child borrows the parent's memory until it execs or exits: it only asks and writes.
  pid_t child = vfork();
  if (child == 0) {
    char line[96];
    int n = snprintf(line, sizeof line, "vfork_child_getpid=%d\nvfork_child_getppid=%d\n",
                     (int)getpid(), (int)getppid());
    if (write(STDOUT_FILENO, line, (size_t)n) < 0) _exit(1);
    _exit(6);
  }
  parent_report("vfork", child);
}

// A thread made by a raw clone(CLONE_VM | CLONE_THREAD | ...), without glibc's pthread_create.
static volatile int raw_thread_tid;
static volatile int raw_thread_pid;
static volatile pid_t raw_thread_clear = 1;

static int raw_thread_main(void* arg) {
  (void)arg;
  raw_thread_tid = (int)syscall(SYS_gettid);
  raw_thread_pid = (int)syscall(SYS_getpid);
  syscall(SYS_exit, 0);
  return 0;
}

static void by_raw_thread(void) {
  const size_t size = 64 * 1024;
  char* stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stack == MAP_FAILED) die("mmap");
  const int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                    CLONE_SYSVSEM | CLONE_CHILD_CLEARTID | CLONE_UNTRACED;
  long tid = clone(raw_thread_main, stack + size, flags, NULL, NULL, NULL, &raw_thread_clear);
  if (tid < 0) die("clone thread");
  // The kernel clears the word and wakes us when the thread is gone.
  while (raw_thread_clear != 0) syscall(SYS_futex, &raw_thread_clear, FUTEX_WAIT, 1, NULL);
  show("raw_thread_gettid", raw_thread_tid);
  show("raw_thread_getpid", raw_thread_pid);
  munmap(stack, size);
}

// A seccomp filter of the program's own: EPERM for uname(), everything else allowed, and
// SECCOMP_RET_TRACE for sysinfo() (with no tracer of its own, such a call fails with ENOSYS).
// sysinfo names no pid and no path: the box never traps it.
static long install_own_filter(unsigned flags) {
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sysinfo, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 7),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof(code) / sizeof(code[0]), code};
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static void own_filter(void) {
  pid_t child = fork_flushed();
  if (child == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("no_new_privs");
    show("own_filter_install", install_own_filter(0));
    // A second listener on the chain: EBUSY under a supervisor that has one (a known difference),
    // a descriptor in a pid namespace. Either way the box's own translation must go on.
    long listener = install_own_filter(SECCOMP_FILTER_FLAG_NEW_LISTENER);
    show("own_filter_listener", listener < 0 ? -1 : 0);
    if (listener >= 0) close((int)listener);
    show("own_filter_uname", syscall(SYS_uname, NULL));
    struct sysinfo info;
    show("own_filter_sysinfo", syscall(SYS_sysinfo, &info));
    child_report("own_filter");
    _exit(8);
  }
  parent_report("own_filter", child);
}

int main(void) {
  by_clone();
  by_clone3();
  by_clone3_padded();
  by_vfork();
  by_raw_thread();
  own_filter();
  show("init_getpid", getpid());
  return 0;
}
