#include "translate/credentials.h"

#include <sys/socket.h>

#include <cstring>

#include "translate/rules.h"

namespace vpidbox {
namespace {

std::size_t cmsg_align(std::size_t len) {
  return (len + sizeof(std::size_t) - 1) & ~(sizeof(std::size_t) - 1);
}

}  // namespace

std::vector<std::size_t> credential_pid_offsets(std::span<const std::uint8_t> control) {
  std::vector<std::size_t> out;
  std::size_t at = 0;
  while (at + sizeof(cmsghdr) <= control.size()) {
    cmsghdr header;
    std::memcpy(&header, control.data() + at, sizeof(header));
    if (header.cmsg_len < sizeof(cmsghdr) || header.cmsg_len > control.size() - at) break;
    if (header.cmsg_level == SOL_SOCKET && header.cmsg_type == SCM_CREDENTIALS &&
        header.cmsg_len == CMSG_LEN(sizeof(ucred)))
      out.push_back(at + CMSG_LEN(0) + offsetof(ucred, pid));
    at += cmsg_align(header.cmsg_len);
  }
  return out;
}

Pid sent_credentials_pid(const ProcessTable& table, Pid caller_real_tid, Pid number) {
  if (number <= 0) return number;
  const std::optional<Pid> real = table.to_real(number, table.level_of(caller_real_tid));
  return real && table.contains(*real) ? *real : kNoSuchPid;
}

}  // namespace vpidbox
