// ptrace_stops: each kind of stop a tracer sees and its wait status: signal-delivery stops and
// their siginfo, syscall-entry and -exit stops (with and without PTRACE_O_TRACESYSGOOD, and the
// registers and PTRACE_GET_SYSCALL_INFO they show: the program's own numbers), the fork, vfork,
// clone, vfork-done, exec and exit events and their messages, the auto-attach of children, group
// stops with PTRACE_LISTEN and SIGCONT, PTRACE_INTERRUPT, waitid's view (WNOWAIT, WSTOPPED),
// PTRACE_KILL, and the SIGCHLD a tracer gets for a stop.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "common.h"

static char* self_path;

// The last SIGCHLD the tracer got.
static volatile sig_atomic_t chld_code, chld_pid, chld_status;
static void on_sigchld(int sig, siginfo_t* info, void* context) {
  (void)sig;
  (void)context;
  chld_code = info->si_code;
  chld_pid = info->si_pid;
  chld_status = info->si_status;
}

static int wait_for(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, __WALL) != pid) die("waitpid");
  return status;
}

static void show_siginfo(const char* prefix, pid_t pid) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  char key[64];
  snprintf(key, sizeof key, "%s_getsiginfo", prefix);
  show(key, ptrace(PTRACE_GETSIGINFO, pid, 0, &info));
  printf("%s_siginfo=%d,%d,%d\n", prefix, info.si_signo, info.si_code, (int)info.si_pid);
}

// Signal-delivery stops of a child that did PTRACE_TRACEME, and what they look like.
static void signal_stops(void) {
  pid_t child = fork_flushed();
  if (child == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGUSR1);  // suppressed by the tracer
    kill(getpid(), SIGUSR2);
    printf("child_survived_signals=1\n");
    fflush(stdout);
    _exit(3);
  }
  int status = wait_for(child);
  printf("usr1_status=%#x\n", status);
  printf("usr1_sigchld=%d,%d,%d\n", (int)chld_code, (int)chld_pid, (int)chld_status);
  show_siginfo("usr1", child);
  long msg = -1;
  show("usr1_geteventmsg", ptrace(PTRACE_GETEVENTMSG, child, 0, &msg));
  show("usr1_eventmsg", msg);
  show("cont_suppress", ptrace(PTRACE_CONT, child, 0, 0));
  status = wait_for(child);
  printf("usr2_status=%#x\n", status);
  show_siginfo("usr2", child);
  show("cont_suppress2", ptrace(PTRACE_CONT, child, 0, 0));
  status = wait_for(child);
  printf("signal_child_exit=%#x\n", status);
  printf("exit_sigchld_code=%d\n", (int)chld_code);
}

