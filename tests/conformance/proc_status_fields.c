// proc_status_fields: the pid-carrying fields of /proc files, read by the process itself, by its
// parent, by its child and for threads: status (Pid, PPid, Tgid, TracerPid, NStgid, NSpid,
// NSpgid, NSsid), stat (pid, ppid, pgrp, session, tpgid), task/ listings, task/<tid>/children
// (children belong to the thread that forked them), sched's "(pid, #threads: N)", the fdinfo of
// a pidfd (Pid:, NSpid:, -1 once the process is reaped), /proc/locks's owner pids and the last
// pid of /proc/loadavg.
// Processes and threads, in allocation order: init 1; its threads t1 2 and t2 3; c1 4, forked by
// thread t2, which then makes its own group (setpgid); c2 5, forked by the main thread, which
// makes its own session (setsid) and forks gc 6; a last child 7 after everything else is gone.
// Pipes make the order fixed: nothing is forked before the previous process reported "ready".
// docs/pid-semantics.md A.7 (NStgid, NSpid, NSpgid, NSsid list the numbers from the mount's
// level down: one number each here), A.9 (reading /proc/sys/kernel/ns_last_pid gives the last
// pid allocated in the reader's pid space), A.11 (so does the 5th field of /proc/loadavg), F.52
// (no outside number shows: init's inherited group and session, and the terminal's foreground
// group, read as 0), F.54 (TracerPid is 0: nobody inside traces these processes), H.66-H.70
// (the pgrp and session fields after setpgid and setsid); §2.4 (pidfd fdinfo: Pid and NSpid,
// -1 once reaped, still the number while a zombie); §3 (status, stat, task/<tid>/children,
// sched, /proc/locks: owner pids translated, locks of processes that are gone not listed).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

// Reads a whole (small) file into buf; returns its length, or -1 with errno.
static ssize_t slurp(const char* path, char* buf, size_t size) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  for (;;) {
    const ssize_t n = read(fd, buf + len, size - 1 - len);
    if (n < 0) {
      const int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    if (n == 0 || len + (size_t)n >= size - 1) {
      len += (size_t)n;
      break;
    }
    len += (size_t)n;
  }
  close(fd);
  buf[len] = '\0';
  return (ssize_t)len;
}

// Prints prefix_FIELD=value for each FIELD of a status-like file ("Key:\tvalue" lines), blanks
// in the value collapsed to one space; "absent" when the file has no such line.
static void show_fields(const char* prefix, const char* path, const char* const* fields) {
  char buf[16384];
  if (slurp(path, buf, sizeof buf) < 0) {
    printf("%s=%s\n", prefix, strerrorname_np(errno));
    return;
  }
  for (const char* const* f = fields; *f; ++f) {
    const size_t flen = strlen(*f);
    const char* line = buf;
    const char* found = NULL;
    while (line && *line) {
      if (strncmp(line, *f, flen) == 0 && line[flen] == ':') {
        found = line + flen + 1;
        break;
      }
      line = strchr(line, '\n');
      if (line) ++line;
    }
    printf("%s_%s=", prefix, *f);
    if (!found) {
      printf("absent\n");
      continue;
    }
    while (*found == ' ' || *found == '\t') ++found;
    int blank = 0;
    for (; *found && *found != '\n'; ++found) {
      if (*found == ' ' || *found == '\t') {
        blank = 1;
        continue;
      }
      if (blank) putchar(' ');
      blank = 0;
      putchar(*found);
    }
    putchar('\n');
  }
}

static const char* const kStatusFields[] = {"Pid",   "PPid",   "Tgid",  "TracerPid", "NStgid",
                                            "NSpid", "NSpgid", "NSsid", NULL};
static const char* const kPidfdFields[] = {"Pid", "NSpid", NULL};

// prefix=pid ppid pgrp session tpgid: fields 1, 4, 5, 6 and 8 of a stat file; the fields from 3
// on are counted after the last ')', since the command name may hold blanks and parentheses.
static void show_stat(const char* prefix, const char* path) {
  char buf[4096];
  if (slurp(path, buf, sizeof buf) < 0) {
    printf("%s=%s\n", prefix, strerrorname_np(errno));
    return;
  }
  long pid = 0, ppid, pgrp, session, tty, tpgid;
  char state;
  const char* close_paren = strrchr(buf, ')');
  if (sscanf(buf, "%ld", &pid) != 1 || !close_paren ||
      sscanf(close_paren + 1, " %c %ld %ld %ld %ld %ld", &state, &ppid, &pgrp, &session, &tty,
             &tpgid) != 6) {
    printf("%s=unparsable\n", prefix);
    return;
  }
  printf("%s=%ld %ld %ld %ld %ld\n", prefix, pid, ppid, pgrp, session, tpgid);
}

