// kill(pid, 0), tkill(tid, 0) and tgkill(tgid, tid, 0) from a box task: the question "may I
// signal what this names, and does it exist", which sends nothing; and the same calls with a
// number that is no signal, which send nothing either. Their answer needs no run of the call in
// the caller's context, so the supervisor gives it from the process table and the credentials in
// one notification round trip (a ptrace stop on the ptrace engine), as the kernel gives it in a
// pid namespace: ESRCH for what the caller's level does not see, EINVAL for what is no signal
// (once a target is found) and for the numbers tkill and tgkill refuse, EPERM for what the
// caller's credentials may not signal. No syscalls.
#pragma once

#include "translate/kernel_view.h"
#include "translate/outcome.h"
#include "translate/process_table.h"
#include "translate/rules.h"

namespace vpidbox {

// Whether a row is one of the table's rows for these calls (a signal register that the kernel
// reads as 0 or as no signal).
bool is_signal_check(const SyscallRow& row);

// The answer to such a call (row: is_signal_check).
Outcome decide_signal_check(const Call& call, const ProcessTable& table, KernelView& kernel);

}  // namespace vpidbox
