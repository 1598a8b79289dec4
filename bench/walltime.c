// walltime: wall-clock time of one run of a command.
//
// Usage: walltime [-q] -- CMD [ARG...]
//
// Forks, execs CMD (searched in PATH) with stdin from /dev/null, waits for it
// and prints on stdout
//   wall_ns=12345678
// measured with CLOCK_MONOTONIC from just before fork() to just after the
// child has been reaped. CMD's stdout goes to /dev/null when -q is given;
// its stderr is left alone so that the caller can log why a run failed.
// Exit status: CMD's exit status, 128+N if it was killed by signal N, 127 if
// it could not be started. wall_ns is printed in every case.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void redirect(const char* path, int flags, int target) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0 || dup2(fd, target) < 0) {
    fprintf(stderr, "walltime: %s: %s\n", path, strerror(errno));
    _exit(127);
  }
  close(fd);
}

int main(int argc, char** argv) {
  int quiet = 0;
  int opt;
  while ((opt = getopt(argc, argv, "+q")) != -1) {
    if (opt == 'q') {
      quiet = 1;
    } else {
      fprintf(stderr, "usage: walltime [-q] -- CMD [ARG...]\n");
      return 2;
    }
  }
  if (optind >= argc) {
    fprintf(stderr, "usage: walltime [-q] -- CMD [ARG...]\n");
    return 2;
  }
  fflush(stdout);

  long long start = now_ns();
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "walltime: fork: %s\n", strerror(errno));
    return 127;
  }
  if (child == 0) {
    redirect("/dev/null", O_RDONLY, STDIN_FILENO);
    if (quiet) redirect("/dev/null", O_WRONLY, STDOUT_FILENO);
    execvp(argv[optind], &argv[optind]);
    fprintf(stderr, "walltime: %s: %s\n", argv[optind], strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "walltime: waitpid: %s\n", strerror(errno));
      return 127;
    }
  }
  long long elapsed = now_ns() - start;

  printf("wall_ns=%lld\n", elapsed);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}
