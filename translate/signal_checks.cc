#include "translate/signal_checks.h"

#include <cerrno>
#include <climits>
#include <csignal>

#include "translate/invariant.h"

namespace vpidbox {
namespace {

Pid as_pid(std::uint64_t arg) {
  return static_cast<Pid>(static_cast<std::int32_t>(arg));
}

Outcome permitted_or_eperm(bool permitted) {
  if (permitted) return ReturnValue{0};
  return ReturnErrno{EPERM};
}

// check_kill_permission(): a number that is no signal is EINVAL before anything else; for signal
// 0, a task of one's own thread group always, another by the credentials.
Outcome check_one(const Task& caller, const Task& target, int signo, KernelView& kernel) {
  if (signo != 0) return ReturnErrno{EINVAL};
  if (target.real_tgid == caller.real_tgid) return ReturnValue{0};
  return permitted_or_eperm(kernel.may_signal(caller.real_tid, target.real_tid));
}

// kill(-1, ...): kill_something_info() counts every process the caller's level numbers above 1
// but its own, and a process it may not signal still counts (EPERM is never its result); a number
// that is no signal is EINVAL for each.
Outcome check_everything(const Task& caller, int signo, const ProcessTable& table) {
  const std::optional<Pid> init = table.init_of(caller.level);
  for (const auto& [real, task] : table.tasks()) {
    if (task.real_tgid != real || !table.sees(caller.level, task.level)) continue;
    if (real == init || real == caller.real_tgid) continue;
    return signo != 0 ? Outcome{ReturnErrno{EINVAL}} : Outcome{ReturnValue{0}};
  }
  return ReturnErrno{ESRCH};
}

// kill(-pgid, ...): __kill_pgrp_info() over the group's members the caller's level sees (the box
// never reaches members outside it): 0 if one may be signalled, else the last error (EPERM, or
// EINVAL for a number that is no signal); ESRCH for none.
Outcome check_group(const Task& caller, Pid real_pgid, int signo, const ProcessTable& table,
                    KernelView& kernel) {
  bool any = false;
  for (const auto& [real, task] : table.tasks()) {
    if (task.real_tgid != real || !table.sees(caller.level, task.level)) continue;
    const RealOrErrno pgid = kernel.pgid_of(real);
    if (!pgid.ok() || pgid.value != real_pgid) continue;
    any = true;
    if (signo != 0) return ReturnErrno{EINVAL};
    if (std::holds_alternative<ReturnValue>(check_one(caller, task, signo, kernel)))
      return ReturnValue{0};
  }
  return any ? Outcome{ReturnErrno{EPERM}} : Outcome{ReturnErrno{ESRCH}};
}

// The task a process number names in `view`, live or zombie.
const Task* named_task(const ProcessTable& table, LevelId view, Pid vnr) {
  if (vnr <= 0) return nullptr;
  const std::optional<Pid> real = table.to_real(vnr, view);
  return real ? table.task(*real) : nullptr;
}

Outcome check_kill(const Task& caller, Pid target, int signo, const ProcessTable& table,
                   KernelView& kernel) {
  if (target == INT_MIN) return ReturnErrno{ESRCH};
  // The caller's own group, the caller among it.
  if (target == 0) return signo != 0 ? Outcome{ReturnErrno{EINVAL}} : Outcome{ReturnValue{0}};
  if (target == -1) return check_everything(caller, signo, table);
  if (target < 0) {
    const std::optional<Pid> real = table.to_real(-target, caller.level);
    if (!real) return ReturnErrno{ESRCH};
    const RealOrErrno own = kernel.pgid_of(caller.real_tid);
    if (own.ok() && own.value == *real)
      return signo != 0 ? Outcome{ReturnErrno{EINVAL}} : Outcome{ReturnValue{0}};
    return check_group(caller, *real, signo, table, kernel);
  }
  const Task* named = named_task(table, caller.level, target);
  if (!named) return ReturnErrno{ESRCH};
  return check_one(caller, *named, signo, kernel);
}

// tkill() and tgkill(): do_send_specific() finds the thread (a real tid of the caller's own
// thread group is the real thread, as everywhere: resolve_tid), in the named thread group.
Outcome check_thread(const Task& caller, Pid tgid, Pid tid, bool with_tgid, int signo,
                     const ProcessTable& table, KernelView& kernel) {
  if (tid <= 0 || (with_tgid && tgid <= 0)) return ReturnErrno{EINVAL};
  const std::optional<Pid> real = resolve_tid(table, caller.real_tid, tid);
  const Task* named = real ? table.task(*real) : nullptr;
  if (!named) return ReturnErrno{ESRCH};
  if (with_tgid) {
    const Task* group = named_task(table, caller.level, tgid);
    if (!group || group->real_tid != named->real_tgid) return ReturnErrno{ESRCH};
  }
  return check_one(caller, *named, signo, kernel);
}

}  // namespace

bool is_signal_check(const SyscallRow& row) {
  const std::optional<int> signal = row.index_of(ArgKind::kSignal);
  return signal && row.filtered && row.filter_arg == *signal &&
         row.filter_kind == SyscallRow::ArgFilter::kOutsideRange && row.filter_value == 1 &&
         row.filter_max == _NSIG - 1 && !row.has(ArgKind::kSiginfoIn) &&
         !row.has(ArgKind::kPidfdSignal);
}

Outcome decide_signal_check(const Call& call, const ProcessTable& table, KernelView& kernel) {
  VPIDBOX_INVARIANT(is_signal_check(*call.row), "a signal check for another call");
  const Task* caller = table.task(call.real_tid);
  // As for the queries: a caller the table does not know is not ours to answer for.
  if (!caller) return ReturnErrno{ENOSYS};
  // The kernel reads the signal as an int: 0, or a number that is no signal (the filter sends
  // the others to ptrace).
  const int signo = static_cast<std::int32_t>(call.arg_of(ArgKind::kSignal));
  VPIDBOX_INVARIANT(signo == 0 || signo < 1 || signo >= _NSIG, "a signal to send, not a check");
  if (call.row->has(ArgKind::kKillTarget))
    return check_kill(*caller, as_pid(call.arg_of(ArgKind::kKillTarget)), signo, table, kernel);
  const bool with_tgid = call.row->has(ArgKind::kTgid);
  return check_thread(*caller, as_pid(call.arg_of(ArgKind::kTgid)),
                      as_pid(call.arg_of(ArgKind::kTid)), with_tgid, signo, table, kernel);
}

}  // namespace vpidbox
