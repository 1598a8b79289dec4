#include "procfs-fuse/fd_path.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "procfs-fuse/proc_tree.h"

namespace vpidbox::procfs {
namespace {

// "/a//b/./c/" -> {"a","b","c"}; nullopt when a ".." makes the meaning depend on symlinks.
std::optional<std::vector<std::string_view>> components(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return std::nullopt;
    out.push_back(part);
  }
  return out;
}

std::optional<int> parse_fd(std::string_view s) {
  if (s == "0") return 0;
  std::optional<Pid> n = parse_pid_name(s);
  if (!n) return std::nullopt;
  return static_cast<int>(*n);
}

std::string join_rest(const std::vector<std::string_view>& parts, std::size_t from) {
  std::string rest;
  for (std::size_t i = from; i < parts.size(); ++i) {
    rest += '/';
    rest += parts[i];
  }
  return rest;
}

}  // namespace

namespace {

std::optional<FdPath> parse(std::string_view path) {
  if (!path.starts_with('/')) return std::nullopt;
  // Most opens name neither: decide that before splitting.
  const std::string_view head = path.substr(std::min(path.find_first_not_of('/'), path.size()));
  if (!head.starts_with("proc") && !head.starts_with("dev") && !head.starts_with("."))
    return std::nullopt;
  std::optional<std::vector<std::string_view>> parts = components(path);
  if (!parts || parts->size() < 2) return std::nullopt;
  const std::vector<std::string_view>& p = *parts;
  FdPath out;
  if (p[0] == "dev") {
    // The links udev and systemd create: /dev/fd -> /proc/self/fd, /dev/stdin -> .../fd/0.
    if (p.size() == 2 && p[1] == "stdin") out.fd = 0;
    if (p.size() == 2 && p[1] == "stdout") out.fd = 1;
    if (p.size() == 2 && p[1] == "stderr") out.fd = 2;
    if (out.fd >= 0) return out;
    if (p[1] != "fd" || p.size() < 3) return std::nullopt;
    std::optional<int> fd = parse_fd(p[2]);
    if (!fd) return std::nullopt;
    out.fd = *fd;
    out.rest = join_rest(p, 3);
    return out;
  }
  if (p[0] != "proc") return std::nullopt;
  std::size_t i = 2;
  if (p[1] == "self") {
    out.who = FdPath::Who::kSelf;
  } else if (p[1] == "thread-self") {
    out.who = FdPath::Who::kThreadSelf;
  } else if (std::optional<Pid> n = parse_pid_name(p[1])) {
    out.who = FdPath::Who::kNumber;
    out.number = *n;
  } else {
    return std::nullopt;
  }
  if (out.who != FdPath::Who::kThreadSelf && i + 1 < p.size() && p[i] == "task") {
    std::optional<Pid> t = parse_pid_name(p[i + 1]);
    if (!t) return std::nullopt;
    out.task = *t;
    i += 2;
  }
  if (i + 1 >= p.size() || p[i] != "fd") return std::nullopt;
  std::optional<int> fd = parse_fd(p[i + 1]);
  if (!fd) return std::nullopt;
  out.fd = *fd;
  out.rest = join_rest(p, i + 2);
  return out;
}

}  // namespace

std::optional<FdPath> parse_fd_path(std::string_view path) {
  return parse(path);
}

}  // namespace vpidbox::procfs
