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

#include <functional>
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

// kill(pid, signo) with a signal to send, from a box task, sent by the supervisor for it: one
// notification instead of a ptrace stop at the call's entry (the job-control signals excepted:
// the syscall table runs them in the caller's context). The kernel's checks come from
// decide_entry() (the target as the caller's level numbers it, kill(-1), kill(0) and kill(-pgid)
// as the box's acts, what a namespace's init discards), then check_kill_permission()'s
// credentials, then sig_ignored(): a signal the receiver ignores, which nothing traces inside
// the box, is discarded when it is sent, natively, and so it is here, without a send and without
// the delivery stop a tracee gets even for an ignored signal. What is left is sent as the
// caller: the receiver sees the caller as the sender (EmulatedSignals' senders).
struct KillSend {
  Pid real_tgid = 0;  // the receiving process
  Pid named_tid = 0;  // the task the call named (a thread of it is preferred for delivery)
  int signo = 0;
};

struct KillDecision {
  Outcome answer = ReturnValue{0};  // the call's result when nothing is sent and no act is done
  std::optional<EntryOutcome> act;  // SignalBox or SignalGroup: do it, return what it returns
  std::optional<KillSend> send;     // else: send this, and return what sending returns
};

// Signals whose sending has effects of its own even when the receiver ignores them (prepare_signal:
// SIGCONT resumes a stopped process, a stop signal flushes a pending SIGCONT), or which cannot be
// ignored.
bool discards_when_ignored(int signo);

// `traced_inside(real_tid)`: whether a tracer inside the box traces that task (sig_ignored() is
// false for a traced task: its tracer sees every signal).
KillDecision decide_kill(const Call& call, const ProcessTable& table, KernelView& kernel,
                         const std::function<bool(Pid)>& traced_inside);

}  // namespace vpidbox
