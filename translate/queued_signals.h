// rt_sigqueueinfo() and rt_tgsigqueueinfo() from a box task: a signal with the caller's own
// siginfo. The supervisor sends it for the caller: with the caller's siginfo as it wrote it
// (SI_QUEUE and the other codes below 0 may be sent to another process by anyone, and the kernel
// then keeps si_pid and si_uid as written, so the receiver sees what it would see natively,
// through a handler, sigwaitinfo() or a signalfd alike), after checking what the kernel would
// check in the caller's context, in its order: the siginfo's code (EPERM for kernel codes and
// SI_TKILL aimed at anyone but the caller itself), the target (ESRCH), the signal (EINVAL), the
// caller's credentials (EPERM), and what a namespace's init discards. A code the kernel lets only
// a task send to itself goes as a signal of the supervisor's whose siginfo the receiver's
// delivery stop replaces (EmulatedSignals' synthetic signals). No syscalls.
#pragma once

#include <optional>

#include "translate/kernel_view.h"
#include "translate/outcome.h"
#include "translate/process_table.h"
#include "translate/rules.h"

namespace vpidbox {

// A signal the supervisor is to send.
struct QueuedSignal {
  Pid real_tgid = 0;  // the receiving process
  Pid real_tid = 0;   // for rt_tgsigqueueinfo(): the receiving thread; 0: the process
  int signo = 0;
  // The siginfo's code is one only the caller itself may send (>= 0, or SI_TKILL): it goes as the
  // supervisor's plain signal, its siginfo put in place at delivery.
  bool synthetic = false;
};

struct QueuedSignalDecision {
  Outcome answer = ReturnValue{0};   // the call's result when nothing is sent
  std::optional<QueuedSignal> send;  // else: send this, and return what sending returns
};

// `si_code` is the code of the caller's siginfo (read from its memory: the route answers EFAULT
// when it cannot be read). The row is rt_sigqueueinfo's or rt_tgsigqueueinfo's.
QueuedSignalDecision decide_queued_signal(const Call& call, int si_code, const ProcessTable& table,
                                          KernelView& kernel);

}  // namespace vpidbox
