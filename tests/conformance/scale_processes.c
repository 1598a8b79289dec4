// scale_processes: 1000 child processes alive at once, then reaped.
// pid-semantics.md §4: A.3 (children take the numbers 2, 3, … in creation order, here a thousand of
// them), A.5 (each sees its own number as getpid() and init as its parent), A.7 (/proc lists every
// one), B/E (kill(pid, 0) finds each), D (wait reaps each with its own status, and the numbers
// are not reused: the next child is numbered above them all).
// Prints summaries only (counts, first and last numbers, whether the numbers run without a gap),
// so that the comparison stays readable. How long it took goes to stderr.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

enum { kChildren = 1000 };

// What a child says about itself, written to the report pipe in one write (atomic, as it is
// smaller than PIPE_BUF).
struct report {
  int pid;
  int ppid;
};

static pid_t forked[kChildren];
static struct report reported[kChildren];

static double seconds_since(const struct timespec* start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static int cmp_int(const void* a, const void* b) {
  const int x = *(const int*)a, y = *(const int*)b;
  return (x > y) - (x < y);
}

// Counts the numeric entries of /proc (the processes it lists).
static int count_proc_entries(void) {
  DIR* d = opendir("/proc");
  if (!d) die("opendir /proc");
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    char* end;
    strtol(e->d_name, &end, 10);
    if (*end == '\0' && end != e->d_name) ++n;
  }
  closedir(d);
  return n;
}

// The parent field of /proc/<pid>/stat, or -1.
static int proc_stat_ppid(pid_t pid) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE* f = fopen(path, "re");
  if (!f) return -1;
  const int got = fgets(line, sizeof line, f) != NULL;
  fclose(f);
  const char* after = got ? strrchr(line, ')') : NULL;
  int ppid = -1;
  if (!after || sscanf(after, ") %*c %d", &ppid) != 1) return -1;
  return ppid;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int gate[2], report_pipe[2];
  if (pipe(gate) < 0 || pipe(report_pipe) < 0) die("pipe");
  for (int i = 0; i < kChildren; ++i) {
    const pid_t p = fork_flushed();
    if (p == 0) {
      close(gate[1]);
      close(report_pipe[0]);
      const struct report r = {getpid(), getppid()};
      if (write(report_pipe[1], &r, sizeof r) != sizeof r) _exit(97);
      close(report_pipe[1]);
      await_eof(gate[0]);
      _exit(getpid() % 100);
    }
    forked[i] = p;
  }
  close(gate[0]);
  close(report_pipe[1]);
  size_t got = 0;
  while (got < sizeof reported) {
    const ssize_t n = read(report_pipe[0], (char*)reported + got, sizeof reported - got);
    if (n <= 0) die("read reports");
    got += (size_t)n;
  }
  close(report_pipe[0]);
  const double forked_after = seconds_since(&start);

  int gaps = 0;
  for (int i = 1; i < kChildren; ++i) gaps += forked[i] != forked[i - 1] + 1;
  printf("forked=%d first_pid=%d last_pid=%d gaps_between_consecutive_forks=%d\n", kChildren,
         (int)forked[0], (int)forked[kChildren - 1], gaps);

  // Every child names itself as the parent named it, and names init as its parent.
  int reported_pids[kChildren], forked_sorted[kChildren];
  int ppid_is_init = 0;
  for (int i = 0; i < kChildren; ++i) {
    reported_pids[i] = reported[i].pid;
    forked_sorted[i] = forked[i];
    ppid_is_init += reported[i].ppid == 1;
  }
  qsort(reported_pids, kChildren, sizeof(int), cmp_int);
  qsort(forked_sorted, kChildren, sizeof(int), cmp_int);
  printf("self_reports_equal_fork_results=%d children_with_getppid_1=%d\n",
         memcmp(reported_pids, forked_sorted, sizeof reported_pids) == 0, ppid_is_init);

  int kill0_ok = 0, stat_ppid_1 = 0;
  for (int i = 0; i < kChildren; ++i) {
    kill0_ok += kill(forked[i], 0) == 0;
    stat_ppid_1 += proc_stat_ppid(forked[i]) == 1;
  }
  printf("kill0_ok=%d proc_stat_ppid_1=%d proc_entries=%d\n", kill0_ok, stat_ppid_1,
         count_proc_entries());
  printf("kill0_last_plus_1=%s\n",
         kill(forked[kChildren - 1] + 1, 0) == 0 ? "0" : strerrorname_np(errno));

  // Let them go; each exits with its own number modulo 100.
  close(gate[1]);
  int reaped = 0, status_matches = 0, reaped_forked = 0;
  for (;;) {
    int status;
    const pid_t p = wait(&status);
    if (p < 0) break;
    ++reaped;
    status_matches += WIFEXITED(status) && WEXITSTATUS(status) == p % 100;
    for (int i = 0; i < kChildren; ++i)
      if (forked[i] == p) {
        ++reaped_forked;
        break;
      }
  }
  printf("reaped=%d reaped_were_forked=%d status_is_pid_mod_100=%d wait_after=%s\n", reaped,
         reaped_forked, status_matches, strerrorname_np(errno));
  printf("proc_entries_after=%d\n", count_proc_entries());

  // The numbers are not reused at once: the next child comes after the last one.
  const pid_t next = fork_flushed();
  if (next == 0) _exit(0);
  wait_exited(next);
  show("next_child_pid", next);
  fprintf(stderr, "scale_processes: %d children alive after %.2f s, done after %.2f s\n", kChildren,
          forked_after, seconds_since(&start));
  return 0;
}
