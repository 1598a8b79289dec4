#include "supervisor/proc_open.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "procfs-fuse/fd_path.h"
#include "procfs-fuse/host_proc.h"
#include "procfs-fuse/open_plan.h"
#include "procfs-fuse/proc_tree.h"
#include "procfs-fuse/render.h"
#include "supervisor/kernel_facts.h"
#include "supervisor/unique_fd.h"
#include "translate/syscall_table.h"

namespace vpidbox {
namespace {

// Up to `size` bytes of the path string in the caller's memory, without crossing into an
// unmapped page; nullopt when nothing can be read.
std::optional<std::string> read_string(pid_t pid, std::uint64_t address, std::size_t size) {
  char buf[PATH_MAX];
  size = std::min(size, sizeof(buf));
  iovec local{buf, size};
  iovec remote{reinterpret_cast<void*>(address), size};
  ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n <= 0) {
    // The string may start less than `size` bytes before an unmapped page: read to its end.
    const std::uint64_t page_end = (address | 4095) + 1;
    remote.iov_len = local.iov_len = std::min<std::size_t>(size, page_end - address);
    n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return std::nullopt;
  }
  const void* nul = std::memchr(buf, '\0', static_cast<std::size_t>(n));
  const char* end = nul ? static_cast<const char*>(nul) : buf + n;
  return std::string(static_cast<const char*>(buf), end);
}

// Whether a path, from its first bytes, may name something of the box's /proc or an fd link:
// most opens (a compiler's headers, a loader's libraries) are decided here, on a short read.
bool may_concern_proc(std::string_view head) {
  if (!head.starts_with('/')) return true;  // relative: decided with the whole path
  head.remove_prefix(std::min(head.find_first_not_of('/'), head.size()));
  return head.starts_with("proc") || head.starts_with("dev") || head.starts_with('.');
}

// The path string in the caller's memory, or nullopt when it cannot concern the box's /proc.
std::optional<std::string> read_path(pid_t pid, std::uint64_t address) {
  constexpr std::size_t kHead = 64;
  std::optional<std::string> head = read_string(pid, address, kHead);
  if (!head || !may_concern_proc(*head)) return std::nullopt;
  if (head->size() < kHead) return head;
  std::optional<std::string> path = read_string(pid, address, PATH_MAX);
  if (!path || path->size() >= PATH_MAX) return std::nullopt;
  return path;
}

// A relative path reaches an fd link only through a component "fd", or as a bare number (the
// caller sits in an fd directory), or by climbing out with "..".
bool relative_may_reach_fd_link(std::string_view path) {
  const std::string_view first = path.substr(0, path.find('/'));
  if (!first.empty() && first.find_first_not_of("0123456789") == std::string_view::npos)
    return true;
  const std::string slashed = "/" + std::string(path) + "/";
  return slashed.find("/fd/") != std::string::npos || slashed.find("/../") != std::string::npos;
}

// The path as the box's /proc names it, when a relative one starts inside the box's /proc and may
// reach an fd link (`cd /proc/self/fd; cat 0`); nullopt for any other relative path (one inside
// the box's /proc that names a file goes through FUSE).
std::optional<std::string> anchored(pid_t pid, int dirfd, std::string path,
                                    const procfs::BoxProcMount& box_proc) {
  if (path.starts_with('/')) return path;
  if (!relative_may_reach_fd_link(path)) return std::nullopt;
  if (!box_proc.holds_fd(pid, dirfd)) return std::nullopt;
  const std::string anchor = procfs::task_fd_link(pid, dirfd);
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
      std::optional<Pid> r = table.to_real(path.number, me->level);
      if (!r || !table.task(*r)) return std::nullopt;
      real = *r;
      break;
    }
  }
  if (!path.task) return real;
  std::optional<Pid> thread = table.to_real(*path.task, me->level);
  const Task* t = thread ? table.task(*thread) : nullptr;
  const Task* group = table.task(real);
  if (!t || !group || t->real_tgid != group->real_tgid) return std::nullopt;
  return *thread;
}

}  // namespace

