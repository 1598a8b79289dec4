// object_pids: pids the kernel keeps in objects and reports later, in the reader's numbering:
// a UNIX socket's peer credentials (SO_PEERCRED, and SCM_CREDENTIALS, attached by the kernel or
// sent explicitly with the sender's own pid), the owner of a POSIX lock (F_GETLK), the owner of a
// descriptor (F_SETOWN/F_GETOWN), System V IPC (shm_cpid/shm_lpid, msg_lspid/msg_lrpid, semctl
// GETPID), PIDFD_GET_INFO (pid, tgid, ppid; the parent of init is outside: 0), and the port id
// the kernel picks for a netlink socket bound without one (the binder's pid, as it sees it).
// docs/pid-semantics.md G.62 (SCM_CREDENTIALS: the sender gives its pid as it sees it, the
// receiver gets it in its own numbering), G.63 (SO_PEERCRED), G.64 (PIDFD_GET_INFO and the other
// readers give 0 for a pid outside), G.65 (netlink port ids: the kernel's choice is the pid in
// the binder's namespace), K.91 (lock owners), K.92 (System V IPC pids).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

// PIDFD_GET_INFO (Linux 6.13), not in the installed headers yet.
struct pidfd_info_v0 {
  uint64_t mask;
  uint64_t cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;
};
#define PIDFD_GET_INFO_V0 _IOWR(0xFF, 11, struct pidfd_info_v0)
#define PIDFD_INFO_PID_MASK 1ULL

// Receives one byte and writes "key=pid" of the SCM_CREDENTIALS that came with it into out.
static void receive_creds(const char* key, int fd, char* out, size_t size) {
  char byte;
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct ucred))];
  } control;
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof(control.buf)};
  if (recvmsg(fd, &msg, 0) < 0) {
    snprintf(out, size, "%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_type != SCM_CREDENTIALS) {
    snprintf(out, size, "%s=no credentials\n", key);
    return;
  }
  struct ucred cred;
  memcpy(&cred, CMSG_DATA(c), sizeof(cred));
  snprintf(out, size, "%s=%d\n", key, cred.pid);
}

