#include "translate/rules.h"

#include "translate/invariant.h"
#include "translate/object_rules.h"
#include "translate/signal_checks.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/ioprio.h>
#include <linux/reboot.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <climits>
#include <csignal>

namespace vpidbox {
namespace {

// Newer than Debian 12's kernel headers (6.1): pidfd_open's PIDFD_THREAD (6.9) is O_EXCL, and
// pidfd_send_signal's PIDFD_SIGNAL_PROCESS_GROUP (6.9).
constexpr unsigned kPidfdThread = O_EXCL;
constexpr std::uint64_t kPidfdSignalProcessGroup = 1 << 2;
constexpr int kMaxSignal = _NSIG - 1;  // above, the kernel says EINVAL

// The signal a call sends: its kSignal argument.
int signal_of(const Call& call) {
  for (int i = 0; i < call.row->arg_count(); ++i)
    if (call.row->args[i] == ArgKind::kSignal) return static_cast<int>(call.args[i]);
  VPIDBOX_INVARIANT(false, "a signalling row without a signal argument");
  return 0;
}

Pid as_pid(std::uint64_t arg) {
  return static_cast<Pid>(static_cast<std::int32_t>(arg));
}
std::uint64_t as_arg(Pid pid) {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(pid));
}

// A real number as level `view` sees it: its virtual number there, or 0 when it names something
// outside (the kernel's pid_vnr() of a pid that is not visible in the namespace).
Pid visible_or_zero(const ProcessTable& table, LevelId view, Pid real) {
  if (real <= 0) return 0;
  return table.to_virtual(real, view).value_or(0);
}

// The real number of a virtual pid of level `view` that names a task (live or zombie).
std::optional<Pid> task_real(const ProcessTable& table, LevelId view, Pid vnr) {
  if (vnr <= 0) return std::nullopt;
  std::optional<Pid> real = table.to_real(vnr, view);
  if (!real || !table.contains(*real)) return std::nullopt;
  return real;
}

// The real number of a virtual process-group or session id of level `view` (its leader may be
// gone).
std::optional<Pid> group_real(const ProcessTable& table, LevelId view, Pid vnr) {
  if (vnr <= 0) return std::nullopt;
  return table.to_real(vnr, view);
}

Outcome group_query(const Call& call, const ProcessTable& table, KernelView& kernel, bool session) {
  const LevelId view = table.level_of(call.real_tid);
  std::optional<Pid> target = call.real_tid;
  if (const Pid named = as_pid(call.arg_of(ArgKind::kPidOrZeroSelf)); named != 0)
    target = task_real(table, view, named);
  if (!target) return ReturnErrno{ESRCH};
  RealOrErrno group = session ? kernel.sid_of(*target) : kernel.pgid_of(*target);
  if (!group.ok()) return ReturnErrno{group.error};
  return ReturnValue{visible_or_zero(table, view, group.value)};
}

// The real number of an owner as F_SETOWN takes it (> 0 a task or any number the caller's level
// holds, < 0 a group, 0 none): what the kernel must be given; kNoSuchPid (negated for a group)
// for a number that names nothing there, so that the kernel answers ESRCH as in a namespace.
Pid owner_for_kernel(const ProcessTable& table, Pid caller_real_tid, Pid number) {
  const LevelId view = table.level_of(caller_real_tid);
  if (number == 0 || number == INT_MIN) return number;  // none; EINVAL from the kernel
  if (number < 0) return -group_real(table, view, -number).value_or(kNoSuchPid);
  if (std::optional<Pid> real = resolve_tid(table, caller_real_tid, number)) return *real;
  // f_setown() takes any number in use.
  return table.to_real(number, view).value_or(kNoSuchPid);
}

// Rewrites one argument. A number that names nothing of the box becomes kNoSuchPid, never an
// errno of ours: the kernel checks descriptors, flags, signals and pointers before it looks a
// pid up, and must be left to do so in its own order.
void translate_arg(const Call& call, const ProcessTable& table, int index, EntryDecision& out) {
  const LevelId view = table.level_of(call.real_tid);
  const ArgKind kind = call.row->args[index];
  const Pid number = as_pid(call.args[index]);
  auto set = [&](Pid real) {
    if (as_arg(real) != out.args[index]) {
      out.args[index] = as_arg(real);
      out.args_changed = true;
    }
  };
  // Numbers <= 0 are left to the kernel unless the kind gives them a meaning to translate.
  auto process = [&]() {
    if (number > 0) set(task_real(table, view, number).value_or(kNoSuchPid));
  };
  auto thread = [&]() {
    if (number > 0) set(resolve_tid(table, call.real_tid, number).value_or(kNoSuchPid));
  };
  auto group = [&](Pid vnr, bool negate) {
    const Pid real = group_real(table, view, vnr).value_or(kNoSuchPid);
    set(negate ? -real : real);
  };
  switch (kind) {
    case ArgKind::kUnused:
    case ArgKind::kValue:
      return;
    case ArgKind::kPidOrZeroSelf:
    case ArgKind::kTgid:
      return process();
    case ArgKind::kTid:
    case ArgKind::kTidOrZeroSelf:
    case ArgKind::kPerfTarget:
      return thread();
    case ArgKind::kKillTarget:
      if (number > 0) return process();
      if (number == INT_MIN) return;  // ESRCH from the kernel
      if (number == -1) {
        out.outcome = SignalBox{signal_of(call)};
      } else if (number == 0) {
        out.outcome = SignalGroup{0, signal_of(call)};  // the caller's group, looked up below
      } else if (std::optional<Pid> real = group_real(table, view, -number)) {
        out.outcome = SignalGroup{*real, signal_of(call)};
      } else {
        set(-kNoSuchPid);  // no group of the box: the kernel finds none either
      }
      return;
    case ArgKind::kWaitTarget:
      if (number > 0) return process();
      if (number < -1 && number != INT_MIN) group(-number, true);
      return;
    case ArgKind::kWaitidId: {
      const auto idtype = static_cast<idtype_t>(call.arg_of(ArgKind::kIdType));
      if (idtype == P_PID) return process();
      if (idtype == P_PGID && number > 0) group(number, false);
      return;
    }
    case ArgKind::kSetpgidGroup:
      if (number > 0) group(number, false);
      return;
    case ArgKind::kPrioWho:
    case ArgKind::kIoprioWho: {
      const auto which = static_cast<int>(call.arg_of(ArgKind::kWhich));
      const bool prio = kind == ArgKind::kPrioWho;
      const int process = prio ? static_cast<int>(PRIO_PROCESS) : IOPRIO_WHO_PROCESS;
      const int pgrp = prio ? static_cast<int>(PRIO_PGRP) : IOPRIO_WHO_PGRP;
      if (which == process) return thread();
      if (which == pgrp && number > 0) group(number, false);
      return;
    }
    case ArgKind::kPidfdTarget:
      return (call.arg_of(ArgKind::kFlags) & kPidfdThread) ? thread() : process();
    case ArgKind::kOwner:
      return set(owner_for_kernel(table, call.real_tid, number));
    case ArgKind::kPgidIn:
    case ArgKind::kPidOut:
    case ArgKind::kCapHeader:
    case ArgKind::kOwnerIn:
    case ArgKind::kOwnerOut:
    case ArgKind::kOwnerExIn:
    case ArgKind::kOwnerExOut:
    case ArgKind::kSigeventIn:
    case ArgKind::kSiginfoOut:
      return;  // in the caller's memory: the engine reads it (see memory_pid_for_kernel)
    case ArgKind::kSignal:
    case ArgKind::kIdType:
    case ArgKind::kWhich:
    case ArgKind::kFlags:
    case ArgKind::kFd:
    case ArgKind::kPath:
    case ArgKind::kOpenHow:
    case ArgKind::kSiginfoIn:
    case ArgKind::kSigsetIn:
    case ArgKind::kCloneFlags:
    case ArgKind::kCloneArgsStruct:
    case ArgKind::kPidfdSignal:
    case ArgKind::kRebootMagic1:
    case ArgKind::kRebootMagic2:
    case ArgKind::kRebootCmd:
    case ArgKind::kPtraceRequest:
      return;  // not a pid: read by the rules beside one (decide_entry)
    case ArgKind::kClockId:
      return set(
          clock_id_for_kernel(static_cast<std::int32_t>(call.args[index]), table, call.real_tid));
    case ArgKind::kInitAttribute:
    case ArgKind::kFlockOut:
    case ArgKind::kPeerCredOut:
    case ArgKind::kPidfdInfoOut:
    case ArgKind::kShmidOut:
    case ArgKind::kMsqidOut:
    case ArgKind::kPassCredIn:
    case ArgKind::kSignalfdFd:
    case ArgKind::kMsgHdrIn:
    case ArgKind::kMmsgHdrIn:
    case ArgKind::kSockaddrIn:
    case ArgKind::kMsgHdrOut:
    case ArgKind::kMmsgHdrOut:
    case ArgKind::kReadFd:
    case ArgKind::kDupOfFd:
      return;  // served by the engine (supervisor/surface_rewrites.h, supervisor/call_look.h)
  }
}

bool is_unstoppable(int signo) {
  return signo == SIGKILL || signo == SIGSTOP;
}

}  // namespace