// key=the content of a children file, without its trailing blank.
static void show_children(const char* key, const char* path) {
  char buf[4096];
  ssize_t n = slurp(path, buf, sizeof buf);
  if (n < 0) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\n')) buf[--n] = '\0';
  printf("%s=%s\n", key, buf);
}

// key=the "(pid, #threads: N)" part of the first line of a sched file.
static void show_sched(const char* key, const char* path) {
  char buf[16384];
  if (slurp(path, buf, sizeof buf) < 0) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  char* nl = strchr(buf, '\n');
  if (nl) *nl = '\0';
  const char* open_paren = strrchr(buf, '(');
  printf("%s=%s\n", key, open_paren ? open_paren : "unparsable");
}

// key=the fifth field of /proc/loadavg: the last pid allocated in the reader's pid space.
static void show_loadavg_last_pid(const char* key) {
  char buf[256], last[64];
  if (slurp("/proc/loadavg", buf, sizeof buf) < 0) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  if (sscanf(buf, "%*s %*s %*s %*s %63s", last) != 1) {
    printf("%s=unparsable\n", key);
    return;
  }
  printf("%s=%s\n", key, last);
}

// key=the content of /proc/sys/kernel/ns_last_pid: the last pid allocated in the reader's space.
static void show_ns_last_pid(const char* key) {
  char buf[64];
  ssize_t n = slurp("/proc/sys/kernel/ns_last_pid", buf, sizeof buf);
  if (n < 0) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  while (n > 0 && buf[n - 1] == '\n') buf[--n] = '\0';
  printf("%s=%s\n", key, buf);
}

static int cmp_str(const void* a, const void* b) {
  return strcmp((const char*)a, (const char*)b);
}

// Prints, for the lines of /proc/locks about inode ino, key=CLASS TYPE ACCESS PID (the ordinal
// and the device are left out); then key_count=the lines whose pid is positive, i.e. the POSIX
// and flock locks of visible processes (OFD locks of any process show with pid -1).
static void show_locks(const char* key, unsigned long ino) {
  char buf[65536];
  if (slurp("/proc/locks", buf, sizeof buf) < 0) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  int positive = 0;
  char ours[16][128];
  size_t n = 0;
  for (char* line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    char cls[32], adv[32], acc[32], dev_ino[64];
    long pid;
    if (strstr(line, "->")) continue;  // a blocked waiter
    if (sscanf(line, "%*s %31s %31s %31s %ld %63s", cls, adv, acc, &pid, dev_ino) != 5) continue;
    if (pid > 0) ++positive;
    const char* colon = strrchr(dev_ino, ':');
    if (colon && strtoul(colon + 1, NULL, 10) == ino && n < 16)
      snprintf(ours[n++], sizeof ours[0], "%s %s %s %ld", cls, adv, acc, pid);
  }
  // The kernel lists locks per CPU, so their order varies from run to run: sorted.
  qsort(ours, n, sizeof ours[0], cmp_str);
  for (size_t i = 0; i < n; ++i) printf("%s=%s\n", key, ours[i]);
  printf("%s_count=%d\n", key, positive);
}

static void show_pidfd(const char* prefix, int fd) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  show_fields(prefix, path, kPidfdFields);
}

static void read_byte(int fd, const char* what) {
  char c;
  if (read(fd, &c, 1) != 1) die(what);
}

static void write_byte(int fd, const char* what) {
  if (write(fd, "x", 1) != 1) die(what);
}

static void wait_eof(int fd, const char* what) {
  char c;
  if (read(fd, &c, 1) != 0) die(what);
}

// Thread t1 reports through /proc/thread-self; thread t2 forks c1. Both then wait for the end.
static int t1_go[2], t2_go[2], thread_done[2], gate_threads[2], gate_c1[2], lock_fd = -1;

static void* t1_main(void* arg) {
  (void)arg;
  read_byte(t1_go[0], "t1 go");
  show("t1_gettid", gettid());
  show_fields("t1_thread_self_status", "/proc/thread-self/status", kStatusFields);
  show_stat("t1_thread_self_stat", "/proc/thread-self/stat");
  show_sched("t1_thread_self_sched", "/proc/thread-self/sched");
  show_fields("t1_self_status", "/proc/self/status", kStatusFields);  // the group leader's
  fflush(stdout);
  write_byte(thread_done[1], "t1 done");
  wait_eof(gate_threads[0], "t1 gate");
  return NULL;
}

