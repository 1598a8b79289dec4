#include "supervisor/proc_paths.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "procfs-fuse/host_proc.h"
#include "procfs-fuse/open_plan.h"
#include "procfs-fuse/proc_view.h"
#include "procfs-fuse/render.h"
#include "supervisor/kernel_facts.h"
#include "supervisor/pid_max.h"
#include "supervisor/proc_open.h"
#include "supervisor/tracee.h"
#include "translate/rules.h"
#include "translate/sysctl_write.h"

namespace vpidbox {
namespace {

using procfs::NodeKind;
using procfs::NodeSpec;

// Strings the kernel reads for a call the supervisor makes (a symlink's target, an xattr's name
// or value) are at most this long; xattr values are capped by the kernel at 64 KiB too.
constexpr std::size_t kMaxCopied = 65536;
// Writers of ns_last_pid and pid_max kept where leases cannot tell which have closed their file.
constexpr std::size_t kMaxTableWriters = 64;

// A string in the caller's memory, up to `max` bytes, read up to its NUL without crossing into an
// unmapped page; nullopt when it cannot be read or has no end within `max`.
std::optional<std::string> read_string(CallerMemory& memory, pid_t pid, std::uint64_t address,
                                       std::size_t max) {
  std::string out;
  std::uint64_t at = address;
  // Most paths are short: a first small read, then the rest page by page.
  std::size_t want = 128;
  while (out.size() < max) {
    char buf[4096];
    const std::size_t piece = std::min({std::size_t{4096} - (at % 4096), max - out.size(), want});
    want = 4096;
    if (!memory.read(pid, at, buf, piece)) return std::nullopt;
    const void* nul = std::memchr(buf, '\0', piece);
    if (nul) {
      out.append(buf, static_cast<const char*>(nul) - buf);
      return out;
    }
    out.append(buf, piece);
    at += piece;
  }
  return std::nullopt;
}

// The open calls' arguments: dirfd, path, flags, mode, and openat2's resolve flags.
struct OpenArgs {
  int dirfd = AT_FDCWD;
  std::uint64_t path = 0;
  std::uint64_t flags = 0;
  mode_t mode = 0;
  std::uint64_t resolve = 0;
  int path_arg = 0;
};

std::optional<OpenArgs> open_args(CallerMemory& memory, pid_t pid, const std::string_view name,
                                  const std::uint64_t* a) {
  OpenArgs o;
  if (name == "open") {
    o = {AT_FDCWD, a[0], a[1], static_cast<mode_t>(a[2]), 0, 0};
  } else if (name == "creat") {
    o = {AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, static_cast<mode_t>(a[1]), 0, 0};
  } else if (name == "openat") {
    o = {static_cast<int>(a[0]), a[1], a[2], static_cast<mode_t>(a[3]), 0, 1};
  } else if (name == "openat2") {
    open_how how{};
    if (a[3] < sizeof(how) || !memory.read(pid, a[2], &how, sizeof(how))) return std::nullopt;
    o = {static_cast<int>(a[0]), a[1], how.flags, static_cast<mode_t>(how.mode), how.resolve, 1};
  } else {
    return std::nullopt;
  }
  return o;
}

// A copy the kernel opens for `caller` (the ptrace engine): its own, with `mode`, where a root
// supervisor's box task may be another user.
void give_copy(pid_t caller, const std::string& path, mode_t mode) {
  if (::geteuid() == 0) {
    const TaskCreds creds = read_task_creds(caller);
    if (creds.ok && ::chown(path.c_str(), creds.fsuid, creds.fsgid) != 0) mode = 0;
  }
  ::chmod(path.c_str(), mode);
}

// A task's umask (shared by the threads of its fs): what a file it creates loses of its mode.
mode_t umask_of(pid_t tid) {
  const std::optional<std::string> status =
      read_proc_file(("/proc/" + std::to_string(tid) + "/status").c_str());
  const char* field = status ? proc_field(*status, "Umask") : nullptr;
  return field ? static_cast<mode_t>(std::strtoul(field, nullptr, 8)) & 0777 : 022;
}

// Runs `op` with the process umask 0, for a call that creates a file with a mode the caller's
// umask has already been applied to (the supervisor's own umask is not the caller's).
template <typename Op>
auto with_no_umask(Op op) {
  const mode_t saved = ::umask(0);
  auto result = op();
  ::umask(saved);
  return result;
}

bool has_capability(pid_t tid, int capability) {
  const TaskCreds creds = read_task_creds(tid);
  return creds.ok && creds.has(capability);
}

}  // namespace

// ---- the caller's memory ----

int CallerMemory::mem(pid_t tid) {
  if (tid_ == tid && mem_.valid()) return mem_.get();
  forget();
  const std::string path = "/proc/" + std::to_string(tid) + "/mem";
  mem_.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!mem_.valid()) {
    // procfs judges the opener's fs ids against the task's ids, and the task's dumpability.
    creds_.run_as_task(tid, false, [&] {
      mem_.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC));
      return mem_.valid() ? 0 : errno;
    });
  }
  if (!mem_.valid()) return -1;
  tid_ = tid;
  return mem_.get();
}

