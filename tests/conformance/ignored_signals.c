// ignored_signals: kill() of a signal the receiver ignores. The kernel discards such a signal
// when it is sent (sig_ignored), unless the receiver blocks it, waits for it in sigtimedwait(),
// or it is SIGCONT, whose sending resumes a stopped process whatever its handler; the box's
// supervisor discards it by the same rules. Each case prints what the receiver can observe:
// what is pending, whether a handler installed later runs, what sigtimedwait() returns (its
// si_pid: the sender as the receiver's level numbers it), whether a stopped child continues.
// docs/pid-semantics.md F.42 (what a process names it reaches), F.45 (si_pid of a signal).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>

#include "common.h"

static volatile sig_atomic_t handled;

static void on_signal(int signo) {
  handled = signo;
}

static int pending(int signo) {
  sigset_t set;
  sigemptyset(&set);
  if (sigpending(&set) != 0) die("sigpending");
  return sigismember(&set, signo);
}

static void block(int signo, int how) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  if (sigprocmask(how, &set, NULL) != 0) die("sigprocmask");
}

// To oneself: SIG_IGN unblocked is discarded; blocked, it stays pending, and a handler installed
// before the unblocking runs.
static void to_self(const char* name, int signo, void (*handler)(int)) {
  char key[64];
  signal(signo, handler);
  snprintf(key, sizeof(key), "%s_kill", name);
  show(key, kill(getpid(), signo));
  snprintf(key, sizeof(key), "%s_pending", name);
  show(key, pending(signo));
  block(signo, SIG_BLOCK);
  snprintf(key, sizeof(key), "%s_blocked_kill", name);
  show(key, kill(getpid(), signo));
  snprintf(key, sizeof(key), "%s_blocked_pending", name);
  show(key, pending(signo));
  handled = 0;
  signal(signo, on_signal);
  block(signo, SIG_UNBLOCK);
  snprintf(key, sizeof(key), "%s_handled_after_unblock", name);
  show(key, handled == signo);
  signal(signo, SIG_DFL);
}

// A child that ignores SIGUSR2 and SIGURG: what reaches it, by pending state and by waiting.
static void to_child(void) {
  int ready[2], go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) die("pipe");
  pid_t child = fork_flushed();
  if (child == 0) {
    close(ready[0]);
    close(go[1]);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGURG, SIG_DFL);
    close(ready[1]);
    await_eof(go[0]);
    // Sent while nothing blocked them: discarded.
    printf("child_usr2_pending=%d\n", pending(SIGUSR2));
    printf("child_urg_pending=%d\n", pending(SIGURG));
    // Waited for, though ignored: sigtimedwait() gets it, from its parent.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    block(SIGUSR2, SIG_BLOCK);
    fflush(stdout);
    kill(getppid(), SIGUSR1);  // "waiting now" (the parent handles SIGUSR1)
    struct timespec limit = {10, 0};
    siginfo_t info;
    const int got = sigtimedwait(&set, &info, &limit);
    printf("child_waited_signal=%d\n", got);
    printf("child_waited_from_parent=%d\n", got == SIGUSR2 && info.si_pid == getppid());
    printf("child_waited_code_user=%d\n", got == SIGUSR2 && info.si_code == SI_USER);
    fflush(stdout);
    _exit(0);
  }
  close(ready[1]);
  close(go[0]);
  await_eof(ready[0]);
  show("parent_kill_ignored", kill(child, SIGUSR2));
  show("parent_kill_default_ignored", kill(child, SIGURG));
  handled = 0;
  signal(SIGUSR1, on_signal);
  block(SIGUSR1, SIG_BLOCK);  // sigsuspend() unblocks it: no wake-up is missed
  sigset_t none;
  sigemptyset(&none);
  close(go[1]);
  while (handled != SIGUSR1) sigsuspend(&none);
  const long waited = kill(child, SIGUSR2);
  int status;
  if (waitpid(child, &status, 0) != child) die("waitpid");
  show("parent_kill_waited", waited);  // after the child's lines, which it prints when it wakes
  show("child_exit", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  block(SIGUSR1, SIG_UNBLOCK);
  signal(SIGUSR1, SIG_DFL);
}

// SIGCONT that the stopped child ignores still continues it.
static void cont_ignored(void) {
  pid_t child = fork_flushed();
  if (child == 0) {
    signal(SIGCONT, SIG_IGN);
    for (;;) pause();
  }
  int status;
  show("stop_kill", kill(child, SIGSTOP));
  if (waitpid(child, &status, WUNTRACED) != child) die("waitpid stop");
  show("stopped", WIFSTOPPED(status));
  show("cont_kill", kill(child, SIGCONT));
  if (waitpid(child, &status, WCONTINUED) != child) die("waitpid cont");
  show("continued", WIFCONTINUED(status));
  kill(child, SIGKILL);
  if (waitpid(child, &status, 0) != child) die("waitpid kill");
  show("killed", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
}

// Init (this program) ignores SIGUSR2: a child's kill of it succeeds and sends nothing.
static void to_init(void) {
  signal(SIGUSR2, SIG_IGN);
  pid_t child = fork_flushed();
  if (child == 0) {
    printf("child_kill_init_ignored=%d\n", kill(1, SIGUSR2));
    printf("child_kill_init_default=%d\n", kill(1, SIGTERM));
    fflush(stdout);
    _exit(0);
  }
  int status;
  if (waitpid(child, &status, 0) != child) die("waitpid");
  show("init_usr2_pending", pending(SIGUSR2));
  show("init_term_pending", pending(SIGTERM));
  signal(SIGUSR2, SIG_DFL);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  to_self("ign", SIGUSR1, SIG_IGN);
  to_self("chld_default", SIGCHLD, SIG_DFL);
  to_self("winch_default", SIGWINCH, SIG_DFL);
  to_child();
  cont_ignored();
  to_init();
  return 0;
}
