// thread_sync: glibc features that pass the kernel's own tid (kept in struct pthread) to the
// kernel or store it in futex words: setuid() in a multithreaded process (glibc signals every
// thread to change its credentials), pthread_setaffinity_np / pthread_setschedparam /
// pthread_getcpuclockid on another thread, affinity given at pthread_create, robust mutexes whose
// owner dies (EOWNERDEAD, within a process and across processes), priority-inheritance mutexes
// contended across threads, and error-checking mutexes. The same calls with the box's tids
// (sched_*, getpriority/setpriority, get_robust_list) act on the same threads.
// Last, threads that create threads.
// docs/pid-semantics.md I.77, I.84; §6.2 and §6.3 items 2, 3, 4 and 7; §2.5 (futex words hold
// the kernel's tids).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

enum { kThreads = 3 };

// pthread_* calls return the error number.
static void show_err(const char* key, int err) {
  if (err != 0)
    printf("%s=%s\n", key, strerrorname_np(err));
  else
    printf("%s=0\n", key);
}

// ---- setuid in a multithreaded process ----

static pthread_barrier_t cred_before, cred_after;
static long cred_uid[kThreads], cred_euid[kThreads], cred_gid[kThreads];

static void* cred_thread(void* arg) {
  const long i = (long)arg;
  pthread_barrier_wait(&cred_before);
  pthread_barrier_wait(&cred_after);  // the main thread has called setgid/setuid
  cred_uid[i] = syscall(SYS_getuid);
  cred_euid[i] = syscall(SYS_geteuid);
  cred_gid[i] = syscall(SYS_getgid);
  return NULL;
}

static void setuid_in_threads(void) {
  pthread_t t[kThreads];
  pthread_barrier_init(&cred_before, NULL, kThreads + 1);
  pthread_barrier_init(&cred_after, NULL, kThreads + 1);
  for (long i = 0; i < kThreads; ++i)
    if (pthread_create(&t[i], NULL, cred_thread, (void*)i) != 0) die("pthread_create");
  pthread_barrier_wait(&cred_before);  // every thread exists
  show("child_setgid", setgid(65534));
  show("child_setuid", setuid(65534));
  pthread_barrier_wait(&cred_after);
  for (int i = 0; i < kThreads; ++i) pthread_join(t[i], NULL);
  show("child_main_uid", syscall(SYS_getuid));
  for (int i = 0; i < kThreads; ++i) {
    printf("child_thread%d_uid=%ld\n", i, cred_uid[i]);
    printf("child_thread%d_euid=%ld\n", i, cred_euid[i]);
    printf("child_thread%d_gid=%ld\n", i, cred_gid[i]);
  }
}

// ---- scheduling calls on another thread ----

static int idle_gate[2];
static volatile long idle_tid;