static void show_pidfd_info(const char* key, pid_t pid) {
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) die("pidfd_open");
  struct pidfd_info_v0 info;
  memset(&info, 0, sizeof(info));
  info.mask = PIDFD_INFO_PID_MASK;
  if (ioctl(fd, PIDFD_GET_INFO_V0, &info) < 0)
    printf("%s=%s\n", key, strerrorname_np(errno));
  else
    printf("%s=pid %u tgid %u ppid %u\n", key, info.pid, info.tgid, info.ppid);
  close(fd);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);

  // 1. Sockets between init and a child (2). The child sends its credentials both ways, then
  // receives init's.
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) die("socketpair");
  const int on = 1;
  setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
  setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
  pid_t p = fork_flushed();
  if (p == 0) {
    close(sv[0]);
    struct ucred peer;
    socklen_t len = sizeof(peer);
    if (getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0) die("SO_PEERCRED");
    printf("child_so_peercred_pid=%d\n", peer.pid);
    fflush(stdout);
    if (write(sv[1], "a", 1) != 1) die("write");  // credentials attached by the kernel
    // If an explicit send fails, a plain byte goes instead, so that init still gets three.
    long r = send_creds(sv[1], getpid());
    show("child_scm_send_own_pid", r);
    if (r < 0 && write(sv[1], "c", 1) != 1) die("write");
    r = send_creds(sv[1], 1);
    show("child_scm_send_init_pid", r);
    if (r < 0 && write(sv[1], "d", 1) != 1) die("write");
    char got[64];
    receive_creds("child_scm_from_init_attached", sv[1], got, sizeof(got));
    fputs(got, stdout);
    _exit(0);
  }
  close(sv[1]);
  // Init prints what it got once the child has printed everything.
  char got[4][64];
  receive_creds("init_scm_from_child_attached", sv[0], got[0], sizeof(got[0]));
  receive_creds("init_scm_from_child_explicit", sv[0], got[1], sizeof(got[1]));
  receive_creds("init_scm_from_child_as_init", sv[0], got[2], sizeof(got[2]));
  struct ucred peer;
  socklen_t len = sizeof(peer);
  if (getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0) die("SO_PEERCRED");
  snprintf(got[3], sizeof(got[3]), "init_so_peercred_pid=%d\n", peer.pid);
  if (write(sv[0], "b", 1) != 1) die("write");
  if (waitpid(p, NULL, 0) != p) die("waitpid");
  for (int i = 0; i < 4; ++i) fputs(got[i], stdout);
  close(sv[0]);

  // 2. A POSIX lock held by a child (3); init asks who holds it. Then init sets the child as
  // the owner of a pipe and reads it back.
  char path[] = "/tmp/vpidbox-object-pids.XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) die("mkstemp");
  unlink(path);
  int locked[2], gate[2];
  if (pipe(locked) < 0 || pipe(gate) < 0) die("pipe");
  p = fork_flushed();
  if (p == 0) {
    close(locked[0]);
    close(gate[1]);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    if (fcntl(fd, F_SETLK, &fl) < 0) die("F_SETLK");
    close(locked[1]);
    await_eof(gate[0]);
    _exit(0);
  }
  close(locked[1]);
  close(gate[0]);
  await_eof(locked[0]);
  close(locked[0]);
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  show("f_getlk", fcntl(fd, F_GETLK, &fl));
  printf("f_getlk_l_pid=%d\n", fl.l_pid);
  int owned[2];
  if (pipe(owned) < 0) die("pipe");
  show("f_setown_child", fcntl(owned[0], F_SETOWN, p));
  show("f_getown_child", fcntl(owned[0], F_GETOWN));
  show("f_setown_self", fcntl(owned[0], F_SETOWN, getpid()));
  show("f_getown_self", fcntl(owned[0], F_GETOWN));
  struct f_owner_ex owner = {F_OWNER_PID, 0};
  show("f_getown_ex", fcntl(owned[0], F_GETOWN_EX, &owner));
  printf("f_getown_ex_pid=%d\n", owner.pid);
  close(owned[0]);
  close(owned[1]);
  close(gate[1]);
  if (waitpid(p, NULL, 0) != p) die("waitpid");
  close(fd);

  // 3. System V IPC: a child (4) creates and attaches a segment, sends a message, sets a
  // semaphore; init reads the recorded pids.
  int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  int msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  if (shm < 0 || msq < 0 || sem < 0) die("IPC_PRIVATE");
  p = fork_flushed();
  if (p == 0) {
    void* a = shmat(shm, NULL, 0);
    if (a == (void*)-1) die("shmat");
    shmdt(a);
    struct {
      long type;
      char text[4];
    } m = {1, "hi"};
    if (msgsnd(msq, &m, sizeof(m.text), 0) < 0) die("msgsnd");
    struct sembuf op = {0, 1, 0};
    if (semop(sem, &op, 1) < 0) die("semop");
    _exit(0);
  }
  if (waitpid(p, NULL, 0) != p) die("waitpid");
  struct shmid_ds sds;
  if (shmctl(shm, IPC_STAT, &sds) < 0) die("shmctl");
  printf("shm_cpid=%d\nshm_lpid=%d\n", sds.shm_cpid, sds.shm_lpid);
  struct msqid_ds mds;
  if (msgctl(msq, IPC_STAT, &mds) < 0) die("msgctl");
  printf("msg_lspid=%d\nmsg_lrpid=%d\n", mds.msg_lspid, mds.msg_lrpid);
  show("sem_getpid", semctl(sem, 0, GETPID));
  shmctl(shm, IPC_RMID, NULL);
  msgctl(msq, IPC_RMID, NULL);
  semctl(sem, 0, IPC_RMID);

  // 4. PIDFD_GET_INFO for init (whose parent is outside) and a child (5).
  show_pidfd_info("pidfd_info_init", 1);
  p = fork_gated(gate);
  if (p == 0) {
    await_eof(gate[0]);
    _exit(0);
  }
  show_pidfd_info("pidfd_info_child", p);
  close(gate[1]);
  if (waitpid(p, NULL, 0) != p) die("waitpid");

  // 5. Netlink autobind: the kernel tries the binder's pid as the port id first.
  int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (nl < 0) die("socket netlink");
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
  show("netlink_bind_auto", bind(nl, (struct sockaddr*)&addr, sizeof(addr)));
  socklen_t alen = sizeof(addr);
  show("netlink_getsockname", getsockname(nl, (struct sockaddr*)&addr, &alen));
  printf("netlink_autobind_port_is_getpid=%d\n", addr.nl_pid == (unsigned)getpid());
  close(nl);
  return 0;
}
