// Paths that name an open file through a procfs magic link: /proc/<who>/fd/<n>[/...],
// /proc/<who>/task/<t>/fd/<n>[/...], /dev/fd/<n>[/...] and /dev/std{in,out,err}. Opening one of
// these must reopen the object the fd holds; a FUSE symlink is only text, so the supervisor
// routes these opens itself (see supervisor/proc_open.h). Pure: parses a string.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "translate/pid_space.h"

namespace vpidbox::procfs {

struct FdPath {
  enum class Who { kSelf, kThreadSelf, kNumber };
  Who who = Who::kSelf;
  Pid number = 0;           // the box number of /proc/<n>, for kNumber
  std::optional<Pid> task;  // the box number of task/<t>, when the path goes through one
  int fd = -1;
  std::string rest;  // what follows fd/<n>, "" or starting with '/'
};

// nullopt for any other path, and for paths this parser does not resolve lexically ("..", or a
// relative path): those are left to the kernel.
std::optional<FdPath> parse_fd_path(std::string_view path);

}  // namespace vpidbox::procfs
