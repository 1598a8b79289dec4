// surface_calls: per-call latency of the calls vpidbox looks at or stops for the pids objects and
// messages carry (issue 14), and of their neighbours it must leave alone.
//
// Usage: surface_calls [-b BATCHES] [-t BUDGET_MS] CALL
//   sendmsg            sendmsg() of one byte on a UNIX datagram socket, and its recv()
//   sendmsg_creds      the same with SCM_CREDENTIALS naming the sender
//   recvmsg_passcred   sendmsg() and recvmsg() where the receiver has SO_PASSCRED
//   bind_udp           socket(), bind() to port 0 and close() of a UDP socket
//   peercred           getsockopt(SO_PEERCRED)
//   getlk              fcntl(F_GETLK) of an unlocked file
//   thread_clock       clock_gettime() of the thread's own CPU clock (pthread_getcpuclockid)
//   read_signalfd      read() of an empty, non-blocking signalfd (EAGAIN)
//   read_pipe          write() and read() of one byte through a pipe
//   read_pipe_signalfd the same in a process that has a signalfd (whose reads vpidbox stops)
// Prints CALL_ns=MEDIAN (the median over BATCHES batches, default 11, of the mean time of one
// call, or pair, in a batch), CALL_min_ns=FASTEST and calls=PER_BATCH (chosen so that all the
// batches take about BUDGET_MS, default 1000; between 50 and 20000).

#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_BATCHES = 1001, MIN_CALLS = 50, MAX_CALLS = 20000, CALIBRATION_CALLS = 50 };

static int sv[2], pipefd[2], sigfd = -1, lockfd = -1;
static clockid_t thread_clock;
static char byte = 'x';

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int send_one(int with_creds) {
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct ucred))];
  } control;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (with_creds) {
    memset(&control, 0, sizeof(control));
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    struct ucred cred = {getpid(), getuid(), getgid()};
    memcpy(CMSG_DATA(c), &cred, sizeof(cred));
  }
  return sendmsg(sv[0], &msg, 0) == 1 ? 0 : -1;
}

static int receive_one(int as_recvmsg) {
  char got;
  if (!as_recvmsg) return recv(sv[1], &got, 1, 0) == 1 ? 0 : -1;
  struct iovec iov = {&got, 1};
  char control[CMSG_SPACE(sizeof(struct ucred))];
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
  return recvmsg(sv[1], &msg, 0) == 1 ? 0 : -1;
}

// One call (or pair) of `name`; -1 when it failed.
static int one(const char* name) {
  if (!strcmp(name, "sendmsg")) return send_one(0) | receive_one(0);
  if (!strcmp(name, "sendmsg_creds")) return send_one(1) | receive_one(0);
  if (!strcmp(name, "recvmsg_passcred")) return send_one(0) | receive_one(1);
  if (!strcmp(name, "bind_udp")) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int r = s < 0 ? -1 : bind(s, (struct sockaddr*)&addr, sizeof(addr));
    if (s >= 0) close(s);
    return r;
  }
  if (!strcmp(name, "peercred")) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    return getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &len);
  }
  if (!strcmp(name, "getlk")) {
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    return fcntl(lockfd, F_GETLK, &fl);
  }
  if (!strcmp(name, "thread_clock")) {
    struct timespec ts;
    return clock_gettime(thread_clock, &ts);
  }
  if (!strcmp(name, "read_signalfd")) {
    struct signalfd_siginfo si;
    return read(sigfd, &si, sizeof(si)) < 0 ? 0 : -1;  // EAGAIN
  }
  if (!strcmp(name, "read_pipe") || !strcmp(name, "read_pipe_signalfd")) {
    char got;
    return write(pipefd[1], &byte, 1) == 1 && read(pipefd[0], &got, 1) == 1 ? 0 : -1;
  }
  return -2;
}

static void set_up(const char* name) {
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0 || pipe(pipefd) != 0) exit(1);
  if (!strcmp(name, "recvmsg_passcred")) {
    const int on = 1;
    if (setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0) exit(1);
  }
  if (!strcmp(name, "read_signalfd") || !strcmp(name, "read_pipe_signalfd")) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd < 0) exit(1);
  }
  char path[] = "/tmp/vpidbox-bench-lock.XXXXXX";
  lockfd = mkstemp(path);
  if (lockfd < 0) exit(1);
  unlink(path);
  if (pthread_getcpuclockid(pthread_self(), &thread_clock) != 0) exit(1);
}

static double time_batch(const char* name, long calls) {
  const double start = now_ns();
  for (long i = 0; i < calls; i++)
    if (one(name) != 0) return -1;
  return (now_ns() - start) / (double)calls;
}

static int cmp_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  int batches = 11, opt;
  double budget_ms = 1000;
  while ((opt = getopt(argc, argv, "b:t:")) != -1) {
    if (opt == 'b') batches = atoi(optarg);
    else if (opt == 't') budget_ms = atof(optarg);
    else return 2;
  }
  if (optind != argc - 1 || batches < 1 || batches > MAX_BATCHES || budget_ms <= 0) {
    fprintf(stderr, "usage: surface_calls [-b BATCHES] [-t BUDGET_MS] CALL\n");
    return 2;
  }
  const char* name = argv[optind];
  set_up(name);
  if (one(name) == -2) {
    fprintf(stderr, "surface_calls: unknown call %s\n", name);
    return 2;
  }
  const double calibration = time_batch(name, CALIBRATION_CALLS);
  if (calibration < 0) {
    perror(name);
    return 1;
  }
  long calls = (long)(budget_ms * 1e6 / batches / (calibration > 1 ? calibration : 1));
  if (calls < MIN_CALLS) calls = MIN_CALLS;
  if (calls > MAX_CALLS) calls = MAX_CALLS;
  double means[MAX_BATCHES];
  for (int b = 0; b < batches; ++b) {
    means[b] = time_batch(name, calls);
    if (means[b] < 0) {
      perror(name);
      return 1;
    }
  }
  qsort(means, (size_t)batches, sizeof(means[0]), cmp_double);
  printf("%s_ns=%.1f\n%s_min_ns=%.1f\ncalls=%ld\n", name, means[batches / 2], name, means[0],
         calls);
  return 0;
}