std::optional<OpenCall> decode_open_call(pid_t pid, long nr, const std::uint64_t* a) {
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

bool is_fd_open_syscall(int nr) {
  const SyscallRow* row = find_syscall(nr);
  return row && row->route == Route::kProcOpen;
}

namespace {

using procfs::same_process;

// Reopens the object an fd link names, for the caller, judged as procfs judges the caller: with
// the caller's credentials when they are not the supervisor's (cred_worker.h). One's own fd links
// procfs lets one follow whatever one's credentials; the object itself is then opened with them.
void reopen_fd_link(UnotifyChannel& channel, const seccomp_notif& req, const OpenCall& call,
                    const procfs::FdPath& link, const ProcessTable& table,
                    const procfs::BoxProcMount& box_proc, CredentialWorker& creds) {
  const pid_t caller = static_cast<pid_t>(req.pid);
  std::optional<Pid> owner = owner_of(link, caller, table);
  if (!owner) {
    channel.answer_errno(req.id, ENOENT);
    return;
  }
  const std::string host = procfs::task_fd_link(*owner, link.fd);
  // Not own_task for the judgement: the object may be another process's /proc file, opened by
  // path before the caller changed its credentials.
  const bool judged = creds.judged_as_supervisor(caller, false);
  const bool own = same_process(caller, *owner, table);
  // Whether the object is on the box's /proc, asked as the caller, so that whether the fd exists
  // is told only to a caller procfs would tell.
  bool on_box_proc = false;
  auto find_mount = [&] { return box_proc.holds(AT_FDCWD, host, on_box_proc); };
  if (int error = judged ? find_mount() : creds.run_as_task(caller, own, find_mount)) {
    channel.answer_errno(req.id, error);
    return;
  }
  if (on_box_proc) {
    channel.answer_continue(req.id);
    return;
  }
  if (!channel.still_pending(req.id)) return;
  // Opened non-blocking: reopening a pipe whose other end is closed would wait forever, and the
  // supervisor must not. The caller gets the blocking mode it asked for.
  const int flags = (call.flags & ~O_CLOEXEC) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  UniqueFd fd;
  auto open_as = [&](const std::string& path) {
    fd.reset(::open(path.c_str(), flags, call.mode));
    return fd.valid() ? 0 : errno;
  };
  int error = 0;
  if (judged) {
    error = open_as(host);
  } else if (own) {
    // The link followed as the supervisor, the object opened as the caller: through the
    // supervisor's own fd link, which the worker, a thread of the supervisor, may follow.
    UniqueFd object(::open(host.c_str(), O_PATH | O_CLOEXEC));
    const std::string path = "/proc/self/fd/" + std::to_string(object.get());
    error =
        object.valid() ? creds.run_as_task(caller, false, [&] { return open_as(path); }) : errno;
  } else {
    error = creds.run_as_task(caller, false, [&] { return open_as(host); });
  }
  if (error != 0) {
    channel.answer_errno(req.id, error);
    return;
  }
  if (!(call.flags & O_NONBLOCK))
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  channel.answer_with_fd(req.id, fd.get(), (call.flags & O_CLOEXEC) != 0);
}

// A host procfs file, opened beneath the supervisor's /proc without following any symlink (a
// host symlink such as /proc/net means the box's view differs: FUSE serves those).
UniqueFd open_host_file(int host_proc, const std::string& host_path, int flags, mode_t mode,
                        int& error) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>((flags & ~O_CLOEXEC) | O_NOCTTY | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(
      static_cast<int>(::syscall(SYS_openat2, host_proc, host_path.c_str(), &how, sizeof(how))));
  error = fd.valid() ? 0 : errno;
  struct stat st {};
  if (fd.valid() && (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))) fd.reset();
  return fd;
}

}  // namespace

// The rendered text in a sealed memfd, reopened read-only; its name is the box's path, which
// readlink of the caller's fd then shows (procfs-fuse/open_plan.h, memfd_name).
UniqueFd sealed_text_file(const std::string& name, const std::string& text) {
  UniqueFd memfd(::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!memfd.valid()) return {};
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(memfd.get(), text.data() + done, text.size() - done);
    if (n <= 0) return {};
    done += static_cast<std::size_t>(n);
  }
  ::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  const std::string self = "/proc/self/fd/" + std::to_string(memfd.get());
  return UniqueFd(::open(self.c_str(), O_RDONLY | O_CLOEXEC));
}

ProcOpenRoute::ProcOpenRoute(const ProcessTable& table, procfs::BoxProcMount box_proc,
                             CredentialWorker& creds)
    : table_(table),
      box_proc_(box_proc),
      creds_(creds),
      host_proc_(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) {}

