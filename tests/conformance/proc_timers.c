// proc_timers: /proc/<pid>/timers names the process a POSIX timer signals by its number in the
// reader's pid namespace (fs/proc/base.c show_timer), for the reader itself and for a child.
// docs/pid-semantics.md §3 (every pid procfs prints is the namespace's number).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Prints the "notify:" lines of a timers file, prefixed with `key`.
static void show_notify(const char* key, const char* path) {
  FILE* f = fopen(path, "re");
  if (!f) {
    printf("%s=unreadable\n", key);
    return;
  }
  char line[256];
  while (fgets(line, sizeof(line), f))
    if (strncmp(line, "notify:", 7) == 0) printf("%s=%s", key, line + 8);
  fclose(f);
}

static void make_timer(void) {
  timer_t timer;
  struct sigevent ev;
  memset(&ev, 0, sizeof(ev));
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0) printf("timer_create=failed\n");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(10);
  make_timer();
  show_notify("self", "/proc/self/timers");
  int ready[2], done[2];
  if (pipe(ready) != 0 || pipe(done) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    make_timer();
    if (write(ready[1], "r", 1) != 1) _exit(1);
    char c;
    (void)!read(done[0], &c, 1);
    _exit(0);
  }
  char c;
  if (read(ready[0], &c, 1) != 1) return 1;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/timers", (int)child);
  printf("child=%d\n", (int)child);
  show_notify("child", path);
  if (write(done[1], "d", 1) != 1) return 1;
  waitpid(child, NULL, 0);
  return 0;
}