std::optional<Pid> memory_pid_for_kernel(ArgKind kind, const ProcessTable& table,
                                         Pid caller_real_tid, Pid number, int selector) {
  const LevelId view = table.level_of(caller_real_tid);
  switch (kind) {
    case ArgKind::kPgidIn:  // tcsetpgrp(): < 0 is EINVAL, 0 finds nothing
      if (number <= 0) return std::nullopt;
      return group_real(table, view, number).value_or(kNoSuchPid);
    case ArgKind::kCapHeader:  // 0 is the caller, < 0 EINVAL
      if (number <= 0) return std::nullopt;
      return resolve_tid(table, caller_real_tid, number).value_or(kNoSuchPid);
    case ArgKind::kOwnerIn:
      return owner_for_kernel(table, caller_real_tid, number);
    case ArgKind::kOwnerExIn:
      // F_OWNER_TID, F_OWNER_PID: a task; F_OWNER_PGRP: a group. Other types are EINVAL, and a
      // number <= 0 is none or ESRCH: the kernel's to say.
      if (number <= 0 ||
          (selector != F_OWNER_TID && selector != F_OWNER_PID && selector != F_OWNER_PGRP))
        return std::nullopt;
      if (selector == F_OWNER_PGRP) return group_real(table, view, number).value_or(kNoSuchPid);
      return owner_for_kernel(table, caller_real_tid, number);
    case ArgKind::kSigeventIn:
      // Only SIGEV_SIGNAL | SIGEV_THREAD_ID (4) names a thread; the kernel refuses (EINVAL) one
      // outside the caller's thread group, so an unknown number goes as one that cannot exist.
      if (selector != SIGEV_THREAD_ID || number <= 0) return std::nullopt;
      return resolve_tid(table, caller_real_tid, number).value_or(kNoSuchPid);
    default:
      return std::nullopt;
  }
}

