#include "supervisor/kernel_facts.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "supervisor/kernel_abi.h"
#include "supervisor/unique_fd.h"

namespace vpidbox {

ProcStatusIds read_status_ids(Pid real_tid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", real_tid);
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {};
  char buf[4096];
  ssize_t n = ::read(fd.get(), buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  buf[n] = 0;
  ProcStatusIds ids;
  const char* tgid = std::strstr(buf, "\nTgid:");
  const char* ppid = std::strstr(buf, "\nPPid:");
  if (!tgid || !ppid) return {};
  ids.tgid = static_cast<Pid>(std::strtol(tgid + 6, nullptr, 10));
  ids.ppid = static_cast<Pid>(std::strtol(ppid + 6, nullptr, 10));
  ids.ok = true;
  return ids;
}

RealOrErrno SystemKernelView::parent_of(Pid real_tgid) {
  // PIDFD_GET_INFO (6.13) costs a fraction of reading /proc and cannot hit a reused pid.
  const int pidfd = leader_pidfd_(real_tgid);
  if (pidfd >= 0) {
    abi::PidfdInfo info{};
    info.mask = abi::kPidfdInfoPid;
    if (::ioctl(pidfd, abi::kPidfdGetInfo, &info) == 0) return {static_cast<Pid>(info.ppid), 0};
  }
  ProcStatusIds ids = read_status_ids(real_tgid);
  if (!ids.ok) return {0, ESRCH};
  return {ids.ppid, 0};
}

RealOrErrno SystemKernelView::pgid_of(Pid real_tid) {
  const pid_t pgid = ::getpgid(real_tid);
  if (pgid < 0) return {0, errno};
  return {pgid, 0};
}

RealOrErrno SystemKernelView::pidfd_target(Pid real_tid, int fd) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", real_tid, fd);
  UniqueFd file(::open(path, O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return {0, EBADF};
  char buf[1024];
  ssize_t n = ::read(file.get(), buf, sizeof(buf) - 1);
  if (n <= 0) return {0, EBADF};
  buf[n] = 0;
  const char* line = std::strstr(buf, "\nPid:");
  if (!line) return {0, EBADF};  // not a pidfd: the kernel says EBADF
  return {static_cast<Pid>(std::strtol(line + 5, nullptr, 10)), 0};
}

std::optional<bool> status_mask_has(Pid real_pid, const char* mask, int signo) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", real_pid);
  UniqueFd file(::open(path, O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return std::nullopt;
  char buf[4096];
  ssize_t n = ::read(file.get(), buf, sizeof(buf) - 1);
  if (n <= 0) return std::nullopt;
  buf[n] = 0;
  char key[16];
  std::snprintf(key, sizeof(key), "\n%s:", mask);
  const char* line = std::strstr(buf, key);
  if (!line) return std::nullopt;
  return (std::strtoull(line + std::strlen(key), nullptr, 16) >> (signo - 1)) & 1;
}

bool SystemKernelView::catches_or_blocks(Pid real_tgid, int signo) {
  if ((waited_signals_(real_tgid) >> (signo - 1)) & 1) return true;
  // Gone: let the kernel answer.
  return status_mask_has(real_tgid, "SigCgt", signo).value_or(true) ||
         status_mask_has(real_tgid, "SigBlk", signo).value_or(true);
}

RealOrErrno SystemKernelView::sid_of(Pid real_tid) {
  const pid_t sid = ::getsid(real_tid);
  if (sid < 0) return {0, errno};
  return {sid, 0};
}

}  // namespace vpidbox
