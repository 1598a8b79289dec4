// proc_listing: what /proc shows of the pid space: its numeric entries (processes only, never
// threads), /proc/self and /proc/thread-self for every caller, lookups of a thread's tid, of a
// zombie and of a reaped pid, and of a process outside.
// Processes: init 1; child a 2, whose own child g is 3; child b 4 with a thread bt 5; a thread
// of init, tid 6. Every number is the kernel's allocation order in a fresh pid namespace, made
// deterministic by pipes: a reports "ready" only after g has listed /proc, init forks b only
// after that, and b reports "ready" only once bt has reported.
// docs/pid-semantics.md F.52 (/proc shows only the processes of the pid space, by their numbers
// in it; readlink("/proc/self") is the caller's pid there, "1" for init), A.3 (the numbering),
// A.8 (a zombie keeps its number and its entry, in state Z, until it is reaped), I.79 (a
// thread's tid is reachable as /proc/<tid> and /proc/<tgid>/task/<tid>, but readdir of /proc
// lists thread-group leaders only); §3 (/proc/thread-self is "<tgid>/task/<tid>", from any
// thread; /proc/self is the tgid from every thread).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

// Prints key=1 if readdir of /proc has an entry called name, else key=0.
static void show_listed(const char* key, const char* name) {
  DIR* d = opendir("/proc");
  if (!d) die("opendir /proc");
  int found = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, name) == 0) found = 1;
  closedir(d);
  printf("%s=%d\n", key, found);
}

static void show_readlink(const char* key, const char* path) {
  char buf[PATH_MAX];
  const ssize_t n = readlink(path, buf, sizeof buf - 1);
  if (n < 0) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  buf[n] = '\0';
  printf("%s=%s\n", key, buf);
}

// key=0 if path exists (stat), else the errno name.
static void show_exists(const char* key, const char* path) {
  struct stat st;
  show(key, stat(path, &st) < 0 ? -1 : 0);
}

// key=the state letter of /proc/<pid>/stat (the field after the last ')'), or the errno name.
static void show_state(const char* key, long pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  const int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) {
    printf("%s=read_failed\n", key);
    return;
  }
  buf[n] = '\0';
  const char* p = strrchr(buf, ')');
  printf("%s=%c\n", key, p && p[1] == ' ' ? p[2] : '?');
}

static void show_pathf(const char* key, const char* fmt, long v) {
  char path[128];
  snprintf(path, sizeof path, fmt, v);
  show_exists(key, path);
}

static int thread_go[2], thread_done[2];

static void* thread_main(void* arg) {
  (void)arg;
  char c;
  if (read(thread_go[0], &c, 1) != 1) die("thread read");
  show("thread_gettid", gettid());
  show_readlink("thread_readlink_self", "/proc/self");
  show_readlink("thread_readlink_thread_self", "/proc/thread-self");
  show_state("thread_self_state", gettid());  // /proc/<tid>/stat: reachable, not listed
  fflush(stdout);
  if (write(thread_done[1], "x", 1) != 1) die("thread write");
  if (read(thread_go[0], &c, 1) != 0) die("thread wait for EOF");  // until init closes the pipe
  return NULL;
}

static int bt_done[2], bt_gate = -1;

static void* bt_main(void* arg) {
  (void)arg;
  show("bt_gettid", gettid());
  show_readlink("bt_readlink_self", "/proc/self");
  show_readlink("bt_readlink_thread_self", "/proc/thread-self");
  fflush(stdout);
  if (write(bt_done[1], "x", 1) != 1) die("bt write");
  char c;
  if (read(bt_gate, &c, 1) != 0) die("bt gate");  // until b exits (the group ends with it)
  return NULL;
}

