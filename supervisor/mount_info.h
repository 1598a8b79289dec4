// The mounts a task sees, from /proc/<pid>/mountinfo: which of them are procfs, and where they
// are. The parser is pure; reading the file is the caller's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vpidbox {

struct MountEntry {
  int id = 0;
  int parent = 0;
  std::string root;         // the mount's root within its filesystem ("/" mostly)
  std::string mount_point;  // as the reader of mountinfo sees it, escapes undone
  std::string fstype;
};

// The entries of a mountinfo text (proc(5)); lines that do not parse are left out.
std::vector<MountEntry> parse_mountinfo(std::string_view text);

// The mount points of every procfs mount, and of every mount beneath one (Docker masks
// /proc/kcore and /proc/acpi so), in mountinfo's order, without duplicates.
std::vector<std::string> procfs_mount_points(const std::vector<MountEntry>& mounts);
std::vector<std::string> mounts_beneath_procfs(const std::vector<MountEntry>& mounts);

// Whether `path` (absolute, normalized) is `prefix` or lies beneath it.
bool path_within(std::string_view path, std::string_view prefix);

// The mounts of the calling process (/proc/self/mountinfo); empty when unreadable.
std::vector<MountEntry> read_own_mounts();

}  // namespace vpidbox
