// pgrp_session: setpgid and setsid in every form and every error case, getpgid/getsid of other
// processes, and process groups used by kill(-pgid), kill(0) and waitpid(-pgid), including a
// group whose leader has exited. Return values that are pids are printed: setsid() returns the
// new session's number.
// docs/pid-semantics.md H.66 (inherited group and session read as 0), H.67 (setsid in init gives
// 1; in a group leader EPERM), H.68 (setpgid(0, 0)), H.69 (EPERM across sessions and for a
// session leader, ESRCH for a non-child, EACCES after the child's execve), H.70 (a group outlives
// its leader and keeps its number), F.47/F.48 (kill(0), kill(-pgid), waitpid(-pgid) in the box;
// a group that does not exist gives ESRCH).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static void show_status(const char* key, pid_t pid) {
  int status;
  pid_t r = waitpid(pid, &status, 0);
  if (r < 0)
    printf("%s=%s\n", key, strerrorname_np(errno));
  else if (WIFEXITED(status))
    printf("%s=%d exited %d\n", key, r, WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    printf("%s=%d signaled %s\n", key, r, sigabbrev_np(WTERMSIG(status)));
  else
    printf("%s=%d 0x%x\n", key, r, status);
}

// Reaps two members of a group with waitpid(-pgid), whichever ends first, and prints them in
// the order of their pids.
static void show_group_reaps(const char* key, pid_t group) {
  int st[2];
  pid_t r[2];
  for (int i = 0; i < 2; ++i) {
    r[i] = waitpid(group, &st[i], 0);
    if (r[i] < 0) {
      printf("%s=%s\n", key, strerrorname_np(errno));
      return;
    }
  }
  const int lo = r[0] < r[1] ? 0 : 1;
  for (int j = 0; j < 2; ++j) {
    const int i = j == 0 ? lo : 1 - lo;
    printf("%s=%d %s %s\n", key, r[i], WIFSIGNALED(st[i]) ? "signaled" : "exited",
           WIFSIGNALED(st[i]) ? sigabbrev_np(WTERMSIG(st[i])) : "");
  }
}