static void* idle_thread(void* arg) {
  (void)arg;
  __atomic_store_n(&idle_tid, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
  char c;
  if (read(idle_gate[0], &c, 1) < 0) die("read");
  return NULL;
}

static void* affinity_thread(void* arg) {
  cpu_set_t* seen = arg;
  CPU_ZERO(seen);
  sched_getaffinity(0, sizeof(*seen), seen);
  return NULL;
}

static void scheduling_on_other_thread(void) {
  if (pipe(idle_gate) < 0) die("pipe");
  pthread_t t;
  if (pthread_create(&t, NULL, idle_thread, NULL) != 0) die("pthread_create");
  while (__atomic_load_n(&idle_tid, __ATOMIC_SEQ_CST) == 0) sched_yield();
  const pid_t tid = (pid_t)idle_tid;
  show("idle_tid", tid);

  cpu_set_t one, got;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  show_err("pthread_setaffinity_np", pthread_setaffinity_np(t, sizeof(one), &one));
  CPU_ZERO(&got);
  show_err("pthread_getaffinity_np", pthread_getaffinity_np(t, sizeof(got), &got));
  show("pthread_affinity_is_cpu0", CPU_EQUAL(&one, &got));
  CPU_ZERO(&got);
  show("sched_getaffinity_tid", sched_getaffinity(tid, sizeof(got), &got));
  show("sched_affinity_is_cpu0", CPU_EQUAL(&one, &got));
  CPU_ZERO(&got);
  sched_getaffinity(0, sizeof(got), &got);
  show("main_affinity_unchanged", CPU_COUNT(&got) == sysconf(_SC_NPROCESSORS_ONLN));

  struct sched_param param = {.sched_priority = 0};
  show_err("pthread_setschedparam_batch", pthread_setschedparam(t, SCHED_BATCH, &param));
  int policy = -1;
  show_err("pthread_getschedparam", pthread_getschedparam(t, &policy, &param));
  show("pthread_policy_is_batch", policy == SCHED_BATCH);
  show("sched_getscheduler_tid_is_batch", sched_getscheduler(tid) == SCHED_BATCH);
  show("sched_getscheduler_main_is_other", sched_getscheduler(0) == SCHED_OTHER);
  show("sched_setscheduler_tid_idle", sched_setscheduler(tid, SCHED_IDLE, &param));
  show("sched_getscheduler_tid_is_idle", sched_getscheduler(tid) == SCHED_IDLE);
  show("sched_getparam_tid", sched_getparam(tid, &param));
  struct timespec quantum;
  show("sched_rr_get_interval_tid", sched_rr_get_interval(tid, &quantum));

  show("setpriority_tid", setpriority(PRIO_PROCESS, (id_t)tid, 7));
  errno = 0;
  int prio = getpriority(PRIO_PROCESS, (id_t)tid);
  show("getpriority_tid", errno ? -1 : prio);
  errno = 0;
  prio = getpriority(PRIO_PROCESS, 0);
  show("getpriority_main", errno ? -1 : prio);

  struct robust_list_head* head = NULL;
  size_t len = 0;
  show("get_robust_list_tid", syscall(SYS_get_robust_list, tid, &head, &len));
  show("get_robust_list_tid_len", (long)len);

  clockid_t clock;
  struct timespec ts;
  show_err("pthread_getcpuclockid", pthread_getcpuclockid(t, &clock));
  show("clock_gettime_thread_cpu", clock_gettime(clock, &ts));

  close(idle_gate[1]);
  pthread_join(t, NULL);
  close(idle_gate[0]);

  // Affinity given at creation: glibc applies it to the new thread's kernel tid.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
  cpu_set_t seen;
  show_err("pthread_create_with_affinity", pthread_create(&t, &attr, affinity_thread, &seen));
  pthread_join(t, NULL);
  show("created_thread_affinity_is_cpu0", CPU_EQUAL(&one, &seen));
  pthread_attr_destroy(&attr);
}

// ---- mutexes ----

static pthread_mutex_t robust;
static pthread_mutex_t pi;
static pthread_mutex_t checked;

static void* die_holding_robust(void* arg) {
  (void)arg;
  if (pthread_mutex_lock(&robust) != 0) die("lock robust");
  return NULL;  // exits holding it
}

static volatile int pi_thread_result = -1;
static int pi_locked[2];

static void* pi_contender(void* arg) {
  (void)arg;
  pi_thread_result = pthread_mutex_lock(&pi);  // blocks in FUTEX_LOCK_PI until main unlocks
  if (pi_thread_result == 0) pthread_mutex_unlock(&pi);
  return NULL;
}

static void* pi_holder(void* arg) {
  (void)arg;
  if (pthread_mutex_lock(&pi) != 0) die("pi lock in thread");
  if (write(pi_locked[1], "l", 1) != 1) die("write");
  sleep_ms(100);  // the main thread is (very likely) blocked on it by now
  pthread_mutex_unlock(&pi);
  return NULL;
}

static volatile int checked_unlock_result = -1;

static void* unlock_checked(void* arg) {
  (void)arg;
  checked_unlock_result = pthread_mutex_unlock(&checked);
  return NULL;
}

static void mutexes(void) {
  pthread_mutexattr_t a;
  pthread_t t;

  // Robust, within the process: the owner thread exits holding it.
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust, &a);
  pthread_mutexattr_destroy(&a);
  if (pthread_create(&t, NULL, die_holding_robust, NULL) != 0) die("pthread_create");
  pthread_join(t, NULL);
  show_err("robust_lock_after_owner_thread_died", pthread_mutex_lock(&robust));
  show_err("robust_consistent", pthread_mutex_consistent(&robust));
  show_err("robust_unlock", pthread_mutex_unlock(&robust));
  show_err("robust_relock", pthread_mutex_lock(&robust));
  pthread_mutex_unlock(&robust);

  // Robust and process-shared: a child process dies holding it.
  pthread_mutex_t* shared = mmap(NULL, sizeof(pthread_mutex_t), PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) die("mmap");
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(shared, &a);
  pthread_mutexattr_destroy(&a);
  pid_t p = fork_flushed();
  if (p == 0) {
    if (pthread_mutex_lock(shared) != 0) _exit(1);
    _exit(0);  // dies holding it
  }
  if (waitpid(p, NULL, 0) != p) die("waitpid");
  show_err("shared_robust_lock_after_owner_process_died", pthread_mutex_lock(shared));
  show_err("shared_robust_consistent", pthread_mutex_consistent(shared));
  pthread_mutex_unlock(shared);

  // Priority inheritance: the main thread holds it while a thread blocks on it, and the other
  // way round.
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
  pthread_mutex_init(&pi, &a);
  pthread_mutexattr_destroy(&a);
  show_err("pi_lock_main", pthread_mutex_lock(&pi));
  if (pthread_create(&t, NULL, pi_contender, NULL) != 0) die("pthread_create");
  sleep_ms(100);  // the thread is (very likely) blocked in the kernel on the main thread's lock
  show_err("pi_unlock_main", pthread_mutex_unlock(&pi));
  pthread_join(t, NULL);
  show_err("pi_thread_lock_result", pi_thread_result);
  if (pipe(pi_locked) < 0) die("pipe");
  if (pthread_create(&t, NULL, pi_holder, NULL) != 0) die("pthread_create");
  char c;
  if (read(pi_locked[0], &c, 1) != 1) die("read");
  show_err("pi_lock_main_contended", pthread_mutex_lock(&pi));
  show_err("pi_unlock_main_after", pthread_mutex_unlock(&pi));
  pthread_join(t, NULL);
  show_err("pi_trylock_free", pthread_mutex_trylock(&pi));
  show_err("pi_unlock_last", pthread_mutex_unlock(&pi));

  // Error checking: relock by the owner, unlock by another thread.
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&checked, &a);
  pthread_mutexattr_destroy(&a);
  show_err("errorcheck_lock", pthread_mutex_lock(&checked));
  show_err("errorcheck_relock", pthread_mutex_lock(&checked));
  if (pthread_create(&t, NULL, unlock_checked, NULL) != 0) die("pthread_create");
  pthread_join(t, NULL);
  show_err("errorcheck_unlock_by_other_thread", checked_unlock_result);
  show_err("errorcheck_unlock", pthread_mutex_unlock(&checked));
}