static void* t2_main(void* arg) {
  (void)arg;
  read_byte(t2_go[0], "t2 go");
  int c1_ready[2];
  if (pipe(c1_ready) < 0) die("pipe c1_ready");
  fflush(stdout);
  const pid_t c1 = fork();
  if (c1 < 0) die("fork c1");
  if (c1 == 0) {
    close(c1_ready[0]);
    close(gate_c1[1]);
    show("c1_getpid", getpid());
    show_fields("c1_self_status", "/proc/self/status", kStatusFields);
    show_stat("c1_self_stat", "/proc/self/stat");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)getppid());
    show_fields("c1_parent_status", path, kStatusFields);
    if (setpgid(0, 0) < 0) die("setpgid");
    show_stat("c1_self_stat_after_setpgid", "/proc/self/stat");
    show_fields("c1_self_status_after_setpgid", "/proc/self/status", kStatusFields);
    // A POSIX lock, for /proc/locks.
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    if (fcntl(lock_fd, F_SETLK, &fl) < 0) die("F_SETLK");
    fflush(stdout);
    write_byte(c1_ready[1], "c1 ready");
    wait_eof(gate_c1[0], "c1 gate");
    _exit(0);
  }
  close(c1_ready[1]);
  read_byte(c1_ready[0], "c1 ready");
  close(c1_ready[0]);
  write_byte(thread_done[1], "t2 done");
  wait_eof(gate_threads[0], "t2 gate");
  return NULL;
}