bool CallerMemory::read(pid_t tid, std::uint64_t address, void* out, std::size_t size) {
  if (tracee::read_memory(tid, address, out, size)) return true;
  if (errno != EPERM) return false;
  const int fd = mem(tid);
  return fd >= 0 &&
         ::pread(fd, out, size, static_cast<off_t>(address)) == static_cast<ssize_t>(size);
}

bool CallerMemory::write(pid_t tid, std::uint64_t address, const void* in, std::size_t size) {
  if (tracee::write_memory(tid, address, in, size)) return true;
  if (errno != EPERM) return false;
  const int fd = mem(tid);
  return fd >= 0 &&
         ::pwrite(fd, in, size, static_cast<off_t>(address)) == static_cast<ssize_t>(size);
}

ProcPathRoute::ProcPathRoute(ProcessTable& table, const ProcChannel& channel,
                             const std::string& box_user_ns, Stats& stats, TraceLog& trace)
    : table_(table),
      stats_(stats),
      trace_(trace),
      guarded_(channel.guarded),
      creds_(box_user_ns),
      host_proc_(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)),
      shadow_(table, host_proc_.get()),
      walker_(table, creds_, shadow_) {
  // A box that entered a mount namespace of its own sees other mounts than the supervisor.
  if (channel.own_mount_namespace) walker_.roots_may_differ();
}

void ProcPathRoute::trace(const Call& call, const Answer& answer) {
  const Task* task = table_.task(call.caller);
  std::string line = "[v" + std::to_string(task ? task->vtid : 0) + " r" +
                     std::to_string(call.caller) + "] " + std::string(call.row->name) + "(";
  for (std::size_t i = 0; i < call.paths.size(); ++i)
    line += (i ? ", \"" : "\"") + call.paths[i] + "\"";
  line += ")";
  switch (answer.kind) {
    case Answer::Kind::kContinue:
      line += " continues";
      break;
    case Answer::Kind::kValue:
      line += " = " + std::to_string(answer.value) + " (the box's /proc)";
      break;
    case Answer::Kind::kErrno:
      line += " = -1 " + std::string(strerrorname_np(static_cast<int>(answer.value)) ?: "?") +
              " (the box's /proc)";
      break;
    case Answer::Kind::kInstall:
      line += " = a descriptor of the box's /proc";
      break;
    case Answer::Kind::kRewrite:
      line += " goes to \"" + answer.path + "\"";
      break;
  }
  trace_.note(line);
}

bool ProcPathRoute::serves(int nr) {
  return find_path_call(nr) != nullptr;
}

std::string ProcPathRoute::show_as_box(const std::string& text, pid_t reader) const {
  return procfs::show_path_as_box(text, walker_.procfs_mount(), shadow_.base(), table_,
                                  view_of(reader));
}

std::string ProcPathRoute::host_path_string(const Resolution& r) const {
  if (r.dir == walker_.host_proc())
    return r.path == "." ? walker_.procfs_mount() : walker_.procfs_mount() + "/" + r.path;
  // A directory the supervisor holds, named through its own fd link (the worker thread, with a
  // task's credentials, may follow its own process's links).
  return "/proc/self/fd/" + std::to_string(r.dir) + (r.path == "." ? "" : "/" + r.path);
}

std::optional<std::string> ProcPathRoute::rewrite_string(pid_t caller, const Resolution& r) {
  std::string at;
  if (r.dir == walker_.host_proc()) {
    at = host_path_string(r);
  } else {
    char text[PATH_MAX];
    const std::string link = "/proc/self/fd/" + std::to_string(r.dir);
    const ssize_t n = ::readlink(link.c_str(), text, sizeof(text));
    if (n <= 0 || text[0] != '/') return std::nullopt;
    at = std::string(text, static_cast<std::size_t>(n));
    if (r.path != ".") at += "/" + r.path;
  }
  // The kernel resolves it in the caller's root: the supervisor's, unless the caller has one of
  // its own (then only paths beneath it are reachable, as it names them).
  char root[PATH_MAX];
  const std::string root_link = "/proc/" + std::to_string(caller) + "/root";
  const ssize_t n = ::readlink(root_link.c_str(), root, sizeof(root));
  if (n <= 0) return std::nullopt;
  const std::string_view caller_root(root, static_cast<std::size_t>(n));
  if (caller_root == "/") return at;
  if (!path_within(at, caller_root)) return std::nullopt;
  return at.size() == caller_root.size() ? "/" : at.substr(caller_root.size());
}

std::string ProcPathRoute::caller_path_string(const Call& call, const PathArg& arg,
                                              const std::optional<std::string>& path) const {
  const std::string prefix = "/proc/" + std::to_string(call.caller);
  const std::string p = path.value_or("");
  if (p.starts_with('/')) return walker_.roots_differ() ? prefix + "/root" + p : p;
  const int dirfd = arg.dirfd >= 0 ? static_cast<int>(call.args[arg.dirfd]) : AT_FDCWD;
  const std::string start =
      dirfd == AT_FDCWD ? prefix + "/cwd" : prefix + "/fd/" + std::to_string(dirfd);
  return p.empty() ? start : start + "/" + p;
}

