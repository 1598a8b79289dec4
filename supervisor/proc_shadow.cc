#include "supervisor/proc_shadow.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "procfs-fuse/proc_view.h"

namespace vpidbox {
namespace {

using procfs::NodeKind;
using procfs::NodeSpec;

bool all_digits(const char* s) {
  return *s != '\0' && std::strspn(s, "0123456789") == std::strlen(s);
}

// Removes everything beneath `dirfd` (which stays).
void remove_beneath(int dirfd) {
  const int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (!dir) {
    if (fd >= 0) ::close(fd);
    return;
  }
  std::vector<std::pair<std::string, bool>> names;
  while (const dirent* e = ::readdir(dir))
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
      names.emplace_back(e->d_name, e->d_type == DT_DIR);
  ::closedir(dir);
  for (const auto& [name, is_dir] : names) {
    if (is_dir) {
      const int sub =
          ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        // Directories made read-only for the box are made writable to be emptied.
        ::fchmod(sub, 0700);
        remove_beneath(sub);
        ::close(sub);
      }
      ::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR);
    } else {
      ::unlinkat(dirfd, name.c_str(), 0);
    }
  }
}

}  // namespace

ProcShadow::ProcShadow(const ProcessTable& table, int host_proc)
    : table_(table), host_proc_(host_proc) {
  // The supervisor writes into directories it shows as procfs's, read-only (dr-xr-xr-x): root
  // may; anyone else keeps them writable for itself.
  dir_mode_ = ::geteuid() == 0 ? 0555 : 0755;
}

ProcShadow::~ProcShadow() {
  if (!base_fd_.valid()) return;
  remove_beneath(base_fd_.get());
  ::rmdir(base_.c_str());
}

