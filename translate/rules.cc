#include "translate/rules.h"

#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <climits>
#include <csignal>

namespace vpidbox {
namespace {

constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioWhoPgrp = 2;
constexpr unsigned kPidfdThread = 0200;  // O_EXCL

Pid as_pid(std::uint64_t arg) {
  return static_cast<Pid>(static_cast<std::int32_t>(arg));
}
std::uint64_t as_arg(Pid pid) {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(pid));
}

// A real number as the box sees it: its virtual number, or 0 when it names something outside
// (the kernel's pid_vnr() of a pid that is not visible in the namespace).
Pid visible_or_zero(const ProcessTable& table, Pid real) {
  if (real <= 0) return 0;
  return table.to_virtual(real).value_or(0);
}

// The real number of a virtual pid that names a task of the box (live or zombie).
std::optional<Pid> task_real(const ProcessTable& table, Pid vnr) {
  if (vnr <= 0) return std::nullopt;
  std::optional<Pid> real = table.to_real(vnr);
  if (!real || !table.contains(*real)) return std::nullopt;
  return real;
}

// The real number of a virtual process-group or session id (its leader may be gone).
std::optional<Pid> group_real(const ProcessTable& table, Pid vnr) {
  if (vnr <= 0) return std::nullopt;
  return table.to_real(vnr);
}

Outcome group_query(const Call& call, const ProcessTable& table, KernelView& kernel, bool session) {
  std::optional<Pid> target = call.real_tid;
  if (call.row->arg_count() > 0 && as_pid(call.args[0]) != 0)
    target = task_real(table, as_pid(call.args[0]));
  if (!target) return ReturnErrno{ESRCH};
  RealOrErrno group = session ? kernel.sid_of(*target) : kernel.pgid_of(*target);
  if (!group.ok()) return ReturnErrno{group.error};
  return ReturnValue{visible_or_zero(table, group.value)};
}

// Rewrites one argument; returns the errno to fail the call with when it names nothing of the
// box, or 0.
int translate_arg(const Call& call, const ProcessTable& table, int index, EntryDecision& out) {
  const ArgKind kind = call.row->args[index];
  const Pid number = as_pid(call.args[index]);
  auto set = [&](Pid real) {
    if (as_arg(real) != out.args[index]) {
      out.args[index] = as_arg(real);
      out.args_changed = true;
    }
  };
  auto process = [&](int error) {
    std::optional<Pid> real = task_real(table, number);
    if (!real) return error;
    set(*real);
    return 0;
  };
  auto thread = [&]() {
    std::optional<Pid> real = resolve_tid(table, call.real_tid, number);
    if (!real) return ESRCH;
    set(*real);
    return 0;
  };
  auto group = [&](Pid vnr, int error, bool negate) {
    std::optional<Pid> real = group_real(table, vnr);
    if (!real) return error;
    set(negate ? -*real : *real);
    return 0;
  };
  switch (kind) {
    case ArgKind::kUnused:
    case ArgKind::kValue:
      return 0;
    case ArgKind::kPidOrZeroSelf:
      return number == 0 || number < 0 ? 0 : process(ESRCH);
    case ArgKind::kTgid:
      return number <= 0 ? 0 : process(ESRCH);
    case ArgKind::kTid:
      return number <= 0 ? 0 : thread();
    case ArgKind::kTidOrZeroSelf:
      return number <= 0 ? 0 : thread();
    case ArgKind::kKillTarget:
      if (number > 0) return process(ESRCH);
      if (number == INT_MIN) return 0;
      if (number == -1) {
        out.signal_whole_box = true;
        return 0;
      }
      if (number == 0) {
        out.signal_group = 0;  // the caller's group: the engine looks it up
        return 0;
      }
      if (std::optional<Pid> real = group_real(table, -number)) {
        out.signal_group = *real;
        return 0;
      }
      return ESRCH;
    case ArgKind::kWaitTarget:
      if (number > 0) return process(ECHILD);
      if (number == 0 || number == -1 || number == INT_MIN) return 0;
      return group(-number, ECHILD, true);
    case ArgKind::kWaitidId: {
      const auto idtype = static_cast<idtype_t>(call.args[0]);
      if (idtype == P_PID) return process(ECHILD);
      if (idtype == P_PGID && number > 0) return group(number, ECHILD, false);
      return 0;
    }
    case ArgKind::kSetpgidGroup:
      return number <= 0 ? 0 : group(number, EPERM, false);
    case ArgKind::kPrioWho: {
      const auto which = static_cast<int>(call.args[0]);
      if (number == 0) return 0;
      if (which == PRIO_PROCESS) return thread();
      if (which == PRIO_PGRP) return group(number, ESRCH, false);
      return 0;
    }
    case ArgKind::kIoprioWho: {
      const auto which = static_cast<int>(call.args[0]);
      if (number == 0) return 0;
      if (which == kIoprioWhoProcess) return thread();
      if (which == kIoprioWhoPgrp) return group(number, ESRCH, false);
      return 0;
    }
    case ArgKind::kPidfdTarget:
      if (number <= 0) return 0;
      return (call.args[1] & kPidfdThread) ? thread() : process(ESRCH);
    case ArgKind::kPerfTarget:
      return number <= 0 ? 0 : thread();
    case ArgKind::kPgidIn:
    case ArgKind::kPidOut:
    case ArgKind::kCapHeader:
    case ArgKind::kSignal:
    case ArgKind::kRebootCmd:
    case ArgKind::kInitRefusesFlag:
    case ArgKind::kPidfdSignal:
      return 0;  // in the caller's memory: the engine reads it (see pgid_in_box, visible_number)
  }
  return 0;
}

bool is_unstoppable(int signo) {
  return signo == SIGKILL || signo == SIGSTOP;
}

}  // namespace

