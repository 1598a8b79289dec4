// ns_last_pid_write: init writes /proc/sys/kernel/ns_last_pid, as checkpoint/restore tools do to
// choose the next pid, and forks. docs/pid-semantics.md A.9: writing N makes the next fork get N+1
// if it is free; reading gives the last allocated pid; out-of-range values are refused.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char* kPath = "/proc/sys/kernel/ns_last_pid";

// Writes `text` to ns_last_pid in one write(2); prints "key=ok" or "key=ENAME".
static void write_last(const char* key, const char* text) {
  int fd = open(kPath, O_WRONLY);
  if (fd < 0) {
    printf("%s_open=%s\n", key, strerrorname_np(errno));
    return;
  }
  ssize_t n = write(fd, text, strlen(text));
  printf("%s=%s\n", key, n < 0 ? strerrorname_np(errno) : "ok");
  close(fd);
}

static void read_last(const char* key) {
  char buf[32] = {0};
  int fd = open(kPath, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
  if (fd >= 0) close(fd);
  if (n < 0) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  buf[strcspn(buf, "\n")] = '\0';
  printf("%s=%s\n", key, buf);
}

// Forks a child that exits at once and prints the pid fork() returned.
static void fork_and_show(const char* key) {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  printf("%s=%d\n", key, (int)pid);
  waitpid(pid, NULL, 0);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(10);
  read_last("initial");
  write_last("write_99", "99");
  read_last("after_write_99");
  fork_and_show("fork_after_99");
  write_last("write_1", "1\n");  // 1 is init's: the next free number after it
  fork_and_show("fork_after_1");
  write_last("write_499", "499");
  fork_and_show("fork_after_499");
  fork_and_show("fork_after_that");
  read_last("last");
  write_last("write_negative", "-1");
  write_last("write_pid_max", "4194304");
  write_last("write_garbage", "abc");
  read_last("final");
  return 0;
}
