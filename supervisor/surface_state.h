// What a call served by supervisor/surface_rewrites.h leaves for its syscall-exit stop: the
// caller's memory that was changed for the kernel (put back at exit, and before a restart), and
// what was saved to undo the kernel's writes when the call must fail instead.
#pragma once

#include <cstdint>
#include <vector>

#include "translate/pid_space.h"

namespace vpidbox {

struct MemoryRestore {
  std::uint64_t address = 0;
  std::vector<std::uint8_t> bytes;  // the caller's own
};

struct SurfaceExit {
  std::vector<MemoryRestore> restores;
  // A buffer the kernel fills, as it was before the call (PIDFD_GET_INFO): written back when the
  // box fails the call (ESRCH for a process outside), as the kernel writes nothing then.
  MemoryRestore before_call;
  // clone3() with set_tid: the box number claimed for the child at entry (0: none).
  Pid claimed_number = 0;
};

}  // namespace vpidbox
