#include "supervisor/landlock_guard.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "supervisor/mount_info.h"
#include "supervisor/unique_fd.h"

namespace vpidbox {
namespace {

// REFER (ABI 2) must be handled and allowed: Landlock refuses every cross-directory rename and
// link otherwise, handled or not.
constexpr std::uint64_t kFileRights = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE;
constexpr std::uint64_t kDirRights =
    kFileRights | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REFER;

// The root of a detached mount of the caller's ipc namespace's mqueue filesystem.
UniqueFd detached_mqueue() {
  UniqueFd context(static_cast<int>(::syscall(SYS_fsopen, "mqueue", FSOPEN_CLOEXEC)));
  if (!context.valid()) return {};
  if (::syscall(SYS_fsconfig, context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    return {};
  return UniqueFd(static_cast<int>(::syscall(SYS_fsmount, context.get(), FSMOUNT_CLOEXEC, 0)));
}

std::string join(const std::string& dir, const char* name) {
  return dir == "/" ? "/" + std::string(name) : dir + "/" + name;
}

bool add_rule(int ruleset, int fd, std::uint64_t rights) {
  landlock_path_beneath_attr rule{};
  rule.allowed_access = rights;
  rule.parent_fd = fd;
  return ::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) == 0;
}

}  // namespace

GuardPlan plan_proc_guard(const std::vector<std::string>& procfs_mounts) {
  GuardPlan plan;
  for (const std::string& mount : procfs_mounts) {
    if (!mount.starts_with('/') || mount == "/") continue;
    // A procfs beneath another is covered by that one's denial.
    const bool covered =
        std::any_of(procfs_mounts.begin(), procfs_mounts.end(), [&](const std::string& other) {
          return other != mount && other != "/" && path_within(mount, other);
        });
    if (covered || std::find(plan.denied.begin(), plan.denied.end(), mount) != plan.denied.end())
      continue;
    plan.denied.push_back(mount);
    for (std::size_t slash = 0; slash != std::string::npos; slash = mount.find('/', slash + 1)) {
      const std::string above = slash == 0 ? "/" : mount.substr(0, slash);
      if (std::find(plan.ancestors.begin(), plan.ancestors.end(), above) == plan.ancestors.end())
        plan.ancestors.push_back(above);
    }
  }
  std::sort(plan.ancestors.begin(), plan.ancestors.end(),
            [](const std::string& a, const std::string& b) {
              return a.size() != b.size() ? a.size() < b.size() : a < b;
            });
  return plan;
}

bool is_guard_ancestor(const GuardPlan& plan, const std::string& path) {
  return std::find(plan.ancestors.begin(), plan.ancestors.end(), path) != plan.ancestors.end();
}

int landlock_abi() {
  const long abi =
      ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi > 0 ? static_cast<int>(abi) : 0;
}

GuardRules collect_guard_rules(const GuardPlan& plan) {
  GuardRules out;
  auto skipped = [&](const std::string& path) {
    return std::find(plan.denied.begin(), plan.denied.end(), path) != plan.denied.end() ||
           is_guard_ancestor(plan, path);
  };
  for (const std::string& dir : plan.ancestors) {
    if (UniqueFd self(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)); self.valid())
      out.rules.push_back({std::move(self), true, false, true});
    UniqueFd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DIR* listing = dirfd.valid() ? ::fdopendir(dirfd.release()) : nullptr;
    if (!listing) continue;
    while (const dirent* entry = ::readdir(listing)) {
      if (!std::strcmp(entry->d_name, ".") || !std::strcmp(entry->d_name, "..")) continue;
      const std::string path = join(dir, entry->d_name);
      if (skipped(path)) continue;
      UniqueFd fd(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      struct stat st {};
      // A symlink's rule would be its own: what it leads to is judged where it lies.
      if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || S_ISLNK(st.st_mode)) continue;
      out.rules.push_back({std::move(fd), S_ISDIR(st.st_mode), false, false});
    }
    ::closedir(listing);
  }
  for (const std::string& path : plan.denied) {
    UniqueFd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (fd.valid()) out.rules.push_back({std::move(fd), true, true, false});
  }
  // POSIX message queues live on the ipc namespace's mqueue filesystem, which mq_open opens
  // through a mount no path reaches. A mount of it (/dev/mqueue) is the same filesystem: a rule
  // on its root covers mq_open too. (Without one, the supervisor makes mq_open for the box.)
  bool mqueue = false;
  for (const MountEntry& m : read_own_mounts()) {
    if (m.fstype != "mqueue" || m.root != "/") continue;
    UniqueFd fd(::open(m.mount_point.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) continue;
    out.rules.push_back({std::move(fd), true, false, false});
    mqueue = true;
  }
  // Unmounted, a detached mount of the ipc namespace's mqueue is the same filesystem too, where
  // the box may make one (CAP_SYS_ADMIN over the ipc namespace).
  if (!mqueue)
    if (UniqueFd fd = detached_mqueue(); fd.valid())
      out.rules.push_back({std::move(fd), true, false, false});
  return out;
}

GuardResult apply_guard_rules(const GuardRules& rules, bool kernel_opens) {
  GuardResult result;
  const int abi = landlock_abi();
  if (abi < 2) {
    result.why_not = abi == 0 ? "Landlock is not available"
                              : "Landlock ABI 1 refuses every cross-directory rename";
    return result;
  }
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = kDirRights;
  UniqueFd ruleset(
      static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0)));
  if (!ruleset.valid()) {
    result.why_not = std::string("cannot make a Landlock ruleset: ") + std::strerror(errno);
    return result;
  }
  for (const GuardRules::Rule& rule : rules.rules) {
    if (rule.procfs || rule.ancestor) {
      if (kernel_opens)
        add_rule(ruleset.get(), rule.fd.get(),
                 LANDLOCK_ACCESS_FS_READ_DIR |
                     (rule.procfs ? LANDLOCK_ACCESS_FS_WRITE_FILE : std::uint64_t{0}));
      continue;
    }
    add_rule(ruleset.get(), rule.fd.get(), rule.directory ? kDirRights : kFileRights);
  }
  if (::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) {
    result.why_not = std::string("Landlock refused the ruleset: ") + std::strerror(errno);
    return result;
  }
  result.applied = true;
  return result;
}

}  // namespace vpidbox
