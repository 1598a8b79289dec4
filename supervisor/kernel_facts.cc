#include "supervisor/kernel_facts.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "procfs-fuse/host_proc.h"
#include "supervisor/kernel_abi.h"

namespace vpidbox {

std::optional<std::string> read_proc_file(const char* path) {
  std::string text;
  // What could be read counts, as a short read would.
  procfs::read_whole_file_at(AT_FDCWD, path, text);
  if (text.empty()) return std::nullopt;
  return text;
}

const char* proc_field(const std::string& text, const char* key) {
  const std::string needle = std::string("\n") + key + ":";
  const std::size_t at = text.find(needle);
  return at == std::string::npos ? nullptr : text.c_str() + at + needle.size();
}

std::optional<Pid> pidfd_fdinfo_pid(Pid owner, int fd) {
  char path[64];
  if (owner)
    std::snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", owner, fd);
  else
    std::snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
  const std::optional<std::string> text = read_proc_file(path);
  const char* pid = text ? proc_field(*text, "Pid") : nullptr;
  if (!pid) return std::nullopt;
  return static_cast<Pid>(std::strtol(pid, nullptr, 10));
}

TaskCreds parse_task_creds(const std::string& status) {
  const std::string text = "\n" + status;  // proc_field looks for a key at a line's start
  const char* uid = proc_field(text, "Uid");
  const char* gid = proc_field(text, "Gid");
  const char* groups = proc_field(text, "Groups");
  const char* cap = proc_field(text, "CapEff");
  const char* permitted = proc_field(text, "CapPrm");
  if (!uid || !gid || !groups || !cap) return {};
  TaskCreds c;
  if (std::sscanf(uid, "%u %u %u %u", &c.ruid, &c.euid, &c.suid, &c.fsuid) != 4 ||
      std::sscanf(gid, "%u %u %u %u", &c.rgid, &c.egid, &c.sgid, &c.fsgid) != 4)
    return {};
  for (const char* at = groups; *at != '\n' && *at != '\0';) {
    if (*at == ' ' || *at == '\t') {
      ++at;
      continue;
    }
    if (*at < '0' || *at > '9') return {};
    char* end = nullptr;
    c.groups.push_back(static_cast<gid_t>(std::strtoul(at, &end, 10)));
    at = end;
  }
  char* end = nullptr;
  c.caps = std::strtoull(cap, &end, 16);
  if (end == cap) return {};
  if (permitted) c.permitted = std::strtoull(permitted, nullptr, 16);
  c.ok = true;
  return c;
}

TaskCreds read_task_creds(Pid tid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", tid);
  const std::optional<std::string> text = read_proc_file(path);
  return text ? parse_task_creds(*text) : TaskCreds{};
}

ProcStatusIds read_status_ids(Pid real_tid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", real_tid);
  const std::optional<std::string> text = read_proc_file(path);
  const char* tgid = text ? proc_field(*text, "Tgid") : nullptr;
  const char* ppid = text ? proc_field(*text, "PPid") : nullptr;
  if (!tgid || !ppid) return {};
  return {static_cast<Pid>(std::strtol(tgid, nullptr, 10)),
          static_cast<Pid>(std::strtol(ppid, nullptr, 10)), true};
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
  const std::optional<Pid> pid = pidfd_fdinfo_pid(real_tid, fd);
  if (!pid) return {0, EBADF};  // not a pidfd: the kernel says EBADF
  return {*pid, 0};
}

std::optional<bool> status_mask_has(Pid real_pid, const char* mask, int signo) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", real_pid);
  const std::optional<std::string> text = read_proc_file(path);
  const char* bits = text ? proc_field(*text, mask) : nullptr;
  if (!bits) return std::nullopt;
  return (std::strtoull(bits, nullptr, 16) >> (signo - 1)) & 1;
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

bool has_handler(Pid real_tgid, int signo) {
  return status_mask_has(real_tgid, "SigCgt", signo).value_or(false);
}

}  // namespace vpidbox
