// open_cost: price of opening a regular file, open + close in a loop; with -s,
// of a stat of it instead.
//
// Usage: open_cost [-s] [-b BATCHES] [-t BUDGET_MS] FILE
//
// Times batches of open(FILE, O_RDONLY) + close() (glibc's open is the openat
// system call), or of stat(FILE) (glibc's stat is newfstatat), and prints on
// stdout
//   open_close_us=2.51      median over BATCHES batches (default 11) of the
//                           mean time of one open + close in the batch
//                           (stat_us=... with -s)
//   min_open_close_us=2.40  fastest batch's mean (min_stat_us=... with -s)
//   calls=20000             open + close pairs per batch (chosen so that all
//                           batches together take about BUDGET_MS, default
//                           1000; between 50 and 20000)
// Exit status: 0, 1 when FILE cannot be opened, 2 on a usage error.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { MAX_BATCHES = 1001, MIN_CALLS = 50, MAX_CALLS = 20000, CALIBRATION_CALLS = 50 };

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int stat_mode;  // -s: stat instead of open + close

// time_batch: mean ns per open + close (or stat) over `calls`; -1 when one failed.
static double time_batch(const char* path, long calls) {
  const double start = now_ns();
  for (long i = 0; i < calls; i++) {
    if (stat_mode) {
      struct stat st;
      if (stat(path, &st) != 0) return -1;
      continue;
    }
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    close(fd);
  }
  return (now_ns() - start) / (double)calls;
}

static int compare_doubles(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  int batches = 11, budget_ms = 1000, opt;
  while ((opt = getopt(argc, argv, "sb:t:")) != -1) {
    switch (opt) {
      case 's': stat_mode = 1; break;
      case 'b': batches = atoi(optarg); break;
      case 't': budget_ms = atoi(optarg); break;
      default: goto usage;
    }
  }
  if (optind + 1 != argc || batches < 1 || batches > MAX_BATCHES || budget_ms < 1) goto usage;
  const char* path = argv[optind];

  const double one_ns = time_batch(path, CALIBRATION_CALLS);
  if (one_ns < 0) {
    fprintf(stderr, "open_cost: %s: %s\n", path, strerror(errno));
    return 1;
  }
  long calls = (long)((double)budget_ms * 1e6 / batches / (one_ns > 1 ? one_ns : 1));
  if (calls < MIN_CALLS) calls = MIN_CALLS;
  if (calls > MAX_CALLS) calls = MAX_CALLS;

  static double batch_ns[MAX_BATCHES];
  for (int b = 0; b < batches; b++) {
    batch_ns[b] = time_batch(path, calls);
    if (batch_ns[b] < 0) {
      fprintf(stderr, "open_cost: %s: %s\n", path, strerror(errno));
      return 1;
    }
  }
  qsort(batch_ns, (size_t)batches, sizeof batch_ns[0], compare_doubles);
  const char* what = stat_mode ? "stat" : "open_close";
  printf("%s_us=%.3f\n", what, batch_ns[batches / 2] / 1e3);
  printf("min_%s_us=%.3f\n", what, batch_ns[0] / 1e3);
  printf("calls=%ld\n", calls);
  return 0;

usage:
  fprintf(stderr, "usage: open_cost [-s] [-b BATCHES] [-t BUDGET_MS] FILE\n");
  return 2;
}
