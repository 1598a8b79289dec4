// sig_lat: per-call latency of the signal calls a supervisor may have to serve.
//
// Usage: sig_lat [-b BATCHES] [-n CALLS] [-t BUDGET_MS]
//
// Runs in a child of the process it is started as (so that it is never a pid namespace's init,
// whose signals the kernel treats apart), with a peer process that sleeps in pause() and
// handles SIGUSR1. Measures, in interleaved batches, the median of the batch means per call:
//   kill0_self_ns     kill(getpid(), 0): the existence and permission question
//   kill0_other_ns    kill(peer, 0)
//   kill_ignored_ns   kill(getpid(), SIGUSR1) with SIGUSR1 ignored: the kernel drops it at once
//   kill_handled_ns   kill(getpid(), SIGUSR2) with a handler: delivered before kill returns
//   kill_other_ns     kill(peer, SIGUSR1): the peer wakes and runs its handler
//   tgkill0_self_ns   tgkill(getpid(), gettid(), 0)
// and `<name>_calls=N`, the calls per batch (lowered, as syscall_lat does, when a slow
// environment would make the batches exceed the budget).
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_BATCHES = 1001, MIN_CALLS = 100, CALIBRATION_CALLS = 200 };

static pid_t self_pid, self_tid, peer;
static volatile sig_atomic_t handled;

static void on_signal(int signo) {
  (void)signo;
  handled++;
}

static void kill0_self(void) {
  kill(self_pid, 0);
}
static void kill0_other(void) {
  kill(peer, 0);
}
static void kill_ignored(void) {
  kill(self_pid, SIGUSR1);
}
static void kill_handled(void) {
  kill(self_pid, SIGUSR2);
}
static void kill_other(void) {
  kill(peer, SIGUSR1);
}
static void tgkill0_self(void) {
  syscall(SYS_tgkill, self_pid, self_tid, 0);
}

struct measured {
  const char* name;
  void (*call)(void);
  long calls;
  double batch_ns[MAX_BATCHES];
};

static struct measured kMeasured[] = {
    {"kill0_self", kill0_self, 0, {0}},     {"kill0_other", kill0_other, 0, {0}},
    {"kill_ignored", kill_ignored, 0, {0}}, {"kill_handled", kill_handled, 0, {0}},
    {"kill_other", kill_other, 0, {0}},     {"tgkill0_self", tgkill0_self, 0, {0}},
};
enum { kCount = sizeof(kMeasured) / sizeof(kMeasured[0]) };

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double time_batch(void (*call)(void), long calls) {
  const double start = now_ns();
  for (long i = 0; i < calls; i++) call();
  return (now_ns() - start) / (double)calls;
}

static int compare_double(const void* a, const void* b) {
  const double x = *(const double*)a;
  const double y = *(const double*)b;
  return (x > y) - (x < y);
}

static long parse_positive(const char* text, const char* what) {
  char* end = NULL;
  errno = 0;
  const long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value <= 0) {
    fprintf(stderr, "sig_lat: bad %s: %s\n", what, text);
    exit(2);
  }
  return value;
}

static int measure(long batches, long calls, long budget_ms) {
  self_pid = getpid();
  self_tid = (pid_t)syscall(SYS_gettid);
  signal(SIGUSR1, SIG_IGN);
  signal(SIGUSR2, on_signal);
  peer = fork();
  if (peer < 0) return 1;
  if (peer == 0) {
    signal(SIGUSR1, on_signal);
    for (;;) pause();
  }
  for (int i = 0; i < kCount; i++) {
    struct measured* m = &kMeasured[i];
    time_batch(m->call, CALIBRATION_CALLS);
    const double per_call = time_batch(m->call, CALIBRATION_CALLS);
    const double budget_calls = (double)budget_ms * 1e6 / ((double)batches * per_call);
    m->calls = calls;
    if (budget_calls < (double)calls)
      m->calls = budget_calls < MIN_CALLS ? MIN_CALLS : (long)budget_calls;
  }
  for (long b = 0; b < batches; b++)
    for (int i = 0; i < kCount; i++)
      kMeasured[i].batch_ns[b] = time_batch(kMeasured[i].call, kMeasured[i].calls);
  kill(peer, SIGKILL);
  waitpid(peer, NULL, 0);
  for (int i = 0; i < kCount; i++) {
    struct measured* m = &kMeasured[i];
    qsort(m->batch_ns, (size_t)batches, sizeof(double), compare_double);
    const double med = batches % 2 ? m->batch_ns[batches / 2]
                                   : (m->batch_ns[batches / 2 - 1] + m->batch_ns[batches / 2]) / 2;
    printf("%s_ns=%.1f\n%s_calls=%ld\n", m->name, med, m->name, m->calls);
  }
  return handled > 0 ? 0 : 1;  // the handled signals were delivered
}

int main(int argc, char** argv) {
  long batches = 11, calls = 20000, budget_ms = 1000;
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
        fprintf(stderr, "usage: sig_lat [-b BATCHES] [-n CALLS] [-t BUDGET_MS]\n");
        return 2;
    }
  }
  if (batches > MAX_BATCHES) return 2;
  fflush(stdout);
  const pid_t worker = fork();
  if (worker < 0) return 1;
  if (worker == 0) {
    const int status = measure(batches, calls, budget_ms);
    fflush(stdout);
    _exit(status);
  }
  int status;
  if (waitpid(worker, &status, 0) != worker) return 1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