std::optional<Pid> owner_ex_as_setown(int type, Pid pid) {
  if (type != F_OWNER_TID && type != F_OWNER_PID && type != F_OWNER_PGRP) return INT_MIN;
  if (type == F_OWNER_TID || (type == F_OWNER_PGRP && pid == 0)) return std::nullopt;
  if (pid < 0) return INT_MAX;  // kNoSuchPid as the caller's number: it stays one
  return type == F_OWNER_PGRP ? -pid : pid;
}

Pid memory_pid_for_caller(ArgKind kind, const ProcessTable& table, LevelId view, Pid real) {
  if (kind == ArgKind::kOwnerOut) return owner_for_caller(table, view, real);
  return visible_or_zero(table, view, real);
}

Pid visible_number(const ProcessTable& table, LevelId view, Pid real) {
  return visible_or_zero(table, view, real);
}

Pid owner_for_caller(const ProcessTable& table, LevelId view, Pid real) {
  if (real < 0) return -visible_or_zero(table, view, -real);
  return visible_or_zero(table, view, real);
}

std::optional<Pid> resolve_tid(const ProcessTable& table, Pid caller_real_tid, Pid number) {
  const Task* caller = table.task(caller_real_tid);
  if (const Task* named = table.task(number);
      named && caller && named->real_tgid == caller->real_tgid)
    return number;
  return task_real(table, table.level_of(caller_real_tid), number);
}

