#include "supervisor/socket_messages.h"

#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "translate/syscall_table.h"

namespace vpidbox {

bool send_message(int socket, const void* payload, std::size_t size, int fd) {
  iovec iov{const_cast<void*>(payload), size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  }
  // Not looked at by the supervisor: it may be the one waiting for this message.
  return ::sendmsg(socket, &msg, MSG_NOSIGNAL | kNotLookedAtSendFlag) ==
         static_cast<ssize_t>(size);
}

bool send_text(int socket, const std::string& text, int fd) {
  return send_message(socket, text.data(), text.size(), fd);
}

std::optional<Message> receive_message(int socket, std::size_t limit) {
  std::vector<char> buf(limit);
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return std::nullopt;
  Message out{std::string(buf.data(), static_cast<std::size_t>(n)), UniqueFd()};
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
      out.fd.reset(fd);
    }
  }
  return out;
}

}  // namespace vpidbox
