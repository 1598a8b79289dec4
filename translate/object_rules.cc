#include "translate/object_rules.h"

#include <fcntl.h>
#include <sys/prctl.h>

#include <cerrno>
#include <csignal>

#include "translate/rules.h"

namespace vpidbox {
namespace {

constexpr std::int32_t kCpuClockTypeMask = 7;
constexpr std::int32_t kCpuClockPerThread = 4;
constexpr std::int32_t kCpuClockFd = 3;  // CLOCKFD: an open file's clock (/dev/ptp*)

std::int32_t encode_clock(Pid pid, std::int32_t type) {
  return static_cast<std::int32_t>((~static_cast<std::uint32_t>(pid) << 3) |
                                   static_cast<std::uint32_t>(type));
}

}  // namespace

std::int32_t clock_id_for_kernel(std::int32_t clock, const ProcessTable& table,
                                 Pid caller_real_tid) {
  if (clock >= 0 || (clock & 3) == kCpuClockFd) return clock;  // no pid in it
  const std::int32_t type = clock & kCpuClockTypeMask;
  const Pid pid = ~(clock >> 3);  // arithmetic shift: the kernel's CPUCLOCK_PID
  if (pid == 0) return clock;     // the caller's own
  std::optional<Pid> real;
  if (type & kCpuClockPerThread) {
    real = resolve_tid(table, caller_real_tid, pid);
  } else if (std::optional<Pid> named = table.to_real(pid, table.level_of(caller_real_tid));
             named && table.contains(*named)) {
    real = named;
  }
  return encode_clock(real.value_or(kNoSuchClockPid), type);
}

std::int32_t lock_owner_for_caller(std::int16_t l_type, std::int32_t l_pid,
                                   const ProcessTable& table, LevelId view) {
  if (l_type == F_UNLCK || l_pid <= 0) return l_pid;  // the caller's own, or an OFD lock's -1
  return visible_number(table, view, l_pid);
}

std::optional<PidfdInfoPids> pidfd_info_for_caller(const PidfdInfoPids& real,
                                                   const ProcessTable& table, LevelId view) {
  PidfdInfoPids shown{visible_number(table, view, real.pid), visible_number(table, view, real.tgid),
                      visible_number(table, view, real.ppid)};
  // A reaped task reports no pids (PIDFD_INFO_EXIT): zeros stay zeros.
  if (real.pid != 0 && (shown.pid == 0 || shown.tgid == 0)) return std::nullopt;
  return shown;
}

InitPrctl decide_init_prctl(int option, std::uint64_t arg2, bool init_main_thread,
                            InitAttributes& attributes) {
  InitPrctl out;
  if (!attributes.emulating) return out;
  switch (option) {
    case PR_SET_CHILD_SUBREAPER:
      out.emulated = true;
      attributes.child_subreaper = arg2 != 0;
      return out;
    case PR_GET_CHILD_SUBREAPER:
      out.emulated = true;
      out.stores = attributes.child_subreaper ? 1 : 0;
      return out;
    case PR_SET_PDEATHSIG:
      if (!init_main_thread) return out;
      out.emulated = true;
      if (arg2 > static_cast<std::uint64_t>(_NSIG))  // valid_signal()
        out.error = EINVAL;
      else
        attributes.pdeath_signal = static_cast<int>(arg2);
      return out;
    case PR_GET_PDEATHSIG:
      if (!init_main_thread) return out;
      out.emulated = true;
      out.stores = attributes.pdeath_signal;
      return out;
    default:
      return out;
  }
}

}  // namespace vpidbox
