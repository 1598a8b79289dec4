#include "procfs-fuse/host_nodes.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <optional>

#include "procfs-fuse/open_plan.h"

namespace vpidbox::procfs {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Calls `each(dirfd, entry)` for the entries of the directory `path` beneath `dirfd` until it
// returns false: 0, or the errno opening it failed with.
template <typename Each>
int for_each_entry(int dirfd, const char* path, Each each) {
  const int fd = ::openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    const int error = errno;
    ::close(fd);
    return error;
  }
  while (const dirent* d = ::readdir(dir))
    if (!each(fd, *d)) break;
  ::closedir(dir);
  return 0;
}

// The fd in `fd_dir` (a host path ".../fd") whose link text is `name`: the object a followed
// fd link names.
std::optional<std::string> fd_named(int host, const std::string& fd_dir, std::string_view name) {
  std::optional<std::string> found;
  for_each_entry(host, fd_dir.c_str(), [&](int fd, const dirent& d) {
    if (!all_digits(d.d_name)) return true;
    char target[PATH_MAX];
    const ssize_t n = ::readlinkat(fd, d.d_name, target, sizeof(target));
    if (n > 0 && std::string_view(target, static_cast<std::size_t>(n)) == name) {
      found = fd_dir + "/" + d.d_name;
      return false;
    }
    return true;
  });
  return found;
}

// "/proc/<real>[/task/<real>]/...": both numbers become the box's, as `view` numbers them.
void translate_proc_numbers(std::string& text, const ProcessTable& table, LevelId view) {
  auto translate_at = [&](std::size_t at) -> std::size_t {
    const std::size_t end = std::min(text.find('/', at), text.size());
    std::optional<Pid> real = parse_pid_name(std::string_view(text).substr(at, end - at));
    if (!real) return std::string::npos;
    const std::string box = std::to_string(table.to_virtual(*real, view).value_or(0));
    text.replace(at, end - at, box);
    return at + box.size();
  };
  const std::size_t after = translate_at(6);
  if (after != std::string::npos && text.compare(after, 6, "/task/") == 0) translate_at(after + 6);
}

}  // namespace

HostNodes::~HostNodes() {
  if (dir_ >= 0) ::close(dir_);
}

int HostNodes::open() {
  dir_ = ::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  return dir_ < 0 ? errno : 0;
}

int HostNodes::fd_target_attributes(const NodeSpec& node, struct stat& st) const {
  const std::size_t slash = node.host_path.rfind('/');
  std::optional<std::string> link =
      fd_named(dir_, node.host_path.substr(0, slash), node.host_path.substr(slash + 1));
  if (!link) return ENOENT;
  // Following the link may lead onto the box's /proc; DONT_SYNC answers from the kernel's cache
  // instead of asking us, who are busy asking.
  struct statx sx {};
  if (::statx(dir_, link->c_str(), AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx) != 0) return errno;
  st = {};
  st.st_ino = sx.stx_ino;  // the object's own: stat(2) through the link must match fstat
  st.st_mode = sx.stx_mode;
  st.st_nlink = sx.stx_nlink;
  st.st_uid = sx.stx_uid;
  st.st_gid = sx.stx_gid;
  st.st_size = static_cast<off_t>(sx.stx_size);
  st.st_blksize = sx.stx_blksize;
  st.st_atim = {sx.stx_atime.tv_sec, sx.stx_atime.tv_nsec};
  st.st_mtim = {sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec};
  st.st_ctim = {sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec};
  return 0;
}

int HostNodes::attributes(const NodeSpec& node, Pid caller, struct stat& st) const {
  if (!still_valid(node, table_)) return ENOENT;
  switch (node.kind) {
    case NodeKind::kSelfLink:
    case NodeKind::kThreadSelfLink:
      if (!self_link(caller, table_, node.view)) return ENOENT;
      break;
    case NodeKind::kFdTarget:
      return fd_target_attributes(node, st);
    default:
      break;
  }
  if (::fstatat(dir_, path_of(node), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
  return 0;
}

// Files the supervisor installs in box tasks for opens of the box's /proc
// (supervisor/proc_open.h) are host procfs files, whose paths name real numbers, and memfds
// holding rendered text, named by the box's path (open_plan.h): fd links show the box's path for
// both, as the box's procfs would.
void HostNodes::show_link_as_box(const NodeSpec& node, std::string& text) const {
  if (node.place != Place::kOther || node.kind != NodeKind::kHost) return;
  if (node.host_path.rfind("/fd/") == std::string::npos) return;
  if (std::optional<std::string> rendered = box_path_of_memfd_link(text)) {
    text = std::move(*rendered);
    return;
  }
  if (!text.starts_with("/proc/")) return;
  bool on_box_proc = false;
  if (mount_.holds(dir_, node.host_path, on_box_proc) != 0 || on_box_proc) return;
  translate_proc_numbers(text, table_, node.view);
}

int HostNodes::read_dir(const NodeSpec& node, std::vector<DirEntry>& entries) const {
  return for_each_entry(dir_, path_of(node), [&](int, const dirent& d) {
    // The root's pid entries are the host's; the box's own come after the named entries, where
    // procfs puts them.
    if (node.kind != NodeKind::kRoot || !all_digits(d.d_name))
      entries.push_back({d.d_name, static_cast<mode_t>(DTTOIF(d.d_type))});
    return true;
  });
}

}  // namespace vpidbox::procfs
