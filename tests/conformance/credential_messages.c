// credential_messages: SCM_CREDENTIALS sent and received in every way the kernel takes them:
// sendmsg() and sendmmsg(), credentials of the sender itself, of another process (root may name
// any: CAP_SYS_ADMIN), of nobody (a process group's number whose leader was reaped, 0, an unknown
// number: ESRCH), and from an unprivileged sender (only its own pid: EPERM), a sender
// that exited before the receiver read, recvmmsg(), SO_PASSCRED set on a listening socket (its
// accepted sockets have it); and netlink port ids: a socket bound with port 0 gets the binder's
// pid, a second one a negative number, a bind with multicast groups the same, a socket first used
// by sendmsg() is bound on the way, and a bound socket cannot be bound again with 0 (EINVAL).
// docs/pid-semantics.md G.62 (SCM_CREDENTIALS), G.65 (netlink port ids: the kernel's choice is
// the binder's pid in its namespace).
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

// Receives one message with recvmsg() and prints the credentials that came with it. Where the
// message was sent before, MSG_DONTWAIT: without CAP_SYS_ADMIN (Docker's capabilities, a plain
// user) a send naming another process fails, and nothing may wait for it.
static void receive_flags(const char* key, int fd, int flags) {
  char byte;
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof(control.buf)};
  if (recvmsg(fd, &msg, flags) < 0) {
    printf("%s=%s\n", key, strerrorname_np(errno));
    return;
  }
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      struct ucred cred;
      memcpy(&cred, CMSG_DATA(c), sizeof(cred));
      printf("%s=pid %d uid %d\n", key, cred.pid, cred.uid);
      return;
    }
  }
  printf("%s=no credentials\n", key);
}
static void receive(const char* key, int fd) {
  receive_flags(key, fd, MSG_DONTWAIT);
}

// A message for sendmmsg()'s vector: one byte and credentials naming `pid`.
struct creds_message {
  char byte;
  struct iovec iov;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct ucred))];
  } control;
};
static void fill(struct creds_message* m, struct msghdr* msg, pid_t pid) {
  m->byte = 'm';
  m->iov.iov_base = &m->byte;
  m->iov.iov_len = 1;
  memset(&m->control, 0, sizeof(m->control));
  memset(msg, 0, sizeof(*msg));
  msg->msg_iov = &m->iov;
  msg->msg_iovlen = 1;
  msg->msg_control = m->control.buf;
  msg->msg_controllen = sizeof(m->control.buf);
  struct cmsghdr* c = CMSG_FIRSTHDR(msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred cred = {pid, getuid(), getgid()};
  memcpy(CMSG_DATA(c), &cred, sizeof(cred));
}

static int passcred_pair(int type, int sv[2]) {
  if (socketpair(AF_UNIX, type, 0, sv) < 0) die("socketpair");
  const int on = 1;
  return setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
}

static unsigned port_of(int fd) {
  struct sockaddr_nl addr;
  socklen_t len = sizeof(addr);
  if (getsockname(fd, (struct sockaddr*)&addr, &len) < 0) die("getsockname");
  return addr.nl_pid;
}

static long bind_netlink(int fd, unsigned pid, unsigned groups) {
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_pid = pid, .nl_groups = groups};
  return bind(fd, (struct sockaddr*)&addr, sizeof(addr));
}