namespace {

// A regular file of the box's /proc, opened in the same round trip as the open's notification,
// as the open plan says (procfs-fuse/open_plan.h): the host file itself where the box sees it
// unchanged (read and written in the caller's own context, as procfs expects), or its rendered
// text. FUSE would take four more round trips. False: let the kernel open it through FUSE.
bool serve_proc_file(UnotifyChannel& channel, const seccomp_notif& req, const OpenCall& call,
                     const std::string& path, const ProcessTable& table_, int host_proc,
                     CredentialWorker& creds) {
  const pid_t caller = static_cast<pid_t>(req.pid);
  if (host_proc < 0) return false;
  std::optional<procfs::NodeSpec> node = procfs::resolve_proc_path(path, caller, table_);
  if (!node) return false;
  const procfs::OpenPlan plan = procfs::plan_open(*node, call.flags, caller, table_);
  if (!plan.served_in_notification) return false;
  const bool rendered = plan.serves == procfs::OpenServes::kRendered;
  // Opened, and a rendered file read, as procfs would let the caller: the host file is the
  // caller's from then on, read and written in its own context as procfs expects.
  UniqueFd fd;
  std::string real;
  const int error = creds.run_as(caller, plan.opener_owns, [&] {
    int open_error = 0;
    fd = open_host_file(host_proc, plan.host_path, rendered ? O_RDONLY : call.flags, call.mode,
                        open_error);
    if (!fd.valid() || !rendered) return open_error;
    return procfs::read_whole_file(fd.get(), real);
  });
  // A file procfs does not have (ps asks for /proc/<n>/ctty): the box's /proc has none either.
  // One procfs refuses the caller: FUSE would refuse it too.
  if ((error == ENOENT && !(call.flags & O_CREAT)) || error == EACCES || error == EPERM) {
    if (channel.still_pending(req.id)) channel.answer_errno(req.id, error);
    return true;
  }
  if (!fd.valid()) return false;
  if (rendered) {
    fd =
        sealed_text_file(procfs::memfd_name(*node),
                         procfs::render_for_reader(*node, real, table_, plan.read_by_task(caller)));
    if (!fd.valid()) return false;
  }
  if (!channel.still_pending(req.id)) return true;
  channel.answer_with_fd(req.id, fd.get(), (call.flags & O_CLOEXEC) != 0);
  return true;
}

}  // namespace

void ProcOpenRoute::serve(UnotifyChannel& channel, const seccomp_notif& req) {
  const pid_t caller = static_cast<pid_t>(req.pid);
  std::uint64_t args[6];
  for (int i = 0; i < 6; ++i) args[i] = req.data.args[i];
  std::optional<OpenCall> call = decode_open_call(caller, req.data.nr, args);
  std::optional<std::string> path = call ? read_path(caller, call->path) : std::nullopt;
  if (path) path = anchored(caller, call->dirfd, std::move(*path), box_proc_);
  if (!path) {
    channel.answer_continue(req.id);
    return;
  }
  // O_NOFOLLOW fails on the link itself (ELOOP), and what follows fd/N walks inside the object:
  // both are the kernel's to do on the FUSE text.
  if (std::optional<procfs::FdPath> link = procfs::parse_fd_path(*path);
      link && link->rest.empty() && !(call->flags & O_NOFOLLOW)) {
    reopen_fd_link(channel, req, *call, *link, table_, box_proc_, creds_);
    return;
  }
  if (!serve_proc_file(channel, req, *call, *path, table_, host_proc_.get(), creds_))
    channel.answer_continue(req.id);
}

bool rewrite_fd_open(pid_t tid, user_regs_struct& regs, const ProcessTable& table,
                     procfs::BoxProcMount box_proc, CredentialWorker& creds) {
  const std::uint64_t args[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  std::optional<OpenCall> call = decode_open_call(tid, static_cast<long>(regs.orig_rax), args);
  std::optional<std::string> path = call ? read_path(tid, call->path) : std::nullopt;
  if (path) path = anchored(tid, call->dirfd, std::move(*path), box_proc);
  std::optional<procfs::FdPath> link = path ? procfs::parse_fd_path(*path) : std::nullopt;
  if (!link || !link->rest.empty() || (call->flags & O_NOFOLLOW)) return false;
  std::optional<Pid> owner = owner_of(*link, tid, table);
  if (!owner) return false;
  // A link whose text is a path reopens well by that text, through the box's /proc.
  const std::string host = procfs::task_fd_link(*owner, link->fd);
  const bool own = same_process(tid, *owner, table);
  char text[PATH_MAX];
  ssize_t n = -1;
  auto read_link = [&] {
    n = ::readlink(host.c_str(), text, sizeof(text));
    return n < 0 ? errno : 0;
  };
  // procfs lets a process follow its own fd links whatever its credentials.
  if (own)
    read_link();
  else
    creds.run_as(tid, false, read_link);
  if (n <= 0) return false;
  const std::string_view target(text, static_cast<std::size_t>(n));
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