bool ProcShadow::ensure_base() {
  if (base_fd_.valid()) return true;
  std::vector<std::string> places = {"/dev/shm"};
  if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp == '/') places.emplace_back(tmp);
  places.emplace_back("/tmp");
  for (const std::string& place : places) {
    std::string templ = place + "/vpidbox-proc.XXXXXX";
    if (!::mkdtemp(templ.data())) continue;
    base_fd_.reset(::open(templ.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    struct stat st {};
    if (!base_fd_.valid() || ::fstat(base_fd_.get(), &st) != 0) {
      ::rmdir(templ.c_str());
      base_fd_.reset();
      continue;
    }
    base_ = templ;
    dev_ = st.st_dev;
    // On the ptrace engine the kernel opens listings and copies here for box tasks, which a root
    // supervisor's may do as other users: they may pass, not list (a copy is its reader's own).
    const mode_t pass = ::geteuid() == 0 ? 0711 : 0700;
    ::chmod(base_.c_str(), pass);
    for (const char* sub : {"task", "copy", "list"}) ::mkdirat(base_fd_.get(), sub, pass);
    return learn_root_names();
  }
  return false;
}

bool ProcShadow::learn_root_names() {
  // Which order the filesystem lists entries in.
  if (::mkdirat(base_fd_.get(), "order", 0700) == 0) {
    UniqueFd probe(::openat(base_fd_.get(), "order", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (probe.valid()) {
      ::mkdirat(probe.get(), "a", 0700);
      ::mkdirat(probe.get(), "b", 0700);
      DIR* listing = ::fdopendir(::dup(probe.get()));
      std::string first;
      while (const dirent* e = listing ? ::readdir(listing) : nullptr)
        if (e->d_name[0] != '.') {
          first = e->d_name;
          break;
        }
      if (listing) ::closedir(listing);
      newest_first_ = first == "b";
      ::unlinkat(probe.get(), "a", AT_REMOVEDIR);
      ::unlinkat(probe.get(), "b", AT_REMOVEDIR);
    }
    ::unlinkat(base_fd_.get(), "order", AT_REMOVEDIR);
  }
  // The host root's names that are not pids, with their types: what ls -F and find see.
  const int listing_fd = ::openat(host_proc_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* listing = listing_fd >= 0 ? ::fdopendir(listing_fd) : nullptr;
  if (listing) {
    while (const dirent* e = ::readdir(listing)) {
      if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..") || all_digits(e->d_name))
        continue;
      Entry entry{e->d_name, e->d_type, {}};
      if (e->d_type == DT_LNK) {
        // self and thread-self read as the supervisor's numbers on the host: the shadow's stand
        // for the name only (every readlink of them is the supervisor's to answer).
        char text[PATH_MAX];
        const ssize_t n = ::readlinkat(host_proc_, e->d_name, text, sizeof(text));
        const bool per_reader =
            !std::strcmp(e->d_name, "self") || !std::strcmp(e->d_name, "thread-self");
        entry.link = per_reader || n <= 0 ? std::string(e->d_name)
                                          : std::string(text, static_cast<std::size_t>(n));
      }
      root_names_.push_back(std::move(entry));
    }
    ::closedir(listing);
  } else if (listing_fd >= 0) {
    ::close(listing_fd);
  }
  return true;
}

ProcShadow::Directory* ProcShadow::root_dir(LevelId view) {
  const std::string name = procfs::shadow_root_name(view);
  if (auto known = by_name_.find(name); known != by_name_.end()) return &dirs_[known->second];
  struct stat st {};
  if ((::mkdirat(base_fd_.get(), name.c_str(), 0700) != 0 && errno != EEXIST) ||
      ::fstatat(base_fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return nullptr;
  ::fchmodat(base_fd_.get(), name.c_str(), dir_mode_, 0);
  Directory dir;
  dir.stands = Stands::kRoot;
  dir.view = view;
  dir.name = name;
  by_name_[name] = st.st_ino;
  return &(dirs_[st.st_ino] = std::move(dir));
}

void ProcShadow::sync(Directory& dir, const std::vector<Entry>& wanted) {
  UniqueFd fd(::openat(base_fd_.get(), dir.name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return;
  // In the order the entries must be made, oldest first.
  std::vector<const Entry*> order;
  order.reserve(wanted.size());
  for (const Entry& e : wanted) order.push_back(&e);
  if (newest_first_) std::reverse(order.begin(), order.end());
  std::set<std::string> wanted_names;
  for (const Entry& e : wanted) wanted_names.insert(e.name);
  // The longest run of made entries (ignoring those that go) that is the start of `order` stays;
  // the rest of `order` is made again after it, in order.
  std::size_t keep = 0;
  std::size_t j = 0;
  while (j < dir.made.size() && keep < order.size()) {
    if (!wanted_names.contains(dir.made[j])) {
      ++j;
      continue;
    }
    if (dir.made[j] != order[keep]->name) break;
    ++keep;
    ++j;
  }
  std::set<std::string> staying;
  for (std::size_t i = 0; i < keep; ++i) staying.insert(order[i]->name);
  auto remove = [&](const std::string& name) {
    if (::unlinkat(fd.get(), name.c_str(), AT_REMOVEDIR) != 0)
      ::unlinkat(fd.get(), name.c_str(), 0);
  };
  for (const std::string& name : dir.made)
    if (!staying.contains(name)) remove(name);
  dir.made.resize(0);
  for (std::size_t i = 0; i < keep; ++i) dir.made.push_back(order[i]->name);
  for (std::size_t i = keep; i < order.size(); ++i) {
    const Entry& e = *order[i];
    int rc = 0;
    if (e.type == DT_DIR) {
      rc = ::mkdirat(fd.get(), e.name.c_str(), dir_mode_);
    } else if (e.type == DT_LNK) {
      rc = ::symlinkat(e.link.c_str(), fd.get(), e.name.c_str());
    } else {
      const int f =
          ::openat(fd.get(), e.name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
      rc = f >= 0 ? ::close(f) : -1;
    }
    if (rc == 0) dir.made.push_back(e.name);
  }
}

ProcShadow::Directory* ProcShadow::directory_for(const NodeSpec& node) {
  if (!ensure_base()) return nullptr;
  if (node.kind == NodeKind::kRoot) {
    Directory* root = root_dir(node.view);
    if (!root) return nullptr;
    std::vector<Entry> wanted = root_names_;
    for (Pid p : procfs::listed_processes(table_, node.view))
      wanted.push_back({std::to_string(p), DT_DIR, {}});
    sync(*root, wanted);
    return root;
  }
  if (node.kind != NodeKind::kTaskList || !node.bound_real) return nullptr;
  const Task* member = table_.task(node.bound_real);
  if (!member) return nullptr;
  const Pid real_tgid = member->real_tgid;
  const std::optional<Pid> box = table_.to_virtual(real_tgid, node.view);
  if (!box) return nullptr;
  const std::string name = "task/" + procfs::shadow_task_dir_name(node.view, *box, real_tgid);
  auto known = by_name_.find(name);
  if (known == by_name_.end()) {
    if (::mkdirat(base_fd_.get(), name.c_str(), 0700) != 0 && errno != EEXIST) return nullptr;
    struct stat st {};
    if (::fstatat(base_fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return nullptr;
    ::fchmodat(base_fd_.get(), name.c_str(), dir_mode_, 0);
    Directory dir;
    dir.stands = Stands::kTaskList;
    dir.view = node.view;
    dir.name = name;
    dir.box_number = *box;
    dir.real_tgid = real_tgid;
    dirs_[st.st_ino] = std::move(dir);
    known = by_name_.emplace(name, st.st_ino).first;
  }
  Directory& dir = dirs_[known->second];
  std::vector<Entry> wanted;
  for (Pid t : procfs::listed_threads(node.bound_real, table_, node.view))
    wanted.push_back({std::to_string(t), DT_DIR, {}});
  sync(dir, wanted);
  return &dir;
}

int ProcShadow::open_listing(const NodeSpec& node, int flags) {
  Directory* dir = directory_for(node);
  if (!dir) return -ENOENT;
  const int wanted =
      (flags & (O_CLOEXEC | O_NONBLOCK | O_NOATIME | O_PATH)) | O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  const int fd = ::openat(base_fd_.get(), dir->name.c_str(), wanted);
  return fd >= 0 ? fd : -errno;
}

std::optional<std::string> ProcShadow::listing_path(const NodeSpec& node) {
  Directory* dir = directory_for(node);
  if (!dir) return std::nullopt;
  return base_ + "/" + dir->name;
}

std::optional<std::string> ProcShadow::copied_listing(const NodeSpec& node, int host_proc) {
  if (!ensure_base()) return std::nullopt;
  const std::string host = node.host_path.empty() ? "." : node.host_path;
  const int listing_fd = ::openat(host_proc, host.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* listing = listing_fd >= 0 ? ::fdopendir(listing_fd) : nullptr;
  if (!listing) {
    if (listing_fd >= 0) ::close(listing_fd);
    return std::nullopt;
  }
  std::string name;
  for (const auto& [ino, dir] : dirs_)
    if (dir.stands == Stands::kListing && dir.host_path == node.host_path && dir.view == node.view)
      name = dir.name;
  if (name.empty()) {
    name = "list/" + procfs::shadow_entry_name(++seq_, procfs::box_path(node));
    struct stat st {};
    if (::mkdirat(base_fd_.get(), name.c_str(), 0700) != 0 ||
        ::fstatat(base_fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      ::closedir(listing);
      return std::nullopt;
    }
    Directory dir;
    dir.stands = Stands::kListing;
    dir.view = node.view;
    dir.name = name;
    dir.host_path = node.host_path;
    dirs_[st.st_ino] = std::move(dir);
    by_name_[name] = st.st_ino;
  }
  // Made anew: the names of a task's directories (fds come and go) in procfs's order.
  UniqueFd fd(::openat(base_fd_.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) {
    ::fchmod(fd.get(), 0700);
    remove_beneath(fd.get());
    while (const dirent* e = ::readdir(listing)) {
      if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
      if (e->d_type == DT_DIR) {
        ::mkdirat(fd.get(), e->d_name, 0555);
      } else if (e->d_type == DT_LNK) {
        ::symlinkat("/", fd.get(), e->d_name);
      } else {
        const int f = ::openat(fd.get(), e->d_name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
        if (f >= 0) ::close(f);
      }
    }
    ::fchmod(fd.get(), dir_mode_);
  }
  ::closedir(listing);
  return base_ + "/" + name;
}

std::optional<std::string> ProcShadow::copy_file(const std::string& box_path,
                                                 const std::string& text) {
  if (!ensure_base()) return std::nullopt;
  const std::string name = "copy/" + procfs::shadow_entry_name(++seq_, box_path);
  UniqueFd fd(
      ::openat(base_fd_.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444));
  if (!fd.valid()) return std::nullopt;
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n <= 0) {
      ::unlinkat(base_fd_.get(), name.c_str(), 0);
      return std::nullopt;
    }
    done += static_cast<std::size_t>(n);
  }
  return base_ + "/" + name;
}

void ProcShadow::remove_copy(const std::string& path) {
  if (!base_.empty() && path.starts_with(base_ + "/copy/")) ::unlink(path.c_str());
}

std::optional<NodeSpec> ProcShadow::node_of(dev_t dev, ino_t ino) const {
  if (!base_fd_.valid() || dev != dev_) return std::nullopt;
  const auto it = dirs_.find(ino);
  if (it == dirs_.end()) return std::nullopt;
  const Directory& dir = it->second;
  switch (dir.stands) {
    case Stands::kRoot:
      return procfs::root_node(dir.view);
    case Stands::kTaskList: {
      std::optional<NodeSpec> node =
          procfs::node_for_host_path(std::to_string(dir.real_tgid) + "/task", table_, dir.view);
      if (!node || node->bound_virtual != dir.box_number) return std::nullopt;
      return node;
    }
    case Stands::kListing:
      return procfs::node_for_host_path(dir.host_path, table_, dir.view);
  }
  return std::nullopt;
}

}  // namespace vpidbox
