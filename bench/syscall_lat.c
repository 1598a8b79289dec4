// syscall_lat: per-call latency of raw system calls.
//
// Usage: syscall_lat [-b BATCHES] [-n CALLS] [-t BUDGET_MS] NAME...
//   NAME is one of getpid, getuid, gettid, getppid, getpgrp, getsid.
//
// For each NAME, runs BATCHES batches of CALLS raw syscall(SYS_<name>) calls
// and prints the median of the batch means, in nanoseconds per call:
//   getpid_ns=123.4
//   getpid_min_ns=120.1      (fastest batch)
//   getpid_calls=20000       (calls per batch actually used)
//   getpid_value=1           (what the call returned: shows whether it was answered
//                             by a pid namespace / supervisor or by the kernel)
// The batches of different NAMEs are interleaved so that drift (frequency
// changes, a noisy neighbour) hits all of them alike.
//
// A slow environment (a tracer stopping on every call) would make the default
// 21 x 20000 calls last minutes, so CALLS is lowered for a NAME whose
// calibration run shows that its batches would exceed BUDGET_MS in total
// (never below MIN_CALLS).

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { MAX_NAMES = 8, MAX_BATCHES = 1001, MIN_CALLS = 200, CALIBRATION_CALLS = 500 };

struct known_syscall {
  const char* name;
  long nr;
};

static const struct known_syscall kKnown[] = {
    {"getpid", SYS_getpid},   {"getuid", SYS_getuid},   {"gettid", SYS_gettid},
    {"getppid", SYS_getppid}, {"getpgrp", SYS_getpgrp}, {"getsid", SYS_getsid},
};

struct measured {
  const char* name;
  long nr;
  long calls;
  long value;
  double batch_ns[MAX_BATCHES];
};

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

// Mean nanoseconds per call over `calls` calls of syscall `nr` (no arguments;
// getsid(0) reads the caller's session, which is what we want).
static double time_batch(long nr, long calls) {
  double start = now_ns();
  for (long i = 0; i < calls; i++) syscall(nr, 0L);
  return (now_ns() - start) / (double)calls;
}

static int compare_double(const void* a, const void* b) {
  double x = *(const double*)a;
  double y = *(const double*)b;
  return (x > y) - (x < y);
}

static double median(double* values, int count) {
  qsort(values, (size_t)count, sizeof(double), compare_double);
  if (count % 2) return values[count / 2];
  return (values[count / 2 - 1] + values[count / 2]) / 2.0;
}

static long parse_positive(const char* text, const char* what) {
  char* end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value <= 0) {
    fprintf(stderr, "syscall_lat: bad %s: %s\n", what, text);
    exit(2);
  }
  return value;
}

static void usage(void) {
  fprintf(stderr, "usage: syscall_lat [-b BATCHES] [-n CALLS] [-t BUDGET_MS] NAME...\n");
  exit(2);
}

int main(int argc, char** argv) {
  long batches = 21;
  long calls = 20000;
  long budget_ms = 1500;
  int opt;
  while ((opt = getopt(argc, argv, "b:n:t:")) != -1) {
    switch (opt) {
      case 'b':
        batches = parse_positive(optarg, "batch count");
        break;
      case 'n':
        calls = parse_positive(optarg, "call count");
        break;
      case 't':
        budget_ms = parse_positive(optarg, "budget");
        break;
      default:
        usage();
    }
  }
  if (optind >= argc || argc - optind > MAX_NAMES) usage();
  if (batches > MAX_BATCHES) {
    fprintf(stderr, "syscall_lat: at most %d batches\n", MAX_BATCHES);
    return 2;
  }

  static struct measured m[MAX_NAMES];
  int count = 0;
  for (int i = optind; i < argc; i++) {
    long nr = -1;
    for (size_t k = 0; k < sizeof(kKnown) / sizeof(kKnown[0]); k++) {
      if (strcmp(argv[i], kKnown[k].name) == 0) nr = kKnown[k].nr;
    }
    if (nr < 0) {
      fprintf(stderr, "syscall_lat: unknown syscall %s\n", argv[i]);
      return 2;
    }
    m[count].name = argv[i];
    m[count].nr = nr;
    m[count].value = syscall(nr, 0L);
    // Warm up, then size the batches so that this name stays within budget.
    time_batch(nr, CALIBRATION_CALLS);
    double per_call = time_batch(nr, CALIBRATION_CALLS);
    double budget_calls = (double)budget_ms * 1e6 / ((double)batches * per_call);
    m[count].calls = calls;
    if (budget_calls < (double)calls) {
      m[count].calls = budget_calls < MIN_CALLS ? MIN_CALLS : (long)budget_calls;
    }
    count++;
  }

  for (long b = 0; b < batches; b++) {
    for (int i = 0; i < count; i++) m[i].batch_ns[b] = time_batch(m[i].nr, m[i].calls);
  }

  for (int i = 0; i < count; i++) {
    double med = median(m[i].batch_ns, (int)batches);
    printf("%s_ns=%.1f\n", m[i].name, med);
    printf("%s_min_ns=%.1f\n", m[i].name, m[i].batch_ns[0]);
    printf("%s_calls=%ld\n", m[i].name, m[i].calls);
    printf("%s_value=%ld\n", m[i].name, m[i].value);
  }
  return 0;
}
