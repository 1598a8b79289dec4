// orphan_reparent: who adopts an orphan, and what getppid() says afterwards.
// docs/pid-semantics.md C.18-20 and C.23: an orphan is adopted by the nearest subreaper of the
// same pid space, else by init, and getppid() then returns 1 or the subreaper's pid; a child
// whose parent *thread* exits stays with the parent's thread group; init reaps what it adopted.
// Synchronisation is by pipes only: an orphan waits until its old parent has been reaped.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static int thread_gate[2];

static void* forking_thread(void* arg) {
  (void)arg;
  fflush(stdout);
  pid_t k = fork();
  if (k < 0) die("fork in thread");
  if (k == 0) {
    close(thread_gate[1]);
    await_eof(thread_gate[0]);  // the forking thread has been joined by now
    show("k_getpid", getpid());
    show("k_getppid", getppid());
    _exit(0);
  }
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);

  // 1. Orphan adopted by init. a (pid 2) forks b (pid 3) and exits; init reaps a, then lets b go.
  // b first reports its parent while a is still alive (a waits for b's "ready" pipe to close).
  int gate[2], ready[2];
  if (pipe(gate) < 0 || pipe(ready) < 0) die("pipe");
  if (fork_flushed() == 0) {
    if (fork() == 0) {
      close(gate[1]);
      close(ready[0]);
      show("b_getppid_before", getppid());
      fflush(stdout);
      close(ready[1]);
      await_eof(gate[0]);
      show("b_getpid", getpid());
      show("b_getppid_after", getppid());
      _exit(0);
    }
    close(ready[1]);
    await_eof(ready[0]);
    _exit(0);
  }
  close(ready[0]);
  close(ready[1]);
  close(gate[0]);
  wait_one("a");  // a is gone, so b has been reparented
  close(gate[1]);
  wait_one("b (adopted)");
  show("init_reaped_orphan", 1);

  // 2. Orphan adopted by a subreaper inside the box. s (pid 4) is a subreaper and forks m (pid 5),
  // m forks l (pid 6) and exits; s reaps m and then lets l go. l must see s as its parent.
  if (pipe(gate) < 0) die("pipe");
  if (fork_flushed() == 0) {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) die("PR_SET_CHILD_SUBREAPER");
    const pid_t s_self = getpid();
    show("s_getpid", s_self);
    if (fork_flushed() == 0) {
      if (fork() == 0) {
        close(gate[1]);
        await_eof(gate[0]);
        show("l_getpid", getpid());
        show("l_getppid", getppid());
        show("l_getppid_is_subreaper", getppid() == s_self);
        _exit(0);
      }
      _exit(0);
    }
    close(gate[0]);
    wait_one("m");
    close(gate[1]);
    wait_one("l (adopted by subreaper)");
    show("s_reaped_orphan", 1);
    _exit(0);
  }
  close(gate[0]);
  close(gate[1]);
  wait_one("s");

  // 3. A child forked by a thread of init (tid 7; child k is pid 8): when the thread exits, the
  // child stays with init's thread group and getppid() keeps returning 1.
  if (pipe(thread_gate) < 0) die("pipe");
  pthread_t t;
  if (pthread_create(&t, NULL, forking_thread, NULL) != 0) die("pthread_create");
  if (pthread_join(t, NULL) != 0) die("pthread_join");
  close(thread_gate[0]);
  close(thread_gate[1]);
  wait_one("k");

  // 4. Orphans of an orphan: c (pid 9) forks d (pid 10) and e (pid 11) and exits; init reaps c.
  // d and e report in order.
  int gate_d[2], gate_e[2];
  if (pipe(gate_d) < 0 || pipe(gate_e) < 0) die("pipe");
  if (fork_flushed() == 0) {
    for (int i = 0; i < 2; ++i) {
      if (fork_flushed() == 0) {
        close(gate_d[1]);
        close(gate_e[1]);
        await_eof(i == 0 ? gate_d[0] : gate_e[0]);
        printf("%c_getpid=%ld\n", i == 0 ? 'd' : 'e', (long)getpid());
        printf("%c_getppid=%ld\n", i == 0 ? 'd' : 'e', (long)getppid());
        _exit(0);
      }
    }
    _exit(0);
  }
  close(gate_d[0]);
  close(gate_e[0]);
  wait_one("c");
  close(gate_d[1]);
  wait_one("d");
  close(gate_e[1]);
  wait_one("e");
  // 5. Reparenting happens when the parent exits, not when it is reaped: f (pid 12) forks g
  // (pid 13) and exits; while f is still an unreaped zombie, g already sees init as its parent.
  if (pipe(gate) < 0) die("pipe");
  if (fork_flushed() == 0) {
    if (fork() == 0) {
      close(gate[1]);
      await_eof(gate[0]);
      show("g_getpid", getpid());
      show("g_getppid_parent_zombie", getppid());
      _exit(0);
    }
    _exit(0);
  }
  close(gate[0]);
  siginfo_t si;
  memset(&si, 0, sizeof(si));
  if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) die("waitid WNOWAIT");  // f is a zombie
  close(gate[1]);
  // g exits next; f is still unreaped. Reap both, whichever order wait() picks.
  wait_one("f or g");
  wait_one("f or g");
  show("getpgid_12_after_reap", getpgid(12) < 0 && errno == ESRCH);
  show("init_getpid_end", getpid());
  return 0;
}
