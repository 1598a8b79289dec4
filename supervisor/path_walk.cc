#include "supervisor/path_walk.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <deque>

#include "procfs-fuse/host_proc.h"
#include "procfs-fuse/open_plan.h"
#include "procfs-fuse/proc_view.h"
#include "supervisor/landlock_guard.h"
#include "supervisor/mount_info.h"
#include "supervisor/proc_shadow.h"

namespace vpidbox {
namespace {

using procfs::NodeKind;
using procfs::NodeSpec;

constexpr int kMaxLinks = 40;  // the kernel's MAXSYMLINKS
// A name no procfs directory has: what the box's view hides is looked up as this, so that the
// kernel answers with the errno it gives for a name that does not exist, in its own order.
constexpr std::string_view kNoSuchName = "vpidbox-none";

std::deque<std::string> split(std::string_view path) {
  std::deque<std::string> out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    const std::size_t end = std::min(path.find('/', pos), path.size());
    if (end > pos) out.emplace_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string join(const std::deque<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::string join_path(std::string_view dir, std::string_view name) {
  if (dir.empty() || dir == ".") return std::string(name);
  std::string out(dir);
  out += '/';
  out += name;
  return out;
}

long filesystem_of(int fd) {
  struct statfs st {};
  return ::fstatfs(fd, &st) == 0 ? static_cast<long>(st.f_type) : 0;
}

int openat2(int dirfd, const std::string& path, std::uint64_t flags, std::uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(
      ::syscall(SYS_openat2, dirfd, path.empty() ? "." : path.c_str(), &how, sizeof(how)));
}

std::optional<std::string> readlink_text(int dirfd, const char* name) {
  char buf[PATH_MAX];
  const ssize_t n = ::readlinkat(dirfd, name, buf, sizeof(buf));
  if (n < 0 || n >= static_cast<ssize_t>(sizeof(buf))) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string host_or_dot(const NodeSpec& node) {
  return node.host_path.empty() ? "." : node.host_path;
}

}  // namespace

// One walk in progress: where it stands (a real directory, or a node of the box's /proc), and
// what is left of the path.
struct PathWalker::Walk {
  std::deque<std::string> rest;
  int links = 0;
  bool been_in_proc = false;
  UniqueFd real;                 // the real directory the walk stands in, outside procfs
  int real_borrowed = -1;        // or a directory it does not own (the start)
  std::optional<NodeSpec> node;  // the node it stands at, inside procfs
  UniqueFd procfs_parent;        // the directory the walk entered procfs from, for ".."

  int real_fd() const { return real.valid() ? real.get() : real_borrowed; }
  void stand_in(UniqueFd fd) {
    real = std::move(fd);
    real_borrowed = -1;
    node.reset();
  }
  void stand_at(NodeSpec n) {
    node = std::move(n);
    been_in_proc = true;
  }
};

PathWalker::PathWalker(const ProcessTable& table, CredentialWorker& creds, const ProcShadow& shadow)
    : table_(table),
      creds_(creds),
      shadow_(shadow),
      host_proc_(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)),
      root_(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) {
  if (root_.valid()) root_identity_ = identity_of(root_.get());
  const std::vector<MountEntry> mounts = read_own_mounts();
  for (const MountEntry& m : mounts)
    if (m.fstype == "proc") procfs_entries_.push_back(m);
  procfs_mounts_ = procfs_mount_points(mounts);
  beneath_procfs_ = mounts_beneath_procfs(mounts);
  for (const std::string& dir : plan_proc_guard(procfs_mounts_).ancestors) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) guard_ancestors_.insert({st.st_dev, st.st_ino});
  }
  struct stat st {};
  if (host_proc_.valid() && ::fstat(host_proc_.get(), &st) == 0)
    procfs_instances_[st.st_dev] = true;
  // "/proc" leads straight to the supervisor's procfs when that is mounted there.
  proc_at_proc_ =
      host_proc_.valid() && filesystem_of(host_proc_.get()) == PROC_SUPER_MAGIC &&
      std::find(procfs_mounts_.begin(), procfs_mounts_.end(), "/proc") != procfs_mounts_.end();
}

PathWalker::Identity PathWalker::identity_of(int fd) const {
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &sx) != 0) return {};
  return {makedev(sx.stx_dev_major, sx.stx_dev_minor), sx.stx_ino, sx.stx_mnt_id};
}

