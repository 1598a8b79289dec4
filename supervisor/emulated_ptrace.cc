// The emulated ptrace: the stops of tracees, attaching by fork events, and exits. Waits are in
// emulated_wait.cc, the tracer's requests in ptrace_requests.cc.
#include "supervisor/emulated_ptrace.h"

#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include "filters/filter_builder.h"
#include "supervisor/kernel_facts.h"
#include "supervisor/tracee.h"

namespace vpidbox {
namespace {

bool is_stop_signal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

siginfo_t make_siginfo(int signo, int code, Pid pid, std::uint32_t uid) {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  info.si_signo = signo;
  info.si_code = code;
  info.si_pid = pid;
  info.si_uid = uid;
  return info;
}

// Whether a process has SIGCHLD caught or blocked (else the kernel would discard the SIGCHLD it
// sends a tracer: its default action is to do nothing), from one read of its status.
bool reads_wants_sigchld(Pid tgid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/status", tgid);
  const std::optional<std::string> text = read_proc_file(path);
  if (!text) return false;
  const std::uint64_t bit = 1ull << (SIGCHLD - 1);
  for (const char* mask : {"SigCgt", "SigBlk"})
    if (const char* field = proc_field(*text, mask);
        field && (std::strtoull(field, nullptr, 16) & bit))
      return true;
  return false;
}

}  // namespace

EmulatedPtrace::EmulatedPtrace(BoxTasks& tasks, EmulatedSignals& signals, KernelView& kernel,
                               TraceLog& trace)
    : tasks_(tasks), table_(tasks.table()), signals_(signals), kernel_(kernel), trace_(trace) {
  struct stat st;
  if (::stat("/proc/self/ns/user", &st) == 0) own_user_ns_ = st.st_ino;
}

long EmulatedPtrace::extra_options(pid_t tid) const {
  const Tracee* tracee = model_.find(tid);
  if (!tracee) return 0;
  // Exits and execs stop for the supervisor whatever the tracer asked: an exit waits there for
  // the tracer's wait, an exec gives the tracer its event or its SIGTRAP.
  return PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC | (tracee->options & PTRACE_O_TRACEVFORKDONE);
}

void EmulatedPtrace::set_real_options(pid_t tid) {
  const long extra = extra_options(tid);
  ::ptrace(PTRACE_SETOPTIONS, tid, 0, kTraceOptions | PTRACE_O_TRACEEXEC | extra);
  if (extra)
    extended_options_.insert(tid);
  else
    extended_options_.erase(tid);
  options_dirty_.erase(tid);
}

void EmulatedPtrace::note(pid_t tid, const std::string& what) {
  if (!trace_.enabled()) return;
  const Task* task = table_.task(tid);
  trace_.note("[v" + std::to_string(task ? task->vtid : 0) + " r" + std::to_string(tid) +
              "] ptrace emulation: " + what);
}

void EmulatedPtrace::note_attached(Pid tid) {
  Tracee* tracee = model_.find(tid);
  tracee->number_for_tracer = seen_by_tracer(*tracee, tid);
  sync_tracer(tid);
}

void EmulatedPtrace::sync_tracer(Pid tid) {
  const Tracee* tracee = model_.find(tid);
  table_.set_tracer(tid, tracee ? tracee->tracer : 0);
}

Tracee EmulatedPtrace::describe(pid_t tid) const {
  Tracee tracee;
  tracee.tid = tid;
  const Task* task = table_.task(tid);
  tracee.tgid = task ? task->real_tgid : tid;
  tracee.vtid = task ? task->vtid : 0;
  tracee.uid = read_task_creds(tid).ruid;
  if (const RealOrErrno parent = kernel_.parent_of(tracee.tgid); parent.ok())
    tracee.real_parent = parent.value;
  return tracee;
}

Pid EmulatedPtrace::seen_by_tracer(const Tracee& tracee, Pid real) const {
  // Numbers a tracer receives (event messages, SIGCHLD, waits) are in its own level's view.
  return table_.to_virtual(real, table_.level_of(tracee.tracer)).value_or(0);
}

RealStopInfo EmulatedPtrace::classify(pid_t tid, int status) {
  const int signo = WSTOPSIG(status);
  const int event = status >> 16;
  RealStopInfo info;
  info.signo = signo;
  if (signo == (SIGTRAP | 0x80)) {
    // The supervisor's own exit stops and the tracer's entry and exit stops look alike.
    __ptrace_syscall_info syscall{};
    ::ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(syscall), &syscall);
    info.kind =
        syscall.op == PTRACE_SYSCALL_INFO_ENTRY ? RealStop::kSyscallEntry : RealStop::kSyscallExit;
    return info;
  }
  unsigned long message = 0;
  switch (event) {
    case 0:
      info.kind = RealStop::kSignal;
      break;
    case PTRACE_EVENT_STOP:
      info.kind = is_stop_signal(signo) ? RealStop::kGroupStop : RealStop::kTrap;
      break;
    case PTRACE_EVENT_SECCOMP:
      ::ptrace(PTRACE_GETEVENTMSG, tid, 0, &message);
      info.kind = message == kBoxTraceData ? RealStop::kSeccomp : RealStop::kForeignSeccomp;
      break;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
      info.kind = RealStop::kFork;
      info.event = event;  // the child's number comes with on_fork_event
      break;
    case PTRACE_EVENT_EXEC:
      // The former tid, before the route releases its number.
      ::ptrace(PTRACE_GETEVENTMSG, tid, 0, &message);
      info.kind = RealStop::kExec;
      if (const Tracee* tracee = model_.find(tid))
        info.message = seen_by_tracer(*tracee, static_cast<Pid>(message));
      break;
    case PTRACE_EVENT_VFORK_DONE:
      ::ptrace(PTRACE_GETEVENTMSG, tid, 0, &message);
      info.kind = RealStop::kVforkDone;
      if (const Tracee* tracee = model_.find(tid))
        info.message = seen_by_tracer(*tracee, static_cast<Pid>(message));
      break;
    case PTRACE_EVENT_EXIT:
      ::ptrace(PTRACE_GETEVENTMSG, tid, 0, &message);
      info.kind = RealStop::kExit;
      info.message = message;  // the wait status it exits with
      break;
    default:
      break;
  }
  return info;
}