int main(void) {
  alarm(10);
  setvbuf(stdout, NULL, _IOLBF, 0);

  show_fields("init_self_status", "/proc/self/status", kStatusFields);
  show_fields("init_1_status", "/proc/1/status", kStatusFields);
  show_stat("init_self_stat", "/proc/self/stat");
  show_sched("init_self_sched", "/proc/self/sched");
  show_numeric_entries("init_task_listing_alone", "/proc/self/task");
  show_children("init_children_alone", "/proc/self/task/1/children");

  lock_fd = memfd_create("proc_status_fields_lock", MFD_CLOEXEC);
  if (lock_fd < 0) die("memfd_create");
  if (ftruncate(lock_fd, 16) < 0) die("ftruncate");
  struct stat lock_st;
  if (fstat(lock_fd, &lock_st) < 0) die("fstat");

  // Threads t1 (2) and t2 (3).
  if (pipe(t1_go) < 0 || pipe(t2_go) < 0 || pipe(thread_done) < 0 || pipe(gate_threads) < 0 ||
      pipe(gate_c1) < 0)
    die("pipe");
  pthread_t t1, t2;
  if (pthread_create(&t1, NULL, t1_main, NULL) != 0) die("pthread_create t1");
  if (pthread_create(&t2, NULL, t2_main, NULL) != 0) die("pthread_create t2");
  show_numeric_entries("init_task_listing_threads", "/proc/self/task");
  show_sched("init_self_sched_threads", "/proc/self/sched");
  show_fields("init_task_2_status", "/proc/self/task/2/status", kStatusFields);
  show_fields("init_tid_2_status", "/proc/2/status", kStatusFields);
  show_stat("init_task_2_stat", "/proc/self/task/2/stat");
  show_stat("init_tid_3_stat", "/proc/3/stat");
  show_sched("init_task_3_sched", "/proc/1/task/3/sched");
  show_numeric_entries("init_tid_2_task_listing", "/proc/2/task");
  write_byte(t1_go[1], "t1 go");
  read_byte(thread_done[0], "t1 done");

  // c1 (4), forked by t2.
  write_byte(t2_go[1], "t2 go");
  read_byte(thread_done[0], "t2 done");

  // c2 (5), forked by the main thread; it makes a session and forks gc (6).
  int c2_ready[2], gate_c2[2];
  if (pipe(c2_ready) < 0 || pipe(gate_c2) < 0) die("pipe c2");
  fflush(stdout);
  const pid_t c2 = fork();
  if (c2 < 0) die("fork c2");
  if (c2 == 0) {
    close(c2_ready[0]);
    close(gate_c2[1]);
    close(gate_c1[1]);
    close(gate_threads[1]);
    show("c2_getpid", getpid());
    show_fields("c2_self_status", "/proc/self/status", kStatusFields);
    show_fields("c2_parent_status", "/proc/1/status", kStatusFields);
    show_stat("c2_parent_stat", "/proc/1/stat");
    if (setsid() < 0) die("setsid");
    show_stat("c2_self_stat_after_setsid", "/proc/self/stat");
    show_fields("c2_self_status_after_setsid", "/proc/self/status", kStatusFields);
    if (flock(lock_fd, LOCK_SH) < 0) die("flock");  // a second, independent lock kind
    int gc_ready[2];
    if (pipe(gc_ready) < 0) die("pipe gc");
    fflush(stdout);
    const pid_t gc = fork();
    if (gc < 0) die("fork gc");
    if (gc == 0) {
      close(gc_ready[0]);
      show("gc_getpid", getpid());
      show_fields("gc_self_status", "/proc/self/status", kStatusFields);
      show_stat("gc_self_stat", "/proc/self/stat");
      show_fields("gc_parent_status", "/proc/5/status", kStatusFields);
      show_children("gc_parent_children", "/proc/5/task/5/children");
      fflush(stdout);
      write_byte(gc_ready[1], "gc ready");
      wait_eof(gate_c2[0], "gc gate");
      _exit(0);
    }
    close(gc_ready[1]);
    read_byte(gc_ready[0], "gc ready");
    write_byte(c2_ready[1], "c2 ready");
    wait_eof(gate_c2[0], "c2 gate");
    wait_exited(gc);
    _exit(0);
  }
  close(c2_ready[1]);
  close(gate_c2[0]);
  read_byte(c2_ready[0], "c2 ready");

  // Everyone is alive: init and its threads 2, 3; c1 4 (t2's child), c2 5, gc 6 (c2's child).
  show_numeric_entries("init_task_listing_all", "/proc/self/task");
  show_children("init_task_1_children", "/proc/1/task/1/children");
  show_children("init_task_2_children", "/proc/1/task/2/children");
  show_children("init_task_3_children", "/proc/self/task/3/children");
  show_children("init_c2_children", "/proc/5/task/5/children");
  show_children("init_c1_children", "/proc/4/task/4/children");
  show_fields("init_c1_status", "/proc/4/status", kStatusFields);
  show_stat("init_c1_stat", "/proc/4/stat");
  show_fields("init_c2_status", "/proc/5/status", kStatusFields);
  show_stat("init_c2_stat", "/proc/5/stat");
  show_fields("init_gc_status", "/proc/6/status", kStatusFields);
  show_stat("init_gc_stat", "/proc/6/stat");
  show_sched("init_gc_sched", "/proc/6/sched");
  show_numeric_entries("init_gc_task_listing", "/proc/6/task");
  show_locks("init_locks", (unsigned long)lock_st.st_ino);
  show_loadavg_last_pid("init_loadavg_last_pid_6");
  show_ns_last_pid("init_ns_last_pid_6");

  const int pidfd_c2 = (int)syscall(SYS_pidfd_open, c2, 0);
  const int pidfd_gc = (int)syscall(SYS_pidfd_open, 6, 0);
  const int pidfd_self = (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (pidfd_c2 < 0 || pidfd_gc < 0 || pidfd_self < 0) die("pidfd_open");
  show_pidfd("pidfd_c2_live", pidfd_c2);
  show_pidfd("pidfd_gc_live", pidfd_gc);
  show_pidfd("pidfd_self", pidfd_self);

  // c2 and gc end. gc is reaped by c2; c2 is a zombie until init reaps it.
  close(gate_c2[1]);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, c2, &si, WEXITED | WNOWAIT) < 0) die("waitid");
  show("c2_zombie_si_pid", si.si_pid);
  show_pidfd("pidfd_gc_reaped", pidfd_gc);
  show_pidfd("pidfd_c2_zombie", pidfd_c2);
  show_stat("c2_zombie_stat", "/proc/5/stat");
  show_fields("c2_zombie_status", "/proc/5/status", kStatusFields);
  show_children("init_task_1_children_zombie", "/proc/1/task/1/children");
  wait_exited(c2);
  show_pidfd("pidfd_c2_reaped", pidfd_c2);
  show_children("init_task_1_children_reaped", "/proc/1/task/1/children");
  show_locks("init_locks_after_c2", (unsigned long)lock_st.st_ino);

  // c1 ends (a child of t2, reaped by the main thread); then the threads end.
  close(gate_c1[0]);
  close(gate_c1[1]);
  wait_exited(4);
  close(gate_threads[1]);  // EOF for both; the read end stays open until they have seen it
  if (pthread_join(t1, NULL) != 0 || pthread_join(t2, NULL) != 0) die("pthread_join");
  close(gate_threads[0]);

  // A last child (7): the last pid allocated.
  fflush(stdout);
  const pid_t last = fork();
  if (last < 0) die("fork last");
  if (last == 0) {
    show("last_getpid", getpid());
    show_loadavg_last_pid("last_loadavg_last_pid");
    show_ns_last_pid("last_ns_last_pid");
    _exit(0);
  }
  wait_exited(last);
  show_loadavg_last_pid("init_loadavg_last_pid_7");
  show_ns_last_pid("init_ns_last_pid_7");
  show_fields("pidfd_self_end", "/proc/self/fdinfo/0", kPidfdFields);  // not a pidfd: absent
  show_locks("init_locks_end", (unsigned long)lock_st.st_ino);
  return 0;
}
