#include "supervisor/mount_info.h"

#include <fcntl.h>

#include <algorithm>
#include <charconv>

#include "procfs-fuse/host_proc.h"

namespace vpidbox {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string_view digits = field.substr(i + 1, 3);
      int value = 0;
      const auto [end, error] = std::from_chars(digits.data(), digits.data() + 3, value, 8);
      if (error == std::errc() && end == digits.data() + 3) {
        out += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < line.size()) {
    const std::size_t begin = line.find_first_not_of(' ', pos);
    if (begin == std::string_view::npos) break;
    const std::size_t end = std::min(line.find(' ', begin), line.size());
    fields.push_back(line.substr(begin, end - begin));
    pos = end;
  }
  return fields;
}

bool parse_int(std::string_view s, int& value) {
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  return error == std::errc() && end == s.data() + s.size();
}

void add_unique(std::vector<std::string>& out, const std::string& path) {
  if (std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
}

}  // namespace

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountEntry> out;
  while (!text.empty()) {
    const std::size_t newline = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(std::min(newline + 1, text.size()));
    const std::vector<std::string_view> f = split_fields(line);
    // id parent major:minor root mount-point options [optional...] - fstype source super
    const auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 6 || dash == f.end() || dash + 1 == f.end() || dash - f.begin() < 6) continue;
    MountEntry e;
    if (!parse_int(f[0], e.id) || !parse_int(f[1], e.parent)) continue;
    e.root = unescape(f[3]);
    e.mount_point = unescape(f[4]);
    e.fstype = std::string(*(dash + 1));
    out.push_back(std::move(e));
  }
  return out;
}

bool path_within(std::string_view path, std::string_view prefix) {
  if (prefix == "/") return path.starts_with('/');
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

std::vector<std::string> procfs_mount_points(const std::vector<MountEntry>& mounts) {
  std::vector<std::string> out;
  for (const MountEntry& m : mounts)
    if (m.fstype == "proc") add_unique(out, m.mount_point);
  return out;
}

std::vector<std::string> mounts_beneath_procfs(const std::vector<MountEntry>& mounts) {
  const std::vector<std::string> procfs = procfs_mount_points(mounts);
  std::vector<std::string> out;
  for (const MountEntry& m : mounts) {
    if (m.fstype == "proc") continue;
    for (const std::string& p : procfs)
      if (path_within(m.mount_point, p) && m.mount_point != p) add_unique(out, m.mount_point);
  }
  return out;
}

std::vector<MountEntry> read_own_mounts() {
  std::string text;
  procfs::read_whole_file_at(AT_FDCWD, "/proc/self/mountinfo", text);
  return parse_mountinfo(text);
}

}  // namespace vpidbox