bool EmulatedPtrace::on_stop(pid_t tid, int status) {
  if (idle()) return false;
  listening_.erase(tid);
  if (auto waiting = waiters_.find(tid); waiting != waiters_.end()) {
    waiting->second.interrupted = false;
    if (waiting->second.paused && on_paused_wait_stop(tid, status)) return true;
  }
  if ((status >> 16) == PTRACE_EVENT_EXEC) {
    unsigned long former = 0;
    if (::ptrace(PTRACE_GETEVENTMSG, tid, 0, &former) == 0 && static_cast<pid_t>(former) != tid &&
        model_.find(static_cast<Pid>(former))) {
      model_.rekey(static_cast<Pid>(former), tid);
      sync_tracer(static_cast<Pid>(former));
      if (const Task* leader = table_.task(tid)) model_.find(tid)->vtid = leader->vtid;
      note_attached(tid);
    }
  }
  if (options_dirty_.contains(tid)) set_real_options(tid);
  if (!model_.find(tid)) return false;
  const RealStopInfo info = classify(tid, status);
  current_[tid] = info;
  if (info.kind == RealStop::kSyscallEntry) {
    // Only the tracer's PTRACE_SYSCALL makes these: nothing for the route to do.
    entry_regs_.erase(tid);
    takes_resume(tid, 0, false);
    return true;
  }
  return false;
}

bool EmulatedPtrace::on_first_stop(pid_t tid) {
  const bool event_seen = forked_.erase(tid) > 0;
  if (idle()) return false;
  if (const Tracee* tracee = model_.find(tid)) {
    set_real_options(tid);
    if (tracee->awaiting_first_stop) {
      RealStopInfo first;
      first.kind = RealStop::kFirst;
      current_[tid] = first;
    }
    // Otherwise a tracer attached to it before this stop was seen: it is the trap on_stop made
    // of it, which may be the one a PTRACE_INTERRUPT waits for.
    takes_resume(tid, 0, false);
    return true;
  }
  if (!event_seen && model_.any_auto_attach()) {
    // Its parent's fork event, not seen yet, says whether a tracer takes it: wait for it. Should
    // the parent die first (killed before its event), its exit lets this one go.
    const ProcStatusIds ids = read_status_ids(tid);
    held_first_stops_[tid] = ids.ok ? (ids.tgid == tid ? ids.ppid : ids.tgid) : 0;
    note(tid, "first stop held until its parent's fork event");
    return true;
  }
  // Not traced inside: the options it inherited from a traced parent are the supervisor's again.
  if (extended_options_.contains(tid)) set_real_options(tid);
  return false;
}