// Syscall stops. The child makes calls whose arguments and results are pids: the tracer sees
// the program's numbers at entry and at exit, never what the kernel was given.
static void syscall_stops(void) {
  pid_t child = fork_flushed();
  if (child == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    syscall(SYS_getppid);
    syscall(SYS_kill, getppid(), 0);
    syscall(SYS_getpid);
    pid_t g = fork();
    if (g == 0) _exit(0);
    syscall(SYS_wait4, g, NULL, 0, NULL);
    _exit(0);
  }
  wait_for(child);
  // Without PTRACE_O_TRACESYSGOOD a syscall stop is a plain SIGTRAP, and PTRACE_GET_SYSCALL_INFO
  // does not describe it.
  show("plain_syscall", ptrace(PTRACE_SYSCALL, child, 0, 0));
  int status = wait_for(child);
  printf("plain_syscall_status=%#x\n", status);
  struct __ptrace_syscall_info si;
  memset(&si, 0, sizeof si);
  show("plain_syscall_info", ptrace(PTRACE_GET_SYSCALL_INFO, child, sizeof si, &si));
  show("plain_syscall_op", si.op);
  show("setoptions_sysgood", ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACESYSGOOD));
  int entries = 0, exits = 0;
  for (;;) {
    if (ptrace(PTRACE_SYSCALL, child, 0, 0) != 0) die("PTRACE_SYSCALL");
    status = wait_for(child);
    if (WIFEXITED(status)) break;
    if (!WIFSTOPPED(status) || WSTOPSIG(status) != (SIGTRAP | 0x80)) continue;
    memset(&si, 0, sizeof si);
    ptrace(PTRACE_GET_SYSCALL_INFO, child, sizeof si, &si);
    struct user_regs_struct regs;
    ptrace(PTRACE_GETREGS, child, 0, &regs);
    long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, child, 0, &msg);
    const long nr = (long)regs.orig_rax;
    const char* name = nr == SYS_getppid  ? "getppid"
                       : nr == SYS_kill   ? "kill"
                       : nr == SYS_getpid ? "getpid"
                       : nr == SYS_wait4  ? "wait4"
                       : nr == SYS_clone  ? "clone"
                                          : NULL;
    if (si.op == PTRACE_SYSCALL_INFO_ENTRY) {
      ++entries;
      if (name)
        printf("entry_%s=status:%#x msg:%ld nr:%lld arg0:%lld rdi:%lld\n", name, status, msg,
               (long long)si.entry.nr, (long long)(int)si.entry.args[0], (long long)(int)regs.rdi);
    } else if (si.op == PTRACE_SYSCALL_INFO_EXIT) {
      ++exits;
      if (name)
        printf("exit_%s=msg:%ld rval:%lld error:%d rax:%lld rdi:%lld\n", name, msg,
               (long long)si.exit.rval, si.exit.is_error, (long long)regs.rax,
               (long long)(int)regs.rdi);
    }
  }
  // Every entry has its exit but the last one's (exit_group).
  show("syscall_entries_minus_exits", entries - exits);
}

// Events and auto-attach, seen by a seizing tracer. Each task's stops are printed in order, by
// task: the order between tasks is the scheduler's.
#define MAX_TASKS 8
#define MAX_EVENTS 16
static struct {
  pid_t pid;
  int n;
  char text[MAX_EVENTS][48];
} tasks[MAX_TASKS];

static void record(pid_t pid, const char* text) {
  for (int i = 0; i < MAX_TASKS; ++i) {
    if (tasks[i].pid != pid && tasks[i].pid != 0) continue;
    tasks[i].pid = pid;
    if (tasks[i].n < MAX_EVENTS) snprintf(tasks[i].text[tasks[i].n++], 48, "%s", text);
    return;
  }
}

static void* short_thread(void* arg) {
  return arg;
}

static void event_child(int gate[2]) {
  await_eof(gate[0]);
  pid_t g = fork();
  if (g == 0) _exit(5);
  waitpid(g, NULL, 0);
  pid_t v = vfork();
  if (v == 0) _exit(6);
  waitpid(v, NULL, 0);
  pthread_t t;
  pthread_create(&t, NULL, short_thread, NULL);
  pthread_join(t, NULL);
  execl(self_path, self_path, "exit4", (char*)NULL);
  _exit(98);
}

