// scale_fork_cycles: 40,000 fork/wait cycles, more than the host's usual pid_max (32768).
// pid-semantics.md §4: A.3 (numbers are handed out in order and not reused until the space wraps)
// and A.4 (a pid namespace wraps at its own pid_max, not the host's: since Linux 6.14 a new pid
// namespace has a pid_max of its own, 4194304, so the 40,000th child is numbered 40,001 even
// where the host's real pids wrap at 32768), A.9 (/proc/sys/kernel/pid_max shows that limit).
// Each child reports its own getpid() through a pipe; the parent checks it against fork()'s
// result and prints the numbers at a few checkpoints. How long it took goes to stderr.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

enum { kCycles = 40000, kCheckpoint = 10000 };

static double seconds_since(const struct timespec* start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  FILE* f = fopen("/proc/sys/kernel/pid_max", "re");
  long pid_max = -1;
  if (!f || fscanf(f, "%ld", &pid_max) != 1) pid_max = -1;
  if (f) fclose(f);
  show("proc_sys_kernel_pid_max", pid_max);

  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int self[2];
  if (pipe(self) < 0) die("pipe");
  pid_t previous = 1;
  int not_next = 0, self_mismatch = 0, bad_status = 0;
  for (int i = 1; i <= kCycles; ++i) {
    // vfork: no address space to copy, so that forty thousand cycles stay quick.
    const pid_t p = vfork();
    if (p < 0) die("vfork");
    if (p == 0) {
      const pid_t me = getpid();
      _exit(write(self[1], &me, sizeof me) == sizeof me ? 0 : 1);
    }
    pid_t reported = -1;
    if (read(self[0], &reported, sizeof reported) != sizeof reported) die("read");
    int status;
    if (waitpid(p, &status, 0) != p) die("waitpid");
    bad_status += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    self_mismatch += reported != p;
    not_next += p != previous + 1;
    previous = p;
    if (i == 1 || i % kCheckpoint == 0) printf("child_%d_pid=%d\n", i, (int)p);
  }
  printf("cycles=%d not_the_next_number=%d self_report_mismatch=%d bad_status=%d\n", kCycles,
         not_next, self_mismatch, bad_status);
  fprintf(stderr, "scale_fork_cycles: %d cycles in %.2f s\n", kCycles, seconds_since(&start));
  return 0;
}