std::optional<Pid> pgid_in_box(const ProcessTable& table, Pid vnr) {
  return group_real(table, vnr);
}

Pid visible_number(const ProcessTable& table, Pid real) {
  return visible_or_zero(table, real);
}

std::optional<Pid> resolve_tid(const ProcessTable& table, Pid caller_real_tid, Pid number) {
  const Task* caller = table.task(caller_real_tid);
  if (const Task* named = table.task(number);
      named && caller && named->real_tgid == caller->real_tgid)
    return number;
  return task_real(table, number);
}

bool has_rule(const SyscallRow& row) {
  switch (row.route) {
    case Route::kRefuse:
      return row.refuse_errno != 0;
    case Route::kUnotify:
      return row.result == ResultKind::kCallerTgid || row.result == ResultKind::kCallerTid ||
             row.result == ResultKind::kParent || row.result == ResultKind::kGroup ||
             row.result == ResultKind::kSession;
    case Route::kTrace: {
      bool translates = row.needs_exit_stop();
      for (ArgKind kind : row.args)
        translates |= kind != ArgKind::kUnused && kind != ArgKind::kValue;
      return translates;
    }
  }
  return false;
}

Outcome decide_query(const Call& call, const ProcessTable& table, KernelView& kernel) {
  const Task* caller = table.task(call.real_tid);
  // Every thread of the box is in the table before it can run; a caller we do not know is not
  // ours to answer for, and guessing would leak a real number.
  if (!caller) return ReturnErrno{ENOSYS};
  switch (call.row->result) {
    case ResultKind::kCallerTid:
      return ReturnValue{caller->vtid};
    case ResultKind::kCallerTgid:
      return ReturnValue{table.virtual_tgid(call.real_tid).value_or(0)};
    case ResultKind::kParent: {
      RealOrErrno parent = kernel.parent_of(caller->real_tgid);
      if (!parent.ok()) return ReturnErrno{parent.error};
      return ReturnValue{visible_or_zero(table, parent.value)};
    }
    case ResultKind::kGroup:
      return group_query(call, table, kernel, false);
    case ResultKind::kSession:
      return group_query(call, table, kernel, true);
    case ResultKind::kPlain:
    case ResultKind::kReapedPid:
      break;
  }
  return Continue{};
}

