// signalfd_pids: the sender's pid in what a signalfd read returns (ssi_pid, the siginfo's si_pid
// in the reader's numbering): kill() from a child (SI_USER), sigqueue() (SI_QUEUE), SIGCHLD of a
// child that exited (CLD_EXITED), a sender reaped before the read (its number stays), kill(0)
// from a child (the group), a signal from outside the namespace (0); records read with readv()
// across iovecs; the same signalfd read by a child that inherited it, and through a dup2()ed
// number.
// docs/pid-semantics.md §2.2 (signalfd's ssi_pid is si_pid), G.57 (si_pid in the receiver's
// numbering, 0 from outside), G.58 (a sender gone keeps its number in a queued signal).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

// Reads one record from `fd` and prints its signal, code and sender.
static void show_record(const char* key, int fd) {
  struct signalfd_siginfo si;
  ssize_t n = read(fd, &si, sizeof(si));
  if (n != sizeof(si)) {
    printf("%s=%s\n", key, n < 0 ? strerrorname_np(errno) : "short");
    return;
  }
  printf("%s=sig %u code %d pid %u uid %u\n", key, si.ssi_signo, si.ssi_code, si.ssi_pid,
         si.ssi_uid);
}

// Waits until `fd` is readable (a queued signal), at most 10 s.
static void await_signal(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) die("poll signalfd");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  sigaddset(&mask, SIGUSR2);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGRTMIN);
  sigaddset(&mask, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) die("sigprocmask");
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0) die("signalfd");

  // 1. kill() from a child (2), then its SIGCHLD.
  pid_t p = fork_flushed();
  if (p == 0) {
    kill(1, SIGUSR1);
    _exit(0);
  }
  await_signal(sfd);
  show_record("kill_from_child", sfd);
  wait_exited(p);
  show_record("sigchld", sfd);

  // 2. sigqueue() from a child (3) that is reaped before the read.
  p = fork_flushed();
  if (p == 0) {
    union sigval v = {.sival_int = 7};
    sigqueue(1, SIGRTMIN, v);
    _exit(0);
  }
  wait_exited(p);
  await_signal(sfd);
  show_record("reaped_sender_first", sfd);
  show_record("reaped_sender_second", sfd);

  // 3. Two signals, read with readv() across iovecs that split the records.
  int gate[2];
  p = fork_gated(gate);
  if (p == 0) {
    await_eof(gate[0]);
    kill(1, SIGUSR1);
    kill(1, SIGUSR2);
    _exit(0);
  }
  close(gate[1]);
  wait_exited(p);
  struct signalfd_siginfo two[3];
  struct iovec iov[3] = {{(char*)two, 100}, {(char*)two + 100, 100}, {(char*)two + 200, 56}};
  await_signal(sfd);
  ssize_t n = readv(sfd, iov, 3);
  printf("readv=%zd\n", n);
  for (ssize_t i = 0; i < n / (ssize_t)sizeof(two[0]); ++i)
    printf("readv_%zd=sig %u pid %u\n", i, two[i].ssi_signo, two[i].ssi_pid);
  show_record("sigchld_3", sfd);

  // 4. kill(0) from a child (5): its group, init's, gets it. (A group of init's own: kill(0)
  // from a namespace would reach the members of a group outside it too.)
  if (setpgid(0, 0) < 0) die("setpgid");
  p = fork_flushed();
  if (p == 0) {
    kill(0, SIGUSR2);
    _exit(0);
  }
  wait_exited(p);
  await_signal(sfd);
  show_record("kill_0_from_child", sfd);
  show_record("sigchld_4", sfd);

  // 5. A child (6) that inherited the signalfd reads a signal init sends it; then a dup2()ed
  // number of it.
  int ready[2];
  if (pipe(ready) < 0) die("pipe");
  p = fork_gated(gate);
  if (p == 0) {
    close(ready[0]);
    close(ready[1]);  // the signalfd is ready to be sent to
    await_signal(sfd);
    show_record("child_reads_inherited", sfd);
    int other = dup2(sfd, 20);
    if (other < 0) die("dup2");
    await_eof(gate[0]);
    await_signal(other);
    show_record("child_reads_dup2", other);
    _exit(0);
  }
  close(ready[1]);
  await_eof(ready[0]);
  close(ready[0]);
  // Blocked in the child too (the mask is inherited): queued, and read in signal order.
  kill(p, SIGHUP);
  kill(p, SIGUSR1);
  close(gate[1]);
  wait_exited(p);
  show_record("sigchld_5", sfd);

  // 6. From outside: 0.
  printf("send_signals=USR2\n");
  await_signal(sfd);
  show_record("from_outside", sfd);
  return 0;
}
