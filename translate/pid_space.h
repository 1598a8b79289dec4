// One level of virtual pid numbers, allocated exactly as the kernel's alloc_pid() does.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string_view>

namespace vpidbox {

using Pid = std::int32_t;

// The kernel allocates cyclically: the lowest free number at or above the cursor (one past the
// last number handed out), wrapping to the minimum when it reaches pid_max. The minimum is 1
// until the cursor has passed RESERVED_PIDS, then 300 (kernel/pid.c), which keeps init's
// number and the low numbers free after a wrap.
class PidSpace {
 public:
  static constexpr Pid kReservedPids = 300;

  explicit PidSpace(Pid pid_max) : pid_max_(pid_max) {}

  // The next number, or nullopt when the space is full (the kernel's EAGAIN from fork).
  std::optional<Pid> allocate();
  // Claim a chosen number (clone3 set_tid, checkpoint/restart); false when it is taken.
  bool claim(Pid nr);
  void release(Pid nr);
  bool in_use(Pid nr) const { return used_.contains(nr); }
  std::size_t size() const { return used_.size(); }
  Pid pid_max() const { return pid_max_; }
  // Writing pid_max (per pid namespace since 6.14): numbers already given stay; new ones are
  // below it. The caller checks the bounds (pid_max_rule.h).
  void set_pid_max(Pid pid_max) { pid_max_ = pid_max; }
  // The number handed out last (what /proc/sys/kernel/ns_last_pid and loadavg show); 0 before.
  Pid last_allocated() const { return cursor_ - 1; }
  // Writing ns_last_pid: the next allocation tries nr + 1 first. False (EINVAL) when nr is not
  // in [0, pid_max].
  bool set_last_allocated(Pid nr);

 private:
  std::optional<Pid> first_free_in(Pid from, Pid to) const;

  Pid pid_max_;
  Pid cursor_ = 1;
  std::set<Pid> used_;
};

// The pid_max a new pid namespace starts with, known only from the kernel's release (uname -r)
// and the pid_max of the caller's namespace: since Linux 6.14 each pid namespace has its own, and
// a new one starts at PID_MAX_LIMIT (4194304 on 64-bit) whatever its parent's is; before, there
// is one pid_max for the whole machine. For when the kernel cannot be asked (pid_max.h).
Pid new_namespace_pid_max_for(std::string_view release, Pid callers_pid_max);

}  // namespace vpidbox
