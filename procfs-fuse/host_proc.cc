#include "procfs-fuse/host_proc.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace vpidbox::procfs {

int read_whole_file(int fd, std::string& text) {
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0 || text.size() > kMaxProcFileSize) return 0;
    text.append(chunk, static_cast<std::size_t>(n));
  }
}

int read_whole_file_at(int dirfd, const char* path, std::string& text) {
  const int fd = ::openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno;
  const int error = read_whole_file(fd, text);
  ::close(fd);
  return error;
}

std::string task_fd_link(Pid task, int fd) {
  return "/proc/" + std::to_string(task) +
         (fd == AT_FDCWD ? std::string("/cwd") : "/fd/" + std::to_string(fd));
}

int BoxProcMount::holds(int dirfd, const std::string& path, bool& on) const {
  // STATX_MNT_ID alone: with DONT_SYNC the kernel answers it without asking the filesystem.
  struct statx sx {};
  if (::statx(dirfd, path.c_str(), AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) != 0) return errno;
  on = (sx.stx_mask & STATX_MNT_ID) && sx.stx_mnt_id == id_;
  return 0;
}

bool BoxProcMount::holds_fd(Pid task, int fd) const {
  bool on = false;
  return holds(AT_FDCWD, task_fd_link(task, fd), on) == 0 && on;
}

}  // namespace vpidbox::procfs
