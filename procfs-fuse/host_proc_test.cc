// The reader of procfs files and the mount check, against the test's own /proc and a pipe.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>

#include "procfs-fuse/host_proc.h"

using namespace vpidbox;
using namespace vpidbox::procfs;

namespace {

std::uint64_t mount_id_of(const char* path) {
  struct statx sx {};
  REQUIRE(::statx(AT_FDCWD, path, 0, STATX_MNT_ID, &sx) == 0);
  REQUIRE((sx.stx_mask & STATX_MNT_ID));
  return sx.stx_mnt_id;
}

}  // namespace

TEST_CASE("a file is read to its end, across several reads") {
  int ends[2];
  REQUIRE(::pipe(ends) == 0);
  const std::string sent(100000, 'x');  // several reads' worth
  std::thread writer([&] {
    std::size_t done = 0;
    while (done < sent.size()) {
      const ssize_t n = ::write(ends[1], sent.data() + done, sent.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(ends[1]);
  });
  std::string text;
  CHECK(read_whole_file(ends[0], text) == 0);
  writer.join();
  ::close(ends[0]);
  CHECK(text == sent);

  std::string status;
  CHECK(read_whole_file_at(AT_FDCWD, "/proc/self/status", status) == 0);
  CHECK(status.starts_with("Name:"));
  CHECK(status.ends_with("\n"));
  std::string none;
  CHECK(read_whole_file_at(AT_FDCWD, "/proc/self/no-such-file", none) == ENOENT);
  CHECK(none.empty());
}

TEST_CASE("whether a path or a task's fd lives on a given mount") {
  const BoxProcMount proc(mount_id_of("/proc"));
  const BoxProcMount elsewhere(mount_id_of("/proc") + 1000000);
  bool on = false;
  CHECK(proc.holds(AT_FDCWD, "/proc/self/stat", on) == 0);
  CHECK(on);
  CHECK(elsewhere.holds(AT_FDCWD, "/proc/self/stat", on) == 0);
  CHECK_FALSE(on);
  CHECK(proc.holds(AT_FDCWD, "/proc/self/no-such-file", on) == ENOENT);
  // An fd link is followed to the object it names.
  const int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  CHECK(proc.holds_fd(::getpid(), fd));
  CHECK_FALSE(elsewhere.holds_fd(::getpid(), fd));
  ::close(fd);
  CHECK_FALSE(proc.holds_fd(::getpid(), fd));  // closed: cannot be told
  CHECK(task_fd_link(42, 7) == "/proc/42/fd/7");
  CHECK(task_fd_link(42, AT_FDCWD) == "/proc/42/cwd");
}
