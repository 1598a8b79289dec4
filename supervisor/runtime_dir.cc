#include "supervisor/runtime_dir.h"

#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace vpidbox {

std::string own_runtime_dir() {
  if (const char* dir = std::getenv("VPIDBOX_RUNTIME_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg && xdg[0] == '/')
    return std::string(xdg) + "/vpidbox";
  if (::geteuid() == 0) return "/run/vpidbox";
  return "/tmp/vpidbox-" + std::to_string(::geteuid());
}

std::optional<std::string> prepare_runtime_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return "cannot make " + dir + ": " + std::strerror(errno);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return "cannot use " + dir + ": " + std::strerror(errno);
  // Anyone may make /tmp/vpidbox-<uid> first: use it only if it is ours and closed to others.
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
    return dir + " is not a directory of this user's alone (mode 0700)";
  return std::nullopt;
}

std::vector<std::string> runtime_dirs_to_scan() {
  std::vector<std::string> dirs{own_runtime_dir()};
  const char* fixed = std::getenv("VPIDBOX_RUNTIME_DIR");
  if (::geteuid() != 0 || (fixed && *fixed)) return dirs;
  for (const char* pattern : {"/run/vpidbox", "/run/user/*/vpidbox", "/tmp/vpidbox-*"}) {
    glob_t found{};
    if (::glob(pattern, GLOB_NOSORT | GLOB_ONLYDIR, nullptr, &found) == 0)
      for (std::size_t i = 0; i < found.gl_pathc; ++i)
        if (found.gl_pathv[i] != dirs.front()) dirs.emplace_back(found.gl_pathv[i]);
    ::globfree(&found);
  }
  return dirs;
}

}  // namespace vpidbox
