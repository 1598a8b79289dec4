// What translation decides for one syscall; the engine applies it.
#pragma once

#include <cstdint>
#include <variant>

#include "translate/pid_space.h"

namespace vpidbox {

struct Continue {};  // let the kernel run the call unchanged
struct ReturnValue {
  std::int64_t value;
};
struct ReturnErrno {
  int error;
};

using Outcome = std::variant<Continue, ReturnValue, ReturnErrno>;

// Signals the kernel must not send by itself, since it would reach the host's processes too: the
// supervisor sends them to the box's members only, as the caller, and the call returns what the
// kernel would have returned (kernel/signal.c kill_something_info, __kill_pgrp_info).
struct SignalBox {  // kill(-1): every process of the box but init and the caller
  int signo;
};
struct SignalGroup {  // kill(0), kill(-pgid), a pidfd's group: the box's members of the group
  Pid real_pgid;
  int signo;
};
// reboot() from inside: like reboot_pid_ns(), the box ends, its init reported dead by this signal
// (SIGHUP for a restart, SIGINT for a halt or power-off), and the caller exits.
struct EndBox {
  int as_signal;
};

// What the engine must do at a syscall-entry stop of the ptrace route: the call's outcome, or
// one of the acts above, whose own result becomes the call's.
using EntryOutcome =
    std::variant<Continue, ReturnValue, ReturnErrno, SignalBox, SignalGroup, EndBox>;

}  // namespace vpidbox
