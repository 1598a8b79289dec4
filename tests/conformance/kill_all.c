// kill_all: kill(-1, sig) inside the box reaches every process of the box except init and the
// caller's own thread group, in any group or session, and nothing outside the box.
// Receivers report by their exit status: the handler exits with the si_pid it was given, and
// init reads it with waitpid.
// docs/pid-semantics.md F.44 (kill(-1) from inside: everyone but init and the caller), F.45
// (kill(-1) from init with no other process: ESRCH), F.46 (kill(-1, SIGUSR1) from init kills all
// of its children and grandchildren: WTERMSIG SIGUSR1), G.57 (si_pid is the sender's number).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t init_got, self_got;

static void show_status(const char* key, pid_t pid) {
  int status;
  pid_t r = waitpid(pid, &status, 0);
  if (r < 0)
    printf("%s=%s\n", key, strerrorname_np(errno));
  else if (WIFEXITED(status))
    printf("%s=exited %d\n", key, WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    printf("%s=signaled %s\n", key, sigabbrev_np(WTERMSIG(status)));
  else
    printf("%s=0x%x\n", key, status);
}

static void on_usr2_init(int sig) {
  (void)sig;
  init_got = 1;
}

static void on_usr2_exit_with_sender(int sig, siginfo_t* si, void* context) {
  (void)sig;
  (void)context;
  _exit(si->si_pid);
}

static void on_usr2_self(int sig) {
  (void)sig;
  self_got = 1;
}

// Forks a process that makes itself ready (setsid when `own_session`, the SIGUSR2 handler when
// `catch_usr2`), then closes `ready_w` and waits for signals forever. If `grandchild`, it first
// forks one more process of the same kind (which then inherits the session).
static pid_t sleeper(int ready_r, int ready_w, int own_session, int catch_usr2, int grandchild) {
  pid_t p = fork_flushed();
  if (p != 0) return p;
  close(ready_r);
  if (own_session && setsid() < 0) die("setsid");
  if (catch_usr2) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_usr2_exit_with_sender;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGUSR2, &sa, NULL) < 0) die("sigaction");
  }
  if (grandchild) sleeper(-1, ready_w, 0, catch_usr2, 0);
  close(ready_w);
  for (;;) pause();
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);

  // 1. Nobody else in the box.
  show("init_alone_kill_all_usr1", kill(-1, SIGUSR1));
  show("init_alone_kill_all_0", kill(-1, 0));

  // 2. init: kill(-1, SIGUSR1) kills 2 (init's group), 3 (own session) and 4 (3's child).
  int ready[2];
  if (pipe(ready) < 0) die("pipe");
  sleeper(ready[0], ready[1], 0, 0, 0);  // 2
  sleeper(ready[0], ready[1], 1, 0, 1);  // 3, and its child 4
  close(ready[1]);
  await_eof(ready[0]);
  close(ready[0]);
  show("init_kill_all_0", kill(-1, 0));
  show("init_kill_all_usr1", kill(-1, SIGUSR1));
  show_status("init_kill_all_2", 2);
  show_status("init_kill_all_3", 3);
  show_status("init_kill_all_4_adopted", 4);
  show("init_kill_all_nothing_left", waitpid(-1, NULL, WNOHANG));

  // 3. A child (7) sends kill(-1, SIGUSR2): 5 (init's group) and 6 (own session) exit from
  // their handlers with status 7; init (which has a handler) and 7 itself (which has one too)
  // see nothing.
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_usr2_init;
  if (sigaction(SIGUSR2, &sa, NULL) < 0) die("sigaction");
  if (pipe(ready) < 0) die("pipe");
  sleeper(ready[0], ready[1], 0, 1, 0);  // 5
  sleeper(ready[0], ready[1], 1, 1, 0);  // 6
  close(ready[1]);
  await_eof(ready[0]);
  close(ready[0]);
  pid_t s = fork_flushed();  // 7
  if (s == 0) {
    signal(SIGUSR2, on_usr2_self);
    show("child_kill_all_0", kill(-1, 0));
    show("child_kill_all_usr2", kill(-1, SIGUSR2));
    show("child_got_own_signal", self_got);
    _exit(0);
  }
  show_status("child_sender_7", 7);
  show_status("child_kill_all_5", 5);
  show_status("child_kill_all_6", 6);
  show("init_got_child_kill_all", init_got);

  // 4. The last child alone (8): kill(-1) finds nobody it may signal (init is excluded): ESRCH.
  s = fork_flushed();
  if (s == 0) {
    show("lone_child_kill_all_0", kill(-1, 0));
    show("lone_child_kill_all_usr2", kill(-1, SIGUSR2));
    _exit(0);
  }
  show_status("lone_child_8", 8);
  show("init_got_at_end", init_got);
  return 0;
}
