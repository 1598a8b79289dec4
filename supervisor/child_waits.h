// When the supervisor looks for the events of its tracees. A waitpid(-1) walks every child and
// every tracee the supervisor has (kernel/exit.c do_wait: 27 us with 1000 tracees here), and one
// that finds nothing walks them all, so a box with many tasks paid two such walks for each ptrace
// stop; and the walk finds the newest tracees first (ptrace links them at the head of its list),
// so the stops of long-lived tasks waited behind those of new ones. Each event also sends the
// supervisor a SIGCHLD that names the task, which a waitpid for that task alone takes in constant
// time. SIGCHLD is not queued, though: an event that comes while one is pending is merged into it
// and known only to a sweep, the walk of every tracee until none has an event left. So a sweep is
// owed after every SIGCHLD. Where a walk is cheap (a box of a few dozen tasks) it is made at once,
// as before; else once the interval since the last one is over: ten times as long as that one's
// final walk took, so that sweeps cost at most a tenth of the supervisor's time (a walk the
// supervisor was preempted in looks longer: that only lengthens the interval, up to 2 ms). A box
// of a thousand threads sweeps at most every quarter millisecond, which is then the longest an
// event merged into another's SIGCHLD waits. Pure logic.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>

namespace vpidbox {

class SweepSchedule {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::microseconds kMaxInterval{2000};
  static constexpr int kCostRatio = 10;
  // Below this interval (a walk of 2 us) a sweep is made as soon as it is owed.
  static constexpr std::chrono::microseconds kAtOnce{20};

  // A SIGCHLD was read: another event may be merged into it.
  void on_sigchld() { owed_ = true; }
  bool owed() const { return owed_; }
  // Whether to sweep now: one is owed, and walks are cheap or the interval is over.
  bool due(Clock::time_point now) const {
    return owed_ && (interval_ < kAtOnce || now - last_ >= interval_);
  }
  // How long the supervisor may sleep before the owed sweep is due; nullopt when none is owed.
  std::optional<Clock::duration> until_due(Clock::time_point now) const {
    if (!owed_) return std::nullopt;
    if (interval_ < kAtOnce) return Clock::duration::zero();
    return std::max<Clock::duration>(last_ + interval_ - now, Clock::duration::zero());
  }
  // A sweep ended at `end`; its final walk (the one that found nothing) took `walk`.
  void swept(Clock::time_point end, Clock::duration walk) {
    owed_ = false;
    last_ = end;
    interval_ = std::min<Clock::duration>(walk * kCostRatio, kMaxInterval);
  }
  Clock::duration interval() const { return interval_; }

 private:
  bool owed_ = false;
  Clock::time_point last_{};
  Clock::duration interval_{};
};

}  // namespace vpidbox
