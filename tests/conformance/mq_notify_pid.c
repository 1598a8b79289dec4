// mq_notify_pid: a POSIX message queue notification (SIGEV_SIGNAL) carries the pid of the
// process that sent the message, translated by the kernel into the registrant's numbering.
// Registrant and sender are both in the box: init registers, a child (2) sends; then a child (3)
// registers and init sends.
// docs/pid-semantics.md G.59 (si_code SI_MESGQ, si_pid the sender's number), §1.6 (mq_notify).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static void show_info(const char* key, int r, const siginfo_t* si) {
  if (r < 0)
    printf("%s=%s\n", key, strerrorname_np(errno));
  else
    printf("%s=%s si_pid %d %s si_value %d\n", key, sigabbrev_np(r), si->si_pid,
           si->si_code == SI_MESGQ ? "SI_MESGQ" : "other", si->si_value.sival_int);
}

static void register_for(mqd_t q, int value) {
  struct sigevent ev;
  memset(&ev, 0, sizeof(ev));
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = value;
  if (mq_notify(q, &ev) < 0) die("mq_notify");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  char name[64];
  snprintf(name, sizeof(name), "/vpidbox-mq-notify-%ld", (long)time(NULL) ^ (long)getpid() << 16);
  struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 16};
  mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
  if (q == (mqd_t)-1) die("mq_open");
  mq_unlink(name);  // the descriptor is all that is needed; children inherit it
  char buf[16];
  siginfo_t si;
  struct timespec ts = {5, 0};

  // 1. Init registers; child 2 sends (and stays alive until init has read the signal).
  register_for(q, 11);
  int gate[2];
  pid_t p = fork_gated(gate);
  if (p == 0) {
    if (mq_send(q, "m", 1, 0) < 0) die("mq_send");
    await_eof(gate[0]);
    _exit(0);
  }
  memset(&si, 0, sizeof(si));
  show_info("init_notified", sigtimedwait(&usr1, &si, &ts), &si);
  close(gate[1]);
  if (waitpid(p, NULL, 0) != p) die("waitpid");
  if (mq_receive(q, buf, sizeof(buf), NULL) < 0) die("mq_receive");

  // 2. Child 3 registers; init sends.
  int ready[2];
  if (pipe(ready) < 0) die("pipe");
  p = fork_flushed();
  if (p == 0) {
    close(ready[0]);
    register_for(q, 22);
    close(ready[1]);
    siginfo_t ci;
    memset(&ci, 0, sizeof(ci));
    show_info("child_notified", sigtimedwait(&usr1, &ci, &ts), &ci);
    _exit(0);
  }
  close(ready[1]);
  await_eof(ready[0]);
  if (mq_send(q, "n", 1, 0) < 0) die("mq_send");
  if (waitpid(p, NULL, 0) != p) die("waitpid");
  mq_close(q);
  return 0;
}
