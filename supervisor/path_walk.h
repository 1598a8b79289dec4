// Whether a path a box task names concerns the box's /proc, where the box has no mount of its own
// (--proc=intercept, proc_paths.h) and the host's procfs is what the kernel would walk into.
//
// That is a question of path resolution, not of strings: symlinks (/tmp/l -> /proc/1234, /dev/fd),
// "..", procfs mounted elsewhere, the caller's root, cwd and directory fds all count. So the
// supervisor resolves the path itself, from the caller's root, cwd or directory fd:
//  - first cheaply (openat2 without leaving the start's mount, or without any symlink): most paths
//    settle there, and the call continues in the kernel untouched;
//  - else component by component (O_PATH|O_NOFOLLOW, readlinkat, the filesystem's magic number),
//    and once the walk enters procfs, the rest is interpreted in the box's view (procfs-fuse/
//    proc_tree.h, proc_view.h): the box's numbers become the real ones, names the box does not
//    have are replaced by a name no procfs has, "self" is the caller, a task's magic links are
//    followed as the caller would follow them.
// The result is where the supervisor makes the call for the caller: a path relative to its own
// /proc (or to a directory reached through one of /proc's links) in host names, along which the
// kernel gives exactly the answers procfs would give the box.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "procfs-fuse/proc_tree.h"
#include "supervisor/cred_worker.h"
#include "supervisor/mount_info.h"
#include "supervisor/unique_fd.h"
#include "translate/process_table.h"

namespace vpidbox {

class ProcShadow;

struct PathQuery {
  int dirfd = -100;                 // AT_FDCWD, or the caller's directory fd
  std::optional<std::string> path;  // nullopt: a null pointer (utimensat(fd, NULL, ...))
  bool follow_last = true;
  bool empty_names_dirfd = false;  // an empty path names dirfd itself (AT_EMPTY_PATH)
  std::uint64_t resolve = 0;       // openat2's RESOLVE_* flags
};

struct Resolution {
  enum class Kind {
    kNotProc,  // the kernel's own walk does not touch procfs: the call continues untouched
    kHost,     // make the call at (dir, path), as the caller
    kError,    // the box's view fails the walk with `error`
  };
  Kind kind = Kind::kNotProc;
  int error = 0;
  int dir = -1;  // kHost: the supervisor's procfs directory, or owned_dir
  UniqueFd owned_dir;
  std::string path;  // kHost: relative to dir, never empty
  // The node of the box's /proc the path ends at (kHost, unless it goes on through a link).
  std::optional<procfs::NodeSpec> node;
  // kHost: the walk met a name the box's view hides (or that does not exist there), looked up as
  // a name no procfs has.
  bool hidden = false;
  // kHost: the kernel's own walk of the caller's path would not reach the same place: the path
  // names a box number that is not the real one, a hidden name, or starts in a listing
  // directory of the supervisor's. (self, .., links and names the box shares with the host lead
  // the kernel where they lead the walk.)
  bool translated = false;
  // kNotProc: the object is a directory above a procfs mount ("/"), which the guard keeps the
  // box's tasks from listing themselves (landlock_guard.h); `object` is it (O_PATH).
  bool guard_ancestor = false;
  UniqueFd object;
};

class PathWalker {
 public:
  PathWalker(const ProcessTable& table, CredentialWorker& creds, const ProcShadow& shadow);
  PathWalker(const PathWalker&) = delete;
  PathWalker& operator=(const PathWalker&) = delete;

  bool ready() const { return host_proc_.valid() && root_.valid(); }
  Resolution resolve(Pid caller, const PathQuery& query);

  // A task may have a root or mounts of its own from now on (chroot, a mount namespace): roots
  // are asked of each task.
  void roots_may_differ() { roots_may_differ_ = true; }
  bool roots_differ() const { return roots_may_differ_; }
  // The supervisor's procfs (O_PATH), and where it sees it ("/proc").
  int host_proc() const { return host_proc_.get(); }
  const std::string& procfs_mount() const { return procfs_mount_; }
  // The box's view of a procfs directory or file the caller holds as `fd` (or its cwd, for
  // AT_FDCWD): nullopt when it is no such thing.
  std::optional<procfs::NodeSpec> node_of_fd(Pid caller, int fd);
  // The node of an object the supervisor holds (O_PATH), when it is in procfs or the shadow.
  // `in_procfs` tells whether it was procfs at all (a node of a procfs outside the box's view is
  // nullopt then).
  std::optional<procfs::NodeSpec> node_of_object(int fd, bool& in_procfs, LevelId view);

 private:
  struct Identity {
    dev_t dev = 0;
    ino_t ino = 0;
    std::uint64_t mnt = 0;
    bool operator==(const Identity&) const = default;
  };
  struct Walk;
  Resolution slow_walk(Pid caller, LevelId view, int start, bool start_is_root,
                       std::optional<procfs::NodeSpec> start_node, bool start_translated,
                       const std::string& path, const PathQuery& query);
  // 1: settled (the kernel's walk does not touch procfs), 0: not settled, -1: settled, and the
  // object is a guard ancestor.
  int settle_fast(int start, bool start_is_root, const std::string& path, bool follow_last);
  UniqueFd caller_root(Pid caller);
  bool is_caller_root(int fd, Pid caller, const Identity& root);
  bool same_pid_namespace(int procfs_fd);
  bool lexically_in_procfs(const std::string& absolute) const;
  Identity identity_of(int fd) const;

  const ProcessTable& table_;
  CredentialWorker& creds_;
  const ProcShadow& shadow_;
  UniqueFd host_proc_;
  UniqueFd root_;  // the supervisor's
  Identity root_identity_;
  std::string procfs_mount_ = "/proc";
  std::vector<MountEntry> procfs_entries_;   // the procfs mounts the supervisor sees
  std::vector<std::string> procfs_mounts_;   // every procfs mount point
  std::vector<std::string> beneath_procfs_;  // mounts beneath one
  std::set<std::pair<dev_t, ino_t>> guard_ancestors_;
  std::map<dev_t, bool> procfs_instances_;  // st_dev -> shows the supervisor's pid namespace
  bool roots_may_differ_ = false;
  bool proc_at_proc_ = false;
  bool have_openat2_ = true;
};

}  // namespace vpidbox