// What the kernel chose as a netlink socket's port: the caller's pid, a negative number, or
// something else (which would be a leak).
static const char* port_kind(unsigned port) {
  if (port == (unsigned)getpid()) return "getpid";
  if ((int)port < 0) return "negative";
  return port == 0 ? "unbound" : "other";
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int sv[2];

  // 1. Datagram: own pid, init's pid (root may), a group's number, nobody, an unknown number.
  show("passcred", passcred_pair(SOCK_DGRAM, sv));
  int gate[2];
  if (pipe(gate) < 0) die("pipe");
  pid_t leader = fork_flushed();
  if (leader == 0) _exit(0);  // 2: leads a group (with 3), and is reaped: the number stays
  if (setpgid(leader, leader) < 0) die("setpgid leader");
  pid_t member = fork_flushed();
  if (member == 0) {  // 3
    close(gate[1]);
    await_eof(gate[0]);
    _exit(0);
  }
  close(gate[0]);
  if (setpgid(member, leader) < 0) die("setpgid member");
  show("send_own", send_creds(sv[0], getpid()));
  receive("recv_own", sv[1]);
  show("send_other_process", send_creds(sv[0], member));
  receive("recv_other_process", sv[1]);
  wait_exited(leader);
  show("send_group_number", send_creds(sv[0], leader));  // no task has it: ESRCH
  show("send_zero", send_creds(sv[0], 0));
  show("send_unknown", send_creds(sv[0], 4000));
  close(gate[1]);
  wait_exited(member);

  // 2. A child (4) sends its own, then exits before init reads; an unprivileged child (5) may
  // send only its own.
  pid_t child = fork_flushed();
  if (child == 0) {
    if (send_creds(sv[0], getpid()) < 0) die("send_creds");
    send_creds(sv[0], 1);  // EPERM without CAP_SYS_ADMIN: the receive below says so
    _exit(0);
  }
  wait_exited(child);
  receive("recv_exited_sender_own", sv[1]);
  receive("recv_exited_sender_init", sv[1]);
  child = fork_flushed();
  if (child == 0) {
    if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0) die("setresuid");
    show("unprivileged_send_own", send_creds(sv[0], getpid()));
    show("unprivileged_send_init", send_creds(sv[0], 1));
    _exit(0);
  }
  wait_exited(child);
  receive("recv_unprivileged", sv[1]);

  // 3. sendmmsg() of two messages, own pid and init's; recvmmsg() of both.
  struct creds_message m[2];
  struct mmsghdr out[2];
  memset(out, 0, sizeof(out));
  fill(&m[0], &out[0].msg_hdr, getpid());
  fill(&m[1], &out[1].msg_hdr, 1);
  show("sendmmsg", sendmmsg(sv[0], out, 2, 0));
  struct creds_message r[2];
  struct mmsghdr in[2];
  memset(in, 0, sizeof(in));
  fill(&r[0], &in[0].msg_hdr, 0);
  fill(&r[1], &in[1].msg_hdr, 0);
  show("recvmmsg", recvmmsg(sv[1], in, 2, MSG_DONTWAIT, NULL));
  for (int i = 0; i < 2; ++i) {
    struct ucred cred;
    memcpy(&cred, CMSG_DATA(CMSG_FIRSTHDR(&in[i].msg_hdr)), sizeof(cred));
    printf("recvmmsg_%d_pid=%d\n", i, cred.pid);
  }
  close(sv[0]);
  close(sv[1]);

  // 4. A listening socket with SO_PASSCRED: accepted sockets have it; a child (6) connects and
  // writes (credentials attached by the kernel).
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof(addr.sun_path), "/tmp/vpidbox-creds-%d.sock", getpid());
  unlink(addr.sun_path);
  const int on = 1;
  if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
      bind(listener, (struct sockaddr*)&addr, sizeof(addr)) < 0 || listen(listener, 2) < 0)
    die("listener");
  child = fork_flushed();
  if (child == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr*)&addr, sizeof(addr)) < 0) die("connect");
    if (write(c, "w", 1) != 1) die("write");
    _exit(0);
  }
  int conn = accept(listener, NULL, NULL);
  if (conn < 0) die("accept");
  receive_flags("recv_accepted_attached", conn, 0);  // the child may not have written yet
  wait_exited(child);
  close(conn);
  close(listener);
  unlink(addr.sun_path);

  // 5. Netlink port ids.
  int first = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  int second = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  int groups = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  int sent = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  if (first < 0 || second < 0 || groups < 0 || sent < 0) die("socket netlink");
  show("bind_first", bind_netlink(first, 0, 0));
  printf("first_port=%s\n", port_kind(port_of(first)));
  show("bind_second", bind_netlink(second, 0, 0));
  printf("second_port=%s\n", port_kind(port_of(second)));
  show("rebind_with_zero", bind_netlink(first, 0, 0));
  close(first);  // the pid is free again: the socket with groups takes it
  show("bind_groups", bind_netlink(groups, 0, RTMGRP_LINK));
  printf("groups_port=%s\n", port_kind(port_of(groups)));
  // Sent to the kernel before any bind: the kernel binds it on the way.
  struct {
    struct nlmsghdr h;
    struct rtgenmsg g;
  } req = {{sizeof(req), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0}, {AF_UNSPEC}};
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  struct iovec iov = {&req, sizeof(req)};
  struct msghdr msg = {
      .msg_name = &kernel, .msg_namelen = sizeof(kernel), .msg_iov = &iov, .msg_iovlen = 1};
  show("sendmsg_unbound", sendmsg(sent, &msg, 0) == sizeof(req) ? 0 : -1);
  printf("sent_port=%s\n", port_kind(port_of(sent)));
  // The kernel's reply is addressed to that port.
  char reply[8192];
  ssize_t n = recv(sent, reply, sizeof(reply), 0);
  if (n >= (ssize_t)sizeof(struct nlmsghdr))
    printf("reply_to_port=%d\n", ((struct nlmsghdr*)reply)->nlmsg_pid == port_of(sent));
  return 0;
}
