#include "translate/queued_signals.h"

#include <cerrno>
#include <csignal>

#include "translate/invariant.h"

namespace vpidbox {
namespace {

constexpr int kSiTkill = -6;  // SI_TKILL

Pid as_pid(std::uint64_t arg) {
  return static_cast<Pid>(static_cast<std::int32_t>(arg));
}

QueuedSignalDecision answer(Outcome outcome) {
  return {outcome, std::nullopt};
}

// The task a number names in `view`, live or zombie.
const Task* named_task(const ProcessTable& table, LevelId view, Pid vnr) {
  if (vnr <= 0) return nullptr;
  const std::optional<Pid> real = table.to_real(vnr, view);
  return real ? table.task(*real) : nullptr;
}

// check_kill_permission()'s credentials for a signal to another thread group: the ids (or
// CAP_KILL), or SIGCONT within one's session whatever the ids.
bool credentials_allow(const Task& caller, const Task& named, int signo, KernelView& kernel) {
  if (kernel.may_signal(caller.real_tid, named.real_tid)) return true;
  const RealOrErrno theirs = kernel.sid_of(named.real_tid);
  const RealOrErrno ours = kernel.sid_of(caller.real_tid);
  return signo == SIGCONT && theirs.ok() && ours.ok() && theirs.value == ours.value;
}

}  // namespace

QueuedSignalDecision decide_queued_signal(const Call& call, int si_code, const ProcessTable& table,
                                          KernelView& kernel) {
  VPIDBOX_INVARIANT(call.row->has(ArgKind::kSiginfoIn) && call.row->has(ArgKind::kSignal),
                    "a queued signal without a siginfo");
  const Task* caller = table.task(call.real_tid);
  if (!caller) return answer(ReturnErrno{ENOSYS});
  const bool to_thread = call.row->has(ArgKind::kTid);
  const int signo = static_cast<std::int32_t>(call.arg_of(ArgKind::kSignal));
  // rt_tgsigqueueinfo(): only valid for single tasks.
  const Pid tgid = as_pid(call.arg_of(ArgKind::kTgid));
  const Pid tid = to_thread ? as_pid(call.arg_of(ArgKind::kTid)) : 0;
  if (to_thread && (tid <= 0 || tgid <= 0)) return answer(ReturnErrno{EINVAL});

  // "Not even root can pretend to send signals from the kernel, nor impersonate a kill() or
  // tgkill()": unless the number is the caller's own (kernel/signal.c compares it with
  // task_pid_vnr(current), the calling thread's number; a real tid of the caller's thread, which
  // glibc caches, is that thread too).
  const bool forged = si_code >= 0 || si_code == kSiTkill;
  const Task* named = nullptr;
  if (to_thread) {
    const std::optional<Pid> real = resolve_tid(table, call.real_tid, tid);
    named = real ? table.task(*real) : nullptr;
  } else {
    named = named_task(table, caller->level, tgid);
  }
  const bool names_caller =
      to_thread ? named && named->real_tid == caller->real_tid : tgid == caller->vtid;
  if (forged && !names_caller) return answer(ReturnErrno{EPERM});

  // The target: any task by its number, for its process (kill_proc_info); a thread of the named
  // thread group (do_send_specific).
  if (to_thread) {
    const Task* group = named_task(table, caller->level, tgid);
    if (!named || !group || group->real_tid != named->real_tgid) return answer(ReturnErrno{ESRCH});
  } else if (!named) {
    return answer(ReturnErrno{ESRCH});
  }
  // check_kill_permission(): the signal's range, then, for a siginfo from user space (a code <=
  // 0), the credentials.
  if (signo < 0 || signo >= _NSIG) return answer(ReturnErrno{EINVAL});
  if (si_code <= 0 && named->real_tgid != caller->real_tgid &&
      !credentials_allow(*caller, *named, signo, kernel))
    return answer(ReturnErrno{EPERM});
  if (signo == 0) return answer(ReturnValue{0});
  // From inside, a namespace's init never receives SIGKILL or SIGSTOP, nor a signal it neither
  // handles nor blocks: the kernel discards them when they are sent, and the call returns 0.
  if (const std::optional<Pid> init = table.init_of(caller->level);
      init && named->real_tgid == *init &&
      (signo == SIGKILL || signo == SIGSTOP || !kernel.catches_or_blocks(*init, signo)))
    return answer(ReturnValue{0});
  return {ReturnValue{0},
          QueuedSignal{named->real_tgid, to_thread ? named->real_tid : 0, signo, forged}};
}

bool discards_when_ignored(int signo) {
  switch (signo) {
    case SIGKILL:
    case SIGSTOP:
    case SIGCONT:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return false;
    default:
      return signo > 0 && signo < _NSIG;
  }
}

KillDecision decide_kill(const Call& call, const ProcessTable& table, KernelView& kernel,
                         const std::function<bool(Pid)>& traced_inside) {
  VPIDBOX_INVARIANT(call.row->has(ArgKind::kKillTarget) && !call.row->has(ArgKind::kSiginfoIn),
                    "a kill decision for another call");
  KillDecision decision;
  const Task* caller = table.task(call.real_tid);
  if (!caller) {
    decision.answer = ReturnErrno{ENOSYS};
    return decision;
  }
  const EntryDecision entry = decide_entry(call, table, kernel);
  if (std::holds_alternative<SignalBox>(entry.outcome) ||
      std::holds_alternative<SignalGroup>(entry.outcome)) {
    decision.act = entry.outcome;
    return decision;
  }
  if (const auto* value = std::get_if<ReturnValue>(&entry.outcome)) {
    decision.answer = *value;
    return decision;
  }
  if (const auto* error = std::get_if<ReturnErrno>(&entry.outcome)) {
    decision.answer = *error;
    return decision;
  }
  VPIDBOX_INVARIANT(std::holds_alternative<Continue>(entry.outcome),
                    "kill decided as something else than an answer, an act or a run");
  const int target_index = *call.row->index_of(ArgKind::kKillTarget);
  const int signal_index = *call.row->index_of(ArgKind::kSignal);
  const Pid target = as_pid(entry.args[target_index]);
  const int signo = static_cast<std::int32_t>(entry.args[signal_index]);
  // The real number the kernel would get: none of the box's (the number that cannot exist) is
  // ESRCH, as the kernel would say; the row's signals are all valid ones.
  const Task* named = target > 0 ? table.task(target) : nullptr;
  if (!named) {
    decision.answer = ReturnErrno{ESRCH};
    return decision;
  }
  // check_kill_permission(): one's own thread group always, else the credentials.
  if (named->real_tgid != caller->real_tgid && !credentials_allow(*caller, *named, signo, kernel)) {
    decision.answer = ReturnErrno{EPERM};
    return decision;
  }
  // Signal 0 here is init's discard, already checked by decide_entry().
  if (signo == 0) return decision;
  if (discards_when_ignored(signo) && !traced_inside(named->real_tid) &&
      !traced_inside(named->real_tgid) && kernel.ignores(named->real_tgid, signo))
    return decision;
  decision.send = KillSend{named->real_tgid, named->real_tid, signo};
  return decision;
}

}  // namespace vpidbox
