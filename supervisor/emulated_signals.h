// Signals the supervisor sends on a box process's behalf: kill(-1), kill(0) and kill(-pgid)
// from inside must reach the processes the caller's level sees only (its own and those of boxes
// nested in it), never the host's members of a group, so the supervisor sends them itself,
// checking the caller's credentials as the kernel would, and remembers who the sender was: the
// receiver sees that process as the sender (si_pid, si_uid) at its delivery stop or in what
// sigtimedwait() returns, numbered in the receiver's level.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>

#include "supervisor/box_tasks.h"
#include "supervisor/kernel_facts.h"

namespace vpidbox {

struct EmulatedSender {
  Pid vpid = 0;  // the sender's number in the receiver's level (0 there: from outside it)
  uid_t uid = 0;
};

class EmulatedSignals {
 public:
  EmulatedSignals(BoxTasks& tasks, SystemKernelView& kernel, pid_t supervisor_pid)
      : tasks_(tasks), kernel_(kernel), supervisor_pid_(supervisor_pid) {}

  // kill(-1, signo) from `caller`: 0 or -errno, as the kernel returns it.
  std::int64_t signal_whole_box(pid_t caller, int signo);
  // kill(-pgid, signo) from `caller`, reaching the members of the group its level sees.
  std::int64_t signal_group(pid_t caller, Pid real_pgid, int signo);

  // Signals the supervisor sends as the kernel would send them (the SIGCHLD an emulated tracer
  // gets for its tracee's stop, ptrace's SIGSTOP and SIGTRAP): the kernel refuses a forged
  // siginfo aimed at another process, so the receiver's delivery stop (or its sigtimedwait())
  // gets `info` in place of the supervisor's. To one thread, or to a process.
  bool send_synthetic_to_thread(Pid tgid, Pid tid, const siginfo_t& info);
  bool send_synthetic_to_process(Pid tgid, const siginfo_t& info);
  // The siginfo such a signal must show, received by thread `tid` of `tgid` (consumed).
  std::optional<siginfo_t> take_synthetic(Pid tid, Pid tgid, int signo);

  // Whether a siginfo says the supervisor sent the signal (SI_USER, or SI_TKILL to a thread,
  // from its pid).
  bool sent_by_supervisor(int code, Pid sender) const;
  // For such a signal, received by `receiver_tgid`: the box process it was sent for (consumed),
  // or nullopt for one forwarded from outside the box.
  std::optional<EmulatedSender> take_sender(Pid receiver_tgid, int signo);
  // The same, not consumed: the `index`th pending one of that number (PTRACE_PEEKSIGINFO).
  std::optional<EmulatedSender> peek_sender(Pid receiver_tgid, int signo, std::size_t index) const;

  // kill(named, signo) from the box process `sender_tgid` (translate/queued_signals.h
  // decide_kill): sent to the process of `named_tid`, that task preferred for delivery, as the
  // kernel sends it. True if sent; errno is the kernel's else.
  bool send_kill(Pid sender_tgid, uid_t sender_uid, Pid target_tgid, Pid named_tid, int signo);
  // A process that has ended: no signal sent to it will be received.
  void forget_receiver(Pid tgid);

 private:
  // Sends as the process `sender_tgid`: the receiver will see it numbered as its own level numbers
  // it now, when the signal is sent (the sender may be gone by the delivery).
  bool send_as(Pid sender_tgid, uid_t sender_uid, TracedTask& target, Pid target_tgid, int signo);
  void remember_sender(Pid sender_tgid, uid_t sender_uid, Pid target_tgid, int signo);

  BoxTasks& tasks_;
  SystemKernelView& kernel_;
  pid_t supervisor_pid_;
  // By receiver and signal. A standard signal is pending once (a second send while it is pending
  // is merged into it, and the latest sender is kept, since an earlier one may never have been
  // received); a real-time signal is queued as often as it is sent, its senders in order.
  std::map<std::pair<Pid, int>, std::deque<EmulatedSender>> senders_;
  // By receiver (a tid for a thread's signal, a tgid for a process's) and signal.
  std::map<std::pair<Pid, int>, siginfo_t> synthetic_;
};

}  // namespace vpidbox
