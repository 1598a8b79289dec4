#include "supervisor/kernel_facts.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "procfs-fuse/host_proc.h"
#include "supervisor/kernel_abi.h"
#include "supervisor/unique_fd.h"

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

namespace {

// A process's signal masks, from one read of its status file (11 us here); the leader's SigBlk.
struct SignalMasks {
  std::uint64_t ignored = 0, caught = 0, blocked = 0;
};

std::optional<SignalMasks> read_signal_masks(Pid real_tgid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", real_tgid);
  const std::optional<std::string> text = read_proc_file(path);
  const char* ignored = text ? proc_field(*text, "SigIgn") : nullptr;
  const char* caught = text ? proc_field(*text, "SigCgt") : nullptr;
  const char* blocked = text ? proc_field(*text, "SigBlk") : nullptr;
  if (!ignored || !caught || !blocked) return std::nullopt;
  return SignalMasks{std::strtoull(ignored, nullptr, 16), std::strtoull(caught, nullptr, 16),
                     std::strtoull(blocked, nullptr, 16)};
}

std::uint64_t bit_of(int signo) {
  return std::uint64_t{1} << (signo - 1);
}

}  // namespace

bool SystemKernelView::catches_or_blocks(Pid real_tgid, int signo) {
  if (waited_signals_(real_tgid) & bit_of(signo)) return true;
  const std::optional<SignalMasks> masks = read_signal_masks(real_tgid);
  // Gone: let the kernel answer.
  return !masks || ((masks->caught | masks->blocked) & bit_of(signo)) != 0;
}

bool SystemKernelView::ignores(Pid real_tgid, int signo) {
  if (signo < 1 || signo >= _NSIG || (waited_signals_(real_tgid) & bit_of(signo))) return false;
  const std::optional<SignalMasks> masks = read_signal_masks(real_tgid);
  if (!masks || ((masks->caught | masks->blocked) & bit_of(signo))) return false;
  if (masks->ignored & bit_of(signo)) return true;
  // SIG_DFL: the signals whose default action is to ignore them (sig_kernel_ignore; SIGCONT's
  // sending has effects of its own and is never discarded here).
  return signo == SIGCHLD || signo == SIGWINCH || signo == SIGURG;
}

RealOrErrno SystemKernelView::sid_of(Pid real_tid) {
  const pid_t sid = ::getsid(real_tid);
  if (sid < 0) return {0, errno};
  return {sid, 0};
}

std::optional<TaskUids> SystemKernelView::uids_of(Pid real_tid) {
  // A leader's pidfd is held; a thread's (credentials are per thread) is made for the asking.
  UniqueFd own;
  int pidfd = leader_pidfd_(real_tid);
  if (pidfd < 0) {
    own.reset(abi::pidfd_open(real_tid, abi::kPidfdThread));
    pidfd = own.get();
  }
  abi::PidfdInfo info{};
  info.mask = abi::kPidfdInfoCreds;
  if (pidfd >= 0 && ::ioctl(pidfd, abi::kPidfdGetInfo, &info) == 0 &&
      (info.mask & abi::kPidfdInfoCreds))
    return TaskUids{info.ruid, info.euid, info.suid};
  if (pidfd >= 0 && errno == ESRCH) return std::nullopt;  // reaped
  const TaskCreds creds = read_task_creds(real_tid);
  if (!creds.ok) return std::nullopt;
  return TaskUids{creds.ruid, creds.euid, creds.suid};
}

bool SystemKernelView::may_signal(Pid sender_tid, Pid target_tid) {
  const std::optional<TaskUids> sender = uids_of(sender_tid);
  const std::optional<TaskUids> target = uids_of(target_tid);
  if (!sender || !target) return false;
  if (vpidbox::may_signal({sender->ruid, sender->euid, sender->suid, false},
                          {target->ruid, target->euid, target->suid, false}))
    return true;
  // The ids do not match: CAP_KILL over the target's user namespace (kill_ok_by_cred's
  // ns_capable), which only /proc shows.
  const TaskCreds creds = read_task_creds(sender_tid);
  return creds.ok && capable_over(sender_tid, creds.caps, creds.euid, target_tid, CAP_KILL);
}

bool SystemKernelView::may_send(Pid sender_tid, Pid target_tid, int signo) {
  if (may_signal(sender_tid, target_tid)) return true;
  if (signo != SIGCONT) return false;
  const pid_t sid = ::getsid(target_tid);
  return sid >= 0 && sid == ::getsid(sender_tid);
}

namespace {

// The user namespace of a task, as an open nsfs descriptor.
UniqueFd user_ns_of(Pid tid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/ns/user", tid);
  return UniqueFd(::open(path, O_RDONLY | O_CLOEXEC));
}

std::optional<ino_t> ns_inode(int fd) {
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) return std::nullopt;
  return st.st_ino;
}

}  // namespace

bool capable_over(Pid tid, std::uint64_t caps, uid_t euid, Pid target_tid, int capability) {
  const UniqueFd own_fd = user_ns_of(tid);
  const int own_error = own_fd.valid() ? 0 : errno;
  UniqueFd ns = user_ns_of(target_tid);
  const int target_error = ns.valid() ? 0 : errno;
  // A supervisor without CAP_SYS_PTRACE (Docker's root) may not open the namespace link of a task
  // of another user, or of one a change of ids made non-dumpable. Both tasks are then taken to
  // share a namespace: that is wrong only for such a task that also made a user namespace, which
  // Docker's profile refuses.
  if (own_error == EACCES || own_error == EPERM || target_error == EACCES || target_error == EPERM)
    return (caps >> capability) & 1;
  const std::optional<ino_t> own = ns_inode(own_fd.get());
  if (!own) return false;
  // From the target's namespace up: the task's own namespace gives its effective capabilities;
  // a namespace right below it that it owns gives every capability.
  for (int depth = 0; depth < 33 && ns.valid(); ++depth) {
    const std::optional<ino_t> here = ns_inode(ns.get());
    if (!here) return false;
    if (*here == *own) return (caps >> capability) & 1;
    UniqueFd parent(::ioctl(ns.get(), NS_GET_PARENT));
    if (!parent.valid()) return false;  // the top, or above what the supervisor may see
    uid_t owner = 0;
    if (ns_inode(parent.get()) == own && ::ioctl(ns.get(), NS_GET_OWNER_UID, &owner) == 0 &&
        owner == euid)
      return true;
    ns = std::move(parent);
  }
  return false;
}

bool has_handler(Pid real_tgid, int signo) {
  return status_mask_has(real_tgid, "SigCgt", signo).value_or(false);
}

}  // namespace vpidbox
