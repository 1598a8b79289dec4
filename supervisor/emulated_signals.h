// Signals the supervisor sends on a box process's behalf: kill(-1), kill(0) and kill(-pgid)
// from inside must reach the processes the caller's level sees only (its own and those of boxes
// nested in it), never the host's members of a group, so the supervisor sends them itself,
// checking the caller's credentials as the kernel would, and remembers who the sender was: the
// receiver sees that process as the sender (si_pid, si_uid) at its delivery stop or in what
// sigtimedwait() returns, numbered in the receiver's level.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "supervisor/box_tasks.h"

namespace vpidbox {

struct EmulatedSender {
  Pid vpid = 0;  // the sender's number in the receiver's level (0 there: from outside it)
  uid_t uid = 0;
};

class EmulatedSignals {
 public:
  EmulatedSignals(BoxTasks& tasks, pid_t supervisor_pid)
      : tasks_(tasks), supervisor_pid_(supervisor_pid) {}

  // kill(-1, signo) from `caller`: 0 or -errno, as the kernel returns it.
  std::int64_t signal_whole_box(pid_t caller, int signo);
  // kill(-pgid, signo) from `caller`, reaching the members of the group its level sees.
  std::int64_t signal_group(pid_t caller, Pid real_pgid, int signo);

  // Whether a siginfo says the supervisor sent the signal (SI_USER from its pid).
  bool sent_by_supervisor(int code, Pid sender) const;
  // For such a signal, received by `receiver_tgid`: the box process it was sent for (consumed),
  // or nullopt for one forwarded from outside the box.
  std::optional<EmulatedSender> take_sender(Pid receiver_tgid, int signo);

 private:
  // Sends as the process `sender_tgid`: the receiver will see it numbered as its own level numbers
  // it now, when the signal is sent (the sender may be gone by the delivery).
  bool send_as(Pid sender_tgid, uid_t sender_uid, TracedTask& target, Pid target_tgid, int signo);

  BoxTasks& tasks_;
  pid_t supervisor_pid_;
  std::map<std::pair<Pid, int>, EmulatedSender> senders_;
};

}  // namespace vpidbox
