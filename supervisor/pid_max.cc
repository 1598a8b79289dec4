#include "supervisor/pid_max.h"

#include <sys/utsname.h>

#include <cstdio>
#include <optional>

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

}  // namespace

Pid new_namespace_pid_max() {
  utsname uts{};
  ::uname(&uts);
  return new_namespace_pid_max_for(uts.release, read_pid_max().value_or(kDefaultPidMax));
}

}  // namespace vpidbox