bool has_rule(const SyscallRow& row) {
  switch (row.route) {
    case Route::kRefuse:
      return row.refuse_errno != 0;
    case Route::kProcOpen:
      return row.has(ArgKind::kPath);  // supervisor/proc_open.h decides on the path
    case Route::kControl:
      return true;  // supervisor/control_route.h answers it
    case Route::kSignalSend:
      // translate/queued_signals.h decides them
      return row.has(ArgKind::kSiginfoIn) || row.has(ArgKind::kKillTarget);
    case Route::kLook:
    case Route::kStacked: {  // supervisor/call_look.h, supervisor/surface_rewrites.h
      bool looks = false;
      for (ArgKind kind : row.args) looks |= carries_pid_in_object(kind);
      return looks;
    }
    case Route::kUnotify:
      if (is_signal_check(row)) return true;  // translate/signal_checks.h answers it
      return row.result == ResultKind::kCallerTgid || row.result == ResultKind::kCallerTid ||
             row.result == ResultKind::kParent || row.result == ResultKind::kGroup ||
             row.result == ResultKind::kSession;
    case Route::kTrace: {
      bool translates = row.needs_exit_stop();
      for (ArgKind kind : row.args)
        translates |= carries_pid(kind) || kind == ArgKind::kSiginfoOut ||
                      kind == ArgKind::kCloneFlags || kind == ArgKind::kCloneArgsStruct ||
                      kind == ArgKind::kPidfdSignal || kind == ArgKind::kRebootCmd ||
                      carries_pid_in_object(kind);
      return translates;
    }
  }
  return false;
}

Outcome decide_query(const Call& call, const ProcessTable& table, KernelView& kernel) {
  if (is_signal_check(*call.row)) return decide_signal_check(call, table, kernel);
  const Task* caller = table.task(call.real_tid);
  // Every thread of the box is in the table before it can run; a caller we do not know is not
  // ours to answer for, and guessing would leak a real number.
  if (!caller) return ReturnErrno{ENOSYS};
  const LevelId view = caller->level;
  switch (call.row->result) {
    case ResultKind::kCallerTid:
      return ReturnValue{caller->vtid};
    case ResultKind::kCallerTgid:
      return ReturnValue{table.virtual_tgid(call.real_tid).value_or(0)};
    case ResultKind::kParent: {
      RealOrErrno parent = kernel.parent_of(caller->real_tgid);
      if (!parent.ok()) return ReturnErrno{parent.error};
      return ReturnValue{visible_or_zero(table, view, parent.value)};
    }
    case ResultKind::kGroup:
      return group_query(call, table, kernel, false);
    case ResultKind::kSession:
      return group_query(call, table, kernel, true);
    case ResultKind::kPlain:
    case ResultKind::kReapedPid:
    case ResultKind::kNewChild:
    case ResultKind::kOwner:
    case ResultKind::kVisiblePid:
      break;
  }
  return Continue{};
}

