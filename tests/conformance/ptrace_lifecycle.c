// ptrace_lifecycle: a tracer that is not its tracee's parent (and has no child of its own: its
// waits block, WNOHANG says 0, never ECHILD), the order of an exit's reports (the parent cannot
// reap it before the tracer has), a signal the tracer changes or gives at PTRACE_DETACH (and who
// it is from), the tracer's own exit (its tracees go on, or die with PTRACE_O_EXITKILL), and the
// SIGTRAP an exec gives a tracee that was not seized.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <sys/ptrace.h>

#include "common.h"

static char* self_path;

static int wait_for(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, __WALL) != pid) die("waitpid");
  return status;
}

static void write_byte(int fd) {
  if (write(fd, "x", 1) != 1) die("write");
}

static void read_byte(int fd) {
  char c;
  ssize_t n;
  do {
    n = read(fd, &c, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) die("read");
}

// T traces E; both are init's children, so T has none of its own. With PTRACE_O_TRACEEXIT, T
// also sees E stop at its exit first.
static void tracer_not_parent(int exit_event) {
  char prefix[16];
  snprintf(prefix, sizeof prefix, "%s", exit_event ? "x" : "");
  int release[2], told[2], checked[2];
  if (pipe(told) < 0 || pipe(checked) < 0) die("pipe");
  const pid_t e = fork_gated(release);
  if (e == 0) {
    await_eof(release[0]);
    _exit(9);
  }
  const pid_t t = fork_flushed();
  if (t == 0) {
    int status = 0;
    show_prefixed(prefix, "t_seize",
                  ptrace(PTRACE_SEIZE, e, 0, exit_event ? PTRACE_O_TRACEEXIT : 0));
    show_prefixed(prefix, "t_wnohang_only_tracees", waitpid(-1, &status, WNOHANG | __WALL));
    show("t_interrupt", ptrace(PTRACE_INTERRUPT, e, 0, 0));
    show("t_wait_blocks_for_tracee", waitpid(e, &status, __WALL) == e);
    printf("t_interrupt_status=%#x\n", status);
    show("t_wait_any_reported", waitpid(-1, &status, WNOHANG | __WALL));
    ptrace(PTRACE_CONT, e, 0, 0);
    close(release[1]);  // E exits
    if (exit_event) {
      show_prefixed(prefix, "t_exit_event", waitpid(e, &status, __WALL) == e);
      printf("%st_exit_event_status=%#x\n", prefix, status);
      unsigned long msg = 0;
      ptrace(PTRACE_GETEVENTMSG, e, 0, &msg);
      printf("%st_exit_event_msg=%#lx\n", prefix, msg);
      ptrace(PTRACE_CONT, e, 0, 0);
    }
    siginfo_t info;
    memset(&info, 0, sizeof info);
    show("t_waitid_nowait", waitid(P_PID, e, &info, WEXITED | WNOWAIT | __WALL));
    printf("t_exit_info=%d,%d,%d\n", info.si_code, (int)info.si_pid, info.si_status);
    write_byte(told[1]);
    read_byte(checked[0]);
    show("t_reap", waitpid(e, &status, __WALL) == e);
    printf("t_reaped_status=%#x\n", status);
    show("t_wait_after_reap", waitpid(-1, &status, WNOHANG | __WALL));
    fflush(stdout);
    _exit(0);
  }
  close(release[1]);  // only T releases E
  read_byte(told[0]);
  // The exit is the tracer's to report first: the parent cannot see it yet.
  int status = 0;
  show_prefixed(prefix, "parent_wnohang_before_tracer", waitpid(e, &status, WNOHANG));
  write_byte(checked[1]);
  wait_exited(t);
  show_prefixed(prefix, "parent_reaps", waitpid(e, &status, 0) == e);
  printf("%sparent_reaped_status=%#x\n", prefix, status);
  close(told[0]);
  close(told[1]);
  close(checked[0]);
  close(checked[1]);
}

// Which signal a tracee received, from whom.
static volatile sig_atomic_t got_signo, got_code, got_pid;
static void on_signal(int sig, siginfo_t* info, void* context) {
  (void)context;
  got_signo = sig;
  got_code = info->si_code;
  got_pid = info->si_pid;
}

// A signal the tracer gives in place of the one it stopped for is from the tracer; given at
// PTRACE_DETACH, from the tracee's parent (the tracer is gone by then).
static void changed_signals(void) {
  int stage[2], done[2];
  if (pipe(stage) < 0 || pipe(done) < 0) die("pipe");
  const pid_t e = fork_flushed();
  if (e == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    write_byte(done[1]);  // ready for the signals
    for (int round = 0; round < 2; ++round) {
      read_byte(stage[0]);
      printf("e_round%d_signal=%d,%d,%d\n", round, (int)got_signo, (int)got_code, (int)got_pid);
      fflush(stdout);
      write_byte(done[1]);
    }
    _exit(0);
  }
  const pid_t t = fork_flushed();
  if (t == 0) {
    read_byte(done[0]);
    ptrace(PTRACE_SEIZE, e, 0, 0);
    kill(e, SIGUSR1);
    printf("t_usr1_stop=%#x\n", wait_for(e));
    show("t_cont_as_usr2", ptrace(PTRACE_CONT, e, 0, SIGUSR2));
    write_byte(stage[1]);
    read_byte(done[0]);
    kill(e, SIGUSR1);
    printf("t_usr1_stop_again=%#x\n", wait_for(e));
    show("t_detach_with_hup", ptrace(PTRACE_DETACH, e, 0, SIGHUP));
    write_byte(stage[1]);
    read_byte(done[0]);
    fflush(stdout);
    _exit(0);
  }
  wait_exited(t);
  wait_exited(e);
  close(stage[0]);
  close(stage[1]);
  close(done[0]);
  close(done[1]);
}

// When the tracer exits, its tracees are detached and go on, or are killed with
// PTRACE_O_EXITKILL.
static void tracer_exit(void) {
  int release[2];
  const pid_t survivor = fork_gated(release);
  if (survivor == 0) {
    await_eof(release[0]);
    _exit(0);
  }
  int release_killed[2];
  const pid_t killed = fork_gated(release_killed);
  if (killed == 0) {
    await_eof(release_killed[0]);
    _exit(0);
  }
  const pid_t t = fork_flushed();
  if (t == 0) {
    ptrace(PTRACE_SEIZE, survivor, 0, 0);
    ptrace(PTRACE_INTERRUPT, survivor, 0, 0);
    wait_for(survivor);  // stopped for the tracer when it exits
    ptrace(PTRACE_SEIZE, killed, 0, PTRACE_O_EXITKILL);
    _exit(0);
  }
  wait_exited(t);
  close(release[1]);
  close(release_killed[1]);
  int status = 0;
  show("detached_by_exit", waitpid(survivor, &status, 0) == survivor);
  printf("detached_status=%#x\n", status);
  show("exitkill", waitpid(killed, &status, 0) == killed);
  printf("exitkill_status=%#x\n", status);
}

// An exec of a tracee attached without PTRACE_SEIZE and without PTRACE_O_TRACEEXEC: an ordinary
// SIGTRAP, SI_USER from the tracee itself. With the option: PTRACE_EVENT_EXEC, naming the former
// thread.
static void exec_sigtrap(void) {
  for (int with_option = 0; with_option < 2; ++with_option) {
    const pid_t child = fork_flushed();
    if (child == 0) {
      ptrace(PTRACE_TRACEME, 0, 0, 0);
      raise(SIGSTOP);
      execl(self_path, self_path, "exit4", (char*)NULL);
      _exit(98);
    }
    wait_for(child);
    if (with_option) ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACEEXEC);
    ptrace(PTRACE_CONT, child, 0, 0);
    const int status = wait_for(child);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    ptrace(PTRACE_GETSIGINFO, child, 0, &info);
    unsigned long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, child, 0, &msg);
    printf("exec%d_stop=%#x info=%d,%d,%d msg=%lu\n", with_option, status, info.si_signo,
           info.si_code, (int)info.si_pid, msg);
    ptrace(PTRACE_CONT, child, 0, 0);
    printf("exec%d_exit=%#x\n", with_option, wait_for(child));
  }
}