// ---- threads created by threads ----

static void* leaf_thread(void* arg) {
  return arg;
}

static void* spawning_thread(void* arg) {
  (void)arg;
  long made = 0;
  for (int i = 0; i < 5; ++i) {
    pthread_t t;
    if (pthread_create(&t, NULL, leaf_thread, (void*)1L) != 0) break;
    void* r = NULL;
    pthread_join(t, &r);
    made += (long)r;
  }
  return (void*)made;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);

  // setuid in a child process with threads (the child is 2; its threads 3, 4, 5).
  pid_t p = fork_flushed();
  if (p == 0) {
    setuid_in_threads();
    fflush(stdout);
    _exit(0);
  }
  int status;
  if (waitpid(p, &status, 0) != p || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die("setuid child");

  scheduling_on_other_thread();
  mutexes();

  // Last (a failure here may abort the process): threads that create threads, as thread pools
  // and glibc's SIGEV_THREAD timers do. Each new thread registers its rseq area at start.
  long made = 0;
  for (int i = 0; i < 3; ++i) {
    pthread_t t;
    if (pthread_create(&t, NULL, spawning_thread, NULL) != 0) die("pthread_create");
    void* r = NULL;
    pthread_join(t, &r);
    made += (long)r;
  }
  show("threads_created_by_threads", made);
  return 0;
}