EntryDecision decide_entry(const Call& call, const ProcessTable& table, KernelView& kernel) {
  EntryDecision out;
  out.args = call.args;
  if (call.row->route == Route::kUnotify) {
    // The ptrace engine serves the pure queries too: skip the syscall, return the answer.
    out.outcome = std::visit([](auto answer) -> EntryOutcome { return answer; },
                             decide_query(call, table, kernel));
    return out;
  }
  if (!table.task(call.real_tid)) {
    out.outcome = ReturnErrno{ENOSYS};
    return out;
  }
  for (int i = 0; i < call.row->arg_count(); ++i) translate_arg(call, table, i, out);
  for (int i = 0; i < call.row->arg_count(); ++i) {
    if (call.row->args[i] != ArgKind::kRebootCmd) continue;
    // kernel/reboot.c: the magic numbers first, then (in a pid namespace) reboot_pid_ns().
    // The caller's CAP_SYS_BOOT is the engine's to check (EPERM).
    const auto magic1 = static_cast<std::uint32_t>(call.arg_of(ArgKind::kRebootMagic1));
    const auto magic2 = static_cast<std::uint32_t>(call.arg_of(ArgKind::kRebootMagic2));
    const bool magic_ok = magic1 == LINUX_REBOOT_MAGIC1 &&
                          (magic2 == LINUX_REBOOT_MAGIC2 || magic2 == LINUX_REBOOT_MAGIC2A ||
                           magic2 == LINUX_REBOOT_MAGIC2B || magic2 == LINUX_REBOOT_MAGIC2C);
    const auto cmd = static_cast<std::uint32_t>(call.args[i]);
    if (magic_ok && (cmd == LINUX_REBOOT_CMD_RESTART || cmd == LINUX_REBOOT_CMD_RESTART2))
      out.outcome = EndBox{SIGHUP};
    else if (magic_ok && (cmd == LINUX_REBOOT_CMD_POWER_OFF || cmd == LINUX_REBOOT_CMD_HALT))
      out.outcome = EndBox{SIGINT};
    else
      out.outcome = ReturnErrno{EINVAL};
    return out;
  }
  for (int i = 0; i < call.row->arg_count(); ++i) {
    if (call.row->args[i] != ArgKind::kCloneFlags) continue;
    // Any level's init: a namespace's init may not make a sibling of itself.
    const std::optional<Pid> init = table.init_of(table.level_of(call.real_tid));
    const bool caller_is_init = init && table.task(call.real_tid)->real_tgid == *init;
    const CloneFlagsRule rule = rule_for_clone_flags(call.args[i], caller_is_init);
    if (rule.error) {
      out.outcome = ReturnErrno{rule.error};
      return out;
    }
    if (rule.flags != out.args[i]) {
      out.args[i] = rule.flags;
      out.args_changed = true;
    }
  }
  // pidfd_send_signal(PIDFD_SIGNAL_PROCESS_GROUP) signals the group numbered as the pidfd's
  // process: emulated over the box's members, as kill(-pgid) is, so that init discards what it
  // would discard and the other members still get the signal. (A siginfo, which the emulation
  // cannot pass on, and a pidfd of an outside process, a capability received from outside, are
  // the kernel's.)
  for (int i = 0; i < call.row->arg_count(); ++i) {
    if (call.row->args[i] != ArgKind::kPidfdSignal || call.arg_of(ArgKind::kSiginfoIn) != 0 ||
        call.arg_of(ArgKind::kFlags) != kPidfdSignalProcessGroup)
      continue;
    const RealOrErrno named = kernel.pidfd_target(call.real_tid, static_cast<int>(call.args[i]));
    if (named.ok() && table.task(named.value))
      out.outcome = SignalGroup{named.value, signal_of(call)};
  }
  // From inside, a namespace's init never receives SIGKILL or SIGSTOP, nor a signal it neither
  // handles nor blocks: the kernel discards them when they are sent (sig_task_ignored), so they
  // cannot even interrupt a sigtimedwait(), and the sending call returns 0. The kernel still
  // checks everything else first (permission, the siginfo, flags): the call runs with signal 0,
  // which checks and sends nothing. A number that names nothing makes the kernel fail the call
  // (ESRCH): tgkill(1, n) of an outside n is no signal to init.
  bool names_nothing = false;
  for (int i = 0; i < call.row->arg_count(); ++i)
    names_nothing |= carries_pid(call.row->args[i]) &&
                     (out.args[i] == as_arg(kNoSuchPid) || out.args[i] == as_arg(-kNoSuchPid));
  const bool emulated = std::holds_alternative<SignalBox>(out.outcome) ||
                        std::holds_alternative<SignalGroup>(out.outcome);
  if (!emulated && !names_nothing) {
    // The init of the caller's own level; the init of a level nested in it is signalled as from
    // an ancestor namespace, which the kernel does not filter here (SIGKILL and SIGSTOP are
    // forced, and what it does not handle is dropped at delivery: on_signal_delivery).
    const std::optional<Pid> init = table.init_of(table.level_of(call.real_tid));
    int signo = -1;
    int signal_index = -1;
    bool pidfd_with_siginfo = false;
    Pid target = 0;
    Pid tgid = 0;
    for (int i = 0; i < call.row->arg_count(); ++i) {
      const ArgKind kind = call.row->args[i];
      if (kind == ArgKind::kSignal) {
        signo = static_cast<int>(call.args[i]);
        signal_index = i;
      } else if (kind == ArgKind::kPidfdSignal) {
        RealOrErrno named = kernel.pidfd_target(call.real_tid, static_cast<int>(call.args[i]));
        if (named.ok()) target = named.value;
        pidfd_with_siginfo = call.arg_of(ArgKind::kSiginfoIn) != 0;
      } else if (kind == ArgKind::kTgid && call.row->has(ArgKind::kTid)) {
        tgid = as_pid(out.args[i]);  // tgkill: the thread decides, if it belongs to tgid
      } else if (carries_pid(kind) && target == 0) {
        target = as_pid(out.args[i]);  // the first pid argument, translated
      }
    }
    const Task* named = target > 0 ? table.task(target) : nullptr;
    // A thread outside the named thread group is ESRCH, the kernel's to say.
    if (named && tgid != 0 && named->real_tgid != tgid) named = nullptr;
    if (init && named && named->real_tgid == *init && signo > 0 && signo <= kMaxSignal &&
        (is_unstoppable(signo) || !kernel.catches_or_blocks(*init, signo))) {
      // pidfd_send_signal() insists that the siginfo's signal is the call's: no signal 0 there.
      if (pidfd_with_siginfo) {
        out.outcome = ReturnValue{0};
        return out;
      }
      // kill, tkill and tgkill with signal 0 are questions the supervisor answers: the kernel
      // would run the rewritten call through the filter again, and send it to the listener.
      std::array<std::uint64_t, 6> as_check = call.args;
      as_check[signal_index] = 0;
      if (const SyscallRow* check = find_syscall(call.row->nr_x86_64, as_check);
          check && is_signal_check(*check)) {
        out.outcome =
            std::visit([](auto answer) -> EntryOutcome { return answer; },
                       decide_signal_check(Call{call.real_tid, check, as_check}, table, kernel));
        return out;
      }
      out.args[signal_index] = 0;
      out.args_changed = true;
      return out;
    }
  }
  if (auto* group = std::get_if<SignalGroup>(&out.outcome); group && group->real_pgid == 0) {
    RealOrErrno own = kernel.pgid_of(call.real_tid);
    if (own.ok())
      group->real_pgid = own.value;
    else
      out.outcome = ReturnErrno{own.error};
  }
  if (emulated) return out;
  // The calls that can block with rewritten arguments (wait4, waitid, TIOCSPGRP) all stop at
  // exit, where a restart after a signal gets the caller's own arguments back.
  out.stop_at_exit = call.row->needs_exit_stop();
  return out;
}

