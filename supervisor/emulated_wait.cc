// The waits of tracers inside the box. A tracee's stops and exits are the emulation's, so a
// tracer's wait4() or waitid() gets them from the model:
//  - at its entry, a stop or exit waiting to be reported is the answer (the syscall is skipped);
//  - otherwise the kernel waits for the caller's real children, watched: when a tracee stops, the
//    waiting thread is interrupted (PTRACE_INTERRUPT; the wait ends with -ERESTARTSYS at its
//    syscall-exit stop) and answered there;
//  - where the kernel finds no child at all (ECHILD) but a tracee may still report, the wait
//    goes on in pause() (the syscall instruction is run again as pause), which the same
//    interrupt ends; a signal ends it as it ends a wait4(), restarted with SA_RESTART.
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cerrno>
#include <climits>
#include <cstddef>

#include "supervisor/emulated_ptrace.h"
#include "supervisor/interrupted_call.h"
#include "supervisor/tracee.h"

namespace vpidbox {
namespace {

bool is_restart_code(std::int64_t result) {
  return result == -512 || result == -513 || result == -514 || result == -516;
}

Pid as_pid(std::uint64_t arg) {
  return static_cast<Pid>(static_cast<std::int32_t>(arg));
}

}  // namespace

std::optional<WaitQuery> EmulatedPtrace::wait_query(pid_t tid, const Call& call) {
  const Task* caller = table_.task(tid);
  if (!caller) return std::nullopt;
  WaitQuery query;
  query.caller = tid;
  query.caller_tgid = caller->real_tgid;
  // A number that names nothing of the box selects nothing (the kernel then says ECHILD).
  const LevelId view = caller->level;
  auto real_of = [&](Pid vnr) { return table_.to_real(vnr, view).value_or(kNoSuchPid); };
  auto own_group = [&]() -> std::optional<Pid> {
    const RealOrErrno pgid = kernel_.pgid_of(tid);
    if (!pgid.ok()) return std::nullopt;
    return pgid.value;
  };
  std::optional<WaitOptions> options;
  if (call.row->has(ArgKind::kWaitTarget)) {  // wait4(pid, status, options, rusage)
    options = wait4_options(call.args[2]);
    const Pid pid = as_pid(call.args[0]);
    if (pid == INT_MIN) return std::nullopt;
    if (pid > 0) {
      query.select = WaitQuery::Select::kPid;
      query.id = real_of(pid);
    } else if (pid == 0 || pid < -1) {
      const std::optional<Pid> group = pid == 0 ? own_group() : real_of(-pid);
      if (!group) return std::nullopt;
      query.select = WaitQuery::Select::kPgid;
      query.id = *group;
    }
  } else {  // waitid(idtype, id, infop, options, rusage)
    options = waitid_options(call.args[3]);
    const Pid id = as_pid(call.args[1]);
    switch (static_cast<idtype_t>(call.args[0])) {
      case P_ALL:
        break;
      case P_PID:
        if (id <= 0) return std::nullopt;  // EINVAL
        query.select = WaitQuery::Select::kPid;
        query.id = real_of(id);
        break;
      case P_PGID: {
        if (id < 0) return std::nullopt;  // EINVAL
        const std::optional<Pid> group = id == 0 ? own_group() : real_of(id);
        if (!group) return std::nullopt;
        query.select = WaitQuery::Select::kPgid;
        query.id = *group;
        break;
      }
      case P_PIDFD: {
        const RealOrErrno target = kernel_.pidfd_target(tid, id);
        if (!target.ok() || target.value <= 0) return std::nullopt;
        query.select = WaitQuery::Select::kPid;
        query.id = target.value;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  if (!options) return std::nullopt;  // the kernel's EINVAL
  query.exited = options->exited;
  query.nohang = options->nohang;
  query.nowait = options->nowait;
  query.nothread = options->nothread;
  return query;
}

std::optional<Outcome> EmulatedPtrace::on_wait_entry(pid_t tid, const Call& call) {
  if (model_.empty()) return std::nullopt;
  const Task* caller = table_.task(tid);
  if (!caller || !model_.is_tracer_process(caller->real_tgid)) return std::nullopt;
  const std::optional<WaitQuery> query = wait_query(tid, call);
  if (!query) return std::nullopt;
  const PtraceModel::WaitMatch match = model_.match_wait(*query, kernel_);
  if (!match.any_eligible) return std::nullopt;
  Waiter waiter;
  waiter.query = *query;
  waiter.nr = call.row->has(ArgKind::kWaitTarget) ? SYS_wait4 : SYS_waitid;
  waiter.args = call.args;
  if (match.report) {
    std::int64_t result = 0;
    answer_wait(tid, *query, waiter, *match.report, result);
    if (result < 0) return ReturnErrno{static_cast<int>(-result)};
    return ReturnValue{result};
  }
  waiters_[tid] = waiter;
  return std::nullopt;
}

bool EmulatedPtrace::answer_wait(pid_t tid, const WaitQuery& query, const Waiter& waiter,
                                 const WaitReport& report, std::int64_t& result) {
  const Tracee* tracee = model_.find(report.tracee);
  const Pid vtid = tracee ? tracee->number_for_tracer : 0;
  bool written = true;
  std::uint64_t rusage_at = 0;
  if (waiter.nr == SYS_wait4) {
    if (const std::uint64_t status_at = waiter.args[1])
      written &= tracee::write_memory(tid, status_at, &report.status, sizeof(report.status));
    rusage_at = waiter.args[3];
    result = vtid;
  } else {
    if (const std::uint64_t info_at = waiter.args[2]) {
      // What waitid() writes of the siginfo: signo, errno, code, then pid, uid and status.
      siginfo_t info{};
      info.si_signo = SIGCHLD;
      info.si_code = report.cld_code;
      info.si_pid = vtid;
      info.si_uid = report.uid;
      info.si_status = report.cld_status;
      const std::size_t size = offsetof(siginfo_t, si_status) + sizeof(info.si_status);
      written &= tracee::write_memory(tid, info_at, &info, size);
    }
    rusage_at = waiter.args[4];
    result = 0;
  }
  if (rusage_at) {
    // The tracee's resource usage is not emulated: zero, as for a task that used nothing.
    const rusage none{};
    written &= tracee::write_memory(tid, rusage_at, &none, sizeof(none));
  }
  if (trace_.enabled()) {
    const Task* task = table_.task(tid);
    trace_.note("[v" + std::to_string(task ? task->vtid : 0) + " r" + std::to_string(tid) + "] " +
                (waiter.nr == SYS_wait4 ? "wait4" : "waitid") + ": tracee " + std::to_string(vtid) +
                " status " + std::to_string(report.status) + " (emulated ptrace)");
  }
  if (model_.consume(query, report)) let_go(report.tracee);
  sync_tracer(report.tracee);
  if (!written) result = -EFAULT;  // the kernel consumes the report, then fails the copy
  return true;
}

bool EmulatedPtrace::on_wait_exit(pid_t tid, std::int64_t result,
                                  const std::array<std::uint64_t, 6>& args) {
  auto it = waiters_.find(tid);
  if (it == waiters_.end()) return false;
  Waiter waiter = it->second;
  waiters_.erase(it);
  bool real_report = result > 0;
  if (waiter.nr == SYS_waitid && result == 0) {
    // waitid() says 0 for a report and for WNOHANG's nothing: the siginfo tells.
    real_report = !waiter.query.nohang;
    Pid pid = 0;
    if (waiter.args[2] &&
        tracee::read_memory(tid, waiter.args[2] + offsetof(siginfo_t, si_pid), &pid, sizeof(pid)))
      real_report = pid != 0;
  }
  if (real_report) return false;  // a real child's: the route translates it
  if (result < 0 && result != -ECHILD && !is_restart_code(result)) return false;
  const PtraceModel::WaitMatch match = model_.match_wait(waiter.query, kernel_);
  user_regs_struct regs;
  if (!tracee::get_regs(tid, regs)) return false;
  tracee::set_syscall_args(regs, args);
  if (match.report) {
    std::int64_t answer = 0;
    answer_wait(tid, waiter.query, waiter, *match.report, answer);
    regs.rax = static_cast<unsigned long long>(answer);
    tracee::set_regs(tid, regs);
    return true;
  }
  // Interrupted by a signal: the kernel restarts it or says EINTR, and a restart comes back to
  // the entry. With nothing left to wait for, the kernel's ECHILD stands.
  if (is_restart_code(result) || !match.any_eligible) return false;
  if (waiter.query.nohang) {
    regs.rax = 0;  // tracees may still report: "none yet", not ECHILD
    tracee::set_regs(tid, regs);
    return true;
  }
  // No child to wait for, only tracees: wait for them in pause(). The syscall instruction runs
  // again, as pause; PTRACE_INTERRUPT or a signal ends it (on_paused_wait_stop).
  if (trace_.enabled()) trace_.note("[r" + std::to_string(tid) + "] waits for tracees in pause()");
  regs.rip -= 2;
  regs.rax = SYS_pause;
  tracee::set_regs(tid, regs);
  waiter.paused = true;
  waiters_[tid] = waiter;
  return true;
}

bool EmulatedPtrace::on_paused_wait_stop(pid_t tid, int status) {
  auto it = waiters_.find(tid);
  Waiter& waiter = it->second;
  const int event = status >> 16;
  if (event != 0 && event != PTRACE_EVENT_STOP) return false;
  user_regs_struct regs;
  if (!tracee::get_regs(tid, regs)) return false;
  // The stop may come before pause() ran (an interrupt or a signal caught on the way out of the
  // syscall-exit stop): the syscall instruction is still to be run again. Either way, from here
  // on it is the interrupted wait4() or waitid(), returning past its instruction.
  if (static_cast<long>(regs.rax) == SYS_pause) regs.rip += 2;
  regs.orig_rax = static_cast<unsigned long long>(waiter.nr);
  tracee::set_syscall_args(regs, waiter.args);
  const Waiter ended = waiter;
  waiters_.erase(it);
  if (event == 0) {
    if (trace_.enabled())
      trace_.note("[r" + std::to_string(tid) + "] wait in pause() interrupted by a signal");
    // A signal: as a wait4() that it interrupts, restarted after a handler with SA_RESTART or
    // when nothing is delivered, EINTR after another handler. The route delivers it.
    regs.rax = static_cast<unsigned long long>(kErrRestartSys);
    tracee::set_regs(tid, regs);
    return false;
  }
  const PtraceModel::WaitMatch match = model_.match_wait(ended.query, kernel_);
  if (match.report) {
    std::int64_t answer = 0;
    answer_wait(tid, ended.query, ended, *match.report, answer);
    regs.rax = static_cast<unsigned long long>(answer);
  } else {
    // Woken for nothing it may report (another thread took it): the wait starts again.
    if (trace_.enabled()) trace_.note("[r" + std::to_string(tid) + "] wait restarts");
    regs.rax = static_cast<unsigned long long>(kErrRestartSys);
  }
  tracee::set_regs(tid, regs);
  ::ptrace(PTRACE_CONT, tid, 0, 0);
  return true;
}

void EmulatedPtrace::kick_waits_of(Pid tgid) {
  for (const auto& [tid, task] : table_.tasks()) {
    if (task.real_tgid != tgid || task.exited || waiters_.contains(tid)) continue;
    const TracedTask* traced = tasks_.find(tid);
    const SyscallRow* row = traced && traced->exit ? traced->exit->row : nullptr;
    if (row && (row->has(ArgKind::kWaitTarget) || row->has(ArgKind::kWaitidId)))
      ::ptrace(PTRACE_INTERRUPT, tid, 0, 0);
  }
}

void EmulatedPtrace::wake_waiter_for(const Tracee& tracee) {
  for (auto& [waiting, waiter] : waiters_) {
    if (!model_.would_report(waiter.query, tracee.tid, kernel_)) continue;
    if (!waiter.interrupted) {
      ::ptrace(PTRACE_INTERRUPT, waiting, 0, 0);
      waiter.interrupted = true;
    }
    return;  // one waiter takes it
  }
}

}  // namespace vpidbox
