// pidfd_calls: pidfd_open with the numbers of the box, pidfd_send_signal with and without a
// siginfo, waitid(P_PIDFD), and the errors: a number that names nothing, a non-leader thread
// (without PIDFD_THREAD), 0 and negative numbers. Last, a child signals init through a pidfd:
// like kill(1, ...), a signal init has no handler for is discarded, SIGKILL included.
// docs/pid-semantics.md F.42 (pidfd_open of a number outside: ESRCH), F.51 (pidfd_open of a
// non-leader tid: EINVAL unless PIDFD_THREAD), E.33/E.34 (init ignores unhandled signals, also
// through a pidfd), G.57 (si_pid of a pidfd_send_signal is the sender's number), G.58.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

// Prints "ok" for a valid file descriptor (closing it), or the errno.
static void show_fd(const char* key, long fd) {
  if (fd < 0) {
    printf("%s=%s\n", key, strerrorname_np(errno));
  } else {
    printf("%s=fd\n", key);
    close((int)fd);
  }
}

static long pidfd_open(pid_t pid, unsigned flags) {
  return syscall(SYS_pidfd_open, pid, flags);
}

static long pidfd_send_signal(int fd, int sig, siginfo_t* info, unsigned flags) {
  return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

static const char* code_name(int code) {
  switch (code) {
    case SI_USER:
      return "SI_USER";
    case SI_QUEUE:
      return "SI_QUEUE";
    case SI_TKILL:
      return "SI_TKILL";
    default:
      return "other";
  }
}

static int thread_gate[2];
static long thread_tid;

static void* thread_main(void* arg) {
  (void)arg;
  thread_tid = syscall(SYS_gettid);
  await_eof(thread_gate[0]);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);  // inherited by the children

  // 1. A child (2) receives two signals through a pidfd: plain, then with a queued siginfo. It
  // prints each and acknowledges it.
  int ack[2];
  if (pipe(ack) < 0) die("pipe");
  pid_t p = fork_flushed();
  if (p == 0) {
    close(ack[0]);
    for (int i = 0; i < 2; ++i) {
      siginfo_t si;
      memset(&si, 0, sizeof(si));
      int r = sigwaitinfo(&usr1, &si);
      printf("child2_signal%d=%s si_pid %d %s si_value %d\n", i, sigabbrev_np(r), si.si_pid,
             code_name(si.si_code), si.si_code == SI_QUEUE ? si.si_value.sival_int : 0);
      fflush(stdout);
      if (write(ack[1], "a", 1) != 1) die("write");
    }
    _exit(0);
  }
  close(ack[1]);
  long fd = pidfd_open(p, 0);
  if (fd < 0) die("pidfd_open(2)");
  const long plain = pidfd_send_signal((int)fd, SIGUSR1, NULL, 0);
  char c;
  if (read(ack[0], &c, 1) != 1) die("read ack");
  siginfo_t q;
  memset(&q, 0, sizeof(q));
  q.si_signo = SIGUSR1;
  q.si_code = SI_QUEUE;
  q.si_pid = getpid();
  q.si_uid = getuid();
  q.si_value.sival_int = 17;
  const long queued = pidfd_send_signal((int)fd, SIGUSR1, &q, 0);
  if (read(ack[0], &c, 1) != 1) die("read ack");
  close(ack[0]);
  show("pidfd_send_signal_plain", plain);
  show("pidfd_send_signal_queued", queued);
  siginfo_t si;
  memset(&si, 0, sizeof(si));
  show("waitid_pidfd", waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED));
  show("waitid_pidfd_si_pid", si.si_pid);
  show("pidfd_send_signal_after_reap", pidfd_send_signal((int)fd, 0, NULL, 0));
  close((int)fd);

  // 2. pidfd_open of init itself, of numbers that name nothing, of 0 and negative numbers.
  show_fd("pidfd_open_self", pidfd_open(1, 0));
  show_fd("pidfd_open_getpid", pidfd_open(getpid(), 0));
  show_fd("pidfd_open_0", pidfd_open(0, 0));
  show_fd("pidfd_open_minus_1", pidfd_open(-1, 0));
  show_fd("pidfd_open_2_reaped", pidfd_open(2, 0));
  show_fd("pidfd_open_99999", pidfd_open(99999, 0));

  // 3. A thread of init (tid 3): EINVAL without PIDFD_THREAD, a pidfd with it.
  if (pipe(thread_gate) < 0) die("pipe");
  pthread_t t;
  if (pthread_create(&t, NULL, thread_main, NULL) != 0) die("pthread_create");
  while (__atomic_load_n(&thread_tid, __ATOMIC_SEQ_CST) == 0) sched_yield();
  show("thread_tid", thread_tid);
  show_fd("pidfd_open_thread", pidfd_open((pid_t)thread_tid, 0));
  show_fd("pidfd_open_thread_pidfd_thread", pidfd_open((pid_t)thread_tid, PIDFD_THREAD));
  close(thread_gate[1]);
  pthread_join(t, NULL);
  close(thread_gate[0]);

  // 4. A zombie (4) still has a pidfd, and can be signalled through it.
  p = fork_flushed();
  if (p == 0) _exit(0);
  memset(&si, 0, sizeof(si));
  if (waitid(P_PID, p, &si, WEXITED | WNOWAIT) < 0) die("waitid WNOWAIT");
  fd = pidfd_open(p, 0);
  show("pidfd_open_zombie_ok", fd >= 0);
  show("pidfd_send_signal_zombie", pidfd_send_signal((int)fd, SIGUSR1, NULL, 0));
  if (fd >= 0) close((int)fd);
  if (waitpid(p, NULL, 0) != p) die("waitpid 4");

  // 5. A child (5) signals init through a pidfd: SIGTERM and SIGKILL (no handler: discarded),
  // then SIGUSR1 (blocked in init: queued, read by init with the child's number). The child
  // prints, then closes `printed`; init prints only after that.
  int printed[2];
  if (pipe(printed) < 0) die("pipe");
  p = fork_flushed();
  if (p == 0) {
    close(printed[0]);
    long ifd = pidfd_open(1, 0);
    const long term = pidfd_send_signal((int)ifd, SIGTERM, NULL, 0);
    const long kill9 = pidfd_send_signal((int)ifd, SIGKILL, NULL, 0);
    const long usr1 = pidfd_send_signal((int)ifd, SIGUSR1, NULL, 0);
    show("child5_pidfd_open_init_ok", ifd >= 0);
    show("child5_send_term", term);
    show("child5_send_kill", kill9);
    show("child5_send_usr1", usr1);
    fflush(stdout);
    close(printed[1]);
    // Stay alive until init has read the signal (init kills this child then).
    for (;;) pause();
  }
  close(printed[1]);
  memset(&si, 0, sizeof(si));
  struct timespec ts = {5, 0};
  int r = sigtimedwait(&usr1, &si, &ts);
  const int wait_errno = errno;
  await_eof(printed[0]);
  close(printed[0]);
  printf("init_from_child5=%s si_pid %d %s\n",
         r > 0 ? sigabbrev_np(r) : strerrorname_np(wait_errno), si.si_pid, code_name(si.si_code));
  kill(p, SIGKILL);
  if (waitpid(p, NULL, 0) != p) die("waitpid 5");
  sleep_ms(100);
  show("init_alive_at_end", 1);
  return 0;
}