int write_ns_last_pid(ProcessTable& table, LevelId level, std::uint64_t effective_caps, Pid nr) {
  const auto has = [&](int cap) { return (effective_caps >> cap) & 1; };
  if (!has(CAP_SYS_ADMIN) && !has(CAP_CHECKPOINT_RESTORE)) return EPERM;
  return table.set_last_allocated(level, nr) ? 0 : EINVAL;
}

CloneFlagsRule rule_for_clone_flags(std::uint64_t flags, bool caller_is_init) {
  if ((flags & CLONE_PARENT) && caller_is_init) return {EINVAL, flags};
  return {0, flags & ~static_cast<std::uint64_t>(CLONE_UNTRACED)};
}

std::int64_t translate_result(const SyscallRow& row, std::int64_t result, const ProcessTable& table,
                              LevelId view) {
  if (row.result == ResultKind::kOwner) {
    // A group is negative, like an error: -4095..-1 is an errno unless it names a group the
    // caller sees (the ambiguity is the kernel's own; glibc reads the owner with F_GETOWN_EX).
    if (result >= -4095 && result < 0 && !table.to_virtual(static_cast<Pid>(-result), view))
      return result;
    return owner_for_caller(table, view, static_cast<Pid>(result));
  }
  if (result <= 0) return result;  // errors, and WNOHANG's 0
  switch (row.result) {
    case ResultKind::kReapedPid:
    case ResultKind::kNewChild:
      if (!table.to_virtual(static_cast<Pid>(result), view))
        return table.recently_released(static_cast<Pid>(result), view).value_or(0);
      return visible_or_zero(table, view, static_cast<Pid>(result));
    case ResultKind::kSession:
    case ResultKind::kCallerTgid:
    case ResultKind::kCallerTid:
    case ResultKind::kGroup:
    case ResultKind::kParent:
      return visible_or_zero(table, view, static_cast<Pid>(result));
    case ResultKind::kPlain:
    case ResultKind::kOwner:
    case ResultKind::kVisiblePid:  // supervisor/surface_rewrites.h: it may name a process gone
      break;
  }
  return result;
}

}  // namespace vpidbox