int ProcPathRoute::open_as_caller(pid_t caller, bool own, int dir, const std::string& path,
                                  int flags, mode_t mode, UniqueFd& fd) {
  auto open = [&] {
    return creds_.run_as(caller, own, [&] {
      fd.reset(::openat(dir, path.c_str(), flags | O_CLOEXEC, mode));
      return fd.valid() ? 0 : errno;
    });
  };
  if (!(flags & (O_CREAT | O_TMPFILE))) return open();
  // A file made here gets the mode the caller's own open would give it.
  mode = mode & ~umask_of(caller) & 07777;
  return with_no_umask(open);
}

void ProcPathRoute::note_clone_flags(std::uint64_t flags) {
  if (flags & CLONE_NEWNS) walker_.roots_may_differ();
}

std::optional<Pid> ProcPathRoute::proc_dir_number(pid_t tid, int fd) {
  if (fd < 0) return std::nullopt;
  const std::optional<NodeSpec> node = walker_.node_of_fd(tid, fd);
  if (!node || node->kind != NodeKind::kProcessDir) return std::nullopt;
  return node->bound_virtual;
}

// ---- ns_last_pid and pid_max written from inside ----

ProcPathRoute::Answer ProcPathRoute::table_writer(Call& call, procfs::Rewrite file, int path_arg,
                                                  int flags, const std::string& host_path) {
  const TaskCreds creds = read_task_creds(call.caller);
  const bool last_pid = file == procfs::Rewrite::kLastPid;
  // procfs refuses every write of ns_last_pid by a task without CAP_SYS_ADMIN or
  // CAP_CHECKPOINT_RESTORE with EPERM, whatever it writes: so does a memfd sealed against writes.
  // (Who may write pid_max was judged at the open, by its mode.)
  if (last_pid && !creds.has(CAP_SYS_ADMIN) && !creds.has(CAP_CHECKPOINT_RESTORE)) {
    if (call.ptrace) {
      // The kernel itself refuses the host's file the same way.
      Answer a;
      a.kind = Answer::Kind::kRewrite;
      a.arg = path_arg;
      a.path = host_path;
      return a;
    }
    const std::string text =
        std::to_string(table_.space(view_of(call.caller)).last_allocated()) + "\n";
    UniqueFd readable = sealed_text_file("/proc/sys/kernel/ns_last_pid", text);
    if (!readable.valid()) return Answer::error(ENOMEM);
    const std::string self = "/proc/self/fd/" + std::to_string(readable.get());
    Answer a;
    a.kind = Answer::Kind::kInstall;
    a.fd.reset(::open(self.c_str(), (flags & O_ACCMODE) | O_CLOEXEC));
    a.cloexec = (flags & O_CLOEXEC) != 0;
    if (!a.fd.valid()) return Answer::error(errno);
    return a;
  }
  // The writer gets a regular file of its own, empty (write and pwrite at any offset work as on
  // procfs), which the supervisor reads before it answers any other call or stop of the box:
  // a memfd, or on the ptrace engine, where no descriptor can be given, a copy the kernel opens.
  const std::string name = last_pid ? "/proc/sys/kernel/ns_last_pid" : "/proc/sys/kernel/pid_max";
  std::string at;
  if (call.ptrace) {
    const std::optional<std::string> copy = shadow_.copy_file(name, "");
    if (!copy) return Answer::error(ENOMEM);
    give_copy(call.caller, *copy, 0600);
    copies_[call.caller] = *copy;
    at = *copy;
  } else {
    UniqueFd memfd(::memfd_create(name.c_str(), MFD_CLOEXEC));
    if (!memfd.valid()) return Answer::error(errno);
    at = "/proc/self/fd/" + std::to_string(memfd.get());
    UniqueFd ours(::open(at.c_str(), O_RDONLY | O_CLOEXEC));
    UniqueFd theirs(::open(at.c_str(), (flags & O_ACCMODE) | O_CLOEXEC));
    if (!ours.valid() || !theirs.valid()) return Answer::error(ENOMEM);
    table_writers_.push_back({std::move(ours), file, creds.caps, table_.level_of(call.caller)});
    Answer a;
    a.kind = Answer::Kind::kInstall;
    a.fd = std::move(theirs);
    a.cloexec = (flags & O_CLOEXEC) != 0;
    return a;
  }
  UniqueFd ours(::open(at.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ours.valid()) return Answer::error(ENOMEM);
  table_writers_.push_back({std::move(ours), file, creds.caps, table_.level_of(call.caller)});
  Answer a;
  a.kind = Answer::Kind::kRewrite;
  a.arg = path_arg;
  a.path = at;
  return a;
}

void ProcPathRoute::drain_table_writes() {
  for (auto it = table_writers_.begin(); it != table_writers_.end();) {
    // No writer left once a read lease can be had (the file is open for writing nowhere): asked
    // first, so that a last write before the close is read below.
    bool closed = ::fcntl(it->fd.get(), F_SETLEASE, F_RDLCK) == 0;
    if (closed) {
      ::fcntl(it->fd.get(), F_SETLEASE, F_UNLCK);
    } else if (errno != EAGAIN) {
      closed = table_writers_.size() > kMaxTableWriters;  // leases refused: the oldest go
    }
    char buf[256];
    const ssize_t n = ::pread(it->fd.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      // Written since: the text from offset 0 is one write there. Emptied, a write past offset
      // 0 leaves a hole of NULs before its text, which procfs ignores and the parse refuses.
      if (!closed) {
        const std::string self = "/proc/self/fd/" + std::to_string(it->fd.get());
        UniqueFd emptier(::open(self.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
      }
      const SysctlIntWrite w =
          parse_sysctl_int_write(std::string_view(buf, static_cast<std::size_t>(n)), 0);
      // What procfs would refuse (a bad number, one out of range) changes nothing.
      if (!w.error && w.stores) {
        if (it->file == procfs::Rewrite::kPidMax) {
          write_pid_max(table_, it->level, w.value, pid_max_minimum());
        } else if (w.value >= 0 && w.value <= table_.space(it->level).pid_max()) {
          write_ns_last_pid(table_, it->level, it->caps, static_cast<Pid>(w.value));
        }
      }
    }
    it = closed ? table_writers_.erase(it) : it + 1;
  }
}

void ProcPathRoute::before_stop(pid_t tid) {
  if (!table_writers_.empty()) drain_table_writes();
  if (copies_.empty()) return;
  const auto it = copies_.find(tid);
  if (it == copies_.end()) return;
  shadow_.remove_copy(it->second);
  copies_.erase(it);
}

// ---- the calls ----

ProcPathRoute::Answer ProcPathRoute::answer_getcwd(Call& call) {
  UniqueFd cwd(::open(procfs::task_fd_link(call.caller, AT_FDCWD).c_str(), O_PATH | O_CLOEXEC));
  if (!cwd.valid()) return Answer::go_on();
  bool in_procfs = false;
  const std::optional<NodeSpec> node =
      walker_.node_of_object(cwd.get(), in_procfs, view_of(call.caller));
  if (!node) return in_procfs ? Answer::error(ENOENT) : Answer::go_on();
  std::string text = procfs::box_path(*node);
  if (walker_.procfs_mount() != "/proc") text = walker_.procfs_mount() + text.substr(5);
  const std::uint64_t size = call.args[1];
  if (size < text.size() + 1) return Answer::error(ERANGE);
  if (!memory_.write(call.caller, call.args[0], text.c_str(), text.size() + 1))
    return Answer::error(EFAULT);
  return Answer::result(static_cast<std::int64_t>(text.size() + 1));
}

ProcPathRoute::Answer ProcPathRoute::answer_mq_open(Call& call) {
  // With the guard, the kernel opens the queue for the box only through a mount of mqueue that
  // the guard allows; the supervisor opens it otherwise, as the caller.
  if (!guarded_ || call.ptrace) return Answer::go_on();
  const std::optional<std::string> name =
      read_string(memory_, call.caller, call.args[0], NAME_MAX + 1);
  if (!name) return Answer::go_on();
  const int oflag = static_cast<int>(call.args[1]);
  struct MqAttr {
    long flags, maxmsg, msgsize, curmsgs, reserved[4];
  } attr{};
  const bool with_attr = (oflag & O_CREAT) && call.args[3] != 0;
  if (with_attr && !memory_.read(call.caller, call.args[3], &attr, sizeof(attr)))
    return Answer::error(EFAULT);
  // The mode is the caller's, through its umask.
  const mode_t mode = static_cast<mode_t>(call.args[2]) & ~umask_of(call.caller) & 07777;
  int fd = -1;
  const int error = with_no_umask([&] {
    return creds_.run_as(call.caller, false, [&] {
      fd = static_cast<int>(::syscall(SYS_mq_open, name->c_str(), oflag | O_CLOEXEC, mode,
                                      with_attr ? &attr : nullptr));
      return fd < 0 ? errno : 0;
    });
  });
  if (error != 0) return Answer::error(error);
  Answer a;
  a.kind = Answer::Kind::kInstall;
  a.fd.reset(fd);
  a.cloexec = (oflag & O_CLOEXEC) != 0;
  return a;
}

ProcPathRoute::Answer ProcPathRoute::answer_rewritten(Call& call, const Resolution& r, int arg) {
  // Where the kernel's own walk of the caller's path reaches the same place (self, names the
  // host and the box share), the call runs as it is: an exec keeps its own path (AT_EXECFN).
  if (!r.translated) return Answer::go_on();
  const std::optional<std::string> path = rewrite_string(call.caller, r);
  if (!path) return Answer::error(ENOENT);
  Answer a;
  a.kind = Answer::Kind::kRewrite;
  a.arg = arg;
  a.path = *path;
  return a;
}

ProcPathRoute::Answer ProcPathRoute::answer_open(Call& call,
                                                 const std::function<bool()>& still_pending) {
  const std::optional<OpenArgs> o = open_args(memory_, call.caller, call.row->name, call.args);
  if (!o) return Answer::go_on();  // the kernel's to refuse (EFAULT, E2BIG)
  const std::optional<std::string> path = read_string(memory_, call.caller, o->path, PATH_MAX);
  if (!path) return Answer::go_on();
  if (trace_.enabled()) call.paths.push_back(*path);
  PathQuery query;
  query.dirfd = o->dirfd;
  query.path = path;
  query.follow_last = !(o->flags & O_NOFOLLOW);
  query.resolve = o->resolve;
  const int flags = static_cast<int>(o->flags);
  const bool cloexec = (flags & O_CLOEXEC) != 0;
  Resolution r = walker_.resolve(call.caller, query);
  auto install = [&](UniqueFd fd) {
    Answer a;
    a.kind = Answer::Kind::kInstall;
    a.fd = std::move(fd);
    a.cloexec = cloexec;
    return a;
  };
  auto point_to = [&](std::optional<std::string> at) {
    if (!at) return Answer::error(ENOENT);
    Answer a;
    a.kind = Answer::Kind::kRewrite;
    a.arg = o->path_arg;
    a.path = std::move(*at);
    return a;
  };
  switch (r.kind) {
    case Resolution::Kind::kNotProc: {
      // A directory above /proc, which the guard keeps the box from listing: opened here.
      if (!r.guard_ancestor || call.ptrace || (flags & O_PATH) || !r.object.valid())
        return Answer::go_on();
      UniqueFd fd;
      const std::string self = "/proc/self/fd/" + std::to_string(r.object.get());
      if (const int error = open_as_caller(call.caller, false, AT_FDCWD, self,
                                           (flags & ~O_CLOEXEC) | O_NOCTTY, o->mode, fd))
        return Answer::error(error);
      return install(std::move(fd));
    }
    case Resolution::Kind::kError:
      return Answer::error(r.error);
    case Resolution::Kind::kHost:
      break;
  }
  const bool own = r.node && procfs::same_process(call.caller, r.node->bound_real, table_);
  const bool writes = (flags & O_ACCMODE) != O_RDONLY;
  // Beyond /proc (a task's cwd, root or an fd that is a directory), or a name the box does not
  // have: the kernel opens (or refuses) what the host name leads to, as the caller.
  if (!r.node || r.hidden) {
    if (call.ptrace) return point_to(rewrite_string(call.caller, r));
    UniqueFd fd;
    const int wanted = (flags & ~O_CLOEXEC) | O_NOCTTY | O_NONBLOCK;
    if (const int error = open_as_caller(call.caller, false, r.dir, r.path, wanted, o->mode, fd))
      return Answer::error(error);
    if (!(flags & O_NONBLOCK)) ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    return install(std::move(fd));
  }
  const NodeSpec& node = *r.node;
  // /proc and /proc/<n>/task as directories: the listings of the box's numbers.
  if ((node.kind == NodeKind::kRoot || node.kind == NodeKind::kTaskList) && !writes &&
      !(flags & O_CREAT)) {
    if (call.ptrace) return point_to(shadow_.listing_path(node));
    const int fd = shadow_.open_listing(node, flags);
    if (fd < 0) return Answer::error(-fd);
    return install(UniqueFd(fd));
  }
  struct stat st {};
  const bool exists = ::fstatat(r.dir, r.path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  const bool link = exists && S_ISLNK(st.st_mode);
  // A task's link (fd/<n>, exe, cwd, root): the object itself, as procfs's magic link opens it.
  if (link && procfs::is_task_link(node)) {
    if (call.ptrace) return point_to(rewrite_string(call.caller, r));
    // Non-blocking: reopening a pipe whose other end is closed would wait forever, and the
    // supervisor must not. The caller gets the blocking mode it asked for.
    UniqueFd fd;
    const int wanted = (flags & ~O_CLOEXEC) | O_NONBLOCK | O_NOCTTY;
    if (own) {
      // One's own link procfs lets one follow, and the object is opened as procfs opens it for
      // its own process: through the supervisor's own link to it, as the caller.
      UniqueFd object;
      if (const int error = open_as_caller(call.caller, true, r.dir, r.path, O_PATH, 0, object))
        return Answer::error(error);
      const std::string self = "/proc/self/fd/" + std::to_string(object.get());
      if (const int error = open_as_caller(call.caller, true, AT_FDCWD, self, wanted, o->mode, fd))
        return Answer::error(error);
    } else if (const int error =
                   open_as_caller(call.caller, false, r.dir, r.path, wanted, o->mode, fd)) {
      return Answer::error(error);
    }
    if (!(flags & O_NONBLOCK)) ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    return install(std::move(fd));
  }
  const procfs::OpenPlan plan = procfs::plan_open(node, flags, call.caller, table_);
  if (plan.serves == procfs::OpenServes::kError) return Answer::error(plan.error);
  if (plan.serves == procfs::OpenServes::kRendered &&
      (plan.writes_last_pid || plan.writes_pid_max) && writes) {
    // Opened as procfs would open it for the caller (a read-only /proc/sys says EROFS, pid_max
    // is not writable by others), then handed a file the supervisor reads instead.
    UniqueFd trial;
    if (const int error = open_as_caller(call.caller, false, r.dir, r.path,
                                         O_WRONLY | O_NONBLOCK | O_NOCTTY, 0, trial))
      return Answer::error(error);
    return table_writer(call, plan.rewrite, o->path_arg, flags, host_path_string(r));
  }
  const bool rendered = plan.serves == procfs::OpenServes::kRendered;
  const bool regular = exists && S_ISREG(st.st_mode);
  if (call.ptrace && (!regular || writes)) {
    // The kernel opens directories and what a box task writes, the guard allowing those (it
    // refuses reading beneath /proc); what a task reads is a copy of the text, below.
    if ((flags & O_ACCMODE) == O_RDWR && regular) return Answer::error(EACCES);
    return point_to(rewrite_string(call.caller, r));
  }
  // Opened, and a rendered file read, as procfs would let the caller.
  UniqueFd fd;
  std::string real;
  const int wanted = rendered || (call.ptrace && regular) ? O_RDONLY : (flags & ~O_CLOEXEC);
  const int error = creds_.run_as(call.caller, plan.opener_owns, [&] {
    fd.reset(::openat(r.dir, r.path.c_str(), wanted | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, o->mode));
    if (!fd.valid()) return errno;
    if (!rendered && !call.ptrace) return 0;
    return procfs::read_whole_file(fd.get(), real);
  });
  if (error != 0) return Answer::error(error);
  if (rendered)
    real = procfs::render_for_reader(procfs::as_read_by(node, call.caller, table_), real, table_,
                                     plan.read_by_task(call.caller));
  if (call.ptrace) {
    const std::optional<std::string> copy = shadow_.copy_file(procfs::box_path(node), real);
    if (copy) {
      give_copy(call.caller, *copy, 0400);
      copies_[call.caller] = *copy;
    }
    return point_to(copy);
  }
  if (rendered) {
    fd = sealed_text_file(procfs::memfd_name(node), real);
    if (!fd.valid()) return Answer::error(ENOMEM);
  } else if (!(flags & O_NONBLOCK)) {
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  }
  (void)still_pending;
  return install(std::move(fd));
}

ProcPathRoute::Answer ProcPathRoute::perform(Call& call, std::vector<Resolution>& resolutions,
                                             const std::vector<std::optional<std::string>>& paths,
                                             const std::function<bool()>& still_pending) {
  const PathCallRow& row = *call.row;
  std::uint64_t args[6];
  std::copy(std::begin(call.args), std::end(call.args), args);
  std::vector<std::string> strings;
  strings.reserve(8);
  bool own = false;
  for (int i = 0; i < row.path_count(); ++i) {
    const PathArg& arg = row.paths[i];
    const Resolution& r = resolutions[i];
    strings.push_back(r.kind == Resolution::Kind::kHost ? host_path_string(r)
                                                        : caller_path_string(call, arg, paths[i]));
    own |= r.node && procfs::same_process(call.caller, r.node->bound_real, table_);
    args[arg.path] = reinterpret_cast<std::uint64_t>(strings.back().c_str());
    if (arg.dirfd >= 0) args[arg.dirfd] = static_cast<std::uint64_t>(AT_FDCWD);
  }
  // Memory the kernel reads or writes: copied.
  std::vector<std::vector<char>> buffers(row.memory.size());
  struct Out {
    int arg;
    std::uint64_t address;
    std::size_t size;
    bool fixed;
    std::vector<char>* buffer;
  };
  std::vector<Out> outs;
  for (std::size_t m = 0; m < row.memory.size(); ++m) {
    const MemArg& mem = row.memory[m];
    if (mem.kind == MemKind::kNone) continue;
    const std::uint64_t address = call.args[mem.arg];
    std::vector<char>& buffer = buffers[m];
    switch (mem.kind) {
      case MemKind::kString: {
        const std::optional<std::string> text =
            read_string(memory_, call.caller, address, kMaxCopied);
        if (!text) return Answer::error(EFAULT);
        buffer.assign(text->begin(), text->end());
        buffer.push_back('\0');
        break;
      }
      case MemKind::kBytesIn:
      case MemKind::kBytesInOrNull: {
        if (mem.kind == MemKind::kBytesInOrNull && address == 0) continue;
        const std::size_t size = mem.size_arg >= 0 ? call.args[mem.size_arg] : mem.fixed_size;
        if (size > kMaxCopied) continue;  // the kernel refuses it first (E2BIG)
        buffer.resize(size);
        if (size && !memory_.read(call.caller, address, buffer.data(), size))
          return Answer::error(EFAULT);
        break;
      }
      case MemKind::kBytesOut: {
        std::size_t size = mem.size_arg >= 0 ? call.args[mem.size_arg] : mem.fixed_size;
        // readlink's text is translated before it is cut to the caller's size.
        if (row.op == PathOp::kReadlink) size = PATH_MAX;
        size = std::min(size, kMaxCopied);
        buffer.resize(size);
        outs.push_back({mem.arg, address, size, mem.size_arg < 0, &buffer});
        if (row.op == PathOp::kReadlink) args[mem.size_arg] = size;
        break;
      }
      case MemKind::kNone:
        break;
    }
    args[mem.arg] = buffer.empty() ? 0 : reinterpret_cast<std::uint64_t>(buffer.data());
  }
  long nr = row.nr;
  // access() judges by the real ids, which the worker does not take: asked with the effective
  // ones the worker has taken from the task's.
  if (row.op == PathOp::kAccess && !creds_.judged_as_supervisor(call.caller, own)) {
    const int mode = static_cast<int>(row.name == "access" ? call.args[1] : call.args[2]);
    const std::uint64_t at_flags = row.name == "faccessat2" ? call.args[3] : 0;
    nr = SYS_faccessat2;
    args[0] = static_cast<std::uint64_t>(AT_FDCWD);
    args[1] = reinterpret_cast<std::uint64_t>(strings[0].c_str());
    args[2] = static_cast<std::uint64_t>(mode);
    args[3] = at_flags | AT_EACCESS;
  }
  long result = 0;
  auto make_the_call = [&] {
    return creds_.run_as(call.caller, own, [&] {
      result = ::syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
      return result < 0 ? errno : 0;
    });
  };
  // mkdir and mknod make a name beyond /proc (through /proc/self/cwd) with the caller's umask.
  const int mode_arg = row.name == "mkdir" || row.name == "mknod"       ? 1
                       : row.name == "mkdirat" || row.name == "mknodat" ? 2
                                                                        : -1;
  if (mode_arg >= 0) args[mode_arg] &= ~static_cast<std::uint64_t>(umask_of(call.caller));
  const int error = mode_arg >= 0 ? with_no_umask(make_the_call) : make_the_call();
  if (error != 0) return Answer::error(error);
  if (!still_pending()) return Answer::go_on();
  if (row.op == PathOp::kReadlink) {
    std::string text(buffers[0].data(), static_cast<std::size_t>(result));
    const std::optional<NodeSpec>& node = resolutions[0].node;
    if (node && node->kind == NodeKind::kSelfLink)
      text = procfs::self_link(call.caller, table_, node->view).value_or(text);
    else if (node && node->kind == NodeKind::kThreadSelfLink)
      text = procfs::thread_self_link(call.caller, table_, node->view).value_or(text);
    else
      text = show_as_box(text, call.caller);
    const std::size_t size = std::min<std::size_t>(text.size(), call.args[row.memory[0].size_arg]);
    if (size && !memory_.write(call.caller, outs[0].address, text.data(), size))
      return Answer::error(EFAULT);
    return Answer::result(static_cast<std::int64_t>(size));
  }
  for (const Out& out : outs) {
    const std::size_t size = out.fixed ? out.size : std::min<std::size_t>(result, out.size);
    if (out.address && size && !memory_.write(call.caller, out.address, out.buffer->data(), size))
      return Answer::error(EFAULT);
  }
  return Answer::result(result);
}

ProcPathRoute::Answer ProcPathRoute::answer(Call& call,
                                            const std::function<bool()>& still_pending) {
  memory_.forget();
  const PathCallRow& row = *call.row;
  switch (row.op) {
    case PathOp::kNamespace:
      // unshare(CLONE_NEWNS) or setns(): the caller may see other mounts from now on.
      walker_.roots_may_differ();
      return Answer::go_on();
    case PathOp::kGetcwd:
      return answer_getcwd(call);
    case PathOp::kMqOpen:
      return answer_mq_open(call);
    case PathOp::kOpen:
      return answer_open(call, still_pending);
    default:
      break;
  }
  // A chroot, or a mount a privileged task makes: the supervisor's own view of the mounts is no
  // longer the caller's for sure.
  if (row.op == PathOp::kChroot || row.op == PathOp::kPrivileged) walker_.roots_may_differ();
  const std::uint64_t flags = row.flags_arg >= 0 ? call.args[row.flags_arg] : 0;
  std::vector<Resolution> resolutions;
  std::vector<std::optional<std::string>> paths;
  bool concerns_proc = false;
  for (int i = 0; i < row.path_count(); ++i) {
    const PathArg& arg = row.paths[i];
    const std::uint64_t address = call.args[arg.path];
    std::optional<std::string> path;
    if (address != 0) {
      path = read_string(memory_, call.caller, address, PATH_MAX);
      if (!path) return Answer::go_on();  // EFAULT or ENAMETOOLONG: the kernel's
    }
    if (trace_.enabled()) call.paths.push_back(path.value_or("NULL"));
    PathQuery query;
    query.dirfd = arg.dirfd >= 0 ? static_cast<int>(call.args[arg.dirfd]) : AT_FDCWD;
    query.path = path;
    query.follow_last = follows_last(arg, flags);
    query.empty_names_dirfd = empty_path_names_dirfd(arg, flags);
    // A call on the descriptor itself (glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH)): the
    // kernel answers for the very object, which is the box's own where it is a host procfs file
    // or directory. Only a link's text must be seen as the box sees it.
    const bool on_descriptor = (!path || path->empty()) && (query.empty_names_dirfd || !path);
    if (on_descriptor && row.op != PathOp::kReadlink) {
      resolutions.emplace_back();
      paths.push_back(path);
      continue;
    }
    Resolution r = walker_.resolve(call.caller, query);
    concerns_proc |= r.kind != Resolution::Kind::kNotProc;
    resolutions.push_back(std::move(r));
    paths.push_back(std::move(path));
  }
  if (!concerns_proc) return Answer::go_on();
  for (const Resolution& r : resolutions)
    if (r.kind == Resolution::Kind::kError) return Answer::error(r.error);
  switch (row.op) {
    case PathOp::kChdir:
    case PathOp::kExec:
    case PathOp::kChroot:
    case PathOp::kWatch:
      return answer_rewritten(call, resolutions[0], row.paths[0].path);
    case PathOp::kPrivileged:
      for (const Resolution& r : resolutions)
        if (r.hidden) return Answer::error(ENOENT);
      // Beyond finding the name, these need privileges that let a task past the box anyway
      // (README): without them, what the kernel says after the lookup.
      return has_capability(call.caller, CAP_SYS_ADMIN) ? Answer::go_on() : Answer::error(EPERM);
    case PathOp::kUnsupported:
      for (const Resolution& r : resolutions)
        if (r.hidden) return Answer::error(ENOENT);
      return Answer::error(EOPNOTSUPP);
    default:
      return perform(call, resolutions, paths, still_pending);
  }
}

void ProcPathRoute::serve(UnotifyChannel& channel, const seccomp_notif& req) {
  Call call;
  call.caller = static_cast<pid_t>(req.pid);
  call.row = find_path_call(req.data.nr);
  if (!call.row) {
    channel.answer_continue(req.id);
    return;
  }
  if (stats_.by_syscall) ++stats_.notifications[call.row->name];
  for (int i = 0; i < 6; ++i) call.args[i] = req.data.args[i];
  if (!table_writers_.empty()) drain_table_writes();
  Answer a = answer(call, [&] { return channel.still_pending(req.id); });
  if (trace_.enabled()) trace(call, a);
  switch (a.kind) {
    case Answer::Kind::kContinue:
      channel.answer_continue(req.id);
      return;
    case Answer::Kind::kValue:
      channel.answer_value(req.id, a.value);
      return;
    case Answer::Kind::kErrno:
      channel.answer_errno(req.id, static_cast<int>(a.value));
      return;
    case Answer::Kind::kInstall:
      if (channel.still_pending(req.id)) channel.answer_with_fd(req.id, a.fd.get(), a.cloexec);
      return;
    case Answer::Kind::kRewrite:
      // Only a ptrace stop can rewrite; the filter sends those calls there.
      channel.answer_errno(req.id, EACCES);
      return;
  }
}

bool ProcPathRoute::on_stop(pid_t tid, user_regs_struct& regs) {
  Call call;
  call.caller = tid;
  call.row = find_path_call(static_cast<int>(regs.orig_rax));
  call.ptrace = true;
  if (!call.row) return false;
  if (stats_.by_syscall) ++stats_.seccomp_stops[call.row->name];
  const std::array<std::uint64_t, 6> args = tracee::syscall_args(regs);
  std::copy(args.begin(), args.end(), call.args);
  Answer a = answer(call, [] { return true; });
  if (trace_.enabled()) trace(call, a);
  switch (a.kind) {
    case Answer::Kind::kContinue:
      return false;
    case Answer::Kind::kValue:
    case Answer::Kind::kErrno:
      // Skip the syscall: number -1, and the answer in the return register.
      regs.orig_rax = static_cast<unsigned long long>(-1);
      regs.rax =
          static_cast<unsigned long long>(a.kind == Answer::Kind::kValue ? a.value : -a.value);
      return true;
    case Answer::Kind::kInstall:
      // Not given at a ptrace stop (answer_open points to paths there).
      regs.orig_rax = static_cast<unsigned long long>(-1);
      regs.rax = static_cast<unsigned long long>(-EACCES);
      return true;
    case Answer::Kind::kRewrite: {
      // The path, written below the caller's stack (past the red zone, unused while it is in
      // the kernel), and the argument pointed to it.
      const std::uint64_t at = (regs.rsp - 128 - a.path.size() - 1) & ~std::uint64_t{15};
      if (!memory_.write(tid, at, a.path.c_str(), a.path.size() + 1)) {
        regs.orig_rax = static_cast<unsigned long long>(-1);
        regs.rax = static_cast<unsigned long long>(-EFAULT);
        return true;
      }
      std::array<std::uint64_t, 6> changed = args;
      changed[a.arg] = at;
      if (call.row->name == "openat2") {
        // The supervisor's walk applied openat2's RESOLVE_* restrictions; the path it points to
        // is absolute, which RESOLVE_BENEATH would refuse: the kernel gets the flags without them.
        open_how how{};
        const std::uint64_t how_at = (at - sizeof(how)) & ~std::uint64_t{15};
        how.resolve = 0;
        if (!memory_.read(tid, args[2], &how, sizeof(how)) ||
            !(how.resolve = 0, memory_.write(tid, how_at, &how, sizeof(how)))) {
          regs.orig_rax = static_cast<unsigned long long>(-1);
          regs.rax = static_cast<unsigned long long>(-EFAULT);
          return true;
        }
        changed[2] = how_at;
        changed[3] = sizeof(how);
      }
      tracee::set_syscall_args(regs, changed);
      return true;
    }
  }
  return false;
}

}  // namespace vpidbox
