// Pids that the kernel keeps in objects and reports later, or that ids encode: CPU-time clock
// ids, lock owners, a socket's peer, System V IPC, pidfd information, and the attributes a pid
// namespace's init has of its own. Each rule says what the kernel must be given, or what the
// caller must see, in the box's numbering (0 for a process outside, as pid_vnr() gives it).
// No syscalls here; the engine reads and writes the structures (supervisor/surface_rewrites.h).
#pragma once

#include <cstdint>
#include <optional>

#include "translate/process_table.h"

namespace vpidbox {

// A CPU-time clock id (kernel/time/posix-cpu-timers.c): (~pid << 3) | type, where type bit 2
// means a thread's clock, type 3 an open file's clock (FD clocks, not a pid), and pid 0 the
// caller. The id to hand the kernel for one the caller built with the box's numbers: a thread's
// clock takes a real tid of the caller's own thread group as well (glibc's
// pthread_getcpuclockid() encodes its cached, real, tid); numbers are read in the view of the
// caller's level, and one that names nothing there becomes kNoSuchClockPid, so that the kernel
// answers EINVAL as for a number it does not know. Ids that hold no pid pass unchanged.
constexpr Pid kNoSuchClockPid = 4194304;  // PID_MAX_LIMIT: no task has it
std::int32_t clock_id_for_kernel(std::int32_t clock, const ProcessTable& table,
                                 Pid caller_real_tid);

// A pid that a kernel object holds by reference (struct pid: a socket's peer or the sender of
// credentials, System V IPC's creator and last user), which keeps its number after its task is
// gone: its number in `view`, also for a box process that has exited since (the box remembers
// the numbers it released lately), unless `taken_outside(real)` says a process outside the box
// has the real number by now; 0 for anything `view` does not see.
template <class TakenOutside>
Pid referenced_number(const ProcessTable& table, LevelId view, Pid real,
                      TakenOutside taken_outside) {
  if (real <= 0) return 0;
  if (std::optional<Pid> vnr = table.to_virtual(real, view)) return *vnr;
  const std::optional<Pid> former = table.recently_released(real, view);
  return former && !taken_outside(real) ? *former : 0;
}

// struct flock's l_pid after F_GETLK or F_OFD_GETLK (fs/locks.c locks_translate_pid): the
// holder's number, 0 when it is outside, -1 (an open file description's lock) as it is; when no
// lock conflicts (l_type F_UNLCK) the kernel leaves the caller's own l_pid, which stays.
std::int32_t lock_owner_for_caller(std::int16_t l_type, std::int32_t l_pid,
                                   const ProcessTable& table, LevelId view);

// The pids of struct pidfd_info after PIDFD_GET_INFO (fs/pidfs.c pidfd_info): in the box's
// numbering of `view`. nullopt when the process or its thread group is not visible there, where
// the kernel fails the call with ESRCH and writes nothing; a parent it does not see reads 0.
struct PidfdInfoPids {
  Pid pid = 0;
  Pid tgid = 0;
  Pid ppid = 0;
};
std::optional<PidfdInfoPids> pidfd_info_for_caller(const PidfdInfoPids& real,
                                                   const ProcessTable& table, LevelId view);

// What a pid namespace's init has of its own of two attributes the box's init really has for the
// box's sake (kernel/sys.c prctl): it is not a child subreaper (the namespace makes it the reaper
// without the flag) and has no parent-death signal, until it sets them. The real ones stay, so
// that orphans still reach init and the box still dies with the supervisor (or, for a nested
// box's init, with its front end). Each level's init has its own; a nested box's init sets the
// real ones itself before it executes the program (supervisor/nested_box.cc), so its calls are
// the kernel's until then.
struct InitAttributes {
  bool emulating = false;        // the program runs: init's calls are answered from here
  bool child_subreaper = false;  // the flag init set (per process)
  int pdeath_signal = 0;         // init's main thread's signal (per thread, not inherited)
};
struct InitPrctl {
  bool emulated = false;  // false: the kernel serves the call
  int error = 0;          // the call fails with this (EINVAL)
  // PR_GET_*: the value the kernel would store at arg2 (EFAULT if it cannot be written).
  std::optional<int> stores;
};
// prctl(option, arg2) by a task of a level's init: `init_main_thread` when it is init's first
// thread, whose parent-death signal vpidbox set.
InitPrctl decide_init_prctl(int option, std::uint64_t arg2, bool init_main_thread,
                            InitAttributes& attributes);

}  // namespace vpidbox