static void events(void) {
  int gate[2];
  pid_t child = fork_gated(gate);
  if (child == 0) event_child(gate);
  const long options = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                       PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT |
                       PTRACE_O_TRACEVFORKDONE;
  show("seize_events", ptrace(PTRACE_SEIZE, child, 0, options));
  close(gate[1]);
  // Until the child and every task seen (or announced by an event) is gone: which task a wait
  // reports first is the scheduler's.
  pid_t live[MAX_TASKS] = {child};
  int nlive = 1;
  int child_gone = 0;
  while (!child_gone || nlive > 0) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, __WALL);
    if (pid < 0) die("waitpid events");
    char text[48];
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      snprintf(text, sizeof text, "gone:%#x", status);
      record(pid, text);
      for (int i = 0; i < nlive; ++i)
        if (live[i] == pid) live[i--] = live[--nlive];
      child_gone |= pid == child;
      continue;
    }
    int known = 0;
    for (int i = 0; i < nlive; ++i) known |= live[i] == pid;
    for (int i = 0; i < MAX_TASKS; ++i) known |= tasks[i].pid == pid;
    if (!known && nlive < MAX_TASKS) live[nlive++] = pid;
    const int event = status >> 16;
    unsigned long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
    int resume_signal = 0;
    if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
      // The new task is attached and will report, unless it has already.
      int seen = 0;
      for (int i = 0; i < MAX_TASKS; ++i) seen |= tasks[i].pid == (pid_t)msg;
      if (!seen && nlive < MAX_TASKS) live[nlive++] = (pid_t)msg;
      snprintf(text, sizeof text, "event%d:%lu", event, msg);
    } else if (event == PTRACE_EVENT_EXEC || event == PTRACE_EVENT_VFORK_DONE) {
      snprintf(text, sizeof text, "event%d:%lu", event, msg);
    } else if (event == PTRACE_EVENT_EXIT) {
      snprintf(text, sizeof text, "event%d:%#lx", event, msg);
    } else if (event == PTRACE_EVENT_STOP) {
      snprintf(text, sizeof text, "stop:%d", WSTOPSIG(status));
    } else {
      resume_signal = WSTOPSIG(status);
      snprintf(text, sizeof text, "signal:%d:%lu", resume_signal, msg);
    }
    record(pid, text);
    ptrace(PTRACE_CONT, pid, 0, resume_signal);
  }
  // By number: which task reports first is the scheduler's choice.
  for (int i = 0; i < MAX_TASKS && tasks[i].pid; ++i)
    for (int j = i + 1; j < MAX_TASKS && tasks[j].pid; ++j)
      if (tasks[j].pid < tasks[i].pid) {
        const __typeof__(tasks[0]) swap = tasks[i];
        tasks[i] = tasks[j];
        tasks[j] = swap;
      }
  for (int i = 0; i < MAX_TASKS && tasks[i].pid; ++i) {
    printf("task_%d=", (int)tasks[i].pid);
    for (int j = 0; j < tasks[i].n; ++j) printf(j ? " %s" : "%s", tasks[i].text[j]);
    printf("\n");
  }
}

// A group-stop of a seized tracee: the stop signal's delivery stop, then PTRACE_EVENT_STOP with
// it, PTRACE_LISTEN, and SIGCONT ending the stop.
static void group_stop(void) {
  int gate[2];
  pid_t child = fork_gated(gate);
  if (child == 0) {
    await_eof(gate[0]);
    _exit(0);
  }
  ptrace(PTRACE_SEIZE, child, 0, 0);
  kill(child, SIGSTOP);
  int status = wait_for(child);
  printf("group_delivery=%#x\n", status);
  ptrace(PTRACE_CONT, child, 0, SIGSTOP);
  status = wait_for(child);
  printf("group_stop=%#x\n", status);
  printf("group_sigchld_code=%d\n", (int)chld_code);
  show_siginfo("group", child);
  show("listen", ptrace(PTRACE_LISTEN, child, 0, 0));
  show("listening_wnohang", waitpid(child, &status, WNOHANG | __WALL));
  kill(child, SIGCONT);
  status = wait_for(child);
  printf("after_sigcont=%#x\n", status);
  ptrace(PTRACE_CONT, child, 0, 0);
  status = wait_for(child);
  printf("sigcont_delivery=%#x\n", status);
  ptrace(PTRACE_CONT, child, 0, 0);
  // waitid sees a ptrace-stop as CLD_TRAPPED, and WNOWAIT leaves it for the next wait.
  kill(child, SIGWINCH);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  show("waitid_nowait", waitid(P_PID, child, &info, WSTOPPED | WNOWAIT | __WALL));
  printf("waitid_info=%d,%d,%d,%d\n", info.si_signo, info.si_code, (int)info.si_pid,
         info.si_status);
  show("after_nowait", waitpid(child, &status, __WALL));
  printf("after_nowait_status=%#x\n", status);
  show("after_reported", waitpid(child, &status, WNOHANG | __WALL));
  ptrace(PTRACE_CONT, child, 0, 0);
  close(gate[1]);
  status = wait_for(child);
  printf("group_child_exit=%#x\n", status);
}

