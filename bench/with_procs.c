// with_procs: time a command while many idle processes exist.
//
// Usage: with_procs [-p PROCS] [-n RUNS] -- CMD [ARG...]
//
// Forks PROCS children (default 200) that only wait to be killed, then runs
// CMD (searched in PATH) RUNS times (default 10), one after the other, with
// stdin and stdout on /dev/null, and prints on stdout
//   per_run_us=1234.5    mean wall time of one run of CMD (CLOCK_MONOTONIC,
//                        fork to reap), the setup of the children excluded
//   min_run_us=1200.0    fastest run
//   lines=212            lines CMD wrote in one untimed warm-up run made first
//                        (for `ps -ef`: how many processes it listed)
//   procs=200
// Then kills every child by its pid and reaps it. The children also die with
// this process (PR_SET_PDEATHSIG) or with the pid namespace or box it runs in.
// Exit status: 0, or 1 when CMD failed once (its stderr is left alone so that
// the caller can log why), 2 on a usage error or when setting up failed.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_PROCS = 4096 };

static pid_t children[MAX_PROCS];
static int nchildren;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void kill_children(void) {
  for (int i = 0; i < nchildren; i++) kill(children[i], SIGKILL);
  for (int i = 0; i < nchildren; i++) {
    while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR) {
    }
  }
  nchildren = 0;
}

static int start_children(int procs) {
  const pid_t parent = getpid();
  for (int i = 0; i < procs; i++) {
    const pid_t pid = fork();
    if (pid < 0) {
      fprintf(stderr, "with_procs: fork: %s\n", strerror(errno));
      return -1;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(0);  // the parent died before the prctl
      for (;;) pause();
    }
    children[nchildren++] = pid;
  }
  return 0;
}

// run_once: runs CMD with stdout to `out_fd`; returns its wait status, -1 when it could not fork.
static int run_once(char** cmd, int out_fd, int null_fd) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0) _exit(127);
    execvp(cmd[0], cmd);
    fprintf(stderr, "with_procs: %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

// count_lines: one run of CMD with its stdout read back; returns its line count, -1 on failure.
static long count_lines(char** cmd, int null_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0) _exit(127);
    execvp(cmd[0], cmd);
    fprintf(stderr, "with_procs: %s: %s\n", cmd[0], strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  long lines = 0;
  char buf[8192];
  ssize_t got;
  while ((got = read(fds[0], buf, sizeof buf)) != 0) {
    if (got < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (ssize_t i = 0; i < got; i++) lines += buf[i] == '\n';
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? lines : -1;
}

int main(int argc, char** argv) {
  int procs = 200, runs = 10, opt;
  while ((opt = getopt(argc, argv, "+p:n:")) != -1) {
    switch (opt) {
      case 'p': procs = atoi(optarg); break;
      case 'n': runs = atoi(optarg); break;
      default: goto usage;
    }
  }
  if (optind >= argc || procs < 0 || procs > MAX_PROCS || runs < 1) goto usage;
  char** cmd = &argv[optind];

  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) {
    fprintf(stderr, "with_procs: /dev/null: %s\n", strerror(errno));
    return 2;
  }
  if (start_children(procs) < 0) {
    kill_children();
    return 2;
  }

  int failed = 0;
  const long lines = count_lines(cmd, null_fd);
  if (lines < 0) {
    fprintf(stderr, "with_procs: warm-up run of %s failed\n", cmd[0]);
    failed = 1;
  }
  long long total = 0, fastest = -1;
  for (int i = 0; i < runs && !failed; i++) {
    const long long start = now_ns();
    const int status = run_once(cmd, null_fd, null_fd);
    const long long elapsed = now_ns() - start;
    if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "with_procs: %s failed (wait status %#x)\n", cmd[0], status);
      failed = 1;
      break;
    }
    total += elapsed;
    if (fastest < 0 || elapsed < fastest) fastest = elapsed;
  }
  kill_children();
  if (failed) return 1;

  printf("per_run_us=%.1f\n", (double)total / runs / 1e3);
  printf("min_run_us=%.1f\n", (double)fastest / 1e3);
  printf("lines=%ld\n", lines);
  printf("procs=%d\n", procs);
  return 0;

usage:
  fprintf(stderr, "usage: with_procs [-p PROCS] [-n RUNS] -- CMD [ARG...]\n");
  return 2;
}
