#include "supervisor/pid_max.h"

#include <sys/utsname.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "translate/sysctl_write.h"

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

Pid pid_max_minimum() {
  static const Pid minimum = [] {
    // "0-1", "0-3,8-11": the possible CPUs, as ranges.
    char text[256] = {0};
    if (std::FILE* f = std::fopen("/sys/devices/system/cpu/possible", "re")) {
      if (!std::fgets(text, sizeof(text), f)) text[0] = 0;
      std::fclose(f);
    }
    int cpus = 0;
    for (char* p = text; *p >= '0' && *p <= '9';) {
      const long first = std::strtol(p, &p, 10);
      const long last = *p == '-' ? std::strtol(p + 1, &p, 10) : first;
      cpus += static_cast<int>(last - first + 1);
      if (*p != ',') break;
      ++p;
    }
    return pid_max_minimum_for(cpus);
  }();
  return minimum;
}

Pid new_namespace_pid_max() {
  utsname uts{};
  ::uname(&uts);
  return new_namespace_pid_max_for(uts.release, read_pid_max().value_or(kDefaultPidMax));
}

}  // namespace vpidbox
