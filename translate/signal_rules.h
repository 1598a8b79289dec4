// What a pid namespace's init receives, and how vpidbox forwards signals sent to it. Pure logic.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>

#include "translate/process_table.h"

namespace vpidbox {

struct PendingSignal {
  int signo = 0;
  int si_code = 0;
  bool sender_in_box = false;
};

// A pid namespace's init only receives signals it has a handler for (kernel/signal.c
// sig_task_ignored with SIGNAL_UNKILLABLE), except: synchronous faults it raised itself (the
// kernel clears SIGNAL_UNKILLABLE for those), signals whose default action is to do nothing,
// and SIGSTOP from outside the namespace (forcibly delivered, as SIGKILL is).
bool init_receives(const PendingSignal& signal, bool has_handler);

// si_pid as the receiver would see it in a pid namespace: the sender's number in `view`, the
// receiver's level, or 0 when the sender is not visible there (outside the box, or in an outer
// level). nullopt when the siginfo layout carries no sender pid.
std::optional<Pid> virtual_si_pid(int signo, int si_code, Pid real_si_pid,
                                  const ProcessTable& table, LevelId view);

// The ids kernel/signal.c kill_ok_by_cred() compares, within one user namespace.
struct SignalIds {
  uid_t ruid = 0, euid = 0, suid = 0;
  bool cap_kill = false;
};
// Whether `sender` may signal `target` (else EPERM).
bool may_signal(const SignalIds& sender, const SignalIds& target);

// The result of a signal sent to each member of a group in turn, summed up as
// kernel/signal.c __kill_pgrp_info() does: 0 if any member got it, else the last error; ESRCH
// for an empty group.
class GroupSignalResult {
 public:
  void delivered() { delivered_ = true; }
  void failed(int error) { last_error_ = error; }
  // 0 or -errno, as the kernel returns it.
  std::int64_t result() const { return delivered_ ? 0 : -last_error_; }

 private:
  bool delivered_ = false;
  int last_error_ = ESRCH;
};

enum class ForwardAction { kForward, kIgnore, kKillBox };

// Signals sent to the vpidbox process. Sent with kill(), they are forwarded to init; a second
// SIGINT/SIGTERM within the grace period kills the box, as a second Ctrl-C does with docker.
// Terminal-generated ones (^C, ^\) already reach the box's foreground group, so they are not
// forwarded; when init does not handle them, a second one within the grace period kills the box
// so that a user is never stuck.
class ForwardPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kGrace{5};

  ForwardAction on_signal(int signo, bool from_terminal, bool init_has_handler,
                          Clock::time_point now);

 private:
  std::optional<Clock::time_point> last_sent_;
  std::optional<Clock::time_point> last_terminal_;
};

bool is_forwarded_signal(int signo);
// Whether forwarding this signal starts the --kill-after clock.
bool starts_kill_after(int signo);

}  // namespace vpidbox
