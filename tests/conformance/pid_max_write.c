// pid_max_write: the namespace's own /proc/sys/kernel/pid_max (Linux 6.14+): root inside sets
// it, within [301, 4194304] (written as proc_dointvec parses an int: C notation, one value, a
// write past offset 0 ignored), and it is honoured: numbers wrap below it (to 300, as past
// RESERVED_PIDS), ns_last_pid and clone3's set_tid are bounded by it, and a process that is
// neither root nor has CAP_SYS_ADMIN cannot open it for writing.
// docs/pid-semantics.md A.4 (allocation wraps at pid_max, to RESERVED_PIDS), A.9 (ns_last_pid),
// A.10 (set_tid below pid_max).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static const char* kPidMax = "/proc/sys/kernel/pid_max";
static const char* kLastPid = "/proc/sys/kernel/ns_last_pid";

// Writes `text` at `offset` in one pwrite(2); prints what it returned and the file afterwards.
static void write_at(const char* key, const char* path, const char* text, off_t offset) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) {
    printf("%s_open=%s\n", key, strerrorname_np(errno));
    return;
  }
  ssize_t n = pwrite(fd, text, strlen(text), offset);
  close(fd);
  char buf[32] = {0};
  fd = open(path, O_RDONLY);
  if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) < 0) buf[0] = 0;
  if (fd >= 0) close(fd);
  buf[strcspn(buf, "\n")] = '\0';
  if (n < 0)
    printf("%s=%s now=%s\n", key, strerrorname_np(errno), buf);
  else
    printf("%s=%zd now=%s\n", key, n, buf);
}

static void write_value(const char* key, const char* text) {
  write_at(key, kPidMax, text, 0);
}

// Forks a child that exits at once; prints the number fork() returned.
static void fork_and_show(const char* key) {
  pid_t pid = fork_flushed();
  if (pid == 0) _exit(0);
  printf("%s=%d\n", key, (int)pid);
  wait_exited(pid);
}

static long clone3_with_tid(pid_t tid) {
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.exit_signal = SIGCHLD;
  args.set_tid = (uint64_t)(uintptr_t)&tid;
  args.set_tid_size = 1;
  fflush(stdout);
  long c = syscall(SYS_clone3, &args, sizeof(args));
  if (c == 0) _exit(0);
  if (c > 0) wait_exited((pid_t)c);
  return c;
}

// Whether pid_max belongs to the pid namespace (Linux 6.14 and later). Before, it is the
// machine's, which the oracle's writes would change: nothing is written then.
static int pid_max_is_per_namespace(void) {
  struct utsname u;
  int major = 0, minor = 0;
  if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2) return 0;
  return major > 6 || (major == 6 && minor >= 14);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(10);
  if (!pid_max_is_per_namespace()) {
    printf("pid_max_write=not per namespace here (Linux before 6.14): not written\n");
    return 0;
  }
  write_value("initial_rewrite", "4194304");
  write_value("too_small", "300");
  write_value("smallest", "301");
  write_value("too_large", "4194305");
  write_value("garbage", "abc");
  write_value("trailing", "800x");
  write_value("negative", "-1");
  write_value("plus", "+900");
  write_value("blank", " ");
  write_value("hex", "0x400");
  write_value("octal", "01750");
  write_value("two_values", "1000 2000");
  write_at("past_offset_0", kPidMax, "1500", 2);
  write_value("newline", "1000\n");

  // Numbering below 1000: the next fork after 995 gets 996, then 997..999, then 300.
  write_at("last_995", kLastPid, "995", 0);
  for (int i = 0; i < 6; ++i) {
    char key[32];
    snprintf(key, sizeof(key), "fork_%d", i);
    fork_and_show(key);
  }
  write_at("last_at_pid_max", kLastPid, "1000", 0);
  write_at("last_above_pid_max", kLastPid, "1001", 0);
  show("set_tid_at_pid_max", clone3_with_tid(1000));
  show("set_tid_below_pid_max", clone3_with_tid(999));

  // Back up: the numbering goes on above the old limit.
  write_value("raise", "4194304");
  write_at("last_1500", kLastPid, "1500", 0);
  fork_and_show("fork_after_raise");

  // Not root, no CAP_SYS_ADMIN: the file is read-only for it.
  pid_t child = fork_flushed();
  if (child == 0) {
    if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0) die("setresuid");
    write_value("nobody", "5000");
    _exit(0);
  }
  wait_exited(child);
  return 0;
}
