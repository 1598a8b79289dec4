// ptrace for tracers inside the box. The supervisor is the real tracer of every box task (it
// must stay so: EXITKILL is what kills the box with it), so a box task's own ptrace() calls,
// and the waits that report its tracees, are served here from the model of
// translate/ptrace_model.h, applied with the supervisor's real ptrace requests:
//  - a real stop of a tracee that its tracer must see keeps the tracee stopped; the tracer gets
//    the SIGCHLD the kernel would send it, and a wait4()/waitid() that is blocked for it is woken
//    (PTRACE_INTERRUPT on the tracer, which the supervisor traces too) and answered;
//  - the tracer's requests act on the stopped tracee with the supervisor's real requests and the
//    kernel's errors; what they show is the box's (numbers, the program's own syscall arguments);
//  - when the tracer exits, its tracees are detached or killed (PTRACE_O_EXITKILL), and a
//    tracee's exit reaches its real parent only after its tracer has reaped it.
// Only the route (ptrace_route.cc) and the lifecycle (session.cc) call it, through the hooks
// below; all of them return at once when nobody in the box traces anyone.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "supervisor/box_tasks.h"
#include "supervisor/emulated_signals.h"
#include "supervisor/trace_log.h"
#include "translate/kernel_view.h"
#include "translate/outcome.h"
#include "translate/ptrace_model.h"
#include "translate/rules.h"

namespace vpidbox {

class EmulatedPtrace {
 public:
  EmulatedPtrace(BoxTasks& tasks, EmulatedSignals& signals, KernelView& kernel, TraceLog& trace);

  // --- Hooks of the ptrace route ------------------------------------------------------------

  // Every real stop of a box task, before the route looks at it: true when it was handled here
  // entirely (the waking of a tracer's wait, a tracee's syscall-entry stop).
  bool on_stop(pid_t tid, int status);
  // The first stop of a new task: true when it stays stopped (for its tracer, or until its
  // parent's fork event tells whether it has one), false when the route resumes it.
  bool on_first_stop(pid_t tid);
  // The fork, vfork or clone event of `parent` that made `child` (registered already).
  void on_fork_event(pid_t parent, pid_t child);
  // A clone() or clone3() that asked for CLONE_UNTRACED (the box drops the flag): its child is
  // not its parent's tracer's.
  void note_untraced_clone(pid_t tid);
  // A seccomp stop of the box's filter, with the program's registers before any rewrite: an
  // emulated tracer sees them at the syscall-exit stop.
  void on_seccomp_entry(pid_t tid, const user_regs_struct& regs);
  // A ptrace() call of a box task: its result (the syscall is skipped).
  Outcome serve_ptrace(pid_t tid, const Call& call);
  // The entry of a wait4() or waitid(): an answer about a tracee (the syscall is skipped), or
  // nullopt to let the kernel wait, watched, when the caller is a tracer.
  std::optional<Outcome> on_wait_entry(pid_t tid, const Call& call);
  // Its syscall-exit stop with the kernel's result: true when the emulation took over (the
  // result is a tracee's, or the wait goes on for tracees after the kernel said ECHILD); the
  // route then only resumes it.
  bool on_wait_exit(pid_t tid, std::int64_t result, const std::array<std::uint64_t, 6>& args);
  // Every resume of a stopped box task goes through here: true when the emulation resumed it
  // (as its tracer asked) or keeps it stopped for its tracer; false for the route to resume it.
  // `signo` is the signal to deliver, `to_exit` whether the route needs the syscall-exit stop.
  bool takes_resume(pid_t tid, int signo, bool to_exit);
  // A group-stop the route keeps with PTRACE_LISTEN.
  void note_listening(pid_t tid) { listening_.insert(tid); }
  // Whether a tracer inside the box traces this task.
  bool traces(pid_t tid) const { return model_.find(tid) != nullptr; }
  // Options the supervisor's own must be joined with for this task.
  long extra_options(pid_t tid) const;

  // --- Hooks of the lifecycle ---------------------------------------------------------------

  // A task's exit was reported to the supervisor (before the box forgets it).
  void on_task_exit(pid_t tid, int status);

 private:
  // A tracer's thread waiting in wait4() or waitid() while one of its tracees may report.
  struct Waiter {
    WaitQuery query;
    long nr = 0;  // SYS_wait4 or SYS_waitid
    std::array<std::uint64_t, 6> args{};
    bool paused = false;       // no child to wait for: it waits in pause() for a tracee
    bool interrupted = false;  // woken with PTRACE_INTERRUPT, not stopped since
  };