int main(void) {
  alarm(10);
  setvbuf(stdout, NULL, _IOLBF, 0);
  int ready[2], gate_a[2], gate_b[2];
  if (pipe(ready) < 0 || pipe(gate_a) < 0 || pipe(gate_b) < 0) die("pipe");

  show_readlink("init_readlink_self", "/proc/self");
  show_readlink("init_readlink_thread_self", "/proc/thread-self");
  show_numeric_entries("init_listing_alone", "/proc");
  show_listed("init_listing_has_self", "self");
  show_listed("init_listing_has_thread_self", "thread-self");
  show_listed("init_listing_has_uptime", "uptime");
  show_exists("init_proc_2_before_fork", "/proc/2");
  const char* outside = getenv("VPIDBOX_TEST_OUTSIDE_PID");
  if (outside) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%s", outside);
    show_exists("init_proc_outside", path);
  } else {
    printf("init_proc_outside=unset\n");
  }

  // a (2) and g (3).
  fflush(stdout);
  const pid_t a = fork();
  if (a < 0) die("fork a");
  if (a == 0) {
    close(ready[0]);
    close(gate_a[1]);
    close(gate_b[0]);
    close(gate_b[1]);
    show("a_getpid", getpid());
    show_readlink("a_readlink_self", "/proc/self");
    show_readlink("a_readlink_thread_self", "/proc/thread-self");
    int g_ready[2];
    if (pipe(g_ready) < 0) die("pipe g");
    fflush(stdout);
    const pid_t g = fork();
    if (g < 0) die("fork g");
    if (g == 0) {
      close(g_ready[0]);
      show("g_getpid", getpid());
      show_readlink("g_readlink_self", "/proc/self");
      show_readlink("g_readlink_thread_self", "/proc/thread-self");
      show_numeric_entries("g_listing", "/proc");  // 1 2 3: b is not forked yet
      fflush(stdout);
      if (write(g_ready[1], "g", 1) != 1) die("write g_ready");
      char c;
      if (read(gate_a[0], &c, 1) != 0) die("g gate");
      _exit(0);
    }
    close(g_ready[1]);
    char c;
    if (read(g_ready[0], &c, 1) != 1) die("read g_ready");
    if (write(ready[1], "a", 1) != 1) die("write ready a");
    if (read(gate_a[0], &c, 1) != 0) die("a gate");
    wait_exited(g);
    _exit(0);
  }
  char c;
  if (read(ready[0], &c, 1) != 1) die("read ready a");

  // b (4).
  fflush(stdout);
  const pid_t b = fork();
  if (b < 0) die("fork b");
  if (b == 0) {
    close(ready[0]);
    close(gate_a[0]);
    close(gate_a[1]);
    close(gate_b[1]);
    show("b_getpid", getpid());
    show_readlink("b_readlink_self", "/proc/self");
    fflush(stdout);
    if (pipe(bt_done) < 0) die("pipe bt");
    bt_gate = gate_b[0];
    pthread_t bt;
    if (pthread_create(&bt, NULL, bt_main, NULL) != 0) die("pthread_create bt");
    if (read(bt_done[0], &c, 1) != 1) die("read bt_done");
    if (write(ready[1], "b", 1) != 1) die("write ready b");
    if (read(gate_b[0], &c, 1) != 0) die("b gate");
    _exit(0);
  }
  if (read(ready[0], &c, 1) != 1) die("read ready b");

  // A thread of init: tid 6.
  if (pipe(thread_go) < 0 || pipe(thread_done) < 0) die("pipe thread");
  pthread_t t;
  if (pthread_create(&t, NULL, thread_main, NULL) != 0) die("pthread_create");
  if (write(thread_go[1], "g", 1) != 1) die("write thread_go");
  if (read(thread_done[0], &c, 1) != 1) die("read thread_done");

  // 1 2 3 4: the threads' 5 and 6 are not entries.
  show_numeric_entries("init_listing_all", "/proc");
  show_exists("init_proc_2", "/proc/2");
  show_exists("init_proc_3", "/proc/3");
  show_exists("init_proc_4_status", "/proc/4/status");
  show_exists("init_proc_5_b_thread", "/proc/5");
  show_exists("init_proc_5_b_thread_status", "/proc/5/status");
  show_exists("init_proc_4_task_5", "/proc/4/task/5");
  show_exists("init_proc_6_init_thread", "/proc/6");
  show_exists("init_proc_6_init_thread_status", "/proc/6/status");
  show_exists("init_proc_1_task_6", "/proc/1/task/6");
  show_exists("init_proc_1_task_5", "/proc/1/task/5");  // 5 is not a thread of 1
  show_exists("init_proc_2_task_6", "/proc/2/task/6");  // nor is 6 one of 2
  show_exists("init_proc_2_task_2", "/proc/2/task/2");
  show_exists("init_proc_7", "/proc/7");
  show_state("init_state_1", 1);
  show_pathf("init_proc_a_task", "/proc/%ld/task", a);

  // b exits; while it is a zombie (waitid with WNOWAIT waits for that without reaping it) its
  // entry stays, in state Z; once reaped it is gone.
  close(gate_b[0]);
  close(gate_b[1]);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, b, &si, WEXITED | WNOWAIT) < 0) die("waitid");
  show("zombie_si_pid", si.si_pid);
  show_numeric_entries("zombie_listing", "/proc");
  show_exists("zombie_proc_4", "/proc/4");
  show_state("zombie_state_4", 4);
  show_readlink("zombie_readlink_exe", "/proc/4/exe");
  show_exists("zombie_proc_5_b_thread",
              "/proc/5");  // a group is a zombie once its threads are gone
  wait_exited(b);
  show_exists("reaped_proc_4", "/proc/4");
  show_exists("reaped_proc_4_status", "/proc/4/status");
  show_state("reaped_state_4", 4);
  show_numeric_entries("reaped_listing", "/proc");

  // a and g end; only init is left (with its thread, which is not an entry).
  close(gate_a[0]);
  close(gate_a[1]);
  wait_exited(a);
  show_numeric_entries("end_listing", "/proc");
  show_exists("end_proc_2", "/proc/2");
  show_exists("end_proc_3", "/proc/3");
  show_exists("end_proc_6_init_thread", "/proc/6");

  close(thread_go[1]);
  if (pthread_join(t, NULL) != 0) die("pthread_join");
  show_readlink("end_readlink_self", "/proc/self");
  return 0;
}
