// proc_race: a path changes while it is opened, the way a program would race a supervisor that
// checks paths: a second thread rewrites the path string between a file outside /proc and the
// outside witness's /proc/<n>/cmdline (VPIDBOX_TEST_OUTSIDE_PID, see isolation.c) while the first
// thread opens it, and then renames a symlink between the two targets the same way. In a pid
// namespace the witness does not exist: its cmdline is never read. The box must never let it be
// read either (without a mount of its own, Landlock refuses what a race reaches: README).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char* kBenign = "/etc/hostname";
static char target[64];
static char path[64];  // rewritten by the racer while the main thread opens it
static char link_path[64], link_benign[96], link_target[96];
static atomic_int stop;

static void* rewrite_path(void* arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    strcpy(path, target);
    strcpy(path, kBenign);
  }
  return NULL;
}

static void* swap_link(void* arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    rename(link_target, link_path);
    // Made again for the next swap; a failure only means the other thread won once.
    if (symlink(target, link_target) != 0 && errno != EEXIST) break;
    rename(link_benign, link_path);
    if (symlink(kBenign, link_benign) != 0 && errno != EEXIST) break;
  }
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

// Opens `name` again and again for `seconds` while `racer` runs; whether the witness's cmdline
// ("sleep" "100000", NUL-separated) was ever read.
static int race(const char* name, void* (*racer)(void*), double seconds) {
  pthread_t t;
  atomic_store(&stop, 0);
  if (pthread_create(&t, NULL, racer, NULL) != 0) die("pthread_create");
  int leaked = 0;
  const double end = now() + seconds;
  for (long i = 0; now() < end && i < 200000; ++i) {
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n == 13 && memcmp(buf,
                          "sleep\0"
                          "100000\0",
                          13) == 0)
      leaked = 1;
  }
  atomic_store(&stop, 1);
  pthread_join(t, NULL);
  return leaked;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(20);
  const char* outside = getenv("VPIDBOX_TEST_OUTSIDE_PID");
  if (!outside || !*outside) {
    printf("outside=unset\n");
    return 0;
  }
  snprintf(target, sizeof target, "/proc/%s/cmdline", outside);
  strcpy(path, kBenign);
  printf("path_race_leaked=%s\n", race(path, rewrite_path, 1.0) ? "yes" : "no");

  snprintf(link_path, sizeof link_path, "/tmp/vpidbox-race-%d", (int)getpid());
  snprintf(link_benign, sizeof link_benign, "%s.benign", link_path);
  snprintf(link_target, sizeof link_target, "%s.target", link_path);
  if (symlink(kBenign, link_path) != 0 || symlink(kBenign, link_benign) != 0 ||
      symlink(target, link_target) != 0)
    die("symlink");
  printf("symlink_race_leaked=%s\n", race(link_path, swap_link, 1.0) ? "yes" : "no");
  unlink(link_path);
  unlink(link_benign);
  unlink(link_target);
  return 0;
}