// A child that waits for EOF on `gate` and exits 0. If `exec_first`, it first re-executes this
// program (which then waits the same way, on the descriptor named by its argument); `ready` is
// then a close-on-exec pipe, so that its EOF tells the parent the exec has happened.
static pid_t idle_child(int gate[2], int exec_first, int ready[2]) {
  pid_t p = fork_flushed();
  if (p == 0) {
    close(gate[1]);
    if (exec_first) {
      char fd_text[16];
      snprintf(fd_text, sizeof(fd_text), "%d", gate[0]);
      execl("/proc/self/exe", "pgrp_session", fd_text, (char*)NULL);
      die("execl");
    }
    close(ready[0]);
    close(ready[1]);
    await_eof(gate[0]);
    _exit(0);
  }
  return p;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1) {  // the re-executed idle child: argv[1] is the gate's read end
    await_eof(atoi(argv[1]));
    return 0;
  }
  int gate[2], ready[2];

  // 1. Init before setsid: inherited ids are not in the box.
  show("init_getpgrp", getpgrp());
  show("init_getsid_0", getsid(0));
  show("init_setpgid_0_99999", setpgid(0, 99999));

  // 2. setpgid on children (2, 3, 4 while init is still in the outer session).
  if (pipe(gate) < 0 || pipe2(ready, O_CLOEXEC) < 0) die("pipe");
  pid_t a = idle_child(gate, 0, ready);  // 2
  pid_t b = idle_child(gate, 0, ready);  // 3
  pid_t e = idle_child(gate, 1, ready);  // 4, execs
  close(ready[1]);
  await_eof(ready[0]);  // 4 has exec'd
  close(ready[0]);
  show("setpgid_2_2", setpgid(a, a));
  show("getpgid_2", getpgid(a));
  show("setpgid_3_into_2", setpgid(b, a));
  show("getpgid_3", getpgid(b));
  show("setpgid_3_0", setpgid(b, 0));  // 0: its own pid
  show("getpgid_3_own", getpgid(b));
  show("setpgid_3_back_to_2", setpgid(b, a));
  show("setpgid_2_99999", setpgid(a, 99999));  // no such group in the session: EPERM
  show("setpgid_exec_child", setpgid(e, e));
  show("setpgid_99999_0", setpgid(99999, 0));
  show("setpgid_minus_1", setpgid(-1, 0));
  show("setpgid_0_minus_1", setpgid(0, -1));
  show("getsid_2", getsid(a));

  // kill(-pgid) reaches both members of group 2; kill(-99999) nothing; waitpid(-2) reaps them.
  show("kill_group_2_0", kill(-a, 0));
  show("kill_group_99999", kill(-99999, 0));
  show("kill_group_2_term", kill(-a, SIGTERM));
  show_group_reaps("waitpid_group_2", -a);
  show("kill_group_2_after", kill(-a, 0));
  close(gate[0]);
  close(gate[1]);
  show_status("exec_child_4", e);

  // 3. A grandchild is not init's child: setpgid ESRCH. A child in another session: EPERM for
  // moving it, and for moving into its group. 5 forks 6; 7 calls setsid().
  if (pipe(gate) < 0 || pipe(ready) < 0) die("pipe");
  int gc_ready[2];
  if (pipe(gc_ready) < 0) die("pipe");
  pid_t m = fork_flushed();  // 5
  if (m == 0) {
    close(gate[1]);
    close(gc_ready[0]);
    pid_t g = fork_flushed();  // 6
    if (g == 0) {
      close(gc_ready[1]);
      await_eof(gate[0]);
      _exit(0);
    }
    close(gc_ready[1]);
    while (wait(NULL) > 0) continue;
    _exit(0);
  }
  close(gc_ready[1]);
  await_eof(gc_ready[0]);
  close(gc_ready[0]);
  show("setpgid_grandchild_6", setpgid(6, 6));
  show("getpgid_grandchild_6", getpgid(6));
  show("getsid_grandchild_6", getsid(6));
  int sess_ready[2];
  if (pipe(sess_ready) < 0) die("pipe");
  pid_t s = fork_flushed();  // 7
  if (s == 0) {
    close(gate[1]);
    close(sess_ready[0]);
    show("child7_setsid", setsid());
    show("child7_setsid_again", setsid());
    show("child7_setpgid_0_0_leader", setpgid(0, 0));
    show("child7_getpgid_0", getpgid(0));
    show("child7_getsid_0", getsid(0));
    show("child7_getsid_1", getsid(1));
    show("child7_getpgid_1", getpgid(1));
    show("child7_setpgid_into_init_group", setpgid(0, getpgid(1)));
    fflush(stdout);
    close(sess_ready[1]);
    await_eof(gate[0]);
    _exit(0);
  }
  close(sess_ready[1]);
  await_eof(sess_ready[0]);
  close(sess_ready[0]);
  show("setpgid_other_session_child", setpgid(s, s));
  show("getsid_7", getsid(s));
  show("getpgid_7", getpgid(s));
  show("setpgid_0_into_other_session", setpgid(0, s));
  close(gate[0]);
  close(gate[1]);
  close(ready[0]);
  close(ready[1]);
  show_status("reap_5", m);
  show_status("reap_7", s);

  // 4. setsid in init: 1. Then setpgid of a child into init's group, and kill(0).
  show("init_setsid", setsid());
  show("init_setsid_again", setsid());
  show("init_getpgid_0", getpgid(0));
  show("init_getsid_0_after", getsid(0));
  show("init_setpgid_0_0_session_leader", setpgid(0, 0));
  if (pipe(gate) < 0 || pipe(ready) < 0) die("pipe");
  pid_t c = idle_child(gate, 0, ready);  // 8
  show("child8_getpgid", getpgid(c));
  show("child8_getsid", getsid(c));
  show("setpgid_8_8", setpgid(c, c));
  show("setpgid_8_back_to_1", setpgid(c, 1));
  show("getpgid_8_back", getpgid(c));
  // kill(0) from init reaches its group: child 8 dies, init itself ignores SIGTERM.
  show("init_kill_0_term", kill(0, SIGTERM));
  show_status("child8_after_kill_0", c);
  close(gate[0]);
  close(gate[1]);
  close(ready[0]);
  close(ready[1]);

  // 5. A group outlives its leader: 9 leads group 9 with member 10, then exits and is reaped.
  // The group keeps its number: getpgid(10), kill(-9), setpgid into it from another child (11),
  // and waitpid(-9) all still work.
  if (pipe(gate) < 0 || pipe(ready) < 0) die("pipe");
  pid_t leader = idle_child(gate, 0, ready);  // 9
  show("setpgid_9_9", setpgid(leader, leader));
  pid_t member = idle_child(gate, 0, ready);  // 10
  show("setpgid_10_into_9", setpgid(member, leader));
  pid_t late = idle_child(gate, 0, ready);  // 11
  kill(leader, SIGKILL);
  show_status("leader_9", leader);
  show("getpgid_10_after_leader", getpgid(member));
  show("getpgid_9_gone", getpgid(leader));
  show("kill_group_9_0", kill(-leader, 0));
  show("setpgid_11_into_9", setpgid(late, leader));
  show("getpgid_11", getpgid(late));
  show("kill_group_9_term", kill(-leader, SIGTERM));
  show_group_reaps("waitpid_group_9", -leader);
  show("kill_group_9_empty", kill(-leader, 0));
  close(gate[0]);
  close(gate[1]);
  close(ready[0]);
  close(ready[1]);

  // 6. setsid in a child returns its own pid (12), and a child that leads a group cannot (13).
  pid_t k = fork_flushed();
  if (k == 0) {
    show("child12_setsid", setsid());
    show("child12_getpgrp", getpgrp());
    _exit(0);
  }
  show_status("child12", k);
  k = fork_flushed();
  if (k == 0) {
    show("child13_setpgid_0_0", setpgid(0, 0));
    show("child13_setsid_as_leader", setsid());
    _exit(0);
  }
  show_status("child13", k);
  return 0;
}