  bool idle() const { return model_.empty() && waiters_.empty(); }
  // A --trace line about what the emulation did for task `tid` ("[vN rM] ptrace emulation: ...").
  void note(pid_t tid, const std::string& what);
  // The box's /proc shows a task's tracer (TracerPid) from the process table.
  void sync_tracer(Pid tid);
  // The stop a tracee is in, for takes_resume.
  RealStopInfo classify(pid_t tid, int status);
  void real_resume(pid_t tid, ResumeMode mode, int signo, bool to_exit);
  // The signal a tracee leaving `stop` gets: `signo`, unless it is init, which drops what it
  // does not take (traced_init_takes). A signal the tracer changed is from `sender`.
  int delivered_signal(pid_t tid, const EmulatedStop& stop, int signo, Pid sender);
  // The tracer sees `stop`: recorded, and the tracer notified.
  void enter_stop(pid_t tid, const EmulatedStop& stop, std::uint64_t event_msg);
  // At a call's exit the registers show what the program passed (restore_program_registers),
  // when the route rewrote them at its seccomp stop (registers_rewritten).
  void restore_program_registers(pid_t tid);
  bool registers_rewritten(pid_t tid);
  void notify_tracer(const Tracee& tracee, int cld, int status);
  bool wants_sigchld(Pid tgid);
  void wake_waiter_for(const Tracee& tracee);
  // A process just became a tracer (a child's PTRACE_TRACEME): a wait its threads are in
  // already is not watched. Interrupted, it restarts, and its new entry is.
  void kick_waits_of(Pid tgid);
  // A tracer's real ptrace options for a tracee (or the supervisor's own once it is not one).
  void set_real_options(pid_t tid);
  Tracee describe(pid_t tid) const;
  Pid seen_by_tracer(const Tracee& tracee, Pid real) const;
  // After attaching: the numbers its tracer knows it by, the table's TracerPid.
  void note_attached(Pid tid);
  // The exit of a lone leader may wait at PTRACE_EVENT_EXIT for its tracer's wait.
  bool exit_holdable(const Tracee& tracee);
  void hold_exit(pid_t tid, int status);
  void let_go(pid_t tid);
  void on_tracer_exit(pid_t tracer);

  // Waits (emulated_wait.cc).
  std::optional<WaitQuery> wait_query(pid_t tid, const Call& call);
  bool answer_wait(pid_t tid, const WaitQuery& query, const Waiter& waiter,
                   const WaitReport& report, std::int64_t& result);
  // A stop of a tracer waiting in pause(): answered, or its wait restarted.
  bool on_paused_wait_stop(pid_t tid, int status);

  // Requests (ptrace_requests.cc).
  Outcome attach(pid_t caller, long request, Pid vpid, std::uint64_t addr, std::uint64_t data);
  Outcome traceme(pid_t caller);
  Outcome resume_request(pid_t caller, long request, pid_t tracee, std::uint64_t data);
  Outcome detach(pid_t caller, pid_t tracee, std::uint64_t data);
  Outcome interrupt(pid_t tracee);
  Outcome listen(pid_t tracee);
  Outcome on_stopped_tracee(pid_t caller, long request, pid_t tracee, std::uint64_t addr,
                            std::uint64_t data);
  Outcome get_siginfo(pid_t caller, pid_t tracee, std::uint64_t data);
  Outcome set_siginfo(pid_t caller, pid_t tracee, std::uint64_t data);
  Outcome regset(pid_t caller, long request, pid_t tracee, std::uint64_t type,
                 std::uint64_t iov_at);
  Outcome syscall_info(pid_t caller, pid_t tracee, std::uint64_t size, std::uint64_t data);
  Outcome peek_siginfo(pid_t caller, pid_t tracee, std::uint64_t args_at, std::uint64_t data);

  BoxTasks& tasks_;
  ProcessTable& table_;
  EmulatedSignals& signals_;
  KernelView& kernel_;
  TraceLog& trace_;
  PtraceModel model_;
  std::map<Pid, RealStopInfo> current_;  // the real stop each stopped tracee is in
  std::map<Pid, Waiter> waiters_;
  // The program's registers at a tracee's last seccomp stop, for its syscall-exit stop.
  std::map<Pid, user_regs_struct> entry_regs_;
  std::set<Pid> untraced_clone_;  // a clone with CLONE_UNTRACED is on its way
  // New tasks whose first stop came before their parent's fork event (by real parent), and
  // new tasks whose parent's fork event came first (decided already).
  std::map<Pid, Pid> held_first_stops_;
  std::set<Pid> forked_;
  std::map<Pid, Pid> creator_;      // the thread that forked a process: its PTRACE_TRACEME tracer
  std::set<Pid> extended_options_;  // tasks whose real options include the tracers' extras
  std::set<Pid> options_dirty_;     // tasks whose real options must be set at their next stop
  std::set<Pid> listening_;         // group-stops the supervisor keeps with PTRACE_LISTEN
  struct SigchldWanted {
    bool wanted = false;
    std::chrono::steady_clock::time_point read_at;
  };
  std::map<Pid, SigchldWanted> sigchld_wanted_;  // by tracer process
  std::uint64_t own_user_ns_ = 0;
};

}  // namespace vpidbox