void EmulatedPtrace::on_fork_event(pid_t parent, pid_t child) {
  const bool untraced = untraced_clone_.erase(parent) > 0;
  if (extended_options_.contains(parent)) extended_options_.insert(child);
  if (const Task* task = table_.task(child); task && task->real_tgid == child)
    creator_[child] = parent;
  bool attached = false;
  if (const Tracee* tracee = model_.find(parent)) {
    RealStopInfo& info = current_[parent];
    info.message = seen_by_tracer(*tracee, child);
    info.untraced_clone = untraced;
    if (model_.decide_stop(parent, info).auto_attach_child) {
      Tracee described = describe(child);
      model_.auto_attach(described, *tracee);
      note_attached(child);
      attached = true;
    }
  }
  auto held = held_first_stops_.find(child);
  if (held == held_first_stops_.end()) {
    forked_.insert(child);
    return;
  }
  held_first_stops_.erase(held);
  if (attached) {
    on_first_stop(child);
    return;
  }
  if (extended_options_.contains(child)) set_real_options(child);
  ::ptrace(PTRACE_CONT, child, 0, 0);
}

void EmulatedPtrace::note_untraced_clone(pid_t tid) {
  if (model_.find(tid)) untraced_clone_.insert(tid);
}

void EmulatedPtrace::on_seccomp_entry(pid_t tid, const user_regs_struct& regs) {
  if (model_.empty() || !model_.find(tid)) return;
  entry_regs_[tid] = regs;
}

bool EmulatedPtrace::takes_resume(pid_t tid, int signo, bool to_exit) {
  if (model_.empty()) return false;
  Tracee* tracee = model_.find(tid);
  if (!tracee) return false;
  RealStopInfo info;
  if (auto it = current_.find(tid); it != current_.end()) {
    info = it->second;
    current_.erase(it);
  }
  // A stop inside a call whose exit stop the route waits for (a vfork's vfork-done stop comes
  // before it) must not lose it; nor may a call whose registers the route rewrote, which the
  // exit stop gives back.
  const TracedTask* traced = tasks_.find(tid);
  to_exit |= traced && traced->exit.has_value();
  if (info.kind == RealStop::kSeccomp && registers_rewritten(tid)) to_exit = true;
  if (info.kind == RealStop::kSyscallExit) restore_program_registers(tid);
  info.supervisor_needs_exit_stop = to_exit;
  // The route drops a signal init does not receive: not delivered, so not the tracer's either.
  if (info.kind == RealStop::kSignal && signo == 0) info.kind = RealStop::kNone;
  if (info.kind == RealStop::kExit) {
    if (const RealOrErrno parent = kernel_.parent_of(tracee->tgid); parent.ok())
      tracee->real_parent = parent.value;
    info.exit_holdable = exit_holdable(*tracee);
  }
  const StopDecision d = model_.decide_stop(tid, info);
  if (d.report) {
    current_[tid] = info;  // the real stop under the tracer's, for its requests
    note(tid, "stop for the tracer, status " + std::to_string(stop_status(d.stop.code)));
    enter_stop(tid, d.stop, info.message);
    return true;
  }
  if (d.hold_at_exit) {
    hold_exit(tid, static_cast<int>(info.message));
    return true;
  }
  if (d.send_exec_sigtrap) {
    // send_sig(SIGTRAP, current, 0): SI_USER, from the process itself.
    signals_.send_synthetic_to_thread(
        tracee->tgid, tid,
        make_siginfo(SIGTRAP, SI_USER, table_.virtual_tgid(tid).value_or(0), tracee->uid));
  }
  if (d.send_initial_sigstop)
    signals_.send_synthetic_to_thread(tracee->tgid, tid, make_siginfo(SIGSTOP, SI_USER, 0, 0));
  real_resume(tid, d.mode, signo, to_exit);
  return true;
}