// A child auto-attached by a tracer that attached without PTRACE_SEIZE: it starts with a SIGSTOP
// (SI_USER, no sender) that the tracer sees and suppresses; its exit is the tracer's to reap
// before its parent can.
static void attached_child(void) {
  const pid_t child = fork_flushed();
  if (child == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    const pid_t g = fork();
    if (g == 0) _exit(6);
    int status = 0;
    const int reaped = waitpid(g, &status, 0) == g;
    printf("attached_parent_reaps=%d,%#x\n", reaped, status);
    fflush(stdout);
    _exit(0);
  }
  wait_for(child);
  ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACEFORK);
  ptrace(PTRACE_CONT, child, 0, 0);
  int status = wait_for(child);
  unsigned long grandchild = 0;
  ptrace(PTRACE_GETEVENTMSG, child, 0, &grandchild);
  printf("attached_fork_event=%#x msg=%lu\n", status, grandchild);
  status = wait_for((pid_t)grandchild);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  ptrace(PTRACE_GETSIGINFO, (pid_t)grandchild, 0, &info);
  printf("attached_first_stop=%#x info=%d,%d,%d\n", status, info.si_signo, info.si_code,
         (int)info.si_pid);
  ptrace(PTRACE_CONT, (pid_t)grandchild, 0, 0);
  ptrace(PTRACE_CONT, child, 0, 0);
  printf("attached_grandchild_exit=%#x\n", wait_for((pid_t)grandchild));
  for (;;) {  // its SIGCHLD's delivery, then its exit
    status = wait_for(child);
    printf("attached_child=%#x\n", status);
    if (!WIFSTOPPED(status)) break;
    ptrace(PTRACE_CONT, child, 0, WSTOPSIG(status));
  }
}