UniqueFd PathWalker::caller_root(Pid caller) {
  if (!roots_may_differ_) return UniqueFd(::dup(root_.get()));
  const std::string link = "/proc/" + std::to_string(caller) + "/root";
  return UniqueFd(::open(link.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
}

bool PathWalker::is_caller_root(int fd, Pid caller, const Identity& root) {
  (void)caller;
  return identity_of(fd) == root;
}

bool PathWalker::lexically_in_procfs(const std::string& absolute) const {
  for (const std::string& m : procfs_mounts_)
    if (path_within(absolute, m)) return true;
  for (const std::string& m : beneath_procfs_)
    if (path_within(absolute, m)) return true;
  return false;
}

bool PathWalker::same_pid_namespace(int procfs_fd) {
  struct stat st {};
  if (::fstat(procfs_fd, &st) != 0) return false;
  if (auto it = procfs_instances_.find(st.st_dev); it != procfs_instances_.end()) return it->second;
  // Another mount of procfs: it shows the supervisor's pid namespace when its "self" is the
  // supervisor. Asked of the mount's root, found among the mounts by its id.
  bool same = false;
  struct statx sx {};
  if (::statx(procfs_fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) == 0) {
    for (const MountEntry& m : read_own_mounts()) {
      if (m.id != static_cast<int>(sx.stx_mnt_id) || m.fstype != "proc" || m.root != "/") continue;
      procfs_entries_.push_back(m);
      const std::optional<std::string> self =
          readlink_text(AT_FDCWD, (m.mount_point + "/self").c_str());
      same = self && *self == std::to_string(::getpid());
    }
  }
  procfs_instances_[st.st_dev] = same;
  return same;
}

std::optional<NodeSpec> PathWalker::node_of_object(int fd, bool& in_procfs, LevelId view) {
  in_procfs = false;
  const long type = filesystem_of(fd);
  if (type == TMPFS_MAGIC) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return std::nullopt;
    return shadow_.node_of(st.st_dev, st.st_ino);
  }
  if (type != PROC_SUPER_MAGIC) return std::nullopt;
  in_procfs = true;
  if (!same_pid_namespace(fd)) return std::nullopt;
  const std::optional<std::string> text =
      readlink_text(AT_FDCWD, ("/proc/self/fd/" + std::to_string(fd)).c_str());
  if (!text) return std::nullopt;
  // Beneath which procfs mount, and where that mount's root is in procfs.
  std::string_view rest;
  std::string root = "/";
  std::size_t best = 0;
  for (const MountEntry& m : procfs_entries_) {
    if (m.fstype != "proc" || !path_within(*text, m.mount_point)) continue;
    if (m.mount_point.size() < best) continue;
    best = m.mount_point.size();
    rest = std::string_view(*text).substr(m.mount_point == "/" ? 0 : m.mount_point.size());
    root = m.root;
  }
  if (best == 0) return std::nullopt;
  std::string host = root == "/" ? std::string() : root.substr(1);
  while (rest.starts_with('/')) rest.remove_prefix(1);
  if (!rest.empty()) host = join_path(host, rest);
  return procfs::node_for_host_path(host, table_, view);
}

std::optional<NodeSpec> PathWalker::node_of_fd(Pid caller, int fd) {
  UniqueFd object(::open(procfs::task_fd_link(caller, fd).c_str(), O_PATH | O_CLOEXEC));
  if (!object.valid()) return std::nullopt;
  bool in_procfs = false;
  return node_of_object(object.get(), in_procfs, table_.proc_view_of(table_.level_of(caller)));
}

int PathWalker::settle_fast(int start, bool start_is_root, const std::string& path,
                            bool follow_last) {
  if (!have_openat2_) return 0;
  const std::deque<std::string> parts = split(path);
  for (const std::string& p : parts)
    if (p == "..") return 0;
  std::optional<std::string> absolute;
  if (start_is_root && !roots_may_differ_) {
    absolute = "/" + join(parts);
  } else {
    struct stat st {};
    if (::fstat(start, &st) == 0 && guard_ancestors_.contains({st.st_dev, st.st_ino})) {
      // A directory above a procfs mount: beneath it, names lead there as they read.
      const std::optional<std::string> dir =
          readlink_text(AT_FDCWD, ("/proc/self/fd/" + std::to_string(start)).c_str());
      if (!dir || !dir->starts_with('/')) return 0;
      absolute = *dir == "/" ? "/" + join(parts) : *dir + "/" + join(parts);
    }
  }
  if (absolute) {
    if (lexically_in_procfs(*absolute)) return 0;
    if (parts.empty()) return -1;  // the directory itself, above a procfs mount
  }
  if (parts.empty()) return 1;
  const std::string joined = join(parts) + (path.ends_with('/') ? "/" : "");
  const std::uint64_t flags = O_PATH | O_CLOEXEC | (follow_last ? 0 : O_NOFOLLOW);
  const std::uint64_t scope = start_is_root ? RESOLVE_IN_ROOT : RESOLVE_BENEATH;
  // Without leaving the start's mount, the walk cannot reach procfs: symlinks may go anywhere.
  UniqueFd fd(openat2(start, joined, flags, RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV | scope));
  if (fd.valid()) return 1;
  if (errno == ENOSYS) {
    have_openat2_ = false;
    return 0;
  }
  // A failure before the walk left the start's mount is the kernel's to give again.
  if (errno != EXDEV && errno != ELOOP && errno != EAGAIN) return 1;
  // Across mounts, without any symlink: the names lead where they read.
  fd.reset(openat2(start, joined, flags, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | scope));
  if (fd.valid()) {
    const long type = filesystem_of(fd.get());
    if (type == PROC_SUPER_MAGIC) return 0;
    if (type == TMPFS_MAGIC) {
      struct stat st {};
      if (::fstat(fd.get(), &st) == 0 && shadow_.node_of(st.st_dev, st.st_ino)) return 0;
    }
    return 1;
  }
  if (errno == ELOOP || errno == EXDEV || errno == EAGAIN) return 0;
  // Failed on the way, without a symlink: only a procfs mount on that way could be reached, and
  // the lexical test above rules those out where the start lies above one.
  return 1;
}

Resolution PathWalker::resolve(Pid caller, const PathQuery& query) {
  Resolution not_proc;
  // The box's /proc as the caller's level sees it (a nested box sees its own).
  const LevelId view = table_.proc_view_of(table_.level_of(caller));
  const std::string path = query.path.value_or("");
  const bool names_dirfd = path.empty() && (!query.path || query.empty_names_dirfd);
  if ((path.empty() && !names_dirfd) || path.size() >= PATH_MAX) return not_proc;
  if (path.starts_with('/')) {
    // The supervisor's root is the caller's until some task may have one of its own.
    UniqueFd own_root;
    if (roots_may_differ_) {
      own_root = caller_root(caller);
      if (!own_root.valid()) return not_proc;
    }
    const int root = own_root.valid() ? own_root.get() : root_.get();
    const std::size_t first = path.find_first_not_of('/');
    const std::string relative = first == std::string::npos ? std::string() : path.substr(first);
    if (query.resolve & RESOLVE_BENEATH) {
      // An absolute path is never beneath a directory: the kernel's own answer, where the walk
      // would have gone into /proc.
      if (lexically_in_procfs("/" + relative)) {
        Resolution refused;
        refused.kind = Resolution::Kind::kError;
        refused.error = EXDEV;
        return refused;
      }
      return not_proc;
    }
    // "/proc/..." from the supervisor's root is the procfs mount the supervisor sees: the walk
    // starts at the box's root node there (the common case of every /proc path).
    if (proc_at_proc_ && !roots_may_differ_ && !(query.resolve & RESOLVE_NO_XDEV) &&
        relative.starts_with("proc") && (relative.size() == 4 || relative[4] == '/'))
      return slow_walk(caller, view, -1, false, procfs::root_node(view), false, relative.substr(4),
                       query);
    const int settled = settle_fast(root, true, relative, query.follow_last);
    if (settled != 0) {
      not_proc.guard_ancestor = settled < 0;
      if (settled < 0) not_proc.object.reset(::dup(root));
      return not_proc;
    }
    return slow_walk(caller, view, root, true, std::nullopt, false, path, query);
  }
  UniqueFd start(::open(procfs::task_fd_link(caller, query.dirfd).c_str(), O_PATH | O_CLOEXEC));
  if (!start.valid()) return not_proc;  // EBADF and the like: the kernel's to say
  bool in_procfs = false;
  std::optional<NodeSpec> node = node_of_object(start.get(), in_procfs, view);
  if (in_procfs && !node) {
    // A procfs the box's view cannot show (another pid namespace's, a task outside the box).
    Resolution refused;
    refused.kind = Resolution::Kind::kError;
    refused.error = ENOENT;
    return refused;
  }
  if (node) {
    // A listing directory of the supervisor's stands for procfs's, which the kernel cannot walk.
    const bool shadow = !in_procfs;
    if (names_dirfd) {
      Resolution here;
      here.kind = Resolution::Kind::kHost;
      here.dir = host_proc_.get();
      here.path = host_or_dot(*node);
      here.node = std::move(node);
      here.translated = shadow;
      return here;
    }
    return slow_walk(caller, view, -1, false, std::move(node), shadow, path, query);
  }
  if (names_dirfd) {
    struct stat st {};
    not_proc.guard_ancestor =
        ::fstat(start.get(), &st) == 0 && guard_ancestors_.contains({st.st_dev, st.st_ino});
    if (not_proc.guard_ancestor) not_proc.object = std::move(start);
    return not_proc;
  }
  const int settled = settle_fast(start.get(), false, path, query.follow_last);
  if (settled != 0) {
    not_proc.guard_ancestor = settled < 0;
    if (settled < 0) not_proc.object = std::move(start);
    return not_proc;
  }
  return slow_walk(caller, view, start.get(), false, std::nullopt, false, path, query);
}

Resolution PathWalker::slow_walk(Pid caller, LevelId view, int start, bool start_is_root,
                                 std::optional<NodeSpec> start_node, bool start_translated,
                                 const std::string& path, const PathQuery& query) {
  (void)start_is_root;
  bool translated = start_translated;
  auto fail = [](int error) {
    Resolution failed;
    failed.kind = Resolution::Kind::kError;
    failed.error = error;
    return failed;
  };
  // The call made at (dir, path): the kernel gives the answers from there on.
  auto host_at = [&translated](int dir, std::string at, std::optional<NodeSpec> node) {
    Resolution there;
    there.translated = translated;
    there.kind = Resolution::Kind::kHost;
    there.dir = dir;
    there.path = at.empty() ? "." : std::move(at);
    there.node = std::move(node);
    return there;
  };
  UniqueFd root = caller_root(caller);
  if (!root.valid()) return Resolution{};
  const Identity root_id = identity_of(root.get());
  const std::uint64_t resolve = query.resolve;

  Walk walk;
  walk.rest = split(path);
  int self_components = 0;  // of walk.rest, spliced from self or thread-self
  if (start_node) {
    walk.stand_at(std::move(*start_node));
  } else {
    walk.real_borrowed = start;
  }
  // A path ending in '/' names a directory: the last component is followed.
  const bool trailing_slash = path.ends_with('/');

  while (!walk.rest.empty()) {
    const std::string name = walk.rest.front();
    walk.rest.pop_front();
    const bool from_self = self_components > 0;
    if (from_self) --self_components;
    const bool last = walk.rest.empty();
    const bool follow = !last || query.follow_last || trailing_slash;
    if (name == ".") continue;

    if (walk.node) {
      // ---- inside procfs, in the box's view ----
      const NodeSpec here = *walk.node;
      if (name == "..") {
        if (std::optional<NodeSpec> up = procfs::parent_node(here, table_)) {
          walk.node = std::move(*up);
          continue;
        }
        if (here.kind != NodeKind::kRoot) return fail(ENOENT);
        if (resolve & RESOLVE_BENEATH) return fail(EXDEV);
        // Above the root of procfs: the directory it is mounted on.
        if (walk.procfs_parent.valid()) {
          walk.stand_in(std::move(walk.procfs_parent));
        } else {
          const std::size_t slash = procfs_mount_.rfind('/');
          const std::string above = slash == 0 ? "/" : procfs_mount_.substr(0, slash);
          UniqueFd up(::open(above.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
          if (!up.valid()) return fail(ENOENT);
          walk.stand_in(std::move(up));
        }
        continue;
      }
      std::optional<NodeSpec> found = procfs::child_of(here, name, table_);
      if (!found || found->kind == NodeKind::kFdTarget) {
        // Hidden from the box, or no such name: the kernel says what it says for a missing one.
        std::deque<std::string> remaining = walk.rest;
        std::string at = join_path(host_or_dot(here), kNoSuchName);
        if (!remaining.empty()) at += "/" + join(remaining);
        if (trailing_slash) at += "/";
        Resolution hidden = host_at(host_proc_.get(), at, std::nullopt);
        hidden.hidden = true;
        hidden.translated = true;
        return hidden;
      }
      NodeSpec child = std::move(*found);
      // A number the caller wrote that is not the real one.
      if (!from_self &&
          ((child.kind == NodeKind::kProcessDir && child.bound_virtual != child.bound_real) ||
           (here.kind == NodeKind::kTaskList &&
            child.bound_thread_virtual != child.bound_thread_real)))
        translated = true;
      if (child.kind == NodeKind::kSelfLink || child.kind == NodeKind::kThreadSelfLink) {
        if (!follow) return host_at(host_proc_.get(), child.host_path, child);
        if (resolve & RESOLVE_NO_SYMLINKS) return fail(ELOOP);
        if (++walk.links > kMaxLinks) return fail(ELOOP);
        const std::optional<std::string> text =
            child.kind == NodeKind::kSelfLink ? procfs::self_link(caller, table_, here.view)
                                              : procfs::thread_self_link(caller, table_, here.view);
        if (!text) return fail(ENOENT);
        std::deque<std::string> spliced = split(*text);
        for (auto it = spliced.rbegin(); it != spliced.rend(); ++it) walk.rest.push_front(*it);
        self_components = static_cast<int>(spliced.size());
        continue;  // relative to the root, where the link is
      }
      if (child.kind != NodeKind::kHost) {
        walk.node = std::move(child);
        continue;
      }
      struct stat st {};
      if (::fstatat(host_proc_.get(), child.host_path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        std::string at = child.host_path;
        if (!walk.rest.empty()) at += "/" + join(walk.rest);
        return host_at(host_proc_.get(), at, child);
      }
      if (S_ISLNK(st.st_mode) && follow) {
        if (resolve & RESOLVE_NO_SYMLINKS) return fail(ELOOP);
        if (procfs::is_task_link(child)) {
          if (resolve & RESOLVE_NO_MAGICLINKS) return fail(ELOOP);
          // The last name: the kernel follows the link itself, as the caller.
          if (last) return host_at(host_proc_.get(), child.host_path, child);
          // A task's link leads to the object itself, followed as the caller would follow it.
          UniqueFd target;
          const bool own = procfs::same_process(caller, child.bound_real, table_);
          const int error = creds_.run_as(caller, own, [&] {
            target.reset(::openat(host_proc_.get(), child.host_path.c_str(), O_PATH | O_CLOEXEC));
            return target.valid() ? 0 : errno;
          });
          if (error != 0 || !target.valid()) {
            return host_at(host_proc_.get(), child.host_path + "/" + join(walk.rest), child);
          }
          bool target_in_procfs = false;
          if (std::optional<NodeSpec> into = node_of_object(target.get(), target_in_procfs, view)) {
            walk.node = std::move(*into);
            continue;
          }
          if (target_in_procfs) return fail(ENOENT);
          // Out of procfs: if the rest stays out, the kernel walks it from the link as it is.
          std::string remaining = join(walk.rest) + (trailing_slash ? "/" : "");
          if (settle_fast(target.get(), false, remaining, query.follow_last) != 0)
            return host_at(host_proc_.get(), child.host_path + "/" + remaining, std::nullopt);
          walk.stand_in(std::move(target));
          continue;
        }
        // A link of procfs's root (mounts -> self/mounts, net -> self/net): text, relative to it.
        if (++walk.links > kMaxLinks) return fail(ELOOP);
        const std::optional<std::string> text =
            readlink_text(host_proc_.get(), child.host_path.c_str());
        if (!text) return fail(ENOENT);
        std::deque<std::string> spliced = split(*text);
        for (auto it = spliced.rbegin(); it != spliced.rend(); ++it) walk.rest.push_front(*it);
        if (text->starts_with('/')) {
          walk.stand_in(UniqueFd(::dup(root.get())));
        }
        continue;
      }
      if (!last && !S_ISDIR(st.st_mode)) {
        return host_at(host_proc_.get(), child.host_path + "/" + join(walk.rest), child);
      }
      walk.node = std::move(child);
      continue;
    }

    // ---- in a real directory ----
    const int here = walk.real_fd();
    if (name == "..") {
      if (identity_of(here) == root_id) continue;  // ".." stops at the caller's root
      if (resolve & RESOLVE_BENEATH) return fail(EXDEV);
      UniqueFd up(::openat(here, "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!up.valid()) {
        if (!walk.been_in_proc) return Resolution{};
        Resolution out = host_at(here, "../" + join(walk.rest), std::nullopt);
        out.owned_dir = UniqueFd(::dup(here));
        out.dir = out.owned_dir.get();
        return out;
      }
      bool up_in_procfs = false;
      if (std::optional<NodeSpec> into = node_of_object(up.get(), up_in_procfs, view)) {
        walk.stand_at(std::move(*into));
        continue;
      }
      if (up_in_procfs) return fail(ENOENT);
      walk.stand_in(std::move(up));
      continue;
    }
    UniqueFd next(::openat(here, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) {
      // The kernel fails here too: from the caller's own walk when it never was in procfs.
      if (!walk.been_in_proc) return Resolution{};
      std::string at = name;
      if (!walk.rest.empty()) at += "/" + join(walk.rest);
      if (trailing_slash) at += "/";
      Resolution out = host_at(here, at, std::nullopt);
      out.owned_dir = walk.real.valid() ? std::move(walk.real) : UniqueFd(::dup(here));
      out.dir = out.owned_dir.get();
      return out;
    }
    struct stat st {};
    if (::fstat(next.get(), &st) != 0) return Resolution{};
    if (S_ISLNK(st.st_mode) && follow) {
      if (resolve & RESOLVE_NO_SYMLINKS) return fail(ELOOP);
      if (++walk.links > kMaxLinks) return fail(ELOOP);
      const std::optional<std::string> text = readlink_text(next.get(), "");
      if (!text) return Resolution{};
      std::deque<std::string> spliced = split(*text);
      for (auto it = spliced.rbegin(); it != spliced.rend(); ++it) walk.rest.push_front(*it);
      if (text->starts_with('/')) {
        if (resolve & RESOLVE_BENEATH) return fail(EXDEV);
        walk.stand_in(UniqueFd(::dup(root.get())));
      }
      if (!walk.been_in_proc && walk.rest.empty() == false) {
        // The rest may settle from here without the walk.
        const int from = walk.real_fd();
        const bool at_root = identity_of(from) == root_id;
        std::string remaining = join(walk.rest) + (trailing_slash ? "/" : "");
        const int settled = settle_fast(from, at_root, remaining, query.follow_last);
        if (settled != 0) {
          Resolution settled_out;
          settled_out.guard_ancestor = settled < 0;
          if (settled < 0) settled_out.object.reset(::dup(from));
          return settled_out;
        }
      }
      continue;
    }
    bool next_in_procfs = false;
    if (std::optional<NodeSpec> into = node_of_object(next.get(), next_in_procfs, view)) {
      if (resolve & RESOLVE_NO_XDEV) return fail(EXDEV);
      if (filesystem_of(next.get()) == PROC_SUPER_MAGIC)
        walk.procfs_parent =
            walk.real.valid() ? std::move(walk.real) : UniqueFd(::dup(walk.real_borrowed));
      walk.stand_at(std::move(*into));
      continue;
    }
    if (next_in_procfs) return fail(ENOENT);
    walk.stand_in(std::move(next));
  }

  if (walk.node) return host_at(host_proc_.get(), host_or_dot(*walk.node), walk.node);
  if (!walk.been_in_proc) {
    Resolution ended;
    struct stat st {};
    ended.guard_ancestor =
        ::fstat(walk.real_fd(), &st) == 0 && guard_ancestors_.contains({st.st_dev, st.st_ino});
    if (ended.guard_ancestor) ended.object.reset(::dup(walk.real_fd()));
    return ended;
  }
  Resolution out;
  out.kind = Resolution::Kind::kHost;
  out.owned_dir = walk.real.valid() ? std::move(walk.real) : UniqueFd(::dup(walk.real_borrowed));
  out.dir = out.owned_dir.get();
  out.path = ".";
  out.translated = translated;
  return out;
}

}  // namespace vpidbox
