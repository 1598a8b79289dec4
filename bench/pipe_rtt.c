// pipe_rtt: round-trip time of one byte between two processes over pipes.
//
// Usage: pipe_rtt [-n ROUNDS] [-c CPU_A,CPU_B]
//
// Prints the median over 11 batches of the mean round trip, in nanoseconds:
//   pipe_rtt_ns=12345.6
// A round trip is 4 syscalls and 2 context switches: the floor for any
// supervisor that answers a syscall on behalf of another process (a seccomp
// user-notification round trip does similar work). -c pins the two processes
// (e.g. -c 0,0 for one CPU, -c 0,1 for two).

#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { BATCHES = 11 };

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_double(const void* a, const void* b) {
  double x = *(const double*)a;
  double y = *(const double*)b;
  return (x > y) - (x < y);
}

static void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    fprintf(stderr, "pipe_rtt: sched_setaffinity(%d): %s\n", cpu, strerror(errno));
    exit(1);
  }
}

static void transfer(int fd_out, int fd_in) {
  char byte = 0;
  if (fd_out >= 0 && write(fd_out, &byte, 1) != 1) exit(1);
  if (fd_in >= 0 && read(fd_in, &byte, 1) != 1) exit(1);
}

int main(int argc, char** argv) {
  long rounds = 5000;
  int cpu_a = -1;
  int cpu_b = -1;
  int opt;
  while ((opt = getopt(argc, argv, "n:c:")) != -1) {
    if (opt == 'n') {
      rounds = strtol(optarg, NULL, 10);
    } else if (opt != 'c' || sscanf(optarg, "%d,%d", &cpu_a, &cpu_b) != 2) {
      fprintf(stderr, "usage: pipe_rtt [-n ROUNDS] [-c CPU_A,CPU_B]\n");
      return 2;
    }
  }
  if (rounds <= 0) rounds = 5000;

  int to_child[2];
  int to_parent[2];
  if (pipe(to_child) != 0 || pipe(to_parent) != 0) {
    perror("pipe_rtt: pipe");
    return 1;
  }
  long total = rounds * (BATCHES + 1);  // one batch of warm-up
  pid_t child = fork();
  if (child < 0) {
    perror("pipe_rtt: fork");
    return 1;
  }
  if (child == 0) {
    pin(cpu_b);
    for (long i = 0; i < total; i++) {
      transfer(-1, to_child[0]);
      transfer(to_parent[1], -1);
    }
    _exit(0);
  }
  pin(cpu_a);
  double batch_ns[BATCHES + 1];
  for (int b = 0; b <= BATCHES; b++) {
    double start = now_ns();
    for (long i = 0; i < rounds; i++) transfer(to_child[1], to_parent[0]);
    batch_ns[b] = (now_ns() - start) / (double)rounds;
  }
  waitpid(child, NULL, 0);
  qsort(&batch_ns[1], BATCHES, sizeof(double), compare_double);
  printf("pipe_rtt_ns=%.1f\n", batch_ns[1 + BATCHES / 2]);
  return 0;
}
