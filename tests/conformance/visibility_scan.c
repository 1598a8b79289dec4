// visibility_scan: with init (1), one child (2) and one thread of init (3) alive, getpgid() and
// getsid() find exactly those numbers in the range 1..32768; every other number gives
// ESRCH, in particular the real pids of the box's processes, of the supervisor and of
// everything outside the box.
// docs/pid-semantics.md F.42 (outside processes cannot be addressed: ESRCH), A.5.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static int thread_gate[2];

static void* thread_main(void* arg) {
  (void)arg;
  char c;
  if (read(thread_gate[0], &c, 1) < 0) die("thread read");
  return NULL;
}

// The range scanned. Not pid_max: since Linux 6.14 a child pid namespace has its own pid_max
// (4194304 by default), which would make the oracle run scan 4 million numbers. The real pids the
// supervisor could leak are those of the runner's own pid namespace, which stay far below this.
enum { kScanLimit = 32768 };

// Prints "key=n1,n2,..." for the numbers where the call succeeds, and the errnos seen otherwise.
static void scan(const char* key, pid_t (*call)(pid_t)) {
  printf("%s=", key);
  int first = 1, other_errno = 0;
  for (long p = 1; p <= kScanLimit; ++p) {
    errno = 0;
    if (call((pid_t)p) >= 0) {
      printf("%s%ld", first ? "" : ",", p);
      first = 0;
    } else if (errno != ESRCH) {
      other_errno = errno;
    }
  }
  printf("\n%s_other_errno=%s\n", key, other_errno ? strerrorname_np(other_errno) : "none");
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int gate[2];
  if (pipe(gate) < 0 || pipe(thread_gate) < 0) die("pipe");
  if (fork_flushed() == 0) {
    close(gate[1]);
    char c;
    if (read(gate[0], &c, 1) < 0) die("child read");
    _exit(0);
  }
  close(gate[0]);
  pthread_t t;
  if (pthread_create(&t, NULL, thread_main, NULL) != 0) die("pthread_create");

  scan("getpgid_visible", getpgid);
  scan("getsid_visible", getsid);

  close(gate[1]);
  close(thread_gate[1]);
  if (pthread_join(t, NULL) != 0) die("pthread_join");
  if (wait(NULL) < 0) die("wait");
  return 0;
}
