// object_pid_edges: the corners of the pids kernel objects report (object_pids has the main
// cases): F_GETLK and F_OFD_GETLK when nothing conflicts (the caller's own l_pid stays), against
// an open file description's lock (-1) and a process's lock; SO_PEERCRED of a peer that has
// exited (the socket keeps its number), with a short optlen, of a listener's own socket and of
// both ends of a socketpair; the pidfd SO_PEERPIDFD gives (its fdinfo and PIDFD_GET_INFO); the
// pidfd of a thread and of a zombie; System V IPC pids of processes that have exited.
// docs/pid-semantics.md G.63 (SO_PEERCRED), G.64 (PIDFD_GET_INFO and the other readers), K.91
// (lock owners), K.92 (System V IPC pids).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#endif

// PIDFD_GET_INFO (Linux 6.13), not in the installed headers yet.
struct pidfd_info_v0 {
  uint64_t mask;
  uint64_t cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;
};
#define PIDFD_GET_INFO_V0 _IOWR(0xFF, 11, struct pidfd_info_v0)
#define PIDFD_INFO_PID_MASK 1ULL

static void show_pidfd_info(const char* key, int fd) {
  struct pidfd_info_v0 info;
  memset(&info, 0xab, sizeof(info));
  info.mask = PIDFD_INFO_PID_MASK;
  if (ioctl(fd, PIDFD_GET_INFO_V0, &info) < 0)
    printf("%s=%s\n", key, strerrorname_np(errno));
  else
    printf("%s=pid %u tgid %u ppid %u\n", key, info.pid, info.tgid, info.ppid);
}

// The "Pid:" and "NSpid:" lines of /proc/self/fdinfo/FD, joined.
static void show_fdinfo_pids(const char* key, int fd) {
  char path[64], line[256], out[256] = "";
  snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
  FILE* f = fopen(path, "re");
  if (!f) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  while (fgets(line, sizeof(line), f)) {
    if (strncmp(line, "Pid:", 4) != 0 && strncmp(line, "NSpid:", 6) != 0) continue;
    line[strcspn(line, "\n")] = '\0';
    for (char* t = line; *t; ++t)
      if (*t == '\t') *t = ' ';
    strncat(out, line, sizeof(out) - strlen(out) - 2);
    strcat(out, ";");
  }
  fclose(f);
  printf("%s=%s\n", key, out);
}

static long peer_pid(int fd, socklen_t len) {
  struct ucred cred = {-7, 0, 0};
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return -1;
  return cred.pid;
}

