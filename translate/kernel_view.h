// The facts translation needs from the kernel, behind a narrow interface so that the rules stay
// pure: the supervisor implements it with syscalls, the unit tests with plain data.
#pragma once

#include "translate/pid_space.h"

namespace vpidbox {

// A real number, or the errno the kernel gave.
struct RealOrErrno {
  Pid value = 0;
  int error = 0;
  bool ok() const { return error == 0; }
};

class KernelView {
 public:
  virtual ~KernelView() = default;
  virtual RealOrErrno parent_of(Pid real_tgid) = 0;  // the real ppid of a process
  virtual RealOrErrno pgid_of(Pid real_tid) = 0;
  virtual RealOrErrno sid_of(Pid real_tid) = 0;
  // The real pid a pidfd of the caller refers to (-1 once it has exited).
  virtual RealOrErrno pidfd_target(Pid real_tid, int fd) = 0;
  // Whether a process catches (has a handler for) or blocks a signal right now.
  virtual bool catches_or_blocks(Pid real_tgid, int signo) = 0;
  // kernel/signal.c sig_ignored() for a process-directed signal: its handler is SIG_IGN, or
  // SIG_DFL with a default action of ignoring it, and the leader neither blocks it nor waits for
  // it in sigtimedwait(). False where that cannot be told: the signal is then sent.
  virtual bool ignores(Pid /*real_tgid*/, int /*signo*/) { return false; }
  // kernel/signal.c kill_ok_by_cred(): whether thread `sender` may signal task `target` (the
  // task a call names), by their user ids or the sender's CAP_KILL over the target's user
  // namespace. False once either is gone.
  virtual bool may_signal(Pid sender_tid, Pid target_tid) = 0;
};

}  // namespace vpidbox
