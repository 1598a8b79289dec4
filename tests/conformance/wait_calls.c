// wait_calls: every form of waiting, with the pids it takes and the pids it returns.
// wait4/waitpid with a pid, -1, 0 and -pgid; WNOHANG with nothing to report; waitid with P_PID,
// P_PGID (a group, and 0 for the caller's own), P_ALL and P_PIDFD, and the si_pid, si_code,
// si_status and si_uid it writes; stop and continue reports; WNOWAIT; and the errors for pids that
// are not children (a grandchild, init itself, numbers that name nothing).
// docs/pid-semantics.md C (reaping), F.48 (waitpid(-pgid) looks the group up in the box), F.49
// (only the caller's own children can be waited for), G.58 (waitid gives the child's pid as the
// parent sees it), A.8 (a zombie keeps its number until reaped).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

// Forks a child that waits for EOF on gate_read (if >= 0) and exits with `code`. If `pgid` is
// not -1, the child is moved to that group (0: a group of its own) by both sides before fork()
// returns in the parent, so there is no race.
static pid_t spawn(int gate_read, int gate_write, int code, pid_t pgid) {
  pid_t p = fork_flushed();
  if (p == 0) {
    if (pgid != -1 && setpgid(0, pgid) < 0) die("setpgid in child");
    if (gate_write >= 0) close(gate_write);
    if (gate_read >= 0) await_eof(gate_read);
    _exit(code);
  }
  if (pgid != -1 && setpgid(p, pgid) < 0 && errno != EACCES) die("setpgid in parent");
  return p;
}