// A thread that tells its tid (gettid()) through `tid` and waits for EOF on `gate`.
struct thread_pipes {
  int tid[2];
  int gate[2];
};
static void* thread_wait(void* arg) {
  struct thread_pipes* pipes = arg;
  const pid_t tid = (pid_t)syscall(SYS_gettid);
  if (write(pipes->tid[1], &tid, sizeof(tid)) != sizeof(tid)) die("write tid");
  await_eof(pipes->gate[0]);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);

  // 1. Locks. Nothing conflicts: the kernel writes l_type F_UNLCK and leaves the rest.
  char path[] = "/tmp/vpidbox-object-edges.XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) die("mkstemp");
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  fl.l_pid = 12345;
  show("getlk_free", fcntl(fd, F_GETLK, &fl));
  printf("getlk_free_type=%d l_pid=%d\n", fl.l_type, fl.l_pid);
  // An open file description's lock (through another open of the file), asked about with both.
  int other = open(path, O_RDWR);
  if (other < 0) die("open");
  unlink(path);
  struct flock ofd = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  show("ofd_setlk", fcntl(other, F_OFD_SETLK, &ofd));
  int gate[2], locked[2];
  if (pipe(locked) < 0) die("pipe");
  pid_t p = fork_gated(gate);
  if (p == 0) {
    close(locked[0]);
    struct flock q = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    show("child_getlk_ofd_type", fcntl(fd, F_GETLK, &q));
    printf("child_getlk_ofd_l_pid=%d\n", q.l_pid);
    // Its own lock on byte 5, which init then asks about.
    struct flock mine = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
    if (fcntl(fd, F_SETLK, &mine) < 0) die("F_SETLK");
    close(locked[1]);
    await_eof(gate[0]);
    _exit(0);
  }
  close(locked[1]);
  await_eof(locked[0]);
  close(locked[0]);
  struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1, .l_pid = 0};
  show("ofd_getlk_process_lock", fcntl(other, F_OFD_GETLK, &q));
  printf("ofd_getlk_process_lock_l_pid=%d\n", q.l_pid);
  close(gate[1]);
  wait_exited(p);
  close(other);
  close(fd);

  // 2. SO_PEERCRED. A peer that connects and exits: the socket keeps its number.
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof(addr.sun_path), "/tmp/vpidbox-edges-%d.sock", getpid());
  unlink(addr.sun_path);
  if (listener < 0 || bind(listener, (struct sockaddr*)&addr, sizeof(addr)) < 0 ||
      listen(listener, 4) < 0)
    die("listen");
  show("listener_own_peercred", peer_pid(listener, sizeof(struct ucred)));
  p = fork_flushed();
  if (p == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr*)&addr, sizeof(addr)) < 0) die("connect");
    printf("connector_getpid=%d\n", getpid());
    _exit(0);
  }
  wait_exited(p);
  int conn = accept(listener, NULL, NULL);
  if (conn < 0) die("accept");
  show("peercred_of_exited_peer", peer_pid(conn, sizeof(struct ucred)));
  show("peercred_pid_only", peer_pid(conn, sizeof(pid_t)));
  int pidfd = -1;
  socklen_t len = sizeof(pidfd);
  show("peerpidfd_of_exited_peer", getsockopt(conn, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len));
  if (pidfd >= 0) close(pidfd);
  close(conn);
  // A live peer's pidfd.
  int ready[2];
  if (pipe(ready) < 0) die("pipe");
  p = fork_gated(gate);
  if (p == 0) {
    close(ready[0]);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr*)&addr, sizeof(addr)) < 0) die("connect");
    close(ready[1]);
    await_eof(gate[0]);
    _exit(0);
  }
  close(ready[1]);
  await_eof(ready[0]);
  close(ready[0]);
  conn = accept(listener, NULL, NULL);
  if (conn < 0) die("accept");
  len = sizeof(pidfd);
  if (getsockopt(conn, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0) {
    show_fdinfo_pids("peer_pidfd_fdinfo", pidfd);
    show_pidfd_info("peer_pidfd_info", pidfd);
    close(pidfd);
  } else {
    printf("peer_pidfd=%s\n", strerrorname_np(errno));
  }
  show("live_peercred", peer_pid(conn, sizeof(struct ucred)));
  close(conn);
  close(gate[1]);
  wait_exited(p);
  close(listener);
  unlink(addr.sun_path);
  // A socketpair made by a child: both ends carry the child's credentials, also in init.
  int pair_pass[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair_pass) < 0) die("socketpair");
  p = fork_flushed();
  if (p == 0) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0) die("socketpair");
    show("child_pair_peercred", peer_pid(sv[0], sizeof(struct ucred)));
    char byte = 'p';
    struct iovec iov = {&byte, 1};
    union {
      struct cmsghdr align;
      char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf)};
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &sv[1], sizeof(int));
    if (sendmsg(pair_pass[1], &msg, 0) != 1) die("sendmsg SCM_RIGHTS");
    _exit(0);
  }
  {
    char byte;
    struct iovec iov = {&byte, 1};
    union {
      struct cmsghdr align;
      char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf)};
    if (recvmsg(pair_pass[0], &msg, 0) != 1) die("recvmsg SCM_RIGHTS");
    int end;
    memcpy(&end, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
    wait_exited(p);
    show("init_pair_end_peercred_after_exit", peer_pid(end, sizeof(struct ucred)));
    close(end);
  }

  // 3. pidfds: a thread's (PIDFD_THREAD) and a zombie's.
  struct thread_pipes pipes;
  if (pipe(pipes.tid) < 0 || pipe(pipes.gate) < 0) die("pipe");
  pthread_t t;
  if (pthread_create(&t, NULL, thread_wait, &pipes) != 0) die("pthread_create");
  pid_t tid = 0;
  if (read(pipes.tid[0], &tid, sizeof(tid)) != sizeof(tid)) die("read tid");
  int thread_fd = (int)syscall(SYS_pidfd_open, tid, O_EXCL /* PIDFD_THREAD */);
  if (thread_fd >= 0) {
    show_pidfd_info("thread_pidfd_info", thread_fd);
    close(thread_fd);
  } else {
    printf("thread_pidfd=%s\n", strerrorname_np(errno));
  }
  close(pipes.gate[1]);
  pthread_join(t, NULL);
  p = fork_flushed();
  if (p == 0) _exit(0);
  int zombie_fd = (int)syscall(SYS_pidfd_open, p, 0);
  siginfo_t si;
  if (waitid(P_PID, p, &si, WEXITED | WNOWAIT) < 0) die("waitid");
  show_pidfd_info("zombie_pidfd_info", zombie_fd);
  wait_exited(p);
  close(zombie_fd);

  // 4. System V IPC: made, used and last used by children that have exited.
  int shm = -1;
  int ids[2];
  if (pipe(ids) < 0) die("pipe");
  p = fork_flushed();
  if (p == 0) {
    int s = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    void* a = shmat(s, NULL, 0);
    if (a == (void*)-1) die("shmat");
    shmdt(a);
    if (write(ids[1], &s, sizeof(s)) != sizeof(s)) die("write");
    _exit(0);
  }
  if (read(ids[0], &shm, sizeof(shm)) != sizeof(shm)) die("read");
  wait_exited(p);
  struct shmid_ds sds;
  if (shmctl(shm, IPC_STAT, &sds) < 0) die("shmctl");
  printf("exited_shm_cpid=%d shm_lpid=%d\n", sds.shm_cpid, sds.shm_lpid);
  shmctl(shm, IPC_RMID, NULL);
  int msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  if (msq < 0 || sem < 0) die("IPC_PRIVATE");
  for (int i = 0; i < 2; ++i) {
    p = fork_flushed();
    if (p == 0) {
      struct {
        long type;
        char text[4];
      } m = {1, "hi"};
      if (i == 0 && msgsnd(msq, &m, sizeof(m.text), 0) < 0) die("msgsnd");
      if (i == 1 && msgrcv(msq, &m, sizeof(m.text), 0, 0) < 0) die("msgrcv");
      struct sembuf op = {0, 1, 0};
      if (semop(sem, &op, 1) < 0) die("semop");
      _exit(0);
    }
    wait_exited(p);
  }
  struct msqid_ds mds;
  if (msgctl(msq, IPC_STAT, &mds) < 0) die("msgctl");
  printf("exited_msg_lspid=%d msg_lrpid=%d\n", mds.msg_lspid, mds.msg_lrpid);
  show("exited_sem_getpid", semctl(sem, 0, GETPID));
  msgctl(msq, IPC_RMID, NULL);
  semctl(sem, 0, IPC_RMID);
  return 0;
}
