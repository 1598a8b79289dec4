// getpgid_other: getpgid()/getsid() aimed at other processes and threads of the box, named by
// their numbers in the box (2, 3, ... in creation order), never by what fork() returned.
// docs/pid-semantics.md A.8 (a zombie keeps its number until reaped), F.42 (numbers that are not
// in the pid space give ESRCH), H.66-68, I.77 (a thread's tid names its process for getpgid),
// and the arguments 0 and negative numbers.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static int thread_gate[2];   // closed by main when the thread may end
static int thread_ready[2];  // write end closed by the thread once it runs

static void* thread_main(void* arg) {
  (void)arg;
  close(thread_ready[1]);
  await_eof(thread_gate[0]);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);

  // Child 2 before init has a session of its own: its inherited ids are invisible.
  int gate[2];
  if (pipe(gate) < 0) die("pipe");
  if (fork_flushed() == 0) {
    close(gate[1]);
    await_eof(gate[0]);
    _exit(0);
  }
  close(gate[0]);
  show("getpgid_2_outer", getpgid(2));
  show("getsid_2_outer", getsid(2));
  close(gate[1]);
  if (wait(NULL) < 0) die("wait");
  show("getpgid_2_reaped", getpgid(2));
  show("getsid_2_reaped", getsid(2));

  if (setsid() < 0) die("setsid");

  // Child 3: in session 1, group 1. Then it makes group 3 and says so on "moved".
  int moved[2];
  if (pipe(gate) < 0 || pipe(moved) < 0) die("pipe");
  if (fork_flushed() == 0) {
    close(gate[1]);
    close(moved[0]);
    if (setpgid(0, 0) < 0) die("setpgid");
    if (write(moved[1], "x", 1) != 1) die("write");
    await_eof(gate[0]);
    _exit(7);
  }
  close(gate[0]);
  close(moved[1]);
  char c;
  if (read(moved[0], &c, 1) != 1) die("read moved");
  show("getpgid_3", getpgid(3));
  show("getsid_3", getsid(3));
  show("getpgid_4_not_yet", getpgid(4));

  // Child 3 exits: while it is a zombie it keeps its number and its ids.
  close(gate[1]);
  siginfo_t si;
  memset(&si, 0, sizeof(si));
  if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) die("waitid WNOWAIT");
  show("zombie_exit_code", si.si_status);
  show("getpgid_3_zombie", getpgid(3));
  show("getsid_3_zombie", getsid(3));
  if (wait(NULL) < 0) die("wait");
  show("getpgid_3_reaped", getpgid(3));
  show("getsid_3_reaped", getsid(3));

  // A thread of init (tid 4): its tid names init's process for getpgid/getsid.
  if (pipe(thread_gate) < 0 || pipe(thread_ready) < 0) die("pipe");
  pthread_t t;
  if (pthread_create(&t, NULL, thread_main, NULL) != 0) die("pthread_create");
  await_eof(thread_ready[0]);
  show("getpgid_4_thread", getpgid(4));
  show("getsid_4_thread", getsid(4));
  close(thread_gate[1]);
  if (pthread_join(t, NULL) != 0) die("pthread_join");
  // (Not asked after the join: pthread_join can return before the kernel has released the tid.)

  // Numbers that name nothing.
  show("getpgid_0", getpgid(0));
  show("getsid_0", getsid(0));
  show("getpgid_1", getpgid(1));
  show("getpgid_99999", getpgid(99999));
  show("getsid_99999", getsid(99999));
  show("getpgid_minus1", getpgid(-1));
  show("getsid_minus1", getsid(-1));
  show("getpgid_minus2", getpgid(-2));
  show("getpgid_int_min", getpgid(INT_MIN));
  show("getsid_int_max", getsid(INT_MAX));
  return 0;
}
