// proc_read: cost of one full /proc scan, the way a tiny `top` does it.
//
// Usage: proc_read [-p PROCS] [-b BATCHES] [-t BUDGET_MS]
//
// Forks PROCS idle children (default 20; they die with this process, by pid,
// or with the pid namespace or box), then times scans. One scan:
// opendir("/proc"), readdir every entry, and for each numeric one open, read
// to end of file and close /proc/N/stat and /proc/N/status; closedir. A
// process that vanishes mid-scan is skipped. Prints on stdout
//   scan_us=1234.5     median over BATCHES batches (default 11) of the mean
//                      time of one scan in the batch
//   min_scan_us=1200.0 fastest batch's mean
//   scans=40           scans per batch (chosen so that all batches together
//                      take about BUDGET_MS, default 2000; at least 1)
//   entries=57         numeric /proc entries (processes) the last scan saw
//   files=114          files it read
// Exit status: 0, 1 when /proc cannot be scanned, 2 on a usage error.

#define _GNU_SOURCE
#include <dirent.h>
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

enum { MAX_PROCS = 1024, MAX_BATCHES = 1001 };

static pid_t children[MAX_PROCS];
static int nchildren;
static long last_entries, last_files;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void kill_children(void) {
  for (int i = 0; i < nchildren; i++) kill(children[i], SIGKILL);
  for (int i = 0; i < nchildren; i++) {
    while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR) {
    }
  }
  nchildren = 0;
}

// read_file: open, read to end of file, close; 1 when it was read, 0 when it could not be opened.
static int read_file(const char* path) {
  static char buf[8192];
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t got;
  while ((got = read(fd, buf, sizeof buf)) != 0) {
    if (got < 0 && errno != EINTR) break;
  }
  close(fd);
  return 1;
}

// scan: one full scan; -1 when /proc cannot be opened.
static int scan(void) {
  DIR* dir = opendir("/proc");
  if (dir == NULL) return -1;
  long entries = 0, files = 0;
  char path[300];
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    ++entries;
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    files += read_file(path);
    snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
    files += read_file(path);
  }
  closedir(dir);
  last_entries = entries;
  last_files = files;
  return 0;
}

static int compare_doubles(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  int procs = 20, batches = 11, budget_ms = 2000, opt;
  while ((opt = getopt(argc, argv, "p:b:t:")) != -1) {
    switch (opt) {
      case 'p': procs = atoi(optarg); break;
      case 'b': batches = atoi(optarg); break;
      case 't': budget_ms = atoi(optarg); break;
      default: goto usage;
    }
  }
  if (optind != argc || procs < 0 || procs > MAX_PROCS || batches < 1 || batches > MAX_BATCHES ||
      budget_ms < 1)
    goto usage;

  const pid_t parent = getpid();
  for (int i = 0; i < procs; i++) {
    const pid_t pid = fork();
    if (pid < 0) {
      fprintf(stderr, "proc_read: fork: %s\n", strerror(errno));
      kill_children();
      return 1;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(0);
      for (;;) pause();
    }
    children[nchildren++] = pid;
  }

  // Calibration: one warm-up scan, then one timed scan.
  if (scan() < 0) {
    fprintf(stderr, "proc_read: /proc: %s\n", strerror(errno));
    kill_children();
    return 1;
  }
  double start = now_ns();
  scan();
  const double one_scan_ns = now_ns() - start;
  long per_batch = (long)((double)budget_ms * 1e6 / batches / (one_scan_ns > 1 ? one_scan_ns : 1));
  if (per_batch < 1) per_batch = 1;

  static double batch_ns[MAX_BATCHES];
  for (int b = 0; b < batches; b++) {
    start = now_ns();
    for (long i = 0; i < per_batch; i++) scan();
    batch_ns[b] = (now_ns() - start) / (double)per_batch;
  }
  kill_children();

  qsort(batch_ns, (size_t)batches, sizeof batch_ns[0], compare_doubles);
  printf("scan_us=%.1f\n", batch_ns[batches / 2] / 1e3);
  printf("min_scan_us=%.1f\n", batch_ns[0] / 1e3);
  printf("scans=%ld\n", per_batch);
  printf("entries=%ld\n", last_entries);
  printf("files=%ld\n", last_files);
  return 0;

usage:
  fprintf(stderr, "usage: proc_read [-p PROCS] [-b BATCHES] [-t BUDGET_MS]\n");
  return 2;
}
