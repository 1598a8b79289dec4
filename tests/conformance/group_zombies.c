// group_zombies: a process group whose members have all exited but are not reaped yet. The
// group still exists (a zombie is still a member) and keeps its number, also once its leader
// has been reaped: getpgid() of a zombie member names it, kill(-pgid) finds it, and
// waitpid(-pgid) / waitid(P_PGID) reap the remaining members. The leader (2) and two members
// (3, 4) of group 2 exit at once; init makes sure they are all zombies before reaping any.
// docs/pid-semantics.md A.8 (a number stays in use while a group uses it, zombies included), H.70
// (a group outlives its leader), F.48, C (waiting by group).
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

// Forks a child that joins group `pgid` (0: its own) and exits with `code` at once.
static pid_t member(pid_t pgid, int code) {
  pid_t p = fork_flushed();
  if (p == 0) {
    setpgid(0, pgid);
    _exit(code);
  }
  setpgid(p, pgid);
  return p;
}

// Waits until `pid` is a zombie, without reaping it.
static void until_zombie(pid_t pid) {
  siginfo_t si;
  memset(&si, 0, sizeof(si));
  if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0) die("waitid WNOWAIT");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pid_t leader = member(0, 3);  // 2
  pid_t a = member(leader, 4);  // 3
  pid_t b = member(leader, 5);  // 4
  until_zombie(leader);
  until_zombie(a);
  until_zombie(b);

  // Everyone is a zombie; nobody has been reaped.
  show("getpgid_zombie_leader", getpgid(leader));
  show("getpgid_zombie_member", getpgid(a));
  show("kill_group_of_zombies", kill(-leader, 0));

  // Reap the leader: the group lives on in its zombie members.
  int status;
  show("reap_leader", waitpid(leader, &status, 0));
  show("getpgid_leader_reaped", getpgid(leader));
  show("getpgid_member_after_leader", getpgid(a));
  show("getsid_member_after_leader", getsid(a) == getsid(0));
  show("kill_group_after_leader", kill(-leader, 0));
  show("kill_leader_after_reap", kill(leader, 0));
  siginfo_t si;
  memset(&si, 0, sizeof(si));
  show("waitid_pgid_after_leader", waitid(P_PGID, (id_t)leader, &si, WEXITED));
  show("waitid_pgid_after_leader_si_pid", si.si_pid);
  show("waitid_pgid_after_leader_si_status", si.si_status);
  status = 0;
  const pid_t r = waitpid(-leader, &status, 0);
  show("waitpid_group_after_leader", r);
  show("waitpid_group_after_leader_status", r > 0 ? WEXITSTATUS(status) : -1);

  // Now the group is empty and gone.
  show("waitpid_group_empty", waitpid(-leader, &status, WNOHANG));
  show("kill_group_empty", kill(-leader, 0));
  return 0;
}
