#include "translate/ptrace_model.h"

#include <linux/capability.h>
#include <sys/wait.h>

#include <cerrno>

#include "translate/invariant.h"
#include "translate/signal_rules.h"

namespace vpidbox {
namespace {

// Newer than some libc headers: what PTRACE_GETEVENTMSG says at syscall stops (Linux 5.3).
constexpr std::uint64_t kEventMsgSyscallEntry = 1;
constexpr std::uint64_t kEventMsgSyscallExit = 2;

bool has(std::uint64_t caps, int capability) {
  return (caps >> capability) & 1;
}

// The option that makes a fork event (and the auto-attach of its child) the tracer's.
std::uint32_t option_for_fork_event(int event) {
  switch (event) {
    case PTRACE_EVENT_FORK:
      return PTRACE_O_TRACEFORK;
    case PTRACE_EVENT_VFORK:
      return PTRACE_O_TRACEVFORK;
    case PTRACE_EVENT_CLONE:
      return PTRACE_O_TRACECLONE;
    default:
      return 0;
  }
}

// A trap stop the kernel reports with a SIGTRAP siginfo naming the tracee itself
// (ptrace_do_notify: si_pid = task_pid_vnr(tracee)).
EmulatedStop trap_stop(const Tracee& tracee, StopKind kind, int code, int cld) {
  EmulatedStop stop;
  stop.kind = kind;
  stop.code = code;
  stop.cld = cld;
  stop.siginfo = StopSiginfo{SIGTRAP, code, tracee.vtid, tracee.uid};
  return stop;
}

EmulatedStop event_trap(const Tracee& tracee, int event) {
  return trap_stop(tracee, StopKind::kEvent, SIGTRAP | (event << 8), CLD_TRAPPED);
}

EmulatedStop syscall_stop(const Tracee& tracee, StopKind kind) {
  const int code = SIGTRAP | ((tracee.options & PTRACE_O_TRACESYSGOOD) ? 0x80 : 0);
  return trap_stop(tracee, kind, code, CLD_TRAPPED);
}

}  // namespace

int ptrace_access_error(const PtraceCreds& caller, const PtraceCreds& target,
                        bool caller_owns_target_ns) {
  const bool cap_sys_ptrace = caller_owns_target_ns && has(caller.cap_effective, CAP_SYS_PTRACE);
  // The caller's real ids must be every one of the target's.
  const bool same_ids = caller.ruid == target.ruid && caller.ruid == target.euid &&
                        caller.ruid == target.suid && caller.rgid == target.rgid &&
                        caller.rgid == target.egid && caller.rgid == target.sgid;
  if (!same_ids && !cap_sys_ptrace) return EPERM;
  if (!target.dumpable && !cap_sys_ptrace) return EPERM;
  // commoncap: with PTRACE_MODE_REALCREDS the caller's permitted set must cover the target's.
  const bool caps_cover =
      caller.user_ns == target.user_ns && (target.cap_permitted & ~caller.cap_permitted) == 0;
  if (!caps_cover && !cap_sys_ptrace) return EPERM;
  return 0;
}

int ptrace_options_error(std::uint64_t options) {
  if (options & ~static_cast<std::uint64_t>(kPtraceOptionMask)) return EINVAL;
  if (options & PTRACE_O_SUSPEND_SECCOMP) return EPERM;  // every box task is under seccomp
  return 0;
}

int exit_si_code(int status) {
  if ((status & 0x7f) == 0) return CLD_EXITED;
  return (status & 0x80) ? CLD_DUMPED : CLD_KILLED;
}

int exit_si_status(int status) {
  return (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f;
}

std::optional<WaitOptions> wait4_options(std::uint64_t options) {
  constexpr std::uint64_t kValid =
      WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL;
  if (options & ~kValid) return std::nullopt;
  return WaitOptions{true, (options & WNOHANG) != 0, false, (options & __WNOTHREAD) != 0};
}

std::optional<WaitOptions> waitid_options(std::uint64_t options) {
  constexpr std::uint64_t kValid =
      WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL;
  if (options & ~kValid) return std::nullopt;
  if (!(options & (WEXITED | WSTOPPED | WCONTINUED))) return std::nullopt;
  return WaitOptions{(options & WEXITED) != 0, (options & WNOHANG) != 0, (options & WNOWAIT) != 0,
                     (options & __WNOTHREAD) != 0};
}

bool traced_init_takes(int signo, int si_code, bool has_handler) {
  if (signo == SIGKILL || signo == SIGSTOP) return true;
  return init_receives(PendingSignal{signo, si_code, true}, has_handler);
}

EmulatedStop event_stop(const Tracee& tracee, int signo, bool group_stop) {
  EmulatedStop stop;
  stop.kind = group_stop ? StopKind::kGroupStop : StopKind::kEventStop;
  stop.cld = CLD_STOPPED;
  if (group_stop && !tracee.seized) {
    // A group-stop of a tracee attached with PTRACE_ATTACH looks like a signal-delivery stop of
    // the stop signal, but has no siginfo (which is how tracers tell them apart).
    stop.code = signo;
    return stop;
  }
  stop.code = signo | (PTRACE_EVENT_STOP << 8);
  stop.siginfo = StopSiginfo{signo, stop.code, tracee.vtid, tracee.uid};
  return stop;
}

const Tracee* PtraceModel::find(Pid tid) const {
  auto it = tracees_.find(tid);
  return it == tracees_.end() ? nullptr : &it->second;
}

Tracee* PtraceModel::find(Pid tid) {
  auto it = tracees_.find(tid);
  return it == tracees_.end() ? nullptr : &it->second;
}

void PtraceModel::rekey(Pid from, Pid to) {
  auto it = tracees_.find(from);
  if (it == tracees_.end() || from == to) return;
  Tracee moved = it->second;
  moved.tid = to;
  tracees_.erase(it);
  tracees_[to] = moved;
}

bool PtraceModel::any_auto_attach() const {
  constexpr std::uint32_t kAuto = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
  for (const auto& [tid, tracee] : tracees_)
    if (tracee.options & kAuto) return true;
  return false;
}

std::vector<Pid> PtraceModel::tracees_of(Pid tracer) const {
  std::vector<Pid> out;
  for (const auto& [tid, tracee] : tracees_)
    if (tracee.tracer == tracer) out.push_back(tid);
  return out;
}

bool PtraceModel::is_tracer_process(Pid tgid) const {
  for (const auto& [tid, tracee] : tracees_)
    if (tracee.tracer_tgid == tgid) return true;
  return false;
}

int PtraceModel::attach(const Tracee& tracee, Pid tracer, Pid tracer_tgid, bool seize,
                        std::uint32_t options) {
  if (tracee.tgid == tracer_tgid) return EPERM;     // same thread group
  if (tracees_.contains(tracee.tid)) return EPERM;  // traced already
  Tracee& added = tracees_[tracee.tid] = tracee;
  added.tracer = tracer;
  added.tracer_tgid = tracer_tgid;
  added.seized = seize;
  added.options = seize ? options : 0;
  added.mode = ResumeMode::kCont;
  added.attach_seq = ++attach_seq_;
  return 0;
}

void PtraceModel::auto_attach(const Tracee& child, const Tracee& parent) {
  Tracee& added = tracees_[child.tid] = child;
  added.tracer = parent.tracer;
  added.tracer_tgid = parent.tracer_tgid;
  added.seized = parent.seized;
  added.options = parent.options;
  added.mode = ResumeMode::kCont;
  added.awaiting_first_stop = true;
  added.attach_seq = ++attach_seq_;
}

int PtraceModel::check_request(Pid caller, Pid tid, bool needs_stop) const {
  const Tracee* tracee = find(tid);
  if (!tracee || tracee->tracer != caller) return ESRCH;
  if (needs_stop && (!tracee->stop || tracee->listening)) return ESRCH;
  return 0;
}

StopDecision PtraceModel::decide_stop(Pid tid, const RealStopInfo& real) const {
  const Tracee* tracee = find(tid);
  VPIDBOX_INVARIANT(tracee != nullptr, "a stop decided for a task nobody traces");
  StopDecision d;
  d.mode = tracee->mode;
  auto report = [&](EmulatedStop stop) {
    d.report = true;
    stop.supervisor_needs_exit_stop = real.supervisor_needs_exit_stop;
    d.stop = stop;
  };
  const std::uint32_t options = tracee->options;
  switch (real.kind) {
    case RealStop::kNone:
      break;
    case RealStop::kSignal: {
      EmulatedStop stop;
      stop.kind = StopKind::kSignal;
      stop.code = real.signo;
      stop.cld = CLD_TRAPPED;
      stop.real_siginfo = true;
      report(stop);
      break;
    }
    case RealStop::kGroupStop:
      report(event_stop(*tracee, real.signo, true));
      break;
    case RealStop::kTrap:
      // PTRACE_INTERRUPT, or SIGCONT ending a PTRACE_LISTEN; the supervisor's own interrupts
      // are not the tracer's.
      if (tracee->interrupt_pending || tracee->listening)
        report(event_stop(*tracee, SIGTRAP, false));
      break;
    case RealStop::kFirst:
      if (tracee->awaiting_first_stop) {
        // A seized tracer's new tracee stops with PTRACE_EVENT_STOP; an attached one's gets a
        // SIGSTOP, whose delivery stop is what the tracer sees first.
        if (tracee->seized)
          report(event_stop(*tracee, SIGTRAP, false));
        else
          d.send_initial_sigstop = true;
      }
      break;
    case RealStop::kSyscallEntry:
      if (tracee->mode == ResumeMode::kSyscall)
        report(syscall_stop(*tracee, StopKind::kSyscallEntry));
      break;
    case RealStop::kSyscallExit:
      if (tracee->mode == ResumeMode::kSyscall)
        report(syscall_stop(*tracee, StopKind::kSyscallExit));
      break;
    case RealStop::kSeccomp:
      // The supervisor has translated the call's arguments already: registers a tracer changed
      // now would reach the kernel untranslated. A pending interrupt waits for a later stop.
      return d;
    case RealStop::kForeignSeccomp:
      // The program's own SECCOMP_RET_TRACE: a tracer with PTRACE_O_TRACESECCOMP could rewrite
      // the call there, and the kernel's recheck lets a rewritten call through unfiltered when
      // the program's filter traces it too. It fails with ENOSYS, as without a tracer.
      return d;
    case RealStop::kFork:
      if ((options & option_for_fork_event(real.event)) && !real.untraced_clone) {
        report(event_trap(*tracee, real.event));
        d.auto_attach_child = true;
      }
      break;
    case RealStop::kExec:
      if (options & PTRACE_O_TRACEEXEC)
        report(event_trap(*tracee, PTRACE_EVENT_EXEC));
      else if (!tracee->seized)
        d.send_exec_sigtrap = true;
      break;
    case RealStop::kVforkDone:
      if (options & PTRACE_O_TRACEVFORKDONE) report(event_trap(*tracee, PTRACE_EVENT_VFORK_DONE));
      break;
    case RealStop::kExit:
      if (options & PTRACE_O_TRACEEXIT)
        report(event_trap(*tracee, PTRACE_EVENT_EXIT));
      else
        d.hold_at_exit = real.exit_holdable;
      return d;  // an exiting tracee ignores PTRACE_INTERRUPT
  }
  // A pending PTRACE_INTERRUPT is satisfied by the tracee's next ptrace-stop of any kind (the
  // kernel clears JOBCTL_TRAP_STOP at every trap): one the tracer would not see otherwise is its
  // PTRACE_EVENT_STOP. (A seccomp stop, above, is not.)
  if (!d.report && tracee->interrupt_pending && real.kind != RealStop::kFirst)
    report(event_stop(*tracee, SIGTRAP, false));
  return d;
}

void PtraceModel::enter_stop(Pid tid, const EmulatedStop& stop, std::uint64_t event_msg) {
  Tracee* tracee = find(tid);
  VPIDBOX_INVARIANT(tracee != nullptr, "a stop entered by a task nobody traces");
  tracee->stop = stop;
  tracee->listening = false;
  tracee->interrupt_pending = false;
  tracee->awaiting_first_stop = false;
  switch (stop.kind) {
    case StopKind::kSyscallEntry:
      tracee->event_msg = kEventMsgSyscallEntry;
      break;
    case StopKind::kSyscallExit:
      tracee->event_msg = kEventMsgSyscallExit;
      break;
    case StopKind::kEvent:
      tracee->event_msg = event_msg;
      break;
    case StopKind::kSignal:
    case StopKind::kGroupStop:
    case StopKind::kEventStop:
      tracee->event_msg = 0;  // ptrace_stop() sets the message of every stop
      break;
  }
}

EmulatedStop PtraceModel::resume(Pid tid, ResumeMode mode) {
  Tracee* tracee = find(tid);
  VPIDBOX_INVARIANT(tracee && tracee->stop, "a resume of a tracee that is not stopped");
  const EmulatedStop left = *tracee->stop;
  tracee->stop.reset();
  tracee->mode = mode;
  return left;
}

int PtraceModel::listen_error(Pid tid) const {
  const Tracee* tracee = find(tid);
  if (!tracee || !tracee->seized) return EIO;
  const std::optional<EmulatedStop>& stop = tracee->stop;
  if (!stop || !stop->siginfo || (stop->siginfo->code >> 8) != PTRACE_EVENT_STOP) return EIO;
  return 0;
}

EmulatedStop PtraceModel::listen(Pid tid) {
  Tracee* tracee = find(tid);
  VPIDBOX_INVARIANT(tracee && tracee->stop, "PTRACE_LISTEN of a tracee that is not stopped");
  const EmulatedStop left = *tracee->stop;
  tracee->stop.reset();
  tracee->listening = true;
  return left;
}

void PtraceModel::post_exit(Pid tid, int status, bool held) {
  Tracee* tracee = find(tid);
  if (!tracee) return;
  tracee->exit = ExitReport{status, held};
  tracee->stop.reset();
  tracee->listening = false;
  tracee->interrupt_pending = false;
}

bool PtraceModel::eligible(const WaitQuery& query, const Tracee& tracee, KernelView& kernel) const {
  if (tracee.tracer_tgid != query.caller_tgid) return false;
  if (query.nothread && tracee.tracer != query.caller) return false;
  switch (query.select) {
    case WaitQuery::Select::kAny:
      return true;
    case WaitQuery::Select::kPid:
      return tracee.tid == query.id;
    case WaitQuery::Select::kPgid: {
      const RealOrErrno pgid = kernel.pgid_of(tracee.tid);
      return pgid.ok() && pgid.value == query.id;
    }
  }
  return false;
}

namespace {

std::optional<WaitReport> report_of(const WaitQuery& query, const Tracee& tracee) {
  if (tracee.exit) {
    if (!query.exited) return std::nullopt;
    const int status = tracee.exit->status;
    return WaitReport{tracee.tid, status, exit_si_code(status), exit_si_status(status),
                      tracee.uid, true};
  }
  if (!tracee.stop || tracee.stop->reported || tracee.listening) return std::nullopt;
  // A ptrace-stop is reported to the tracer whether or not it asked for WSTOPPED.
  return WaitReport{tracee.tid,  stop_status(tracee.stop->code),
                    CLD_TRAPPED, tracee.stop->code,
                    tracee.uid,  false};
}

}  // namespace

PtraceModel::WaitMatch PtraceModel::match_wait(const WaitQuery& query, KernelView& kernel) const {
  WaitMatch match;
  // The kernel walks a tracer's tracees newest first (ptrace_link adds at the head).
  const Tracee* best = nullptr;
  for (const auto& [tid, tracee] : tracees_) {
    if (!eligible(query, tracee, kernel)) continue;
    match.any_eligible = true;
    if (report_of(query, tracee) && (!best || tracee.attach_seq > best->attach_seq)) best = &tracee;
  }
  if (best) match.report = report_of(query, *best);
  return match;
}

bool PtraceModel::would_report(const WaitQuery& query, Pid tid, KernelView& kernel) const {
  const Tracee* tracee = find(tid);
  return tracee && eligible(query, *tracee, kernel) && report_of(query, *tracee).has_value();
}

bool PtraceModel::consume(const WaitQuery& query, const WaitReport& report) {
  if (query.nowait) return false;
  Tracee* tracee = find(report.tracee);
  if (!tracee) return false;
  if (report.exit) {
    const bool held = tracee->exit && tracee->exit->held;
    tracees_.erase(report.tracee);
    return held;
  }
  if (tracee->stop) tracee->stop->reported = true;
  return false;
}

}  // namespace vpidbox
