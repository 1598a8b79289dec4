// tty_jobctrl: job control on a pseudo-terminal inside the box. A session leader (3) takes a pty
// as its controlling terminal; tcgetsid/tcgetpgrp report the session and the foreground group in
// the box's numbering; tcsetpgrp accepts a group of the session (the job, 4), refuses one of
// another session (2, EPERM) and one that does not exist (ESRCH). The terminal's own signals reach
// the foreground group from the kernel: ^C gives SIGINT, and the session leader's exit gives
// SIGHUP, both with si_code SI_KERNEL and si_pid 0. docs/pid-semantics.md H.71 (tcsetpgrp only to a
// group of the caller's session), H.72 (tcgetpgrp/tcgetsid in the caller's numbering), H.74
// (terminal signals: SI_KERNEL, si_pid 0), H.76 (the controlling process's exit sends SIGHUP to the
// foreground group).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char* code_name(int code) {
  switch (code) {
    case SI_USER:
      return "SI_USER";
    case SI_KERNEL:
      return "SI_KERNEL";
    default:
      return "other";
  }
}

// The foreground job (4): waits for SIGINT, then SIGHUP, and reports each; after the first it
// writes a byte to `reported`.
static int reported[2], done[2];

static void foreground_job(int ready_w) {
  // The runner may have started the whole test with SIGINT ignored (a background job of a
  // non-interactive shell); an ignored signal would be discarded even while blocked.
  signal(SIGINT, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  close(done[1]);
  close(reported[0]);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, NULL);
  close(ready_w);
  for (int i = 0; i < 2; ++i) {
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    struct timespec ts = {5, 0};
    int r = sigtimedwait(&set, &si, &ts);
    if (r < 0)
      printf("job_signal%d=%s\n", i, strerrorname_np(errno));
    else
      printf("job_signal%d=%s si_pid %d %s\n", i, sigabbrev_np(r), si.si_pid,
             code_name(si.si_code));
    fflush(stdout);
    if (i == 0 && write(reported[1], "r", 1) != 1) die("write reported");
  }
  _exit(0);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) die("posix_openpt");
  const char* slave_name = ptsname(master);
  if (slave_name == NULL) die("ptsname");

  // Init has no controlling terminal: TIOCGSID/tcgetpgrp on the pty fail.
  int probe = open(slave_name, O_RDWR | O_NOCTTY);
  if (probe < 0) die("open slave");
  show("init_tcgetsid_not_controlling", tcgetsid(probe));
  show("init_tcgetpgrp_not_controlling", tcgetpgrp(probe));
  close(probe);

  int other_ready[2], other_gate[2];
  if (pipe(done) < 0 || pipe(other_ready) < 0 || pipe(other_gate) < 0 || pipe(reported) < 0)
    die("pipe");
  // A process in a session of its own (2): its group is in another session than the pty's.
  pid_t other = fork_flushed();
  if (other == 0) {
    close(other_ready[0]);
    close(other_gate[1]);
    close(done[0]);
    close(done[1]);
    if (setsid() < 0) die("setsid other");
    close(other_ready[1]);
    await_eof(other_gate[0]);
    _exit(0);
  }
  close(other_ready[1]);
  close(other_gate[0]);
  await_eof(other_ready[0]);
  close(other_ready[0]);

  pid_t leader = fork_flushed();  // 3
  if (leader == 0) {
    close(done[0]);
    close(other_gate[1]);
    show("leader_setsid", setsid());
    int tty = open(slave_name, O_RDWR);  // becomes the controlling terminal
    if (tty < 0) die("open tty");
    show("leader_tiocsctty", ioctl(tty, TIOCSCTTY, 0));
    show("leader_tcgetsid", tcgetsid(tty));
    show("leader_tcgetpgrp", tcgetpgrp(tty));
    pid_t sid = 0;
    show("leader_tiocgsid", ioctl(tty, TIOCGSID, &sid));
    show("leader_tiocgsid_value", sid);
    signal(SIGTTOU, SIG_IGN);  // it will be in the background after tcsetpgrp
    int ready[2];
    if (pipe(ready) < 0) die("pipe");
    pid_t job = fork_flushed();  // 4
    if (job == 0) {
      close(ready[0]);
      setpgid(0, 0);
      foreground_job(ready[1]);
    }
    setpgid(job, job);
    close(ready[1]);
    await_eof(ready[0]);
    show("leader_tcsetpgrp_job", tcsetpgrp(tty, job));
    show("leader_tcgetpgrp_after", tcgetpgrp(tty));
    show("leader_tcsetpgrp_other_session", tcsetpgrp(tty, other));
    show("leader_tcsetpgrp_99999", tcsetpgrp(tty, 99999));
    show("leader_tcsetpgrp_0", tcsetpgrp(tty, 0));
    show("leader_tcgetpgrp_still", tcgetpgrp(tty));
    fflush(stdout);
    // Stay the controlling process until init, once the job has reported, sends SIGUSR1
    // (blocked before init can send it).
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    // ^C from the terminal: SIGINT to the foreground group.
    close(done[1]);  // tells init to type it
    int sig;
    sigwait(&usr1, &sig);
    _exit(0);  // the controlling process exits: SIGHUP to the foreground group
  }
  close(done[1]);
  close(reported[1]);
  await_eof(done[0]);
  close(done[0]);
  close(other_gate[1]);
  int status;
  if (waitpid(other, &status, 0) != other) die("waitpid other");
  // The leader has printed everything; type ^C, and once the job has reported it, end the
  // controlling process.
  const char intr = 3;
  if (write(master, &intr, 1) != 1) die("write ^C");
  char c;
  if (read(reported[0], &c, 1) != 1) die("read reported");
  kill(leader, SIGUSR1);
  if (waitpid(leader, &status, 0) != leader) die("waitpid leader");
  char leader_exit[32];
  if (WIFEXITED(status))
    snprintf(leader_exit, sizeof(leader_exit), "exited %d", WEXITSTATUS(status));
  else
    snprintf(leader_exit, sizeof(leader_exit), "signaled %s", sigabbrev_np(WTERMSIG(status)));
  // The job (4) was reparented to init when the leader exited; it prints its second line before
  // it exits, so init prints only after reaping it.
  const pid_t job = wait(&status);
  printf("leader_exit=%s\n", leader_exit);
  show("job_reaped", job);
  close(master);
  return 0;
}
