// group_signal_sigwait: the sender of a signal sent by kill(0), kill(-pgid) or kill(-1), as
// sigtimedwait() reads it (si_pid, si_code): the box sends these signals itself, on the caller's
// behalf, and must name the caller also when no delivery stop comes (the signal is blocked and
// taken by sigtimedwait or sigwaitinfo). pid-semantics.md §4: G.57, F.44.
// Found by the random-program tester (tests/random, seed 1498): the box showed si_pid 0.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static void take(const char* key, const sigset_t* set) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  struct timespec zero = {0, 0};
  int r = sigtimedwait(set, &si, &zero);
  if (r < 0) {
    show(key, r);
    return;
  }
  printf("%s=%s si_pid %d si_code %d\n", key, sigabbrev_np(r), si.si_pid, si.si_code);
}

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) die("sigprocmask");
  if (setsid() < 0) die("setsid");  // a group of the box's own: kill(0) stays inside
  show("init_kill_0", kill(0, SIGUSR1));
  take("init_took_own_kill_0", &set);

  int ready[2], go[2];
  if (pipe(ready) < 0) die("pipe");
  pid_t child = fork_gated(go);
  if (child == 0) {
    close(ready[0]);
    show("child_kill_0", kill(0, SIGUSR1));  // reaches init and itself
    take("child_took_own_kill_0", &set);
    show("child_setpgid", setpgid(0, 0));  // init's group is 1: kill(-1) means something else
    show("child_kill_own_group", kill(-getpid(), SIGUSR1));
    take("child_took_own_kill_group", &set);
    close(ready[1]);
    await_eof(go[0]);  // init has sent kill(-1) and kill(-pgid)
    take("child_took_from_init_first", &set);
    fflush(stdout);
    _exit(0);
  }
  close(ready[1]);
  await_eof(ready[0]);
  take("init_took_child_kill_0", &set);
  show("init_kill_minus_1", kill(-1, SIGUSR1));
  close(go[1]);
  wait_one("child");
  return 0;
}
