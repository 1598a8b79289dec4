// The supervisor's own (the host's) procfs, as both servers of the box's /proc read it: the FUSE
// filesystem (proc_fs.h) and the supervisor's open route (supervisor/proc_open.h).
#pragma once

#include <cstdint>
#include <string>

#include "translate/pid_space.h"

namespace vpidbox::procfs {

// Procfs files are far smaller than this; a reader stops once it has read more.
constexpr std::size_t kMaxProcFileSize = 64 << 20;

// Reads `fd` from where it stands to its end (or past kMaxProcFileSize) into `text`: 0, or the
// errno a read failed with, `text` then holding what came before.
int read_whole_file(int fd, std::string& text);
// The same for the file `path` names, relative to `dirfd`, opened non-blocking without following
// a final symlink.
int read_whole_file_at(int dirfd, const char* path, std::string& text);

// "/proc/<task>/fd/<fd>", or "/proc/<task>/cwd" for AT_FDCWD: what `fd` of task `task` names,
// as the supervisor's /proc spells it.
std::string task_fd_link(Pid task, int fd);

// The mount of the box's /proc, which tells its files from the host procfs files that the
// supervisor hands to box tasks.
class BoxProcMount {
 public:
  // `id`: the mount id of the box's /proc (statx STATX_MNT_ID).
  explicit BoxProcMount(std::uint64_t id) : id_(id) {}
  std::uint64_t id() const { return id_; }

  // Whether what `path`, relative to `dirfd`, leads to lives on the box's /proc; a final magic
  // link (a task's fd/<n>, cwd) is followed to the object, as the task would follow it. Answered
  // from the kernel's cache, never by asking the filesystem: the box's /proc is served by the
  // thread that asks. 0 and `on` set, or the errno the question fails with.
  int holds(int dirfd, const std::string& path, bool& on) const;
  // The same for fd `fd` of task `task` (AT_FDCWD: its working directory); false when it cannot
  // be told.
  bool holds_fd(Pid task, int fd) const;

 private:
  std::uint64_t id_;
};

}  // namespace vpidbox::procfs
