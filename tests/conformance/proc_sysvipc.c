// proc_sysvipc: /proc/sysvipc/shm and /proc/sysvipc/msg print the creator and last-operation pids
// of SysV IPC objects in the reader's pid namespace (ipc/util.c). A child creates a segment and a
// queue, init attaches and sends; the rows of these objects must name 2 and 1.
// docs/pid-semantics.md §3 (global files).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

// Prints the named columns of the row of object `id` (the 2nd column) in a sysvipc file.
static void show_row(const char* file, int id, const char* const* columns, int ncolumns) {
  FILE* f = fopen(file, "re");
  if (!f) {
    printf("%s=unreadable\n", file);
    return;
  }
  char header[512], line[512];
  if (!fgets(header, sizeof(header), f)) return;
  while (fgets(line, sizeof(line), f)) {
    char copy[512];
    strcpy(copy, line);
    char* fields[32];
    int n = 0;
    for (char* t = strtok(copy, " \n"); t && n < 32; t = strtok(NULL, " \n")) fields[n++] = t;
    if (n < 2 || atoi(fields[1]) != id) continue;
    char hcopy[512];
    strcpy(hcopy, header);
    int column = 0;
    for (char* h = strtok(hcopy, " \n"); h && column < n; h = strtok(NULL, " \n"), ++column)
      for (int c = 0; c < ncolumns; ++c)
        if (strcmp(h, columns[c]) == 0)
          printf("%s_%s=%s\n", strrchr(file, '/') + 1, h, fields[column]);
  }
  fclose(f);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  alarm(10);
  int ids[2];  // shmid, msqid, made by the child
  int channel[2];
  if (pipe(channel) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    ids[0] = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    ids[1] = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (write(channel[1], ids, sizeof(ids)) != sizeof(ids)) _exit(1);
    _exit(0);
  }
  if (read(channel[0], ids, sizeof(ids)) != sizeof(ids)) return 1;
  waitpid(child, NULL, 0);
  printf("child=%d\n", (int)child);
  void* at = shmat(ids[0], NULL, 0);
  struct {
    long type;
    char text[4];
  } message = {1, "hi"};
  msgsnd(ids[1], &message, sizeof(message.text), 0);
  static const char* const kShm[] = {"cpid", "lpid"};
  static const char* const kMsg[] = {"lspid", "lrpid"};
  show_row("/proc/sysvipc/shm", ids[0], kShm, 2);
  show_row("/proc/sysvipc/msg", ids[1], kMsg, 2);
  shmdt(at);
  shmctl(ids[0], IPC_RMID, NULL);
  msgctl(ids[1], IPC_RMID, NULL);
  return 0;
}
