// common.h: the small helpers the conformance programs share. Everything is static inline, so a
// program compiles only what it uses. Messages to stderr start with the program's name; stdout
// gets only the key=value lines the runner compares.
#ifndef VPIDBOX_TESTS_CONFORMANCE_COMMON_H
#define VPIDBOX_TESTS_CONFORMANCE_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Prints "<prefix><key>=r", or "<prefix><key>=ENAME" with errno's name if r < 0 (a failed call).
static inline void show_prefixed(const char* prefix, const char* key, long r) {
  if (r < 0)
    printf("%s%s=%s\n", prefix, key, strerrorname_np(errno));
  else
    printf("%s%s=%ld\n", prefix, key, r);
}

// Prints "key=r", or "key=ENAME" with errno's name if r < 0 (a failed call).
static inline void show(const char* key, long r) {
  show_prefixed("", key, r);
}

// Reports on stderr that `what` failed, with errno's message, and exits with status 99.
static inline void die(const char* what) {
  fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
  exit(99);
}

// Blocks until every write end of the pipe whose read end is fd is closed (EOF); dies otherwise.
static inline void await_eof(int fd) {
  char c;
  ssize_t n;
  do {
    n = read(fd, &c, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 0) die("await_eof");
}

// Flushes stdout (so that the child does not print it again) and forks; dies if fork fails.
static inline pid_t fork_flushed(void) {
  fflush(stdout);
  pid_t p = fork();
  if (p < 0) die("fork");
  return p;
}

// fork_flushed() with a new pipe `gate`: the child keeps only its read end, gate[0] (to
// await_eof), the parent only its write end, gate[1] (to close when the child may go on).
static inline pid_t fork_gated(int gate[2]) {
  if (pipe(gate) < 0) die("pipe");
  pid_t p = fork_flushed();
  if (p == 0)
    close(gate[1]);
  else
    close(gate[0]);
  return p;
}

// Waits for any one child and exits with status 98 unless it exited 0; `who` names it on stderr.
static inline void wait_one(const char* who) {
  int status;
  if (wait(&status) < 0) die("wait");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "%s: %s: child failed (status 0x%x)\n", program_invocation_short_name, who,
            status);
    exit(98);
  }
}

// Reaps the child `pid` and exits with status 98 unless it exited 0.
static inline void wait_exited(pid_t pid) {
  int status;
  if (waitpid(pid, &status, 0) != pid) die("waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "%s: child %d failed (status 0x%x)\n", program_invocation_short_name, (int)pid,
            status);
    exit(98);
  }
}

// Sleeps for `ms` milliseconds.
static inline void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000L * 1000L};
  nanosleep(&ts, NULL);
}

// qsort comparison of two longs.
static inline int cmp_long(const void* a, const void* b) {
  const long x = *(const long*)a, y = *(const long*)b;
  return (x > y) - (x < y);
}

// Prints key=the numeric entries of directory `path` (pids, tids), sorted, space-separated.
static inline void show_numeric_entries(const char* key, const char* path) {
  DIR* d = opendir(path);
  if (!d) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  long numbers[4096];
  size_t n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    char* end;
    const long v = strtol(e->d_name, &end, 10);
    if (*end == '\0' && end != e->d_name && n < sizeof numbers / sizeof numbers[0])
      numbers[n++] = v;
  }
  closedir(d);
  qsort(numbers, n, sizeof numbers[0], cmp_long);
  printf("%s=", key);
  for (size_t i = 0; i < n; ++i) printf(i ? " %ld" : "%ld", numbers[i]);
  printf("\n");
}

// Sends one byte on the UNIX socket fd with explicit SCM_CREDENTIALS naming `pid` (and the
// caller's uid and gid); returns what sendmsg returned.
static inline long send_creds(int fd, pid_t pid) {
  char byte = 'x';
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct ucred))];
  } control;
  memset(&control, 0, sizeof(control));
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof(control.buf)};
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred cred = {pid, getuid(), getgid()};
  memcpy(CMSG_DATA(c), &cred, sizeof(cred));
  return sendmsg(fd, &msg, 0);
}

// The runner's witness: a process outside both the box and the oracle's namespace (its pid is in
// VPIDBOX_TEST_OUTSIDE_PID, see README.md); without the variable, 99999, a number naming nothing.
static inline pid_t outside_witness(void) {
  const char* outside = getenv("VPIDBOX_TEST_OUTSIDE_PID");
  return outside ? (pid_t)atoi(outside) : 99999;
}

// The attributes of a disabled user-space task-clock counter.
static inline void perf_task_clock_attr(struct perf_event_attr* pe) {
  memset(pe, 0, sizeof(*pe));
  pe->type = PERF_TYPE_SOFTWARE;
  pe->size = sizeof(*pe);
  pe->config = PERF_COUNT_SW_TASK_CLOCK;
  pe->disabled = 1;
  pe->exclude_kernel = 1;
  pe->exclude_hv = 1;
}

// perf_event_open of a disabled user-space task-clock counter of `pid`, on any CPU; returns its
// result (a descriptor, or -1 with errno).
static inline long perf_open_task_clock(pid_t pid) {
  struct perf_event_attr pe;
  perf_task_clock_attr(&pe);
  return syscall(SYS_perf_event_open, &pe, pid, -1, -1, 0);
}

#endif  // VPIDBOX_TESTS_CONFORMANCE_COMMON_H
