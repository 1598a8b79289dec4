// subreaper: a child subreaper inside the box, and init's reaping with SIGCHLD ignored.
// The subreaper attribute is not inherited by fork but survives execve; orphans below a
// subreaper go to it, and when the subreaper itself dies, its orphans go on to init. With
// SIGCHLD set to SIG_IGN (or SA_NOCLDWAIT), init's children, adopted orphans included, are reaped
// automatically: wait() blocks until they are all gone, then fails with ECHILD.
// docs/pid-semantics.md C.18-C.20 (subreapers of the same pid space, then init), C.22 (not
// inherited, survives execve), C.23 (init and SIGCHLD SIG_IGN / SA_NOCLDWAIT).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

// fork() for children that exit at once. A fork() that returned 0 in init itself (not in a new
// process) is a failure, not a reason for init to exit.
static pid_t fork_and_exit(void) {
  pid_t c = fork_flushed();
  if (c == 0) {
    if (getpid() == 1) {
      fprintf(stderr, "subreaper: fork() returned 0 in init\n");
      exit(97);
    }
    _exit(0);
  }
  return c;
}

static int subreaper_flag(void) {
  int flag = -1;
  if (prctl(PR_GET_CHILD_SUBREAPER, &flag) < 0) return -1;
  return flag;
}

static void reap_all(const char* key) {
  int n = 0, status;
  while (wait(&status) > 0) ++n;
  printf("%s=%d %s\n", key, n, strerrorname_np(errno));
}

// The subreaper after its execve (pid 2): the flag survived; an orphan below it (5, child of 4)
// is adopted by it.
static int after_exec(void) {
  show("s_after_exec_getpid", getpid());
  show("s_after_exec_subreaper", subreaper_flag());
  int gate[2];
  if (pipe(gate) < 0) die("pipe");
  pid_t m = fork_flushed();  // 4
  if (m == 0) {
    pid_t l = fork_flushed();  // 5
    if (l == 0) {
      close(gate[1]);
      await_eof(gate[0]);  // m has exited and been reaped
      show("l_getpid", getpid());
      show("l_getppid", getppid());
      _exit(0);
    }
    _exit(0);
  }
  close(gate[0]);
  if (waitpid(m, NULL, 0) != m) die("waitpid m");
  close(gate[1]);
  int status;
  show("s_reaped_adopted", wait(&status));
  return 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1) return after_exec();

  // 1. A subreaper child (2): its own child (3) does not inherit the flag; after execve it still
  // has it.
  pid_t s = fork_flushed();
  if (s == 0) {
    show("s_set_subreaper", prctl(PR_SET_CHILD_SUBREAPER, 1));
    show("s_subreaper", subreaper_flag());
    pid_t f = fork_flushed();  // 3
    if (f == 0) {
      show("f_subreaper_inherited", subreaper_flag());
      _exit(0);
    }
    if (waitpid(f, NULL, 0) != f) die("waitpid f");
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "exec", (char*)NULL);
    die("execl");
  }
  int status;
  if (waitpid(s, &status, 0) != s || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die("subreaper child");

  // 2. A subreaper (6) that dies: its adopted orphan (8, child of 7) goes on to init.
  int adopted[2], gate[2];
  if (pipe(adopted) < 0 || pipe(gate) < 0) die("pipe");
  s = fork_flushed();  // 6
  if (s == 0) {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    close(adopted[0]);
    pid_t m = fork_flushed();  // 7
    if (m == 0) {
      pid_t l = fork_flushed();  // 8
      if (l == 0) {
        close(adopted[1]);
        close(gate[1]);
        await_eof(gate[0]);  // the subreaper has died
        show("orphan_getpid", getpid());
        show("orphan_getppid_after_subreaper_died", getppid());
        _exit(0);
      }
      _exit(0);
    }
    if (waitpid(m, NULL, 0) != m) die("waitpid 7");
    close(adopted[1]);  // 8 is now this subreaper's child
    _exit(0);           // and now init's
  }
  close(adopted[1]);
  await_eof(adopted[0]);
  close(adopted[0]);
  close(gate[0]);
  if (waitpid(s, NULL, 0) != s) die("waitpid 6");
  close(gate[1]);
  show("init_reaped_orphan_of_subreaper", wait(&status));

  // 3. SIGCHLD ignored: children (9, 10) and an orphan (12, child of 11) are reaped by the
  // kernel; wait() returns ECHILD once they are all gone.
  signal(SIGCHLD, SIG_IGN);
  for (int i = 0; i < 2; ++i) fork_and_exit();
  pid_t c = fork_flushed();  // 11
  if (c == 0) {
    if (fork_flushed() == 0) _exit(0);  // 12
    _exit(0);
  }
  reap_all("sig_ign_wait");
  show("sig_ign_waitpid_11", waitpid(11, &status, WNOHANG));

  // 4. SA_NOCLDWAIT: the same (13, 14).
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_DFL;
  sa.sa_flags = SA_NOCLDWAIT;
  sigaction(SIGCHLD, &sa, NULL);
  for (int i = 0; i < 2; ++i) fork_and_exit();
  reap_all("nocldwait_wait");

  // 5. Back to the default: a child (15) is a zombie until init reaps it.
  signal(SIGCHLD, SIG_DFL);
  c = fork_flushed();
  if (c == 0) _exit(4);
  show("default_waitpid", waitpid(c, &status, 0));
  show("default_status", WEXITSTATUS(status));
  return 0;
}
