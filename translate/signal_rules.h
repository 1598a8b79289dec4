// What a pid namespace's init receives, and how vpidbox forwards signals sent to it. Pure logic.
#pragma once

#include <chrono>
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

// si_pid as the receiver would see it in a pid namespace: the sender's virtual number, or 0 when
// the sender is outside. nullopt when the siginfo layout carries no sender pid.
std::optional<Pid> virtual_si_pid(int signo, int si_code, Pid real_si_pid,
                                  const ProcessTable& table);

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
