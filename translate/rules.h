// Per-syscall translation rules: (call, table, kernel facts) -> Outcome. No syscalls here.
#pragma once

#include <array>
#include <cstdint>

#include "translate/kernel_view.h"
#include "translate/outcome.h"
#include "translate/process_table.h"
#include "translate/syscall_table.h"

namespace vpidbox {

struct Call {
  Pid real_tid = 0;  // the calling thread, as the supervisor sees it
  const SyscallRow* row = nullptr;
  std::array<std::uint64_t, 6> args{};
};

// Whether a rule exists for the row's route; the unit tests check it for every table row.
bool has_rule(const SyscallRow& row);

// Decides a call that reached the supervisor through seccomp user notification.
Outcome decide_query(const Call& call, const ProcessTable& table, KernelView& kernel);

}  // namespace vpidbox
