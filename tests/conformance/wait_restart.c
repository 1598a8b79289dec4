// wait_restart: a wait for one particular child (by pid or by group) that is interrupted by a
// signal and restarted by the kernel still waits for that child. The interruption comes from
// another child that exits while init is blocked (SIGCHLD, default disposition), or that sends
// init a signal init handles with SA_RESTART. The interrupting child exits ~0.1 s after the
// wait has begun; the awaited one exits right after it. What is printed does not depend on the
// timing: each wait must return the child it names, with its own exit status.
// docs/pid-semantics.md C (wait4/waitid with a pid or a group), F.48, F.49, G.58.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig) {
  (void)sig;
  usr1_count = usr1_count + 1;
}

// Forks the interrupter (exits 0.1 s from now with status 5, after sending init SIGUSR1 if
// `send_usr1`) and the awaited child (exits with status 7 once the interrupter has gone; in a
// group of its own when `own_group`). Returns the awaited child's pid.
static pid_t start_pair(int send_usr1, int own_group) {
  int gate[2];
  if (pipe(gate) < 0) die("pipe");
  pid_t interrupter = fork_flushed();
  if (interrupter == 0) {
    close(gate[0]);
    sleep_ms(100);
    if (send_usr1) kill(1, SIGUSR1);
    _exit(5);  // closes gate[1]
  }
  pid_t awaited = fork_flushed();
  if (awaited == 0) {
    if (own_group) setpgid(0, 0);
    close(gate[1]);
    await_eof(gate[0]);
    _exit(7);
  }
  if (own_group) setpgid(awaited, awaited);
  close(gate[0]);
  close(gate[1]);
  return awaited;
}

// Waits with waitpid(pid) and prints the result.
static void show_wait(const char* key, pid_t pid) {
  int status = 0;
  pid_t r = waitpid(pid, &status, 0);
  if (r < 0)
    printf("%s=%s\n", key, strerrorname_np(errno));
  else if (WIFEXITED(status))
    printf("%s=%d exited %d\n", key, r, WEXITSTATUS(status));
  else
    printf("%s=%d status 0x%x\n", key, r, status);
}

static void show_waitid(const char* key, int r, const siginfo_t* si) {
  if (r < 0)
    printf("%s=%s\n", key, strerrorname_np(errno));
  else
    printf("%s=si_pid %d si_status %d\n", key, si->si_pid, si->si_status);
}

// Reaps the interrupter, which is the only child left.
static void reap_rest(const char* key) {
  show_wait(key, -1);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  if (sigaction(SIGUSR1, &sa, NULL) < 0) die("sigaction");
  siginfo_t si;

  for (int send_usr1 = 0; send_usr1 < 2; ++send_usr1) {
    const char* how = send_usr1 ? "handled_usr1" : "sigchld";
    char key[64];

    pid_t p = start_pair(send_usr1, 0);
    snprintf(key, sizeof(key), "%s_waitpid_pid", how);
    show_wait(key, p);
    snprintf(key, sizeof(key), "%s_waitpid_pid_rest", how);
    reap_rest(key);

    p = start_pair(send_usr1, 0);
    memset(&si, 0, sizeof(si));
    snprintf(key, sizeof(key), "%s_waitid_pid", how);
    show_waitid(key, waitid(P_PID, (id_t)p, &si, WEXITED), &si);
    snprintf(key, sizeof(key), "%s_waitid_pid_rest", how);
    reap_rest(key);

    p = start_pair(send_usr1, 1);
    snprintf(key, sizeof(key), "%s_waitpid_group", how);
    show_wait(key, -p);
    snprintf(key, sizeof(key), "%s_waitpid_group_rest", how);
    reap_rest(key);

    p = start_pair(send_usr1, 1);
    memset(&si, 0, sizeof(si));
    snprintf(key, sizeof(key), "%s_waitid_group", how);
    show_waitid(key, waitid(P_PGID, (id_t)p, &si, WEXITED), &si);
    snprintf(key, sizeof(key), "%s_waitid_group_rest", how);
    reap_rest(key);
  }
  printf("usr1_count=%d\n", (int)usr1_count);
  return 0;
}
