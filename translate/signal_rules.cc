#include "translate/signal_rules.h"

#include <csignal>

namespace vpidbox {
namespace {

constexpr int kSiKernel = 0x80;

bool is_fault_signal(int signo) {
  switch (signo) {
    case SIGSEGV:
    case SIGBUS:
    case SIGFPE:
    case SIGILL:
    case SIGTRAP:
    case SIGSYS:
      return true;
    default:
      return false;
  }
}

bool default_action_is_nothing(int signo) {
  return signo == SIGCHLD || signo == SIGURG || signo == SIGWINCH || signo == SIGCONT;
}

bool within(std::optional<ForwardPolicy::Clock::time_point> last,
            ForwardPolicy::Clock::time_point now) {
  return last && now - *last < ForwardPolicy::kGrace;
}

}  // namespace

bool init_receives(const PendingSignal& signal, bool has_handler) {
  if (has_handler) return true;
  // A fault (si_code > 0, SI_KERNEL included: a #GP is reported so) is forced by the kernel.
  if (is_fault_signal(signal.signo) && signal.si_code > 0) return true;
  if (default_action_is_nothing(signal.signo)) return true;
  const bool sent_by_user = signal.si_code <= 0;
  return signal.signo == SIGSTOP && sent_by_user && !signal.sender_in_box;
}

std::optional<Pid> virtual_si_pid(int signo, int si_code, Pid real_si_pid,
                                  const ProcessTable& table, LevelId view) {
  // The kernel fills si_pid with the sender for kill() (SI_USER), tkill()/tgkill() (SI_TKILL),
  // message queues (SI_MESGQ) and SIGCHLD's CLD_* codes. With SI_QUEUE and the other user codes
  // si_pid is whatever the sender wrote (glibc writes getpid(), already virtual in the box);
  // kernel codes (SI_KERNEL, faults, SIGIO, timers) carry no pid.
  const bool kernel_filled = si_code == SI_USER || si_code == SI_TKILL || si_code == SI_MESGQ ||
                             (signo == SIGCHLD && si_code > 0 && si_code != kSiKernel);
  if (!kernel_filled) return std::nullopt;
  if (real_si_pid <= 0) return real_si_pid;
  // The number was fixed when the signal was sent: a child reaped since then keeps it.
  if (std::optional<Pid> vnr = table.to_virtual(real_si_pid, view)) return vnr;
  return table.recently_released(real_si_pid, view).value_or(0);
}

ForwardAction ForwardPolicy::on_signal(int signo, bool from_terminal, bool init_has_handler,
                                       Clock::time_point now) {
  const bool stopping = signo == SIGINT || signo == SIGTERM;
  if (from_terminal) {
    if (!stopping || init_has_handler) return ForwardAction::kIgnore;
    const bool again = within(last_terminal_, now);
    last_terminal_ = now;
    return again ? ForwardAction::kKillBox : ForwardAction::kIgnore;
  }
  if (stopping) {
    const bool again = within(last_sent_, now);
    last_sent_ = now;
    if (again) return ForwardAction::kKillBox;
  }
  return ForwardAction::kForward;
}

bool is_forwarded_signal(int signo) {
  switch (signo) {
    case SIGINT:
    case SIGTERM:
    case SIGHUP:
    case SIGQUIT:
    case SIGUSR1:
    case SIGUSR2:
      return true;
    default:
      return false;
  }
}

bool starts_kill_after(int signo) {
  return signo == SIGINT || signo == SIGTERM || signo == SIGHUP || signo == SIGQUIT;
}

bool may_signal(const SignalIds& sender, const SignalIds& target) {
  return sender.cap_kill || sender.euid == target.suid || sender.euid == target.ruid ||
         sender.ruid == target.suid || sender.ruid == target.ruid;
}

}  // namespace vpidbox
