// The ptrace route: calls the kernel must run in the caller's context with translated
// arguments, results to rewrite at syscall exit, and the siginfo a signal is delivered with.
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "procfs-fuse/proc_tree.h"
#include "supervisor/box_session.h"
#include "supervisor/kernel_abi.h"
#include "supervisor/proc_open.h"
#include "supervisor/tracee.h"
#include "translate/invariant.h"

namespace vpidbox {
namespace {

constexpr int kCapKill = 5;

constexpr int kCapSysBoot = 22;

// kernel/signal.c kill_ok_by_cred(), for one user namespace.
bool may_signal(const TaskCreds& sender, const TaskCreds& target) {
  return sender.has(kCapKill) || sender.euid == target.suid || sender.euid == target.ruid ||
         sender.ruid == target.suid || sender.ruid == target.ruid;
}

// -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK (kernel-internal).
bool is_restart_code(std::int64_t result) {
  return result == -512 || result == -513 || result == -514 || result == -516;
}

std::int64_t outcome_register(const Outcome& outcome) {
  if (const auto* v = std::get_if<ReturnValue>(&outcome)) return v->value;
  return -std::get<ReturnErrno>(outcome).error;
}

}  // namespace

void BoxSession::trace_exec_of_threads(pid_t tid) {
  ::ptrace(PTRACE_SETOPTIONS, tid, 0, kTraceOptions | PTRACE_O_TRACEEXEC);
}

void BoxSession::on_fork_event(pid_t tid) {
  unsigned long child = 0;
  if (::ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0 &&
      !traced_.contains(static_cast<Pid>(child)))
    register_task(static_cast<pid_t>(child));
  // A thread's execve gives it the leader's number, which only an exec event tells; single-
  // threaded processes (most) do not pay that stop. New threads inherit the option.
  if (const Task* created = table_.task(static_cast<Pid>(child));
      created && created->real_tgid != static_cast<Pid>(child))
    trace_exec_of_threads(tid);
  // The parent's fork returns the child's real number: stop it once more at syscall exit (no
  // trap at syscall entry is needed for that) and hand it the virtual one.
  traced_[tid].exit = PendingExit{};
  ::ptrace(PTRACE_SYSCALL, tid, 0, 0);
}

void BoxSession::on_exec_event(pid_t tid) {
  unsigned long former = 0;
  if (::ptrace(PTRACE_GETEVENTMSG, tid, 0, &former) == 0 && static_cast<pid_t>(former) != tid) {
    // A non-leader thread called execve: it now has the leader's tid, its own is released.
    table_.exec_by_thread(static_cast<Pid>(former), tid);
    traced_.erase(static_cast<Pid>(former));
  }
  resume(tid);
}

// A /proc/<n> directory fd works as a pidfd (psmisc's killall signals through one), but the box's
// are FUSE directories, which pidfd_send_signal() refuses with EBADF. The call becomes the kill()
// it stands for (rt_sigqueueinfo() with a siginfo), decided and translated as one from here on.
void BoxSession::proc_dir_as_pidfd(pid_t tid, Call& call, user_regs_struct& regs) {
  const auto fd = static_cast<int>(call.args[0]);
  if (fd < 0 || call.args[3] != 0) return;  // flags: the kernel's to refuse
  const std::string link = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  // DONT_SYNC: the attributes of the box's /proc come from this very thread.
  struct statx sx {};
  if (::statx(AT_FDCWD, link.c_str(), AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) != 0 ||
      !(sx.stx_mask & STATX_MNT_ID) || sx.stx_mnt_id != proc_mount_id_)
    return;
  char text[64];
  const ssize_t n = ::readlink(link.c_str(), text, sizeof(text));
  const std::string_view path(text, n > 0 ? static_cast<std::size_t>(n) : 0);
  if (!path.starts_with("/proc/")) return;
  const std::optional<Pid> vnr = procfs::parse_pid_name(path.substr(6));
  if (!vnr) return;
  const long nr = call.args[2] ? SYS_rt_sigqueueinfo : SYS_kill;
  const std::array<std::uint64_t, 6> args{
      static_cast<std::uint64_t>(*vnr), call.args[1], call.args[2], 0, 0, 0};
  const SyscallRow* row = find_syscall(static_cast<int>(nr), args);
  if (!row) return;
  call.row = row;
  call.args = args;
  regs.orig_rax = static_cast<unsigned long long>(nr);
  tracee::set_syscall_args(regs, args);
  tracee::set_regs(tid, regs);
}

void BoxSession::on_seccomp_stop(pid_t tid) {
  user_regs_struct regs;
  if (!tracee::get_regs(tid, regs)) return;
  if (is_fd_open_syscall(static_cast<int>(regs.orig_rax))) {
    if (proc_fs_ && rewrite_fd_open(tid, regs, table_, proc_mount_id_)) tracee::set_regs(tid, regs);
    return resume(tid);
  }
  Call call;
  call.real_tid = tid;
  call.args = tracee::syscall_args(regs);
  call.row = find_syscall(static_cast<int>(regs.orig_rax), call.args);
  VPIDBOX_INVARIANT(call.row != nullptr, "SECCOMP_RET_TRACE for a syscall outside the table");
  if (proc_fs_ && call.row->args[0] == ArgKind::kPidfdSignal) proc_dir_as_pidfd(tid, call, regs);
  EntryDecision decision = decide_entry(call, table_, kernel_);
  if (decision.end_box_as_signal)
    decision.outcome = end_box_by_reboot(tid, decision.end_box_as_signal);
  if (decision.signal_whole_box)
    decision.outcome = ReturnValue{signal_whole_box(tid, static_cast<int>(call.args[1]))};
  else if (decision.signal_group && std::holds_alternative<Continue>(decision.outcome))
    decision.outcome =
        ReturnValue{signal_group(tid, *decision.signal_group, static_cast<int>(call.args[1]))};
  if (auto* v = std::get_if<ReturnValue>(&decision.outcome); v && v->value < 0)
    decision.outcome = ReturnErrno{static_cast<int>(-v->value)};
  PendingExit pending{call.row, call.args, std::nullopt};
  if (std::holds_alternative<Continue>(decision.outcome))
    pending.restore_memory_arg =
        translate_memory_arg(tid, call, decision, pending.restore_memory_at);

  if (trace_.enabled() &&
      (!decision.stop_at_exit || !std::holds_alternative<Continue>(decision.outcome))) {
    const Task* task = table_.task(tid);
    trace_.write(task ? task->vtid : 0, call, decision.outcome);
  }
  if (!std::holds_alternative<Continue>(decision.outcome)) {
    // Skip the syscall: number -1, and the answer in the return register.
    regs.orig_rax = static_cast<unsigned long long>(-1);
    regs.rax = static_cast<unsigned long long>(outcome_register(decision.outcome));
    tracee::set_regs(tid, regs);
    return resume(tid);
  }
  if (decision.args_changed) {
    tracee::set_syscall_args(regs, decision.args);
    tracee::set_regs(tid, regs);
  }
  if (!decision.stop_at_exit) return resume(tid);
  TracedTask& traced = traced_[tid];
  traced.exit = pending;
  if (call.row->siginfo_out == SiginfoOut::kArg1 && call.args[0])  // rt_sigtimedwait(set, ...)
    tracee::read_memory(tid, call.args[0], &traced.waiting_for, sizeof(traced.waiting_for));
  ::ptrace(PTRACE_SYSCALL, tid, 0, 0);
}

void BoxSession::on_syscall_exit(pid_t tid) {
  auto it = traced_.find(tid);
  if (it == traced_.end() || !it->second.exit) return resume(tid);
  const PendingExit pending = *it->second.exit;
  it->second.exit.reset();
  it->second.waiting_for = 0;
  std::int64_t result = 0;
  if (!tracee::get_result(tid, result)) return;

  if (!pending.row) {
    // fork, vfork or clone: the child was registered at the event.
    if (result > 0) {
      // The child may already be gone: auto-reaped (SIGCHLD ignored) before this exit stop.
      const auto real = static_cast<Pid>(result);
      const Pid vnr = table_.to_virtual(real).value_or(table_.recently_released(real).value_or(0));
      tracee::set_result(tid, vnr);
    }
    return resume(tid);
  }
  // A call interrupted by a signal is restarted by the kernel with the registers as they are:
  // give back the caller's own (virtual) arguments, which the restart's stop translates anew.
  if (is_restart_code(result)) {
    if (pending.restore_memory_arg)
      tracee::write_memory(tid, pending.restore_memory_at, &*pending.restore_memory_arg,
                           sizeof(std::int32_t));
    user_regs_struct regs;
    if (tracee::get_regs(tid, regs)) {
      tracee::set_syscall_args(regs, pending.args);
      tracee::set_regs(tid, regs);
    }
    return resume(tid);
  }
  std::int64_t shown = result;
  if (pending.row->result != ResultKind::kPlain) {
    shown = translate_result(*pending.row, result, table_);
    if (shown != result) tracee::set_result(tid, shown);
  }
  if (pending.restore_memory_arg)
    tracee::write_memory(tid, pending.restore_memory_at, &*pending.restore_memory_arg,
                         sizeof(std::int32_t));
  if (pending.row->args[2] == ArgKind::kPidOut && result == 0 && pending.args[2]) {
    std::int32_t real = 0;
    if (tracee::read_memory(tid, pending.args[2], &real, sizeof(real))) {
      const std::int32_t shown_id = visible_number(table_, real);
      tracee::write_memory(tid, pending.args[2], &shown_id, sizeof(shown_id));
    }
  }
  if (pending.row->siginfo_out != SiginfoOut::kNoSiginfo && result >= 0) {
    const std::uint64_t address =
        pending.args[pending.row->siginfo_out == SiginfoOut::kArg1 ? 1 : 2];
    if (address) rewrite_siginfo_at(tid, address);
  }
  if (trace_.enabled()) {
    const Task* task = table_.task(tid);
    Call call{tid, pending.row, pending.args};
    trace_.write(
        task ? task->vtid : 0, call,
        shown < 0 ? Outcome{ReturnErrno{static_cast<int>(-shown)}} : Outcome{ReturnValue{shown}});
  }
  if (pending.row->result == ResultKind::kReapedPid && result > 0)
    forget_if_reaped(static_cast<pid_t>(result));
  resume(tid);
}

// Pids the kernel reads from the caller's memory: TIOCSPGRP's pgid (argument 2) and the pid of
// capget()/capset()'s header (argument 0, after the 32-bit version). The real number is written
// for the kernel; the caller's own value is returned, to be put back at exit.
std::optional<std::int32_t> BoxSession::translate_memory_arg(pid_t tid, const Call& call,
                                                             EntryDecision& decision,
                                                             std::uint64_t& address) {
  const bool pgid = call.row->args[2] == ArgKind::kPgidIn && call.args[2];
  const bool cap_header = call.row->args[0] == ArgKind::kCapHeader && call.args[0];
  if (!pgid && !cap_header) return std::nullopt;
  address = pgid ? call.args[2] : call.args[0] + sizeof(std::uint32_t);
  std::int32_t vnr = 0;
  if (!tracee::read_memory(tid, address, &vnr, sizeof(vnr))) return std::nullopt;  // EFAULT
  std::optional<Pid> real;
  if (pgid) {
    real = pgid_in_box(table_, vnr);
  } else {
    if (vnr == 0) return std::nullopt;  // the caller itself
    real = resolve_tid(table_, tid, vnr);
    // capset() acts on the caller only and says EPERM for anyone else, in or out of the box: an
    // unknown number may go to the kernel as it is.
    if (!real && call.row->name == "capset") return std::nullopt;
  }
  if (!real) {
    decision.outcome = ReturnErrno{ESRCH};
    return std::nullopt;
  }
  const std::int32_t value = *real;
  if (!tracee::write_memory(tid, address, &value, sizeof(value))) return std::nullopt;
  return vnr;
}

void BoxSession::rewrite_siginfo_at(pid_t tid, std::uint64_t address) {
  siginfo_t info;
  if (!tracee::read_memory(tid, address, &info, sizeof(info))) return;  // EFAULT: a value
  const Pid real = info.si_pid;
  if (info.si_code == SI_USER && real == supervisor_pid_) {
    // Sent by the supervisor (kill(-1), kill(0), kill(-pgid)) and taken by sigtimedwait() or
    // sigwaitinfo(), with no delivery stop to name the sender: as at that stop.
    const Task* task = table_.task(tid);
    auto sender =
        task ? emulated_senders_.find({task->real_tgid, info.si_signo}) : emulated_senders_.end();
    EmulatedSender shown{0, info.si_uid};
    if (sender != emulated_senders_.end()) {
      shown = sender->second;
      emulated_senders_.erase(sender);
    }
    tracee::write_memory(tid, address + offsetof(siginfo_t, si_pid), &shown.vpid,
                         sizeof(shown.vpid));
    tracee::write_memory(tid, address + offsetof(siginfo_t, si_uid), &shown.uid, sizeof(shown.uid));
    return;
  }
  std::optional<Pid> shown = virtual_si_pid(info.si_signo, info.si_code, real, table_);
  if (!shown || *shown == real) return;
  const Pid value = *shown;
  tracee::write_memory(tid, address + offsetof(siginfo_t, si_pid), &value, sizeof(value));
  // waitid() may just have reaped the child it reports.
  if (info.si_signo == SIGCHLD) forget_if_reaped(real);
}

void BoxSession::on_signal_delivery(pid_t tid, int signo) {
  siginfo_t info{};
  if (::ptrace(PTRACE_GETSIGINFO, tid, 0, &info) != 0) return;  // it died
  const Task* task = table_.task(tid);
  const bool is_init = task && task->real_tgid == init_pid_;
  bool changed = false;
  bool sender_in_box = true;
  if (info.si_code == SI_USER && info.si_pid == supervisor_pid_) {
    // Sent by the supervisor: forwarded from outside, or kill(-1) emulated for a box process.
    sender_in_box = false;
    if (task) {
      auto sender = emulated_senders_.find({task->real_tgid, signo});
      if (sender != emulated_senders_.end()) {
        info.si_pid = sender->second.vpid;
        info.si_uid = sender->second.uid;
        sender_in_box = true;
        emulated_senders_.erase(sender);
      } else {
        info.si_pid = 0;
      }
    }
    changed = true;
  } else if (std::optional<Pid> shown = virtual_si_pid(signo, info.si_code, info.si_pid, table_)) {
    sender_in_box = *shown != 0;
    changed = *shown != info.si_pid;
    info.si_pid = *shown;
  }
  if (is_init && !init_receives({signo, info.si_code, sender_in_box}, has_handler(tid, signo)))
    return resume(tid);
  if (changed) ::ptrace(PTRACE_SETSIGINFO, tid, 0, &info);
  resume(tid, signo);
}

std::int64_t BoxSession::signal_whole_box(pid_t caller, int signo) {
  // kill(-1) from inside a pid namespace reaches every process of the namespace except init and
  // the caller's own thread group (kernel/signal.c kill_something_info); the host's processes
  // must not be touched, so the supervisor sends the signals itself, and the receivers' si_pid is
  // set to the caller at their delivery stops.
  const Task* me = table_.task(caller);
  const TaskCreds sender = read_task_creds(caller);
  if (!me || !sender.ok) return -ESRCH;
  const Pid me_vpid = table_.virtual_tgid(caller).value_or(0);
  int count = 0;
  std::int64_t result = 0;
  for (auto& [tid, traced] : traced_) {
    const Task* task = table_.task(tid);
    if (!task || task->real_tgid != tid || tid == init_pid_ || tid == me->real_tgid) continue;
    ++count;
    const TaskCreds target = read_task_creds(tid);
    if (target.ok && !may_signal(sender, target)) continue;  // EPERM does not count, as in kill()
    result = send_as({me_vpid, sender.ruid}, traced, tid, signo) ? 0 : -errno;
  }
  return count ? result : -ESRCH;
}

Outcome BoxSession::end_box_by_reboot(pid_t caller, int as_signal) {
  const TaskCreds creds = read_task_creds(caller);
  if (!creds.ok || !creds.has(kCapSysBoot)) return ReturnErrno{EPERM};
  // Like reboot_pid_ns(): the namespace ends, its init "killed" by the reboot's signal, and the
  // caller exits.
  init_death_override_ = as_signal;
  kill_box();
  ::kill(caller, SIGKILL);
  return ReturnValue{0};
}

bool BoxSession::send_as(const EmulatedSender& sender, TracedTask& target, Pid target_tgid,
                         int signo) {
  if (signo == 0) return true;
  // SIGKILL has no delivery stop at which to name the sender.
  if (signo != SIGKILL) emulated_senders_[{target_tgid, signo}] = sender;
  return abi::pidfd_send_signal(target.pidfd.get(), signo, nullptr, 0) == 0;
}

std::int64_t BoxSession::signal_group(pid_t caller, Pid real_pgid, int signo) {
  // kernel/signal.c __kill_pgrp_info: 0 if any member got it, else the last error; ESRCH for an
  // empty group. Only the box's members are reached: a group made outside the box (the one
  // vpidbox was started in) may hold the host's processes, which the box must not signal.
  const TaskCreds sender = read_task_creds(caller);
  if (!sender.ok) return -ESRCH;
  const EmulatedSender as{table_.virtual_tgid(caller).value_or(0), sender.ruid};
  bool success = false;
  std::int64_t result = -ESRCH;
  for (auto& [tid, traced] : traced_) {
    const Task* task = table_.task(tid);
    if (!task || task->real_tgid != tid || ::getpgid(tid) != real_pgid) continue;
    if (tid == init_pid_ && (signo == SIGKILL || signo == SIGSTOP)) {
      success = true;  // init ignores them from inside, and the call still succeeds
      continue;
    }
    const TaskCreds target = read_task_creds(tid);
    if (target.ok && !may_signal(sender, target)) {
      result = -EPERM;
      continue;
    }
    const bool sent = send_as(as, traced, tid, signo);
    result = sent ? 0 : -errno;
    success |= sent;
  }
  return success ? 0 : result;
}

}  // namespace vpidbox
