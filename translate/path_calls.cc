#include "translate/path_calls.h"

namespace vpidbox {
namespace {

using enum PathOp;
using enum Follow;

// Flags of the *at calls and the others, as the kernel's uapi headers define them.
constexpr std::uint64_t kAtSymlinkNofollow = 0x100;
constexpr std::uint64_t kAtSymlinkFollow = 0x400;
constexpr std::uint64_t kAtEmptyPath = 0x1000;
constexpr std::uint64_t kONofollow = 0400000;
constexpr std::uint64_t kInDontFollow = 0x02000000;
constexpr std::uint64_t kFanMarkDontFollow = 0x04;
constexpr std::uint64_t kUmountNofollow = 0x8;

// A path argument relative to AT_FDCWD, or to a directory fd.
constexpr PathArg cwd(std::int8_t path, Follow follow = kAlways, bool creates = false) {
  return PathArg{-1, path, follow, false, false, creates};
}
constexpr PathArg at(std::int8_t dirfd, std::int8_t path, Follow follow = kAlways,
                     bool creates = false, bool empty_flag = false, bool empty_always = false) {
  return PathArg{dirfd, path, follow, empty_flag, empty_always, creates};
}
constexpr MemArg string_in(std::int8_t arg) {
  return MemArg{arg, MemKind::kString, -1, 0};
}
constexpr MemArg bytes_in(std::int8_t arg, std::int8_t size_arg) {
  return MemArg{arg, MemKind::kBytesIn, size_arg, 0};
}
constexpr MemArg times_in(std::int8_t arg, std::uint16_t size) {
  return MemArg{arg, MemKind::kBytesInOrNull, -1, size};
}
constexpr MemArg out(std::int8_t arg, std::uint16_t size) {
  return MemArg{arg, MemKind::kBytesOut, -1, size};
}
constexpr MemArg out_sized(std::int8_t arg, std::int8_t size_arg) {
  return MemArg{arg, MemKind::kBytesOut, size_arg, 0};
}

// x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl); struct stat is 144 bytes there,
// struct statx 256 and struct statfs 120.
constexpr PathCallRow kTable[] = {
    // clang-format off
    {"open", 2, kOpen, {cwd(0, kUnlessONofollow, true)}, 1, {}},
    {"openat", 257, kOpen, {at(0, 1, kUnlessONofollow, true)}, 2, {}},
    {"openat2", 437, kOpen, {at(0, 1, kUnlessONofollow, true)}, -1, {}},
    {"creat", 85, kOpen, {cwd(0, kAlways, true)}, -1, {}},

    {"stat", 4, kStat, {cwd(0)}, -1, {out(1, 144)}},
    {"lstat", 6, kStat, {cwd(0, kNever)}, -1, {out(1, 144)}},
    {"newfstatat", 262, kStat, {at(0, 1, kUnlessAtNofollow, false, true)}, 3, {out(2, 144)}},
    {"statx", 332, kStatx, {at(0, 1, kUnlessAtNofollow, false, true)}, 2, {out(4, 256)}},
    {"statfs", 137, kStatfs, {cwd(0)}, -1, {out(1, 120)}},
    {"access", 21, kAccess, {cwd(0)}, -1, {}},
    {"faccessat", 269, kAccess, {at(0, 1)}, -1, {}},
    {"faccessat2", 439, kAccess, {at(0, 1, kUnlessAtNofollow, false, true)}, 3, {}},
    {"readlink", 89, kReadlink, {cwd(0, kNever)}, -1, {out_sized(1, 2)}},
    {"readlinkat", 267, kReadlink, {at(0, 1, kNever, false, false, true)}, -1, {out_sized(2, 3)}},
    {"getcwd", 79, kGetcwd, {}, -1, {}},

    {"chdir", 80, kChdir, {cwd(0)}, -1, {}},
    {"chroot", 161, kChroot, {cwd(0)}, -1, {}},
    {"execve", 59, kExec, {cwd(0)}, -1, {}},
    {"execveat", 322, kExec, {at(0, 1, kUnlessAtNofollow, false, true)}, 4, {}},

    {"mkdir", 83, kPerform, {cwd(0, kNever, true)}, -1, {}},
    {"mkdirat", 258, kPerform, {at(0, 1, kNever, true)}, -1, {}},
    {"mknod", 133, kPerform, {cwd(0, kNever, true)}, -1, {}},
    {"mknodat", 259, kPerform, {at(0, 1, kNever, true)}, -1, {}},
    {"rmdir", 84, kPerform, {cwd(0, kNever)}, -1, {}},
    {"unlink", 87, kPerform, {cwd(0, kNever)}, -1, {}},
    {"unlinkat", 263, kPerform, {at(0, 1, kNever)}, -1, {}},
    {"rename", 82, kPerform, {cwd(0, kNever), cwd(1, kNever, true)}, -1, {}},
    {"renameat", 264, kPerform, {at(0, 1, kNever), at(2, 3, kNever, true)}, -1, {}},
    {"renameat2", 316, kPerform, {at(0, 1, kNever), at(2, 3, kNever, true)}, -1, {}},
    {"link", 86, kPerform, {cwd(0, kNever), cwd(1, kNever, true)}, -1, {}},
    {"linkat", 265, kPerform, {at(0, 1, kIfAtFollow, false, true), at(2, 3, kNever, true)}, 4, {}},
    {"symlink", 88, kPerform, {cwd(1, kNever, true)}, -1, {string_in(0)}},
    {"symlinkat", 266, kPerform, {at(1, 2, kNever, true)}, -1, {string_in(0)}},
    {"chmod", 90, kPerform, {cwd(0)}, -1, {}},
    {"fchmodat", 268, kPerform, {at(0, 1)}, -1, {}},
    {"fchmodat2", 452, kPerform, {at(0, 1, kUnlessAtNofollow, false, true)}, 3, {}},
    {"chown", 92, kPerform, {cwd(0)}, -1, {}},
    {"lchown", 94, kPerform, {cwd(0, kNever)}, -1, {}},
    {"fchownat", 260, kPerform, {at(0, 1, kUnlessAtNofollow, false, true)}, 4, {}},
    {"truncate", 76, kPerform, {cwd(0)}, -1, {}},
    {"utime", 132, kPerform, {cwd(0)}, -1, {times_in(1, 16)}},
    {"utimes", 235, kPerform, {cwd(0)}, -1, {times_in(1, 32)}},
    {"futimesat", 261, kPerform, {at(0, 1, kAlways, false, false, true)}, -1, {times_in(2, 32)}},
    {"utimensat", 280, kPerform, {at(0, 1, kUnlessAtNofollow, false, true, true)}, 3,
     {times_in(2, 32)}},
    {"setxattr", 188, kPerform, {cwd(0)}, -1, {string_in(1), bytes_in(2, 3)}},
    {"lsetxattr", 189, kPerform, {cwd(0, kNever)}, -1, {string_in(1), bytes_in(2, 3)}},
    {"getxattr", 191, kPerform, {cwd(0)}, -1, {string_in(1), out_sized(2, 3)}},
    {"lgetxattr", 192, kPerform, {cwd(0, kNever)}, -1, {string_in(1), out_sized(2, 3)}},
    {"listxattr", 194, kPerform, {cwd(0)}, -1, {out_sized(1, 2)}},
    {"llistxattr", 195, kPerform, {cwd(0, kNever)}, -1, {out_sized(1, 2)}},
    {"removexattr", 197, kPerform, {cwd(0)}, -1, {string_in(1)}},
    {"lremovexattr", 198, kPerform, {cwd(0, kNever)}, -1, {string_in(1)}},

    {"inotify_add_watch", 254, kWatch, {cwd(1, kUnlessInDontFollow)}, 2, {}},
    {"fanotify_mark", 301, kWatch, {at(3, 4, kUnlessFanDontFollow, false, false, true)}, 1, {}},

    {"mount", 165, kPrivileged, {cwd(1)}, -1, {}},
    {"umount2", 166, kPrivileged, {cwd(0, kUnlessUmountNofollow)}, 1, {}},
    {"pivot_root", 155, kPrivileged, {cwd(0), cwd(1)}, -1, {}},
    {"swapon", 167, kPrivileged, {cwd(0)}, -1, {}},
    {"swapoff", 168, kPrivileged, {cwd(0)}, -1, {}},
    {"acct", 163, kPrivileged, {cwd(0)}, -1, {}},
    {"quotactl", 179, kPrivileged, {cwd(1)}, -1, {}},
    {"open_tree", 428, kPrivileged, {at(0, 1, kUnlessAtNofollow, false, true)}, 2, {}},
    {"move_mount", 429, kPrivileged, {at(0, 1, kAlways, false, false, true),
                                      at(2, 3, kAlways, false, false, true)}, -1, {}},
    {"fspick", 433, kPrivileged, {at(0, 1, kAlways, false, false, true)}, -1, {}},
    {"mount_setattr", 442, kPrivileged, {at(0, 1, kUnlessAtNofollow, false, true)}, 2, {}},

    {"name_to_handle_at", 303, kUnsupported, {at(0, 1, kIfAtFollow, false, true)}, 4, {}},
    {"setxattrat", 463, kUnsupported, {at(0, 1, kUnlessAtNofollow, false, true)}, 2, {}},
    {"getxattrat", 464, kUnsupported, {at(0, 1, kUnlessAtNofollow, false, true)}, 2, {}},
    {"listxattrat", 465, kUnsupported, {at(0, 1, kUnlessAtNofollow, false, true)}, 2, {}},
    {"removexattrat", 466, kUnsupported, {at(0, 1, kUnlessAtNofollow, false, true)}, 2, {}},
    {"file_getattr", 468, kUnsupported, {at(0, 1, kUnlessAtNofollow, false, true)}, 4, {}},
    {"file_setattr", 469, kUnsupported, {at(0, 1, kUnlessAtNofollow, false, true)}, 4, {}},

    {"mq_open", 240, kMqOpen, {}, -1, {}},
    {"unshare", 272, kNamespace, {}, -1, {}},
    {"setns", 308, kNamespace, {}, -1, {}},
    // clang-format on
};

}  // namespace

std::span<const PathCallRow> path_call_table() {
  return kTable;
}

const PathCallRow* find_path_call(int nr_x86_64) {
  static const auto by_number = [] {
    std::array<const PathCallRow*, 512> index{};
    for (const PathCallRow& row : kTable) index[row.nr] = &row;
    return index;
  }();
  if (nr_x86_64 < 0 || nr_x86_64 >= static_cast<int>(by_number.size())) return nullptr;
  return by_number[nr_x86_64];
}

const PathCallRow* find_path_call(std::string_view name) {
  for (const PathCallRow& row : kTable)
    if (row.name == name) return &row;
  return nullptr;
}

bool follows_last(const PathArg& arg, std::uint64_t flags) {
  switch (arg.follow) {
    case kAlways:
      return true;
    case kNever:
      return false;
    case kUnlessAtNofollow:
      return !(flags & kAtSymlinkNofollow);
    case kIfAtFollow:
      return (flags & kAtSymlinkFollow) != 0;
    case kUnlessONofollow:
      return !(flags & kONofollow);
    case kUnlessInDontFollow:
      return !(flags & kInDontFollow);
    case kUnlessFanDontFollow:
      return !(flags & kFanMarkDontFollow);
    case kUnlessUmountNofollow:
      return !(flags & kUmountNofollow);
  }
  return true;
}

bool empty_path_names_dirfd(const PathArg& arg, std::uint64_t flags) {
  return arg.empty_path_always || (arg.empty_path_flag && (flags & kAtEmptyPath));
}

}  // namespace vpidbox
