#include "supervisor/fd_reopen.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "procfs-fuse/fd_path.h"
#include "supervisor/kernel_facts.h"
#include "supervisor/unique_fd.h"

namespace vpidbox {
namespace {

struct OpenCall {
  int dirfd = AT_FDCWD;
  std::uint64_t path = 0;  // address in the caller
  int flags = 0;
  mode_t mode = 0;
};

std::optional<OpenCall> decode(pid_t pid, long nr, const std::uint64_t* a) {
  switch (nr) {
    case SYS_open:
      return OpenCall{AT_FDCWD, a[0], static_cast<int>(a[1]), static_cast<mode_t>(a[2])};
    case SYS_creat:
      return OpenCall{AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, static_cast<mode_t>(a[1])};
    case SYS_openat:
      return OpenCall{static_cast<int>(a[0]), a[1], static_cast<int>(a[2]),
                      static_cast<mode_t>(a[3])};
    case SYS_openat2: {
      open_how how{};
      if (a[3] < sizeof(how)) return std::nullopt;
      iovec local{&how, sizeof(how)};
      iovec remote{reinterpret_cast<void*>(a[2]), sizeof(how)};
      if (::process_vm_readv(pid, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(sizeof(how)))
        return std::nullopt;
      // RESOLVE_* restrictions are the kernel's to apply to the link as it sees it.
      if (how.resolve != 0) return std::nullopt;
      return OpenCall{static_cast<int>(a[0]), a[1], static_cast<int>(how.flags),
                      static_cast<mode_t>(how.mode)};
    }
    default:
      return std::nullopt;
  }
}

// The path string in the caller's memory; a read stops at the first unmapped page.
std::optional<std::string> read_path(pid_t pid, std::uint64_t address) {
  char buf[PATH_MAX];
  iovec local{buf, sizeof(buf)};
  iovec remote{reinterpret_cast<void*>(address), sizeof(buf)};
  ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n <= 0) {
    // The string may start less than PATH_MAX bytes before an unmapped page: read to its end.
    const std::uint64_t page_end = (address | 4095) + 1;
    remote.iov_len = local.iov_len = page_end - address;
    n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return std::nullopt;
  }
  const void* nul = std::memchr(buf, '\0', static_cast<std::size_t>(n));
  if (!nul) return std::nullopt;
  return std::string(static_cast<const char*>(buf), static_cast<const char*>(nul));
}

// The path as the box's /proc names it, when a relative one starts inside the box's /proc
// (`cd /proc/self/fd; cat 0`); nullopt for a relative path anywhere else.
std::optional<std::string> anchored(pid_t pid, int dirfd, std::string path,
                                    std::uint64_t proc_mount_id) {
  if (path.starts_with('/')) return path;
  const std::string anchor = "/proc/" + std::to_string(pid) +
                             (dirfd == AT_FDCWD ? "/cwd" : "/fd/" + std::to_string(dirfd));
  // DONT_SYNC: the anchor may be a directory of the box's /proc, which only this thread answers.
  struct statx sx {};
  if (::statx(AT_FDCWD, anchor.c_str(), AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) != 0 ||
      !(sx.stx_mask & STATX_MNT_ID) || sx.stx_mnt_id != proc_mount_id)
    return std::nullopt;
  char text[PATH_MAX];
  const ssize_t n = ::readlink(anchor.c_str(), text, sizeof(text));
  if (n <= 0 || text[0] != '/') return std::nullopt;
  return std::string(text, static_cast<std::size_t>(n)) + "/" + path;
}

// The real task whose fd table the path names, as procfs would resolve it for the caller.
std::optional<Pid> owner_of(const procfs::FdPath& path, Pid caller, const ProcessTable& table) {
  const Task* me = table.task(caller);
  if (!me) return std::nullopt;
  Pid real = 0;
  switch (path.who) {
    case procfs::FdPath::Who::kSelf:
      real = me->real_tgid;
      break;
    case procfs::FdPath::Who::kThreadSelf:
      return caller;
    case procfs::FdPath::Who::kNumber: {
      std::optional<Pid> r = table.to_real(path.number);
      if (!r || !table.task(*r)) return std::nullopt;
      real = *r;
      break;
    }
  }
  if (!path.task) return real;
  std::optional<Pid> thread = table.to_real(*path.task);
  const Task* t = thread ? table.task(*thread) : nullptr;
  const Task* group = table.task(real);
  if (!t || !group || t->real_tgid != group->real_tgid) return std::nullopt;
  return *thread;
}

std::optional<uid_t> effective_uid(Pid pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  std::optional<std::string> text = read_proc_file(path.c_str());
  if (!text) return std::nullopt;
  const char* uid = proc_field(*text, "Uid");
  unsigned real = 0, effective = 0;
  if (!uid || std::sscanf(uid, "%u %u", &real, &effective) != 2) return std::nullopt;
  return effective;
}

}  // namespace

bool is_fd_open_syscall(int nr) {
  return nr == SYS_open || nr == SYS_openat || nr == SYS_openat2 || nr == SYS_creat;
}

void serve_fd_open(UnotifyChannel& channel, const seccomp_notif& req, const ProcessTable& table,
                   std::uint64_t proc_mount_id) {
  const pid_t caller = static_cast<pid_t>(req.pid);
  std::uint64_t args[6];
  for (int i = 0; i < 6; ++i) args[i] = req.data.args[i];
  std::optional<OpenCall> call = decode(caller, req.data.nr, args);
  std::optional<std::string> path = call ? read_path(caller, call->path) : std::nullopt;
  if (path) path = anchored(caller, call->dirfd, std::move(*path), proc_mount_id);
  std::optional<procfs::FdPath> link = path ? procfs::parse_fd_path(*path) : std::nullopt;
  // O_NOFOLLOW fails on the link itself (ELOOP), and what follows fd/N walks inside the object:
  // both are the kernel's to do on the FUSE text.
  if (link && (!link->rest.empty() || (call->flags & O_NOFOLLOW))) link.reset();
  // A write to a task's own file (comm, attr/*, uid_map) is judged by who writes: the caller must
  // hold the real file, not the supervisor.
  const bool writes = (call ? call->flags & O_ACCMODE : O_RDONLY) != O_RDONLY;
  std::optional<procfs::FdPath> task_file =
      !link && writes && path ? procfs::parse_task_file_path(*path) : std::nullopt;
  const std::optional<procfs::FdPath>& target = link ? link : task_file;
  if (!target) {
    channel.answer_continue(req.id);
    return;
  }
  std::optional<Pid> owner = owner_of(*target, caller, table);
  if (!owner) {
    channel.answer_errno(req.id, ENOENT);
    return;
  }
  const std::string host = "/proc/" + std::to_string(*owner) +
                           (link ? "/fd/" + std::to_string(link->fd) : task_file->rest);
  if (link) {
    // Which mount the object is on, answered from the kernel's cache (DONT_SYNC): asking a FUSE
    // file's attributes would wait for this very thread.
    struct statx sx {};
    if (::statx(AT_FDCWD, host.c_str(), AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) != 0) {
      channel.answer_errno(req.id, errno);
      return;
    }
    if ((sx.stx_mask & STATX_MNT_ID) && sx.stx_mnt_id == proc_mount_id) {
      channel.answer_continue(req.id);
      return;
    }
  }
  // procfs lets a task reopen another's fds only if it may ptrace it; within one user, as the
  // box's tasks are, that is the same user or root.
  if (Pid my_tgid = table.task(caller)->real_tgid; table.task(*owner)->real_tgid != my_tgid) {
    std::optional<uid_t> mine = effective_uid(caller), theirs = effective_uid(*owner);
    if (!mine || !theirs || (*mine != 0 && *mine != *theirs)) {
      channel.answer_errno(req.id, EACCES);
      return;
    }
  }
  if (!channel.still_pending(req.id)) return;
  // Opened non-blocking: reopening a pipe whose other end is closed would wait forever, and the
  // supervisor must not. The caller gets the blocking mode it asked for.
  const int flags = (call->flags & ~O_CLOEXEC) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  UniqueFd fd(::open(host.c_str(), flags, call->mode));
  if (!fd.valid()) {
    channel.answer_errno(req.id, errno);
    return;
  }
  if (!(call->flags & O_NONBLOCK))
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  channel.answer_with_fd(req.id, fd.get(), (call->flags & O_CLOEXEC) != 0);
}

bool rewrite_fd_open(pid_t tid, user_regs_struct& regs, const ProcessTable& table,
                     std::uint64_t proc_mount_id) {
  const std::uint64_t args[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  std::optional<OpenCall> call = decode(tid, static_cast<long>(regs.orig_rax), args);
  std::optional<std::string> path = call ? read_path(tid, call->path) : std::nullopt;
  if (path) path = anchored(tid, call->dirfd, std::move(*path), proc_mount_id);
  std::optional<procfs::FdPath> link = path ? procfs::parse_fd_path(*path) : std::nullopt;
  if (!link || !link->rest.empty() || (call->flags & O_NOFOLLOW)) return false;
  std::optional<Pid> owner = owner_of(*link, tid, table);
  if (!owner) return false;
  // A link whose text is a path reopens well by that text, through the box's /proc.
  const std::string host = "/proc/" + std::to_string(*owner) + "/fd/" + std::to_string(link->fd);
  char text[PATH_MAX];
  const ssize_t n = ::readlink(host.c_str(), text, sizeof(text));
  if (n <= 0) return false;
  const std::string_view target(text, static_cast<std::size_t>(n));
  const Task* me = table.task(tid);
  const Task* them = table.task(*owner);
  const bool own = me && them && me->real_tgid == them->real_tgid;
  // A file that is gone from its path (a memfd, an unlinked file) can only be had by the fd.
  const bool unlinked = target.ends_with(" (deleted)");
  if (target.starts_with('/') && !unlinked) return false;
  if (!own || target.starts_with("socket:[") || target.starts_with("anon_inode:")) {
    // What procfs answers for objects that cannot be reopened (a socket, an eventfd: ENXIO; a
    // pidfd: EINVAL), and for another process's pipe, which this route cannot reach: fail the
    // open rather than let the kernel make a new pipe of the FUSE node the text leads to.
    regs.orig_rax = static_cast<unsigned long long>(-1);
    const int error = own && target == "anon_inode:[pidfd]" ? EINVAL : ENXIO;
    regs.rax = static_cast<unsigned long long>(-error);
    return true;
  }
  regs.orig_rax = SYS_fcntl;
  regs.rdi = static_cast<unsigned long long>(link->fd);
  regs.rsi = (call->flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD;
  regs.rdx = 0;
  return true;
}

}  // namespace vpidbox
