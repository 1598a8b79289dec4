// kill(pid, 0), tkill(tid, 0) and tgkill(tgid, tid, 0) from a box task: the question "may I
// signal what this names, and does it exist", which sends nothing. Its answer needs no run of
// the call in the caller's context, so the supervisor gives it from the process table and the
// credentials in one notification round trip (a ptrace stop on the ptrace engine), as the kernel
// gives it in a pid namespace: ESRCH for what the caller's level does not see, EPERM for what
// its credentials may not signal, EINVAL for the numbers tkill and tgkill refuse. No syscalls.
#pragma once

#include "translate/kernel_view.h"
#include "translate/outcome.h"
#include "translate/process_table.h"
#include "translate/rules.h"

namespace vpidbox {

// Whether a row is a signal call with signal 0 (the table's rows for these questions).
bool is_signal_check(const SyscallRow& row);

// The answer to such a call (row: is_signal_check).
Outcome decide_signal_check(const Call& call, const ProcessTable& table, KernelView& kernel);

}  // namespace vpidbox