EntryDecision decide_entry(const Call& call, const ProcessTable& table, KernelView& kernel) {
  EntryDecision out;
  out.args = call.args;
  if (call.row->route == Route::kUnotify) {
    // The ptrace engine serves the pure queries too: skip the syscall, return the answer.
    out.outcome = decide_query(call, table, kernel);
    return out;
  }
  if (!table.task(call.real_tid)) {
    out.outcome = ReturnErrno{ENOSYS};
    return out;
  }
  for (int i = 0; i < call.row->arg_count(); ++i) {
    if (int error = translate_arg(call, table, i, out)) {
      out.outcome = ReturnErrno{error};
      return out;
    }
  }
  for (int i = 0; i < call.row->arg_count(); ++i) {
    if (call.row->args[i] != ArgKind::kRebootCmd) continue;
    // kernel/reboot.c: the magic numbers first, then (in a pid namespace) reboot_pid_ns().
    // The caller's CAP_SYS_BOOT is the engine's to check (EPERM).
    const auto magic1 = static_cast<std::uint32_t>(call.args[0]);
    const auto magic2 = static_cast<std::uint32_t>(call.args[1]);
    const bool magic_ok = magic1 == 0xfee1deadu && (magic2 == 672274793u || magic2 == 85072278u ||
                                                    magic2 == 369367448u || magic2 == 537993216u);
    const auto cmd = static_cast<std::uint32_t>(call.args[i]);
    if (magic_ok && (cmd == 0x01234567u || cmd == 0xA1B2C3D4u))  // RESTART, RESTART2
      out.end_box_as_signal = SIGHUP;
    else if (magic_ok && (cmd == 0x4321FEDCu || cmd == 0xCDEF0123u))  // POWER_OFF, HALT
      out.end_box_as_signal = SIGINT;
    else
      out.outcome = ReturnErrno{EINVAL};
    return out;
  }
  if (const std::optional<Pid> init = table.to_real(1)) {
    const bool caller_is_init = table.task(call.real_tid)->real_tgid == *init;
    for (int i = 0; i < call.row->arg_count(); ++i) {
      // A namespace's init cannot make a sibling of itself: its parent is outside.
      if (call.row->args[i] == ArgKind::kInitRefusesFlag && caller_is_init) {
        out.outcome = ReturnErrno{EINVAL};
        return out;
      }
    }
  }
  // From inside, a namespace's init never receives SIGKILL or SIGSTOP, nor a signal it neither
  // handles nor blocks: the kernel discards them when they are sent (sig_task_ignored), so they
  // cannot even interrupt a sigtimedwait(), and the sending call returns 0.
  if (!out.signal_whole_box && !out.signal_group) {
    const std::optional<Pid> init = table.to_real(1);
    int signo = -1;
    Pid target = 0;
    Pid tgid = 0;
    for (int i = 0; i < call.row->arg_count(); ++i) {
      const ArgKind kind = call.row->args[i];
      if (kind == ArgKind::kSignal) {
        signo = static_cast<int>(call.args[i]);
      } else if (kind == ArgKind::kPidfdSignal) {
        RealOrErrno named = kernel.pidfd_target(call.real_tid, static_cast<int>(call.args[i]));
        if (named.ok()) target = named.value;
      } else if (kind == ArgKind::kTgid && i + 1 < call.row->arg_count() &&
                 call.row->args[i + 1] == ArgKind::kTid) {
        tgid = as_pid(out.args[i]);  // tgkill: the thread decides, if it belongs to tgid
      } else if (kind != ArgKind::kValue && target == 0) {
        target = as_pid(out.args[i]);  // the first pid argument, translated
      }
    }
    const Task* named = target > 0 ? table.task(target) : nullptr;
    // A thread outside the named thread group is ESRCH, the kernel's to say.
    if (named && tgid != 0 && named->real_tgid != tgid) named = nullptr;
    if (init && named && named->real_tgid == *init && signo > 0 &&
        (is_unstoppable(signo) || !kernel.catches_or_blocks(*init, signo))) {
      out.outcome = ReturnValue{0};
      return out;
    }
  }
  if (out.signal_whole_box) return out;
  if (out.signal_group) {
    if (*out.signal_group == 0) {
      RealOrErrno own = kernel.pgid_of(call.real_tid);
      if (!own.ok()) {
        out.outcome = ReturnErrno{own.error};
        return out;
      }
      out.signal_group = own.value;
    }
    return out;
  }
  // The calls that can block with rewritten arguments (wait4, waitid, TIOCSPGRP) all stop at
  // exit, where a restart after a signal gets the caller's own arguments back.
  out.stop_at_exit = call.row->needs_exit_stop();
  return out;
}

std::int64_t translate_result(const SyscallRow& row, std::int64_t result,
                              const ProcessTable& table) {
  if (result <= 0) return result;  // errors, and WNOHANG's 0
  switch (row.result) {
    case ResultKind::kReapedPid:
      if (!table.to_virtual(static_cast<Pid>(result)))
        return table.recently_released(static_cast<Pid>(result)).value_or(0);
      return visible_or_zero(table, static_cast<Pid>(result));
    case ResultKind::kSession:
    case ResultKind::kCallerTgid:
    case ResultKind::kCallerTid:
    case ResultKind::kGroup:
    case ResultKind::kParent:
      return visible_or_zero(table, static_cast<Pid>(result));
    case ResultKind::kPlain:
      break;
  }
  return result;
}

}  // namespace vpidbox