// PTRACE_KILL ends a tracee, stopped or not.
static void ptrace_kill(void) {
  int gate[2];
  pid_t child = fork_gated(gate);
  if (child == 0) {
    await_eof(gate[0]);
    _exit(0);
  }
  ptrace(PTRACE_SEIZE, child, 0, 0);
  show("ptrace_kill", ptrace(PTRACE_KILL, child, 0, 0));
  int status = wait_for(child);
  printf("killed_status=%#x\n", status);
  close(gate[1]);
}

// Requests on a stopped tracee: register sets, floating-point registers, text and the user area
// (a hardware watchpoint through the debug registers), a single step, signal masks, the queue of
// pending signals, and a siginfo the tracer writes.
static volatile int watched;
static volatile sig_atomic_t handled_code, handled_pid;
static void on_usr2(int sig, siginfo_t* info, void* context) {
  (void)sig;
  (void)context;
  handled_code = info->si_code;
  handled_pid = info->si_pid;
}

static void requests(void) {
  const pid_t child = fork_flushed();
  if (child == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr2;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    kill(getpid(), SIGUSR1);  // blocked: stays pending
    raise(SIGSTOP);
    watched = 1;  // the watchpoint's write
    raise(SIGUSR2);
    printf("handled_siginfo=%d,%d\n", (int)handled_code, (int)handled_pid);
    fflush(stdout);
    _exit(0);
  }
  wait_for(child);  // SIGSTOP
  struct user_regs_struct regs, again;
  show("getregs", ptrace(PTRACE_GETREGS, child, 0, &regs));
  struct iovec iov = {&again, sizeof again};
  show("getregset_prstatus", ptrace(PTRACE_GETREGSET, child, NT_PRSTATUS, &iov));
  show("getregset_prstatus_len", (long)iov.iov_len);
  show("getregset_same_rip", again.rip == regs.rip);
  errno = 0;
  const long rip = ptrace(PTRACE_PEEKUSER, child, offsetof(struct user_regs_struct, rip), 0);
  show("peekuser_rip_same", errno == 0 && (unsigned long)rip == regs.rip);
  show("setregs", ptrace(PTRACE_SETREGS, child, 0, &regs));
  struct user_fpregs_struct fp;
  show("getfpregs", ptrace(PTRACE_GETFPREGS, child, 0, &fp));
  show("setfpregs", ptrace(PTRACE_SETFPREGS, child, 0, &fp));
  struct user_fpregs_struct fp_set;
  iov.iov_base = &fp_set;
  iov.iov_len = sizeof fp_set;
  show("getregset_fpregset", ptrace(PTRACE_GETREGSET, child, NT_FPREGSET, &iov));
  show("getregset_fpregset_len", (long)iov.iov_len);
  show("fpregset_same", memcmp(&fp_set, &fp, sizeof fp) == 0);
  static unsigned char xstate[16384];
  iov.iov_base = xstate;
  iov.iov_len = sizeof xstate;
  show("getregset_xstate", ptrace(PTRACE_GETREGSET, child, NT_X86_XSTATE, &iov));
  show("setregset_xstate", ptrace(PTRACE_SETREGSET, child, NT_X86_XSTATE, &iov));
  iov.iov_len = 8;  // shorter than the set: the kernel copies less
  show("getregset_short", ptrace(PTRACE_GETREGSET, child, NT_PRSTATUS, &iov));
  show("getregset_short_len", (long)iov.iov_len);
  show("getregset_bad_type", ptrace(PTRACE_GETREGSET, child, 0x7777, &iov));
  // Text: a word written and read back.
  const long word = ptrace(PTRACE_PEEKTEXT, child, &watched, 0);
  show("poketext", ptrace(PTRACE_POKETEXT, child, &watched, word | 0x40));
  show("peektext_back", ptrace(PTRACE_PEEKTEXT, child, &watched, 0) == (word | 0x40));
  show("poketext_restore", ptrace(PTRACE_POKETEXT, child, &watched, word));
  // Signal masks and the queue.
  unsigned long long mask = 0;
  show("getsigmask", ptrace(PTRACE_GETSIGMASK, child, sizeof mask, &mask));
  show("sigmask_usr1", (mask >> (SIGUSR1 - 1)) & 1);
  show("getsigmask_bad_size", ptrace(PTRACE_GETSIGMASK, child, 4, &mask));
  struct __ptrace_peeksiginfo_args peek = {0, PTRACE_PEEKSIGINFO_SHARED, 4};
  siginfo_t queued[4];
  memset(queued, 0, sizeof queued);
  show("peeksiginfo", ptrace(PTRACE_PEEKSIGINFO, child, &peek, queued));
  printf("peeksiginfo_first=%d,%d,%d\n", queued[0].si_signo, queued[0].si_code,
         (int)queued[0].si_pid);
  show("setsigmask", ptrace(PTRACE_SETSIGMASK, child, sizeof mask, &mask));
  // A hardware watchpoint on `watched`: DR0 its address, DR7 enables a 4-byte write watch.
  const long dr = offsetof(struct user, u_debugreg);
  show("pokeuser_dr0", ptrace(PTRACE_POKEUSER, child, dr, &watched));
  show("pokeuser_dr7", ptrace(PTRACE_POKEUSER, child, dr + 7 * sizeof(long), 0x000d0001));
  show("peekuser_dr7", ptrace(PTRACE_PEEKUSER, child, dr + 7 * sizeof(long), 0));
  show("pokeuser_bad_offset", ptrace(PTRACE_POKEUSER, child, 3, 0));
  ptrace(PTRACE_CONT, child, 0, 0);
  int status = wait_for(child);
  printf("watchpoint_stop=%#x\n", status);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  ptrace(PTRACE_GETSIGINFO, child, 0, &info);
  show("watchpoint_si_code", info.si_code);
  const long dr6 = ptrace(PTRACE_PEEKUSER, child, dr + 6 * sizeof(long), 0);
  show("dr6_hit_0", dr6 & 1);
  ptrace(PTRACE_POKEUSER, child, dr + 7 * sizeof(long), 0);
  // One instruction at a time.
  ptrace(PTRACE_GETREGS, child, 0, &regs);
  show("singlestep", ptrace(PTRACE_SINGLESTEP, child, 0, 0));
  status = wait_for(child);
  printf("singlestep_stop=%#x\n", status);
  ptrace(PTRACE_GETREGS, child, 0, &again);
  show("singlestep_moved", again.rip != regs.rip);
  ptrace(PTRACE_CONT, child, 0, 0);
  status = wait_for(child);  // SIGUSR2's delivery: the tracer writes its siginfo
  printf("usr2_stop=%#x\n", status);
  memset(&info, 0, sizeof info);
  ptrace(PTRACE_GETSIGINFO, child, 0, &info);
  info.si_code = SI_QUEUE;
  info.si_pid = 4242;
  show("setsiginfo", ptrace(PTRACE_SETSIGINFO, child, 0, &info));
  ptrace(PTRACE_CONT, child, 0, SIGUSR2);
  status = wait_for(child);
  printf("requests_child_exit=%#x\n", status);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "exit4") == 0) _exit(4);
  self_path = argv[0];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigchld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  signal_stops();
  syscall_stops();
  events();
  group_stop();
  ptrace_kill();
  requests();
  return 0;
}
