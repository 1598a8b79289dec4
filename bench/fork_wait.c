// fork_wait N: N iterations of fork(), _exit(0) in the child, waitpid() in the parent; the
// smallest process-lifecycle loop, so a supervisor's per-fork cost stands alone.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 500;
  for (int i = 0; i < n; ++i) {
    const pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) _exit(0);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 1;
  }
  return 0;
}