// A tracer with no child of its own, in many rounds of continuing a tracee that stops again at
// once, with SIGCHLD caught: its waits, which the kernel alone would end with ECHILD, block and
// return each stop, whether the stop or a signal comes first.
static volatile sig_atomic_t chld_seen;
static void on_chld(int sig) {
  (void)sig;
  ++chld_seen;
}

static void childless_rounds(void) {
  int seized[2];
  const pid_t e = fork_gated(seized);
  if (e == 0) {
    await_eof(seized[0]);
    for (int i = 0; i < 200; ++i) raise(SIGURG);  // default: nothing; a stop for the tracer
    _exit(0);
  }
  const pid_t t = fork_flushed();
  if (t == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;  // no SA_RESTART: an interrupted wait says EINTR
    sigaction(SIGCHLD, &sa, NULL);
    if (ptrace(PTRACE_SEIZE, e, 0, 0) != 0) die("seize");
    close(seized[1]);
    int stops = 0, interrupted = 0, other = 0;
    for (;;) {
      int status = 0;
      const pid_t r = waitpid(e, &status, __WALL);
      if (r < 0 && errno == EINTR) {
        ++interrupted;
        continue;
      }
      if (r != e) {
        ++other;
        break;
      }
      if (WIFEXITED(status) || WIFSIGNALED(status)) break;
      if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGURG) ++stops;
      ptrace(PTRACE_CONT, e, 0, 0);
    }
    // How many waits a signal interrupted is the scheduler's; that none went wrong is not.
    printf("childless_stops=%d\nchildless_bad_waits=%d\nchildless_sigchld=%d\n", stops, other,
           chld_seen > 0);
    (void)interrupted;
    fflush(stdout);
    _exit(0);
  }
  close(seized[1]);
  wait_exited(t);
  int status = 0;
  show("childless_tracee_reaped", waitpid(e, &status, 0) == e && WIFEXITED(status));
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "exit4") == 0) _exit(4);
  self_path = argv[0];
  // One section alone, by name (to look into one).
  const char* only = argc > 1 ? argv[1] : NULL;
  if (!only || !strcmp(only, "tracer_not_parent")) {
    tracer_not_parent(0);
    tracer_not_parent(1);
  }
  if (!only || !strcmp(only, "changed_signals")) changed_signals();
  if (!only || !strcmp(only, "tracer_exit")) tracer_exit();
  if (!only || !strcmp(only, "exec_sigtrap")) exec_sigtrap();
  if (!only || !strcmp(only, "attached_child")) attached_child();
  if (!only || !strcmp(only, "childless_rounds")) childless_rounds();
  return 0;
}