int EmulatedPtrace::delivered_signal(pid_t tid, const EmulatedStop& stop, int signo, Pid sender) {
  if (signo == 0 || stop.kind != StopKind::kSignal) return signo;
  siginfo_t info{};
  ::ptrace(PTRACE_GETSIGINFO, tid, 0, &info);
  if (info.si_signo != signo) {
    // Another signal than the one stopped for: the kernel makes it SI_USER from the tracee's
    // parent (ptrace_signal), which is the supervisor in truth. It is from `sender` (the tracer,
    // or after PTRACE_DETACH the real parent), by its box number.
    std::memset(&info, 0, sizeof(info));
    info.si_signo = signo;
    info.si_code = SI_USER;
    info.si_pid = table_.to_virtual(sender, table_.level_of(tid)).value_or(0);
    info.si_uid = read_task_creds(sender).ruid;
    ::ptrace(PTRACE_SETSIGINFO, tid, 0, &info);
  }
  const Task* task = table_.task(tid);
  if (!task || table_.init_of(task->level) != task->real_tgid) return signo;
  return traced_init_takes(signo, info.si_code, has_handler(task->real_tgid, signo)) ? signo : 0;
}

void EmulatedPtrace::real_resume(pid_t tid, ResumeMode mode, int signo, bool to_exit) {
  long request = PTRACE_CONT;
  if (to_exit || mode == ResumeMode::kSyscall)
    request = PTRACE_SYSCALL;
  else if (mode == ResumeMode::kSingleStep)
    request = PTRACE_SINGLESTEP;
  ::ptrace(static_cast<__ptrace_request>(request), tid, 0, signo);
  if (trace_.enabled())
    note(tid, std::string("resumed with ") +
                  (request == PTRACE_SYSCALL      ? "PTRACE_SYSCALL"
                   : request == PTRACE_SINGLESTEP ? "PTRACE_SINGLESTEP"
                                                  : "PTRACE_CONT") +
                  ", signal " + std::to_string(signo));
  // A PTRACE_INTERRUPT asked while it was stopped traps it again at once.
  if (const Tracee* tracee = model_.find(tid); tracee && tracee->interrupt_pending)
    ::ptrace(PTRACE_INTERRUPT, tid, 0, 0);
}

bool EmulatedPtrace::registers_rewritten(pid_t tid) {
  auto saved = entry_regs_.find(tid);
  if (saved == entry_regs_.end()) return false;
  user_regs_struct regs;
  if (tracee::get_regs(tid, regs) && regs.orig_rax == saved->second.orig_rax &&
      tracee::syscall_args(regs) == tracee::syscall_args(saved->second)) {
    entry_regs_.erase(saved);  // nothing to give back
    return false;
  }
  return true;
}

void EmulatedPtrace::restore_program_registers(pid_t tid) {
  // After a call the route translated, the registers show what the program passed (its number,
  // its box numbers), not what the kernel was given; the result is translated already.
  auto saved = entry_regs_.find(tid);
  if (saved == entry_regs_.end()) return;
  user_regs_struct regs;
  if (tracee::get_regs(tid, regs)) {
    regs.orig_rax = saved->second.orig_rax;
    tracee::set_syscall_args(regs, tracee::syscall_args(saved->second));
    tracee::set_regs(tid, regs);
  }
  entry_regs_.erase(saved);
}

void EmulatedPtrace::enter_stop(pid_t tid, const EmulatedStop& stop, std::uint64_t event_msg) {
  model_.enter_stop(tid, stop, event_msg);
  const Tracee* tracee = model_.find(tid);
  // do_notify_parent_cldstop: CLD_TRAPPED says the stop's signal, CLD_STOPPED the group's.
  notify_tracer(*tracee, stop.cld, stop.code & 0x7f);
  wake_waiter_for(*tracee);
}

bool EmulatedPtrace::wants_sigchld(Pid tgid) {
  // A tracer's stops come by the thousand (strace: two per system call), and it sets up SIGCHLD
  // once: its status is read again after a short while, not at every stop.
  constexpr auto kFresh = std::chrono::milliseconds(50);
  const auto now = std::chrono::steady_clock::now();
  auto it = sigchld_wanted_.find(tgid);
  if (it == sigchld_wanted_.end() || now - it->second.read_at > kFresh)
    it =
        sigchld_wanted_.insert_or_assign(tgid, SigchldWanted{reads_wants_sigchld(tgid), now}).first;
  return it->second.wanted;
}

