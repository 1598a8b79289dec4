// A signal that comes while a box task waits for the supervisor's answer to a notification makes
// the kernel end the wait with -ERESTARTSYS, which becomes EINTR when the signal's handler lacks
// SA_RESTART: getpid() or the open of a regular file would fail with EINTR, which they never do
// natively. At the signal-delivery stop the supervisor turns that into -ERESTARTNOINTR, so the
// kernel runs the handler and then the call again, as if the signal had come just before it.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>

namespace vpidbox {

constexpr std::int64_t kErrRestartSys = -512;     // -ERESTARTSYS (kernel-internal)
constexpr std::int64_t kErrRestartNoIntr = -513;  // -ERESTARTNOINTR

// Whether an open whose wait was interrupted could also have been interrupted natively: its
// target may block in open (a FIFO, a device), or the supervisor cannot tell cheaply and safely
// (a relative path, /proc, /dev, a path crossing into another mount). Then the EINTR stays.
bool open_may_block_natively(pid_t tid, const user_regs_struct& regs);

}  // namespace vpidbox