static void show_status(const char* key, int status) {
  if (WIFEXITED(status))
    printf("%s=exited %d\n", key, WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    printf("%s=signaled %s\n", key, sigabbrev_np(WTERMSIG(status)));
  else if (WIFSTOPPED(status))
    printf("%s=stopped %s\n", key, sigabbrev_np(WSTOPSIG(status)));
  else if (WIFCONTINUED(status))
    printf("%s=continued\n", key);
  else
    printf("%s=0x%x\n", key, status);
}

static const char* code_name(int code) {
  switch (code) {
    case CLD_EXITED:
      return "CLD_EXITED";
    case CLD_KILLED:
      return "CLD_KILLED";
    case CLD_DUMPED:
      return "CLD_DUMPED";
    case CLD_STOPPED:
      return "CLD_STOPPED";
    case CLD_CONTINUED:
      return "CLD_CONTINUED";
    case 0:
      return "0";
    default:
      return "other";
  }
}

// Prints what waitid wrote.
static void show_siginfo(const char* key, long r, const siginfo_t* si) {
  if (r < 0) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  printf("%s=si_pid %d si_code %s si_status %d si_uid %d\n", key, si->si_pid,
         code_name(si->si_code), si->si_status, (int)si->si_uid);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int status;
  siginfo_t si;
  struct rusage ru;

  // 1. wait4 for a given pid, with rusage: child 2 exits 3.
  pid_t p = spawn(-1, -1, 3, -1);
  show("wait4_pid_ret", wait4(2, &status, 0, &ru));
  show_status("wait4_pid_status", status);
  show("p1", p);

  // 2. WNOHANG while the only child (3) runs: 0; then waitpid(-1) returns it.
  int gate[2];
  if (pipe(gate) < 0) die("pipe");
  spawn(gate[0], gate[1], 0, -1);
  close(gate[0]);
  show("wnohang_running", waitpid(-1, &status, WNOHANG));
  show("wnohang_pid_running", waitpid(3, &status, WNOHANG));
  close(gate[1]);
  show("waitpid_any", waitpid(-1, &status, 0));
  show_status("waitpid_any_status", status);

  // 3. waitpid(0): a child in init's own group (4).
  spawn(-1, -1, 5, -1);
  show("waitpid_0", waitpid(0, &status, 0));
  show_status("waitpid_0_status", status);

  // 4. waitpid(-pgid): 5 leads group 5 and waits for a gate; 6 is in init's group and exits.
  // Once 6 is a zombie, waitpid(-5, WNOHANG) still reports nothing; 7 joins group 5 and exits;
  // waitpid(-5) then returns 7 (not 6), and after the gate opens, 5.
  if (pipe(gate) < 0) die("pipe");
  spawn(gate[0], gate[1], 0, 0);  // 5
  spawn(-1, -1, 6, -1);           // 6
  memset(&si, 0, sizeof(si));
  show("waitid_6_nowait", waitid(P_PID, 6, &si, WEXITED | WNOWAIT));
  show_siginfo("waitid_6_nowait_info", 0, &si);
  show("waitpid_group5_nohang", waitpid(-5, &status, WNOHANG));
  show("getpgid_zombie_6", getpgid(6));
  spawn(-1, -1, 7, 5);  // 7, in group 5
  show("waitpid_group5", waitpid(-5, &status, 0));
  show_status("waitpid_group5_status", status);
  close(gate[0]);
  close(gate[1]);
  show("waitpid_group5_leader", waitpid(-5, &status, 0));
  show_status("waitpid_group5_leader_status", status);
  show("waitpid_group5_empty", waitpid(-5, &status, 0));
  show("waitpid_6", waitpid(6, &status, 0));
  show_status("waitpid_6_status", status);

  // 5. waitid(P_PID): child 8 exits 4.
  spawn(-1, -1, 4, -1);
  memset(&si, 0, sizeof(si));
  show_siginfo("waitid_pid", waitid(P_PID, 8, &si, WEXITED), &si);

  // 6. waitid(P_PGID): child 9 leads group 9 and is killed by SIGTERM.
  if (pipe(gate) < 0) die("pipe");
  spawn(gate[0], gate[1], 0, 0);
  close(gate[0]);
  show("kill_9_term", kill(9, SIGTERM));
  memset(&si, 0, sizeof(si));
  show_siginfo("waitid_pgid", waitid(P_PGID, 9, &si, WEXITED), &si);
  close(gate[1]);

  // 7. waitid(P_ALL, WNOHANG) with a child that has not exited (10): returns 0, si_pid 0.
  if (pipe(gate) < 0) die("pipe");
  spawn(gate[0], gate[1], 2, -1);
  close(gate[0]);
  memset(&si, 0, sizeof(si));
  show_siginfo("waitid_all_nohang", waitid(P_ALL, 0, &si, WEXITED | WNOHANG), &si);
  close(gate[1]);
  // 8. waitid(P_PGID, 0): the caller's own group; returns 10.
  memset(&si, 0, sizeof(si));
  show_siginfo("waitid_pgid_0", waitid(P_PGID, 0, &si, WEXITED), &si);

  // 9. Stop and continue reports: child 11 stops itself; once continued, it waits for a gate
  // (an exit would wipe the "continued" state before the parent could see it).
  p = fork_gated(gate);
  if (p == 0) {
    raise(SIGSTOP);
    await_eof(gate[0]);
    _exit(6);
  }
  show("waitpid_stopped", waitpid(11, &status, WUNTRACED));
  show_status("waitpid_stopped_status", status);
  show("kill_11_cont", kill(11, SIGCONT));
  memset(&si, 0, sizeof(si));
  show_siginfo("waitid_continued", waitid(P_PID, 11, &si, WCONTINUED), &si);
  close(gate[1]);
  show("waitpid_11_exit", waitpid(11, &status, 0));
  show_status("waitpid_11_exit_status", status);

  // 10. A stop seen by waitid(WSTOPPED), a continue by waitpid(WCONTINUED): child 12.
  p = fork_gated(gate);
  if (p == 0) {
    raise(SIGSTOP);
    await_eof(gate[0]);
    _exit(7);
  }
  memset(&si, 0, sizeof(si));
  show_siginfo("waitid_stopped", waitid(P_ALL, 0, &si, WSTOPPED), &si);
  show("kill_12_cont", kill(12, SIGCONT));
  show("waitpid_continued", waitpid(12, &status, WCONTINUED));
  show_status("waitpid_continued_status", status);
  close(gate[1]);
  memset(&si, 0, sizeof(si));
  show_siginfo("waitid_12_exit", waitid(P_PID, 12, &si, WEXITED), &si);

  // 11. Not children: a grandchild (14, child of 13), init itself, numbers that name nothing.
  int ready[2];
  if (pipe(gate) < 0 || pipe(ready) < 0) die("pipe");
  p = fork_flushed();  // 13
  if (p == 0) {
    close(ready[0]);
    pid_t g = fork_flushed();  // 14
    if (g == 0) {
      close(ready[1]);
      close(gate[1]);
      await_eof(gate[0]);
      _exit(0);
    }
    close(ready[1]);
    close(gate[1]);
    if (waitpid(14, &status, 0) != 14) die("waitpid 14 in 13");
    _exit(0);
  }
  close(ready[1]);
  await_eof(ready[0]);  // 14 exists
  close(ready[0]);
  show("waitpid_grandchild", waitpid(14, &status, WNOHANG));
  memset(&si, 0, sizeof(si));
  show("waitid_grandchild", waitid(P_PID, 14, &si, WEXITED | WNOHANG));
  long gfd = syscall(SYS_pidfd_open, 14, 0);
  show("pidfd_open_grandchild_ok", gfd >= 0);
  show("waitid_pidfd_grandchild", waitid((idtype_t)P_PIDFD, (id_t)gfd, &si, WEXITED | WNOHANG));
  close((int)gfd);
  show("waitid_pidfd_not_a_pidfd", waitid((idtype_t)P_PIDFD, 0, &si, WEXITED | WNOHANG));
  show("waitpid_self", waitpid(1, &status, WNOHANG));
  show("waitpid_99999", waitpid(99999, &status, WNOHANG));
  show("waitpid_group_99999", waitpid(-99999, &status, WNOHANG));
  show("waitid_pid_99999", waitid(P_PID, 99999, &si, WEXITED | WNOHANG));
  show("waitid_pgid_99999", waitid(P_PGID, 99999, &si, WEXITED | WNOHANG));
  show("wait4_99999", wait4(99999, &status, WNOHANG, &ru));
  close(gate[0]);
  close(gate[1]);
  show("waitpid_13", waitpid(13, &status, 0));
  show_status("waitpid_13_status", status);
  show("waitpid_none_left", waitpid(-1, &status, 0));
  memset(&si, 0, sizeof(si));
  show("waitid_none_left", waitid(P_ALL, 0, &si, WEXITED));

  // 12. Many reaps in a row: every waitid reports the right si_pid, by P_PID and by P_PIDFD
  // (15..54), and every wait4 returns the right pid (55..74).
  int good_pid = 0, good_pidfd = 0, good_wait4 = 0;
  for (int i = 0; i < 20; ++i) {
    p = spawn(-1, -1, 0, -1);
    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, p, &si, WEXITED) == 0 && si.si_pid == 15 + i) ++good_pid;
  }
  for (int i = 0; i < 20; ++i) {
    p = spawn(-1, -1, 0, -1);
    int fd = (int)syscall(SYS_pidfd_open, p, 0);
    memset(&si, 0, sizeof(si));
    if (fd >= 0 && waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED) == 0 && si.si_pid == 35 + i)
      ++good_pidfd;
    if (fd >= 0) close(fd);
  }
  for (int i = 0; i < 20; ++i) {
    spawn(-1, -1, 0, -1);
    if (wait4(-1, &status, 0, NULL) == 55 + i) ++good_wait4;
  }
  show("repeated_waitid_pid_ok", good_pid);
  show("repeated_waitid_pidfd_ok", good_pidfd);
  show("repeated_wait4_ok", good_wait4);
  return 0;
}
