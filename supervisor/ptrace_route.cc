// The ptrace route: calls the kernel must run in the caller's context with translated
// arguments, results to rewrite at syscall exit, and the siginfo a signal is delivered with.
#include "supervisor/ptrace_route.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "filters/filter_builder.h"
#include "filters/stacked_filter.h"
#include "supervisor/interrupted_call.h"
#include "supervisor/kernel_abi.h"
#include "supervisor/kernel_facts.h"
#include "supervisor/proc_open.h"
#include "supervisor/tracee.h"
#include "translate/invariant.h"
#include "translate/signal_rules.h"

namespace vpidbox {
namespace {

// -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK (kernel-internal).
bool is_restart_code(std::int64_t result) {
  return result == -512 || result == -513 || result == -514 || result == -516;
}

// A result as the kernel gives it: a value, or -errno.
Outcome result_outcome(std::int64_t result) {
  if (result < 0) return ReturnErrno{static_cast<int>(-result)};
  return ReturnValue{result};
}

std::int64_t outcome_register(const Outcome& outcome) {
  if (const auto* v = std::get_if<ReturnValue>(&outcome)) return v->value;
  return -std::get<ReturnErrno>(outcome).error;
}

bool is_stop_signal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

}  // namespace

PtraceRoute::PtraceRoute(BoxTasks& tasks, EmulatedSignals& signals, EmulatedPtrace& emulated,
                         KernelView& kernel, TraceLog& trace, Stats& stats, BoxControl& control,
                         ControlRoute& control_channel, QueuedSignals& queued)
    : tasks_(tasks),
      table_(tasks.table()),
      signals_(signals),
      emulated_(emulated),
      kernel_(kernel),
      trace_(trace),
      stats_(stats),
      control_(control),
      control_channel_(control_channel),
      queued_(queued),
      surface_(tasks, signals) {}

// A failed ptrace request means the tracee was killed meanwhile: its exit is reported next.
// A task that is installing a filter or whose call was taken over keeps its syscall stops
// (supervisor/surface_rewrites.h; never one a tracer inside the box traces).
void PtraceRoute::resume(pid_t tid, int signo) {
  if (!emulated_.takes_resume(tid, signo, false))
    ::ptrace(surface_.wants_syscall_stops(tid) ? PTRACE_SYSCALL : PTRACE_CONT, tid, 0, signo);
}

void PtraceRoute::resume_to_exit(pid_t tid) {
  if (!emulated_.takes_resume(tid, 0, true)) ::ptrace(PTRACE_SYSCALL, tid, 0, 0);
}

// A group-stop is kept with LISTEN so that job control (SIGCONT) works as without us.
void PtraceRoute::keep_group_stop(pid_t tid) {
  if (emulated_.takes_resume(tid, 0, false)) return;
  ::ptrace(PTRACE_LISTEN, tid, 0, 0);
  emulated_.note_listening(tid);
}

void PtraceRoute::on_stop(pid_t tid, int status) {
  const int signo = WSTOPSIG(status);
  const int event = status >> 16;
  if (paths_) paths_->before_stop(tid);
  if (!tasks_.follows(tid)) tasks_.add(tid, surface_.numbers_for_new_task(tid, std::nullopt));
  TracedTask* traced = tasks_.find(tid);
  if (!traced) return;
  if (emulated_.on_stop(tid, status)) {
    ++stats_.tracer_stops;
    return;
  }
  if (!traced->started) {
    // The first stop of an auto-attached task: it has not run yet.
    ++stats_.first_stops;
    traced->started = true;
    const Task* task = table_.task(tid);
    if ((task && task->real_tgid != tid) || surface_.on_first_stop(tid)) trace_exec_of_threads(tid);
    if (!emulated_.on_first_stop(tid)) ::ptrace(PTRACE_CONT, tid, 0, 0);
    return;
  }
  if (surface_.on_stop(tid, status)) return;
  if (signo == (SIGTRAP | 0x80)) {
    ++stats_.exit_stops;
    return on_syscall_exit(tid);
  }
  switch (event) {
    case PTRACE_EVENT_SECCOMP:
      return on_seccomp_stop(tid);
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
      ++stats_.fork_events;
      return on_fork_event(tid);
    case PTRACE_EVENT_EXEC:
      ++stats_.exec_events;
      return on_exec_event(tid);
    case PTRACE_EVENT_STOP:
      ++stats_.group_stops;
      if (is_stop_signal(signo))
        keep_group_stop(tid);
      else
        resume(tid);
      return;
    case 0:
      ++stats_.signal_stops;
      return on_signal_delivery(tid, signo);
    default:
      return resume(tid);
  }
}

void PtraceRoute::trace_exec_of_threads(pid_t tid) {
  ::ptrace(PTRACE_SETOPTIONS, tid, 0,
           kTraceOptions | PTRACE_O_TRACEEXEC | emulated_.extra_options(tid));
}

void PtraceRoute::on_fork_event(pid_t tid) {
  unsigned long child = 0;
  if (::ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0 && !tasks_.follows(static_cast<Pid>(child)))
    tasks_.add(static_cast<pid_t>(child), surface_.numbers_for_new_task(child, tid));
  if (tasks_.follows(static_cast<Pid>(child))) {
    emulated_.on_fork_event(tid, static_cast<pid_t>(child));
    surface_.on_fork(tid, static_cast<pid_t>(child));
  }
  // A thread's execve gives it the leader's number, which only an exec event tells; single-
  // threaded processes (most) do not pay that stop. New threads inherit the option.
  if (const Task* created = table_.task(static_cast<Pid>(child));
      created && created->real_tgid != static_cast<Pid>(child))
    trace_exec_of_threads(tid);
  // The parent's fork returns the child's real number: stop it once more at syscall exit (no
  // trap at syscall entry is needed for that) and hand it the virtual one. clone3's entry stop
  // has asked for that exit stop already.
  TracedTask* parent = tasks_.find(tid);
  if (!parent) return;
  if (parent->exit && parent->exit->row && parent->exit->row->result == ResultKind::kNewChild)
    parent->exit->child_attached = true;
  else
    parent->exit = PendingExit{};
  resume_to_exit(tid);
}

void PtraceRoute::on_exec_event(pid_t tid) {
  unsigned long former = 0;
  if (::ptrace(PTRACE_GETEVENTMSG, tid, 0, &former) == 0 && static_cast<pid_t>(former) != tid) {
    // A non-leader thread called execve: it now has the leader's tid, its own is released.
    tasks_.exec_by_thread(static_cast<Pid>(former), tid);
  }
  // A nested box's init is followed to its exec only (supervisor/surface_rewrites.h).
  if (surface_.on_exec(tid))
    ::ptrace(PTRACE_SETOPTIONS, tid, 0, kTraceOptions | emulated_.extra_options(tid));
  resume(tid);
}

// A /proc/<n> directory fd works as a pidfd (psmisc's killall signals through one), but the box's
// are FUSE directories, which pidfd_send_signal() refuses with EBADF. The call becomes the kill()
// it stands for (rt_sigqueueinfo() with a siginfo), decided and translated as one from here on.
void PtraceRoute::proc_dir_as_pidfd(pid_t tid, Call& call, user_regs_struct& regs) {
  if (call.arg_of(ArgKind::kFlags) != 0) return;  // the kernel's to refuse
  const int fd = static_cast<int>(call.arg_of(ArgKind::kPidfdSignal));
  const std::optional<Pid> vnr =
      proc_ ? proc_->proc_dir_number(tid, fd) : paths_->proc_dir_number(tid, fd);
  if (!vnr) return;
  const std::uint64_t info = call.arg_of(ArgKind::kSiginfoIn);
  const long nr = info ? SYS_rt_sigqueueinfo : SYS_kill;
  const std::array<std::uint64_t, 6> args{
      static_cast<std::uint64_t>(*vnr), call.arg_of(ArgKind::kSignal), info, 0, 0, 0};
  const SyscallRow* row = find_syscall(static_cast<int>(nr), args);
  if (!row) return;
  call.row = row;
  call.args = args;
  regs.orig_rax = static_cast<unsigned long long>(nr);
  tracee::set_syscall_args(regs, args);
  tracee::set_regs(tid, regs);
}

// Owners given in memory become the F_SETOWN they mean where one does (FIOSETOWN and SIOCSPGRP
// on a socket are f_setown() itself; F_SETOWN_EX of a process or a group): a number in a register
// cannot be changed by another thread of the caller between its translation and the kernel's
// read, as one in memory can. What cannot be read is left to the kernel to refuse (EFAULT), and
// an ioctl on anything but a socket to answer ENOTTY.
void PtraceRoute::owner_in_register(pid_t tid, Call& call, user_regs_struct& regs) {
  const std::optional<int> in = call.row->index_of(ArgKind::kOwnerIn);
  const std::optional<int> ex_in = call.row->index_of(ArgKind::kOwnerExIn);
  const std::uint64_t at = in ? call.args[*in] : ex_in ? call.args[*ex_in] : 0;
  if (!at) return;
  const int fd = static_cast<int>(call.arg_of(ArgKind::kFd));
  std::optional<Pid> owner;
  if (in) {
    const std::string link = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
    char text[16];
    const ssize_t n = ::readlink(link.c_str(), text, sizeof(text));
    std::int32_t value = 0;
    if (n < 7 || std::string_view(text, 7) != "socket:" ||
        !tracee::read_memory(tid, at, &value, sizeof(value)))
      return;
    owner = value;
  } else {
    std::int32_t owner_ex[2];  // struct f_owner_ex {type, pid}
    if (!tracee::read_memory(tid, at, owner_ex, sizeof(owner_ex))) return;
    owner = owner_ex_as_setown(owner_ex[0], owner_ex[1]);
  }
  if (!owner) return;
  const std::array<std::uint64_t, 6> args{static_cast<std::uint64_t>(fd), F_SETOWN,
                                          static_cast<std::uint64_t>(std::int64_t{*owner})};
  const SyscallRow* row = find_syscall(SYS_fcntl, args);
  VPIDBOX_INVARIANT(row != nullptr, "F_SETOWN has a row");
  call.row = row;
  call.args = args;
  regs.orig_rax = SYS_fcntl;
  tracee::set_syscall_args(regs, args);
  tracee::set_regs(tid, regs);
}

void PtraceRoute::on_seccomp_stop(pid_t tid) {
  user_regs_struct regs;
  if (!tracee::get_regs(tid, regs)) return;
  unsigned long data = 0;
  if (::ptrace(PTRACE_GETEVENTMSG, tid, 0, &data) != 0) return;  // killed meanwhile
  if (data != kBoxTraceData && data != kStackedTraceData) {
    ++stats_.foreign_stops;
    return on_foreign_seccomp_stop(tid, regs);
  }
  if (stats_.by_syscall) {
    if (const SyscallRow* row =
            find_syscall(static_cast<int>(regs.orig_rax), tracee::syscall_args(regs)))
      ++stats_.seccomp_stops[row->name];
  }
  emulated_.on_seccomp_entry(tid, regs);
  if (paths_ && ProcPathRoute::serves(static_cast<int>(regs.orig_rax))) {
    if (paths_->on_stop(tid, regs)) tracee::set_regs(tid, regs);
    return resume(tid);
  }
  if (is_fd_open_syscall(static_cast<int>(regs.orig_rax))) {
    if (proc_ && proc_->rewrite_open(tid, regs)) tracee::set_regs(tid, regs);
    return resume(tid);
  }
  Call call;
  call.real_tid = tid;
  call.args = tracee::syscall_args(regs);
  call.row = find_syscall(static_cast<int>(regs.orig_rax), call.args);
  VPIDBOX_INVARIANT(call.row != nullptr, "SECCOMP_RET_TRACE for a syscall outside the table");
  if (call.row->route == Route::kControl) {
    // The in-box control channel, on the ptrace engine: answered here, the call skipped.
    regs.orig_rax = static_cast<unsigned long long>(-1);
    regs.rax = static_cast<unsigned long long>(control_channel_.answer(tid, call.args));
    tracee::set_regs(tid, regs);
    return resume(tid);
  }
  if (call.arg_of(ArgKind::kCloneFlags) & CLONE_UNTRACED) emulated_.note_untraced_clone(tid);
  if (paths_ && call.row->has(ArgKind::kCloneFlags))
    paths_->note_clone_flags(call.arg_of(ArgKind::kCloneFlags));
  // ptrace() inside the box is the emulation's, and so are a tracer's waits for its tracees.
  if (call.row->has(ArgKind::kPtraceRequest))
    return answer_at_entry(tid, call, regs, emulated_.serve_ptrace(tid, call));
  if (call.row->has(ArgKind::kWaitTarget) || call.row->has(ArgKind::kWaitidId)) {
    if (const std::optional<Outcome> answer = emulated_.on_wait_entry(tid, call))
      return answer_at_entry(tid, call, regs, *answer);
  }
  if ((proc_ || paths_) && call.row->has(ArgKind::kPidfdSignal)) proc_dir_as_pidfd(tid, call, regs);
  // A signal with the caller's siginfo (also one a /proc directory fd stood for): the supervisor
  // sends it, the caller stopped meanwhile; the call is skipped.
  if (call.row->route == Route::kSignalSend) {
    const std::optional<std::int64_t> sent = queued_.serve(call, [] { return true; });
    return answer_at_entry(tid, call, regs, result_outcome(sent.value_or(-ESRCH)));
  }
  owner_in_register(tid, call, regs);
  const EntryDecision decision = decide_entry(call, table_, kernel_);
  Outcome outcome = act_on(tid, decision.outcome);
  PendingExit pending;
  pending.row = call.row;
  pending.args = call.args;
  if (std::holds_alternative<Continue>(outcome))
    pending.restore_memory_arg =
        translate_memory_arg(tid, call, outcome, pending.restore_memory_at);
  if (std::holds_alternative<Continue>(outcome)) apply_clone3_rule(tid, call, outcome, pending);
  bool stop_at_exit = decision.stop_at_exit;
  if (std::holds_alternative<Continue>(outcome))
    surface_.on_entry(tid, call, outcome, pending, stop_at_exit);

  if (!std::holds_alternative<Continue>(outcome)) return answer_at_entry(tid, call, regs, outcome);
  if (trace_.enabled() && !stop_at_exit) {
    const Task* task = table_.task(tid);
    trace_.write(task ? task->vtid : 0, call, outcome);
  }
  if (decision.args_changed) {
    tracee::set_syscall_args(regs, decision.args);
    tracee::set_regs(tid, regs);
  }
  TracedTask* traced = tasks_.find(tid);
  if (!stop_at_exit || !traced) return resume(tid);
  traced->exit = pending;
  if (const std::uint64_t set = call.arg_of(ArgKind::kSigsetIn))
    tracee::read_memory(tid, set, &traced->waiting_for, sizeof(traced->waiting_for));
  resume_to_exit(tid);
}

// Skip the syscall: number -1, and the answer in the return register.
void PtraceRoute::answer_at_entry(pid_t tid, const Call& call, user_regs_struct& regs,
                                  const Outcome& outcome) {
  if (trace_.enabled()) {
    const Task* task = table_.task(tid);
    trace_.write(task ? task->vtid : 0, call, outcome);
  }
  regs.orig_rax = static_cast<unsigned long long>(-1);
  regs.rax = static_cast<unsigned long long>(outcome_register(outcome));
  tracee::set_regs(tid, regs);
  resume(tid);
}

void PtraceRoute::on_syscall_exit(pid_t tid) {
  TracedTask* traced = tasks_.find(tid);
  if (!traced || !traced->exit) return resume(tid);
  const PendingExit pending = *traced->exit;
  traced->exit.reset();
  traced->waiting_for = 0;
  std::int64_t result = 0;
  if (!tracee::get_result(tid, result)) return;
  if (emulated_.on_wait_exit(tid, result, pending.args)) return resume(tid);

  if (!pending.row || pending.row->result == ResultKind::kNewChild) {
    on_new_child(tid, pending, result);
    return resume(tid);
  }
  // A call interrupted by a signal is restarted by the kernel with the registers as they are:
  // give back the caller's own (virtual) arguments, which the restart's stop translates anew.
  if (is_restart_code(result)) {
    if (pending.restore_memory_arg)
      tracee::write_memory_forced(tid, pending.restore_memory_at, &*pending.restore_memory_arg,
                                  sizeof(std::int32_t));
    surface_.on_restart(tid, pending);
    user_regs_struct regs;
    if (tracee::get_regs(tid, regs)) {
      tracee::set_syscall_args(regs, pending.args);
      tracee::set_regs(tid, regs);
    }
    return resume(tid);
  }
  std::int64_t shown = result;
  if (pending.row->result != ResultKind::kPlain) {
    shown = translate_result(*pending.row, result, table_, table_.level_of(tid));
    if (shown != result) tracee::set_result(tid, shown);
  }
  shown = surface_.on_exit(tid, pending, shown);
  if (pending.restore_memory_arg)
    tracee::write_memory_forced(tid, pending.restore_memory_at, &*pending.restore_memory_arg,
                                sizeof(std::int32_t));
  if (result == 0) translate_memory_result(tid, pending);
  if (const std::optional<int> info = pending.row->index_of(ArgKind::kSiginfoOut);
      info && result >= 0 && pending.args[*info])
    rewrite_siginfo_at(tid, pending.args[*info]);
  if (trace_.enabled()) {
    const Task* task = table_.task(tid);
    Call call{tid, pending.row, pending.args};
    trace_.write(
        task ? task->vtid : 0, call,
        shown < 0 ? Outcome{ReturnErrno{static_cast<int>(-shown)}} : Outcome{ReturnValue{shown}});
  }
  if (pending.row->result == ResultKind::kReapedPid && result > 0)
    tasks_.forget_if_reaped(static_cast<pid_t>(result));
  resume(tid);
}

// The acts a decision may ask for besides answering: their results become the call's.
Outcome PtraceRoute::act_on(pid_t tid, const EntryOutcome& decided) {
  if (const auto* end = std::get_if<EndBox>(&decided))
    return end_box_by_reboot(tid, end->as_signal);
  if (const auto* all = std::get_if<SignalBox>(&decided))
    return result_outcome(signals_.signal_whole_box(tid, all->signo));
  if (const auto* group = std::get_if<SignalGroup>(&decided))
    return result_outcome(signals_.signal_group(tid, group->real_pgid, group->signo));
  return std::visit(
      [](const auto& answer) -> Outcome {
        if constexpr (std::is_constructible_v<Outcome, decltype(answer)>)
          return answer;
        else
          return Continue{};  // handled above
      },
      decided);
}

// A SECCOMP_RET_TRACE of a filter the program installed itself: having no tracer of its own, the
// call fails with ENOSYS, as the kernel fails it when nobody traces the caller.
void PtraceRoute::on_foreign_seccomp_stop(pid_t tid, user_regs_struct& regs) {
  regs.orig_rax = static_cast<unsigned long long>(-1);
  regs.rax = static_cast<unsigned long long>(-ENOSYS);
  tracee::set_regs(tid, regs);
  resume(tid);
}

// clone3() passes its flags in memory: the clone rule is applied there, and the caller's own word
// is put back at exit. Another thread of the caller could change the word again before the kernel
// reads it; the exit stop then finds the child unattached (on_new_child).
void PtraceRoute::apply_clone3_rule(pid_t tid, const Call& call, Outcome& outcome,
                                    PendingExit& pending) {
  for (int i = 0; i < call.row->arg_count(); ++i) {
    if (call.row->args[i] != ArgKind::kCloneArgsStruct) continue;
    const std::uint64_t at = call.args[i];
    std::uint64_t flags = 0;
    // A struct it cannot read is the kernel's to refuse (EFAULT).
    if (!at || !tracee::read_memory(tid, at, &flags, sizeof(flags))) return;
    if (paths_) paths_->note_clone_flags(flags);
    const Task* caller = table_.task(tid);
    const bool caller_is_init = caller && table_.init_of(caller->level) == caller->real_tgid;
    const CloneFlagsRule rule = rule_for_clone_flags(flags, caller_is_init);
    if (flags & CLONE_UNTRACED) emulated_.note_untraced_clone(tid);
    if (rule.error) {
      outcome = ReturnErrno{rule.error};
    } else if (rule.flags != flags) {
      // A struct in read-only memory is written as a debugger writes it; a call whose flags
      // cannot be changed cannot run.
      if (!tracee::write_memory_forced(tid, at, &rule.flags, sizeof(rule.flags))) {
        outcome = ReturnErrno{EPERM};
        return;
      }
      pending.restore_clone_flags = flags;
      pending.clone_args_at = at;
    }
    return;
  }
}

// The exit of fork, vfork, clone or clone3 in the parent: the child's box number replaces its
// real one.
void PtraceRoute::on_new_child(pid_t tid, const PendingExit& pending, std::int64_t result) {
  surface_.on_clone3_exit(tid, pending, result);
  if (pending.restore_clone_flags)
    tracee::write_memory_forced(tid, pending.clone_args_at, &*pending.restore_clone_flags,
                                sizeof(std::uint64_t));
  if (result <= 0) return;
  const auto real = static_cast<Pid>(result);
  if (pending.row && !pending.child_attached) return contain_escaped_child(tid, real);
  // The child may already be gone: auto-reaped (SIGCHLD ignored) before this exit stop.
  const LevelId view = table_.level_of(tid);
  const Pid vnr =
      table_.to_virtual(real, view).value_or(table_.recently_released(real, view).value_or(0));
  tracee::set_result(tid, vnr);
}

// A clone3() child that no fork event attached: the kernel read other flags than the supervisor
// left (CLONE_UNTRACED written back by another thread in between). Nobody serves it and nothing
// would kill it with the supervisor: fail closed, killing it and the box.
void PtraceRoute::contain_escaped_child(pid_t parent, Pid child) {
  std::fprintf(stderr,
               "vpidbox: a task escaped the supervisor (its clone3 flags changed while "
               "they were checked); killing the box\n");
  // Its number stays its own while it is unreaped, and its parent, stopped here, cannot reap it;
  // with its children reaped automatically (SIGCHLD ignored) the number could be reused already,
  // so kill it only while its parent is still the caller (or, for CLONE_PARENT, the caller's).
  UniqueFd pidfd(abi::pidfd_open(child, 0));
  abi::PidfdInfo info{};
  info.mask = abi::kPidfdInfoPid;
  const Task* caller = table_.task(parent);
  const Pid caller_tgid = caller ? caller->real_tgid : parent;
  const RealOrErrno grandparent = kernel_.parent_of(caller_tgid);
  if (pidfd.valid() && ::ioctl(pidfd.get(), abi::kPidfdGetInfo, &info) == 0 &&
      (static_cast<Pid>(info.ppid) == caller_tgid ||
       (grandparent.ok() && static_cast<Pid>(info.ppid) == grandparent.value)))
    abi::pidfd_send_signal(pidfd.get(), SIGKILL, nullptr, 0);
  control_.kill_box();
}

// See interrupted_call.h.
void PtraceRoute::restart_interrupted_wait(pid_t tid) {
  user_regs_struct regs;
  if (!tracee::get_regs(tid, regs) || static_cast<std::int64_t>(regs.rax) != kErrRestartSys) return;
  const int nr = static_cast<int>(regs.orig_rax);
  const SyscallRow* row = find_syscall(nr, tracee::syscall_args(regs));
  const bool query = row && (row->route == Route::kUnotify || row->route == Route::kLook ||
                             row->route == Route::kSignalSend);
  const bool open =
      (proc_ || paths_) && is_fd_open_syscall(nr) && !open_may_block_natively(tid, regs);
  // Without a mount, every call that names a path waits for the supervisor; none of the others
  // can be interrupted natively.
  const bool path = paths_ && ProcPathRoute::serves(nr) && !is_fd_open_syscall(nr);
  if (!query && !open && !path) return;
  regs.rax = static_cast<unsigned long long>(kErrRestartNoIntr);
  tracee::set_regs(tid, regs);
}

// Pids the kernel reads from the caller's memory (is_memory_pid_in): TIOCSPGRP's pgid, the pid
// of capget()/capset()'s header, a socket's owner, struct f_owner_ex's pid, a timer's thread. The
// real number (or kNoSuchPid) is written for the kernel; the caller's own value is returned, to be
// put back at exit, also into memory the caller cannot write. A pointer that cannot be read is
// the kernel's to refuse (EFAULT).
std::optional<std::int32_t> PtraceRoute::translate_memory_arg(pid_t tid, const Call& call,
                                                              Outcome& outcome,
                                                              std::uint64_t& address) {
  for (int i = 0; i < call.row->arg_count(); ++i) {
    const ArgKind kind = call.row->args[i];
    if (!is_memory_pid_in(kind) || !call.args[i]) continue;
    std::int32_t selector = 0;  // what the pid means: struct f_owner_ex's type, sigev_notify
    if (const std::optional<std::uint64_t> at = memory_selector_offset(kind);
        at && !tracee::read_memory(tid, call.args[i] + *at, &selector, sizeof(selector)))
      return std::nullopt;
    address = call.args[i] + memory_pid_offset(kind);
    std::int32_t number = 0;
    if (!tracee::read_memory(tid, address, &number, sizeof(number))) return std::nullopt;
    const std::optional<Pid> real = memory_pid_for_kernel(kind, table_, tid, number, selector);
    if (!real || *real == number) return std::nullopt;
    const std::int32_t value = *real;
    if (!tracee::write_memory_forced(tid, address, &value, sizeof(value))) {
      // The caller's number must not reach the kernel as it is: it would name a host process.
      outcome = ReturnErrno{EFAULT};
      return std::nullopt;
    }
    return number;
  }
  return std::nullopt;
}

// Pids the kernel wrote in the caller's memory (is_memory_pid_out): TIOCGPGRP's, TIOCGSID's, a
// socket's owner, struct f_owner_ex's pid. They become the box's numbers.
void PtraceRoute::translate_memory_result(pid_t tid, const PendingExit& pending) {
  for (int i = 0; i < pending.row->arg_count(); ++i) {
    const ArgKind kind = pending.row->args[i];
    if (!is_memory_pid_out(kind) || !pending.args[i]) continue;
    const std::uint64_t address = pending.args[i] + memory_pid_offset(kind);
    std::int32_t real = 0;
    if (!tracee::read_memory(tid, address, &real, sizeof(real))) return;
    const std::int32_t shown = memory_pid_for_caller(kind, table_, table_.level_of(tid), real);
    if (shown != real) tracee::write_memory(tid, address, &shown, sizeof(shown));
  }
}

void PtraceRoute::rewrite_siginfo_at(pid_t tid, std::uint64_t address) {
  siginfo_t info;
  if (!tracee::read_memory(tid, address, &info, sizeof(info))) return;  // EFAULT: a value
  if (signals_.sent_by_supervisor(info.si_code, info.si_pid)) {
    // Sent by the supervisor for an emulated kill(-1), kill(0) or kill(-pgid), and taken by
    // sigtimedwait() without a delivery stop: the caller it was sent for, or 0 (from outside).
    const Task* task = table_.task(tid);
    if (const std::optional<siginfo_t> synthetic =
            task ? signals_.take_synthetic(tid, task->real_tgid, info.si_signo) : std::nullopt) {
      tracee::write_memory(tid, address, &*synthetic, sizeof(*synthetic));
      return;
    }
    const std::optional<EmulatedSender> sender =
        task ? signals_.take_sender(task->real_tgid, info.si_signo) : std::nullopt;
    info.si_pid = 0;
    if (sender) {
      info.si_pid = sender->vpid;
      info.si_uid = sender->uid;
    }
    tracee::write_memory(tid, address + offsetof(siginfo_t, si_pid), &info.si_pid,
                         sizeof(info.si_pid));
    tracee::write_memory(tid, address + offsetof(siginfo_t, si_uid), &info.si_uid,
                         sizeof(info.si_uid));
    return;
  }
  const Pid real = info.si_pid;
  std::optional<Pid> shown =
      virtual_si_pid(info.si_signo, info.si_code, real, table_, table_.level_of(tid));
  if (!shown || *shown == real) return;
  const Pid value = *shown;
  tracee::write_memory(tid, address + offsetof(siginfo_t, si_pid), &value, sizeof(value));
  // waitid() may just have reaped the child it reports.
  if (info.si_signo == SIGCHLD) tasks_.forget_if_reaped(real);
}

void PtraceRoute::on_signal_delivery(pid_t tid, int signo) {
  siginfo_t info{};
  if (::ptrace(PTRACE_GETSIGINFO, tid, 0, &info) != 0) return;  // it died
  const Task* task = table_.task(tid);
  // The init of the receiver's own level; a signal from a level above it is from outside.
  const bool is_init = task && table_.init_of(task->level) == task->real_tgid;
  const LevelId view = table_.level_of(tid);
  bool changed = false;
  bool sender_in_box = true;
  if (signals_.sent_by_supervisor(info.si_code, info.si_pid)) {
    // Sent by the supervisor: forwarded from outside, kill(-1) emulated for a box process, or
    // sent as the kernel would for an emulated tracer or tracee.
    sender_in_box = false;
    if (task) {
      if (const std::optional<siginfo_t> synthetic =
              signals_.take_synthetic(tid, task->real_tgid, signo)) {
        info = *synthetic;
        sender_in_box = true;
      } else if (const std::optional<EmulatedSender> sender =
                     signals_.take_sender(task->real_tgid, signo)) {
        info.si_pid = sender->vpid;
        info.si_uid = sender->uid;
        sender_in_box = info.si_pid != 0;
      } else {
        info.si_pid = 0;
      }
    }
    changed = true;
  } else if (std::optional<Pid> shown =
                 virtual_si_pid(signo, info.si_code, info.si_pid, table_, view)) {
    sender_in_box = *shown != 0;
    changed = *shown != info.si_pid;
    info.si_pid = *shown;
  }
  // A traced init's tracer sees every signal first; init's rules apply when it resumes it.
  if (is_init && !emulated_.traces(tid) &&
      !init_receives({signo, info.si_code, sender_in_box}, has_handler(tid, signo)))
    return resume(tid);
  if (with_listener_) restart_interrupted_wait(tid);
  if (changed) ::ptrace(PTRACE_SETSIGINFO, tid, 0, &info);
  resume(tid, signo);
}

Outcome PtraceRoute::end_box_by_reboot(pid_t caller, int as_signal) {
  const TaskCreds creds = read_task_creds(caller);
  if (!creds.ok || !creds.has(CAP_SYS_BOOT)) return ReturnErrno{EPERM};
  // Like reboot_pid_ns(): the namespace ends, its init "killed" by the reboot's signal, and the
  // caller exits.
  control_.end_box_as(as_signal);
  ::kill(caller, SIGKILL);
  return ReturnValue{0};
}

}  // namespace vpidbox
