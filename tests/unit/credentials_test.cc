#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cstring>
#include <vector>

#include "translate/credentials.h"
#include "translate/rules.h"
#include "translate/syscall_table.h"

using namespace vpidbox;

namespace {

// A control buffer of messages, each (level, type, payload size), laid out as CMSG_* do.
std::vector<std::uint8_t> control(std::initializer_list<std::tuple<int, int, std::size_t>> msgs) {
  std::vector<std::uint8_t> buf;
  for (auto [level, type, size] : msgs) {
    const std::size_t at = buf.size();
    buf.resize(at + CMSG_SPACE(size));
    cmsghdr header{};
    header.cmsg_len = CMSG_LEN(size);
    header.cmsg_level = level;
    header.cmsg_type = type;
    std::memcpy(buf.data() + at, &header, sizeof(header));
  }
  return buf;
}

}  // namespace

TEST_CASE("SCM_CREDENTIALS are found where the kernel finds them") {
  // Alone: the pid right after the header.
  std::vector<std::uint8_t> buf = control({{SOL_SOCKET, SCM_CREDENTIALS, sizeof(ucred)}});
  CHECK(credential_pid_offsets(buf) == std::vector<std::size_t>{CMSG_LEN(0)});
  // After descriptors, and twice.
  buf = control({{SOL_SOCKET, SCM_RIGHTS, 2 * sizeof(int)},
                 {SOL_SOCKET, SCM_CREDENTIALS, sizeof(ucred)},
                 {SOL_SOCKET, SCM_CREDENTIALS, sizeof(ucred)}});
  const std::size_t second = CMSG_SPACE(2 * sizeof(int));
  CHECK(credential_pid_offsets(buf) ==
        std::vector<std::size_t>{second + CMSG_LEN(0),
                                 second + CMSG_SPACE(sizeof(ucred)) + CMSG_LEN(0)});
  // Another level's type 2, and credentials of the wrong size, are no credentials.
  buf = control({{0 /* SOL_IP */, SCM_CREDENTIALS, sizeof(ucred)},
                 {SOL_SOCKET, SCM_CREDENTIALS, sizeof(ucred) - 4}});
  CHECK(credential_pid_offsets(buf).empty());
  // A message longer than what is left ends the walk (the kernel's EINVAL), a header cut short too.
  buf = control({{SOL_SOCKET, SCM_CREDENTIALS, sizeof(ucred)}});
  buf.resize(buf.size() - 8);
  CHECK(credential_pid_offsets(buf).empty());
  buf.resize(sizeof(cmsghdr) - 1);
  CHECK(credential_pid_offsets(buf).empty());
}

TEST_CASE("a pid sent in credentials becomes real; anything else names nothing") {
  ProcessTable table(32768);
  table.add_task(500, 500);  // 1
  table.add_task(510, 510);  // 2
  CHECK(sent_credentials_pid(table, 510, 2) == 510);
  CHECK(sent_credentials_pid(table, 510, 1) == 500);
  CHECK(sent_credentials_pid(table, 510, 510) == kNoSuchPid);  // a real number is not the box's
  CHECK(sent_credentials_pid(table, 510, 77) == kNoSuchPid);
  CHECK(sent_credentials_pid(table, 510, 0) == 0);
  // A group's number whose leader was reaped names no task: ESRCH, as the kernel says.
  table.add_task(520, 520);  // 3
  table.remove(520, {520});
  REQUIRE(table.to_real(3, kTopLevel).has_value());
  CHECK(sent_credentials_pid(table, 510, 3) == kNoSuchPid);
  CHECK(sent_credentials_pid(table, 510, -3) == -3);
}

TEST_CASE("sendmsg and sendmmsg are looked at, but for vpidbox's own messages") {
  const SyscallRow* sendmsg = find_syscall(SYS_sendmsg, {3, 0x1000, 0x4000 /* MSG_NOSIGNAL */});
  REQUIRE(sendmsg != nullptr);
  CHECK(sendmsg->route == Route::kLook);
  CHECK_FALSE(sendmsg->needs_exit_stop());  // only when the look says so
  CHECK(find_syscall(SYS_sendmsg, {3, 0x1000, 0x4000 | kNotLookedAtSendFlag}) == nullptr);
  CHECK(find_syscall(SYS_sendmmsg, {3, 0x1000, 2, kNotLookedAtSendFlag}) == nullptr);
  CHECK(find_syscall(SYS_sendmmsg, {3, 0x1000, 2, 0})->route == Route::kLook);
  CHECK(find_syscall(SYS_bind)->route == Route::kLook);
  // What only stacked filters stop is not in the box's filter, and stops at exit where it must.
  for (const char* name : {"read", "readv", "recvmsg", "recvmmsg", "dup", "dup2", "dup3"})
    CHECK(find_syscall(name)->route == Route::kStacked);
  CHECK(find_syscall("dup2")->needs_exit_stop());
  CHECK(find_syscall("signalfd4")->needs_exit_stop());
  CHECK(find_syscall(SYS_setsockopt, {3, 1, 16})->needs_exit_stop());
  CHECK(find_syscall(SYS_setsockopt, {3, 1, 7 /* SO_SNDBUF */}) == nullptr);
}
