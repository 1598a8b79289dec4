// unotify_responder -- CMD...: the floor of a seccomp user-notification supervisor. Runs CMD
// with a filter that sends getpid() to a listener, and answers each notification with CMD's pid
// from a loop that waits as vpidbox does (poll, receive, send), with the sync wake-up flag.
// Nothing else is intercepted. Exits with CMD's status.
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

static int install_filter(void) {
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e /* AUDIT_ARCH_X86_64 */, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof(code) / sizeof(code[0]), code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                      &prog);
}

static int pass_fd(int sock, int fd, int sending) {
  char byte = 0, control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (sending) {
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
  }
  if (recvmsg(sock, &msg, 0) != 1 || !(cmsg = CMSG_FIRSTHDR(&msg))) return -1;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return fd;
}

int main(int argc, char** argv) {
  int sv[2];
  if (argc < 3 || strcmp(argv[1], "--") != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
    fprintf(stderr, "usage: unotify_responder -- CMD...\n");
    return 2;
  }
  const pid_t child = fork();
  if (child == 0) {
    const int listener = install_filter();
    if (listener < 0 || pass_fd(sv[1], listener, 1) != 0) _exit(125);
    close(listener);
    execvp(argv[2], argv + 2);
    _exit(127);
  }
  const int listener = pass_fd(sv[0], -1, 0);
  if (listener < 0) return 125;
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  struct pollfd pfd = {listener, POLLIN, 0};
  while (poll(&pfd, 1, -1) >= 0 && !(pfd.revents & POLLHUP)) {
    memset(&req, 0, sizeof(req));
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
    resp = (struct seccomp_notif_resp){.id = req.id, .val = child};
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
  int status;
  if (waitpid(child, &status, 0) != child) return 125;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
