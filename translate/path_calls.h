// The calls that name a path, or report one, declared once: where the box has its own /proc
// without a mount of its own (--proc=intercept, supervisor/proc_paths.h), any of them may concern
// /proc, so every one of them stops for the supervisor; the filter builder traps them from this
// table and the /proc-path route reads their arguments from it. Calls that cannot name a path are
// not here and never pay. Pure: no syscalls.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace vpidbox {

// What the supervisor does with a call whose path concerns the box's /proc.
enum class PathOp : std::uint8_t {
  kOpen,         // open, openat, openat2, creat: what the open plan says, installed with ADDFD
  kStat,         // the call itself, on the host node, as the caller (stat, lstat, newfstatat)
  kStatx,        // the same for statx
  kStatfs,       // the same for statfs
  kAccess,       // the same for access, faccessat, faccessat2, with the caller's real ids
  kReadlink,     // the call itself, and the text shown as the box names things
  kGetcwd,       // names no path: its result, when the caller's cwd is in the box's /proc
  kChdir,        // the kernel must change the caller's own cwd: the path is rewritten
  kExec,         // execve, execveat: the path is rewritten
  kChroot,       // chroot: rewritten, and from then on tasks may have roots of their own
  kPerform,      // every other call that names a path: made by the supervisor on the host node,
                 // with the caller's credentials (procfs refuses the changes, with its errno)
  kWatch,        // inotify_add_watch, fanotify_mark: the watch is the caller's instance's, so the
                 // path is rewritten
  kPrivileged,   // mount, umount2, pivot_root, ...: a name hidden from the box does not exist;
                 // the rest is the kernel's (they need CAP_SYS_ADMIN or the like)
  kUnsupported,  // name_to_handle_at, the *xattrat calls, file_getattr: what procfs answers for
                 // what it does not support (EOPNOTSUPP), once the name is found
  kNamespace,    // unshare, setns: no path; from then on tasks may see other mounts
  kMqOpen,       // mq_open: no path, but an open of the mqueue mount, which no path reaches and so
                 // no Landlock rule can allow (landlock_guard.h): made by the supervisor
};

// When a path argument's last component, a symlink, is followed.
enum class Follow : std::uint8_t {
  kAlways,
  kNever,                 // lstat, readlink, unlink, rename, ...
  kUnlessAtNofollow,      // AT_SYMLINK_NOFOLLOW in the flags argument
  kIfAtFollow,            // linkat, name_to_handle_at: only with AT_SYMLINK_FOLLOW
  kUnlessONofollow,       // the opens: O_NOFOLLOW in the open flags
  kUnlessInDontFollow,    // inotify_add_watch: IN_DONT_FOLLOW in its mask
  kUnlessFanDontFollow,   // fanotify_mark: FAN_MARK_DONT_FOLLOW in its flags
  kUnlessUmountNofollow,  // umount2: UMOUNT_NOFOLLOW
};

struct PathArg {
  std::int8_t dirfd = -1;  // the argument holding the directory fd; -1 for AT_FDCWD
  std::int8_t path = -1;   // the argument holding the path's address; -1: no such argument
  Follow follow = Follow::kAlways;
  // AT_EMPTY_PATH in the flags argument lets an empty path name the directory fd itself;
  // `empty_path_always`: an empty (or null) path always does (readlinkat, utimensat, ...).
  bool empty_path_flag = false;
  bool empty_path_always = false;
  // The path may name something that does not exist yet (mkdir, the new name of rename, ...).
  bool creates = false;
  bool present() const { return path >= 0; }
};

// Other memory a call made by the supervisor reads from, or writes into, the caller.
enum class MemKind : std::uint8_t {
  kNone,
  kString,         // a string the kernel reads (a symlink's target, an xattr's name)
  kBytesIn,        // bytes the kernel reads: `fixed_size`, or the size in `size_arg`
  kBytesInOrNull,  // the same, or a null pointer (utimensat's times)
  kBytesOut,       // bytes the kernel writes: `fixed_size`, or at most the size in `size_arg`
};

struct MemArg {
  std::int8_t arg = -1;
  MemKind kind = MemKind::kNone;
  std::int8_t size_arg = -1;
  std::uint16_t fixed_size = 0;
};

struct PathCallRow {
  std::string_view name;
  int nr;  // x86_64
  PathOp op;
  std::array<PathArg, 2> paths;
  std::int8_t flags_arg = -1;  // the *at flags (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, ...)
  std::array<MemArg, 2> memory;

  // Served at a ptrace stop, also on the hybrid engine: the call must run in the caller with
  // another path, which a notification cannot give it.
  bool rewritten() const {
    return op == PathOp::kChdir || op == PathOp::kExec || op == PathOp::kChroot ||
           op == PathOp::kWatch;
  }
  int path_count() const { return paths[0].present() + paths[1].present(); }
};

std::span<const PathCallRow> path_call_table();
// The row for a syscall number, or nullptr.
const PathCallRow* find_path_call(int nr_x86_64);
const PathCallRow* find_path_call(std::string_view name);

// Whether a path argument's last component is followed, given the call's flags argument (the
// *at flags, or the open flags for kUnlessONofollow).
bool follows_last(const PathArg& arg, std::uint64_t flags);
// Whether an empty path names the directory fd itself.
bool empty_path_names_dirfd(const PathArg& arg, std::uint64_t flags);

}  // namespace vpidbox