void EmulatedPtrace::notify_tracer(const Tracee& tracee, int cld, int status) {
  if (!wants_sigchld(tracee.tracer_tgid)) return;
  siginfo_t info = make_siginfo(SIGCHLD, cld, tracee.number_for_tracer, tracee.uid);
  info.si_status = status;
  signals_.send_synthetic_to_process(tracee.tracer_tgid, info);
}

bool EmulatedPtrace::exit_holdable(const Tracee& tracee) {
  if (tracee.tgid != tracee.tid) return false;  // a thread's exit is its tracer's alone anyway
  for (const auto& [tid, task] : table_.tasks())
    if (tid != tracee.tid && task.real_tgid == tracee.tgid && !task.exited) return false;
  return tracee.real_parent != tracee.tracer_tgid;
}

void EmulatedPtrace::hold_exit(pid_t tid, int status) {
  // It stays at PTRACE_EVENT_EXIT: for its tracer it has exited, for its parent not yet.
  model_.post_exit(tid, status, true);
  const Tracee* tracee = model_.find(tid);
  note(tid, "exit held for its tracer, status " + std::to_string(status));
  notify_tracer(*tracee, exit_si_code(status), exit_si_status(status));
  wake_waiter_for(*tracee);
}

void EmulatedPtrace::let_go(pid_t tid) {
  // Held at PTRACE_EVENT_EXIT: it dies now, and its parent is told.
  current_.erase(tid);
  ::ptrace(PTRACE_CONT, tid, 0, 0);
}

void EmulatedPtrace::on_task_exit(pid_t tid, int status) {
  forked_.erase(tid);
  held_first_stops_.erase(tid);
  creator_.erase(tid);
  sigchld_wanted_.erase(tid);
  extended_options_.erase(tid);
  options_dirty_.erase(tid);
  listening_.erase(tid);
  if (idle()) return;
  entry_regs_.erase(tid);
  current_.erase(tid);
  untraced_clone_.erase(tid);
  waiters_.erase(tid);
  // New tasks held for the fork event of a parent that died before it.
  for (auto it = held_first_stops_.begin(); it != held_first_stops_.end();) {
    if (it->second != tid) {
      ++it;
      continue;
    }
    ::ptrace(PTRACE_CONT, it->first, 0, 0);
    it = held_first_stops_.erase(it);
  }
  if (Tracee* tracee = model_.find(tid)) {
    if (tracee->exit) {
      tracee->exit->held = false;  // killed while held: its exit is posted already
    } else {
      // A traced child's exit reaches its tracer and parent once: when they are one, the kernel
      // reports it; otherwise the tracer hears of it here.
      const bool leader = tracee->tgid == tid;
      // Its parent as it was at its exit stop: the supervisor's wait hands the zombie to its
      // parent, which may have reaped it already.
      if (leader && tracee->real_parent == tracee->tracer_tgid) {
        model_.detach(tid);
        sync_tracer(tid);
      } else {
        model_.post_exit(tid, status, false);
        notify_tracer(*tracee, exit_si_code(status), exit_si_status(status));
        wake_waiter_for(*tracee);
      }
    }
  }
  on_tracer_exit(tid);
}

void EmulatedPtrace::on_tracer_exit(pid_t tracer) {
  // kernel/ptrace.c exit_ptrace(): every tracee is detached, or killed with PTRACE_O_EXITKILL.
  for (Pid tid : model_.tracees_of(tracer)) {
    const Tracee tracee = *model_.find(tid);
    model_.detach(tid);
    sync_tracer(tid);
    if (tracee.options & PTRACE_O_EXITKILL) ::syscall(SYS_tgkill, tracee.tgid, tid, SIGKILL);
    if (tracee.exit) {
      if (tracee.exit->held) let_go(tid);
      continue;
    }
    if (!tracee.stop) {
      options_dirty_.insert(tid);  // set back at its next stop
      continue;
    }
    set_real_options(tid);
    current_.erase(tid);
    if (tracee.stop->kind == StopKind::kGroupStop) {
      ::ptrace(PTRACE_LISTEN, tid, 0, 0);
      listening_.insert(tid);
    } else {
      const int signo = tracee.stop->kind == StopKind::kSignal ? tracee.stop->code : 0;
      ::ptrace(tracee.stop->supervisor_needs_exit_stop ? PTRACE_SYSCALL : PTRACE_CONT, tid, 0,
               signo);
    }
  }
}

}  // namespace vpidbox
