#include "supervisor/pid_max.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "supervisor/unique_fd.h"

namespace vpidbox {
namespace {

constexpr Pid kDefaultPidMax = 32768;

// pid_max as the calling task reads it, or nullopt.
std::optional<Pid> read_pid_max() {
  std::FILE* f = std::fopen("/proc/sys/kernel/pid_max", "re");
  if (!f) return std::nullopt;
  Pid value = 0;
  const bool ok = std::fscanf(f, "%d", &value) == 1 && value > 0;
  std::fclose(f);
  return ok ? std::optional<Pid>(value) : std::nullopt;
}

// The first process of a new pid namespace reads its pid_max (the sysctl shows the reader's
// namespace's since 6.14, and is global before, which is then the answer too). Without the right
// to make a pid namespace, nullopt.
std::optional<Pid> probe_new_namespace() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  const pid_t child = ::fork();
  if (child < 0) return std::nullopt;
  if (child == 0) {
    if (::unshare(CLONE_NEWPID) != 0 && ::unshare(CLONE_NEWUSER | CLONE_NEWPID) != 0) ::_exit(1);
    // unshare() moves only the children to come into the new namespace.
    const pid_t first = ::fork();
    if (first == 0) {
      const std::optional<Pid> value = read_pid_max();
      ::_exit(value && ::write(write_end.get(), &*value, sizeof *value) == sizeof *value ? 0 : 1);
    }
    if (first > 0) ::waitpid(first, nullptr, 0);
    ::_exit(0);
  }
  write_end.reset();
  Pid value = 0;
  ssize_t n;
  do {
    n = ::read(read_end.get(), &value, sizeof value);
  } while (n < 0 && errno == EINTR);
  while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (n != sizeof value || value <= 0) return std::nullopt;
  return value;
}

}  // namespace

Pid new_namespace_pid_max() {
  if (std::optional<Pid> probed = probe_new_namespace()) return *probed;
  utsname uts{};
  ::uname(&uts);
  return new_namespace_pid_max_for(uts.release, read_pid_max().value_or(kDefaultPidMax));
}

}  // namespace vpidbox
