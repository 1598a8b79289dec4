// The directories that stand for the box's /proc listings where the box has no mount of its own
// (--proc=intercept, proc_paths.h). A directory fd the kernel lists (getdents) cannot be made to
// show only the box: procfs's root lists every process of the machine, and /proc/<n>/task real
// tids. So an open of either as a directory installs a directory of the supervisor's instead,
// whose entries are the names the box's view has: the host's entries that are not pids (as empty
// files, directories and symlinks of the same names and types), and a directory per box process
// (or thread), in the order procfs lists them. They are brought up to date at every open; the
// kernel then lists them natively, and everything named relative to them (openat, fstatat,
// fchdir and a relative path) stops for the supervisor, which recognises them by their inode.
// Other directories of /proc list no pids and are the host's own.
//
// For the ptrace engine, which cannot install a descriptor, the kernel opens what the supervisor
// points it to: these directories, copies of rendered files, and copies of other listings.
//
// They live in a private directory (mode 0700) of a tmpfs (/dev/shm where it can, for tmpfs's
// listing order and cost), removed with the box.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "procfs-fuse/proc_tree.h"
#include "supervisor/unique_fd.h"
#include "translate/process_table.h"

namespace vpidbox {

class ProcShadow {
 public:
  // `host_proc`: the supervisor's /proc (O_PATH), whose names the root mirrors.
  ProcShadow(const ProcessTable& table, int host_proc);
  ~ProcShadow();
  ProcShadow(const ProcShadow&) = delete;
  ProcShadow& operator=(const ProcShadow&) = delete;

  // The directory standing for `node` (the root, or a task list), brought up to date and opened
  // with `flags` (the caller's open flags; O_DIRECTORY is added): an fd, or -errno.
  int open_listing(const procfs::NodeSpec& node, int flags);
  // The same as a path, for the kernel to open (the ptrace engine).
  std::optional<std::string> listing_path(const procfs::NodeSpec& node);
  // A copy of another host directory's names (`host_dir`, relative to the host's procfs) for the
  // ptrace engine: its path, kept until the box ends and brought up to date at every call.
  std::optional<std::string> copied_listing(const procfs::NodeSpec& node, int host_proc);
  // A read-only file holding `text`, named after the box's path it stands for (the ptrace
  // engine): its path, to be removed with remove_copy once the kernel has opened it.
  std::optional<std::string> copy_file(const std::string& box_path, const std::string& text);
  void remove_copy(const std::string& path);

  // What a directory of the shadow stands for, by its identity (fstat).
  std::optional<procfs::NodeSpec> node_of(dev_t dev, ino_t ino) const;
  // Where the shadow is ("" before the first listing).
  const std::string& base() const { return base_; }

 private:
  enum class Stands { kRoot, kTaskList, kListing };
  // An entry as the shadow makes it: a directory, a file, or a symlink with its text.
  struct Entry {
    std::string name;
    unsigned char type = 4;  // DT_DIR
    std::string link;
    bool operator==(const Entry& other) const { return name == other.name; }
  };
  struct Directory {
    Stands stands = Stands::kRoot;
    LevelId view = kTopLevel;       // the level whose view it shows
    std::string name;               // beneath base_
    Pid box_number = 0;             // kTaskList: the process's box number
    Pid real_tgid = 0;              // kTaskList
    std::string host_path;          // kListing
    std::vector<std::string> made;  // the entries present, oldest first
  };

  bool ensure_base();
  bool learn_root_names();
  Directory* root_dir(LevelId view);
  // Makes `dir` list `wanted`, in that order: the filesystem lists entries oldest first, or
  // newest first (tmpfs), which the shadow learned when it was made; an entry is moved by making
  // it again.
  void sync(Directory& dir, const std::vector<Entry>& wanted);
  Directory* directory_for(const procfs::NodeSpec& node);

  const ProcessTable& table_;
  int host_proc_;
  std::string base_;
  UniqueFd base_fd_;
  dev_t dev_ = 0;
  std::map<ino_t, Directory> dirs_;
  std::vector<Entry> root_names_;  // the host root's names that are not pids, in its order
  bool newest_first_ = true;
  std::map<std::string, ino_t> by_name_;
  unsigned long seq_ = 0;
  mode_t dir_mode_ = 0555;
};

}  // namespace vpidbox
