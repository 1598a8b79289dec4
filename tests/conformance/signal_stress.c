// signal_stress: signals to self and to another member of the box from several threads, while an
// interval timer fires SIGALRM every 50 us into handlers installed without SA_RESTART. A call
// that waits for the supervisor when a signal comes must behave as natively: getpid() never
// fails or changes, kill() of a live process never says ESRCH, an open of a regular file is never
// interrupted. Prints only counts that do not depend on timing (the failures must be 0).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/time.h>

#include "common.h"

enum { kThreads = 3, kIterations = 2500 };

static pid_t self_pid;
static pid_t peer_pid;
static atomic_long getpid_wrong;
static atomic_long kill_self_failed;
static atomic_long kill_peer_failed;
static atomic_long open_failed;
static atomic_long handled;

static void on_signal(int sig) {
  (void)sig;
  atomic_fetch_add(&handled, 1);
}

static void* hammer(void* arg) {
  const long index = (long)arg;
  for (int i = 0; i < kIterations; ++i) {
    if (getpid() != self_pid) atomic_fetch_add(&getpid_wrong, 1);
    if (kill(getpid(), SIGUSR1) != 0) atomic_fetch_add(&kill_self_failed, 1);
    if (index == 0 && kill(peer_pid, SIGUSR2) != 0) atomic_fetch_add(&kill_peer_failed, 1);
    if (index == 1 && i % 8 == 0) {
      int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        atomic_fetch_add(&open_failed, 1);
      else
        close(fd);
    }
  }
  return NULL;
}

static void install(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;  // no SA_RESTART: an interrupted wait would surface as EINTR
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) != 0) die("sigaction");
}

int main(void) {
  install(SIGUSR1);
  install(SIGUSR2);
  install(SIGALRM);
  self_pid = getpid();
  int gate[2];
  peer_pid = fork_gated(gate);
  if (peer_pid == 0) {
    // The peer takes SIGUSR2 from the parent's threads until the parent closes the gate.
    await_eof(gate[0]);
    _exit(0);
  }
  struct itimerval every = {{0, 50}, {0, 50}};
  if (setitimer(ITIMER_REAL, &every, NULL) != 0) die("setitimer");
  pthread_t threads[kThreads];
  for (long t = 0; t < kThreads; ++t)
    if (pthread_create(&threads[t], NULL, hammer, (void*)t) != 0) die("pthread_create");
  for (int t = 0; t < kThreads; ++t) pthread_join(threads[t], NULL);
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  close(gate[1]);
  int status = 0;
  while (waitpid(peer_pid, &status, 0) < 0 && errno == EINTR) {
  }
  show("signals_sent_to_self", (long)kThreads * kIterations);
  show("getpid_wrong", atomic_load(&getpid_wrong));
  show("kill_self_failed", atomic_load(&kill_self_failed));
  show("kill_peer_failed", atomic_load(&kill_peer_failed));
  show("open_failed", atomic_load(&open_failed));
  show("handlers_ran", atomic_load(&handled) > 0);
  show("peer_exit", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
