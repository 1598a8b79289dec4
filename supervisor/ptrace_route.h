// The ptrace route: every box task is traced by the supervisor (so that it cannot outlive it),
// and the calls the kernel must run in the caller's context stop it through SECCOMP_RET_TRACE:
// their pid arguments are translated at the seccomp stop, their results at the syscall-exit stop,
// and the siginfo a signal is delivered with at the signal-delivery stop. Fork, vfork and clone
// are not trapped: their event stop plus one exit stop number the child.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <optional>

#include "supervisor/box_tasks.h"
#include "supervisor/control_route.h"
#include "supervisor/emulated_ptrace.h"
#include "supervisor/emulated_signals.h"
#include "supervisor/proc_paths.h"
#include "supervisor/proc_route.h"
#include "supervisor/queued_signals.h"
#include "supervisor/stats.h"
#include "supervisor/surface_rewrites.h"
#include "supervisor/trace_log.h"
#include "translate/kernel_view.h"
#include "translate/rules.h"

namespace vpidbox {

// What the routes may ask of the box's lifecycle.
class BoxControl {
 public:
  virtual ~BoxControl() = default;
  // SIGKILL to init, which ends the box.
  virtual void kill_box() = 0;
  // reboot() from inside, as reboot_pid_ns(): the box ends, its init reported dead by
  // `as_signal`.
  virtual void end_box_as(int as_signal) = 0;
};

class PtraceRoute {
 public:
  PtraceRoute(BoxTasks& tasks, EmulatedSignals& signals, EmulatedPtrace& emulated,
              KernelView& kernel, TraceLog& trace, Stats& stats, BoxControl& control,
              ControlRoute& control_channel, QueuedSignals& queued);
  // The /proc route, when the box has its own /proc; whether the hybrid engine's listener
  // serves the pure queries (then a signal can interrupt a task waiting for its answer).
  void set_proc_route(ProcRoute* proc) { proc_ = proc; }
  // The /proc-path route, when the box has its own /proc without a mount.
  void set_path_route(ProcPathRoute* paths) { paths_ = paths; }
  void set_listener_present(bool present) { with_listener_ = present; }

  // A ptrace stop of a box task (any but its exit).
  void on_stop(pid_t tid, int status);
  // For the hybrid engine's listeners: the calls looked at in their notifications.
  CallLook& call_look() { return surface_.look(); }

 private:
  // Every resume goes through the emulated ptrace (emulated_ptrace.h), which keeps a stop that a
  // tracer inside the box must see. resume_to_exit asks for the syscall-exit stop.
  void resume(pid_t tid, int signo = 0);
  void resume_to_exit(pid_t tid);
  void keep_group_stop(pid_t tid);
  void answer_at_entry(pid_t tid, const Call& call, user_regs_struct& regs, const Outcome& outcome);
  void trace_exec_of_threads(pid_t tid);
  void on_fork_event(pid_t tid);
  void on_exec_event(pid_t tid);
  void on_seccomp_stop(pid_t tid);
  void on_foreign_seccomp_stop(pid_t tid, user_regs_struct& regs);
  void proc_dir_as_pidfd(pid_t tid, Call& call, user_regs_struct& regs);
  void owner_in_register(pid_t tid, Call& call, user_regs_struct& regs);
  Outcome act_on(pid_t tid, const EntryOutcome& decided);
  Outcome end_box_by_reboot(pid_t caller, int as_signal);
  std::optional<std::int32_t> translate_memory_arg(pid_t tid, const Call& call, Outcome& outcome,
                                                   std::uint64_t& address);
  void apply_clone3_rule(pid_t tid, const Call& call, Outcome& outcome, PendingExit& pending);
  void on_syscall_exit(pid_t tid);
  void on_new_child(pid_t tid, const PendingExit& pending, std::int64_t result);
  void contain_escaped_child(pid_t parent, Pid child);
  void translate_memory_result(pid_t tid, const PendingExit& pending);
  void on_signal_delivery(pid_t tid, int signo);
  void restart_interrupted_wait(pid_t tid);
  void rewrite_siginfo_at(pid_t tid, std::uint64_t address);

  BoxTasks& tasks_;
  ProcessTable& table_;
  EmulatedSignals& signals_;
  EmulatedPtrace& emulated_;
  KernelView& kernel_;
  TraceLog& trace_;
  Stats& stats_;
  BoxControl& control_;
  ControlRoute& control_channel_;
  QueuedSignals& queued_;
  SurfaceRewrites surface_;
  ProcRoute* proc_ = nullptr;
  ProcPathRoute* paths_ = nullptr;
  bool with_listener_ = false;
};

}  // namespace vpidbox
