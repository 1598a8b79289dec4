// The ptrace route's part for pids in objects (translate/object_rules.h): structures the kernel
// fills (F_GETLK's struct flock, SO_PEERCRED's struct ucred, struct pidfd_info, System V IPC's
// shmid_ds and msqid_ds), rewritten in the caller's memory at syscall exit, and init's own
// child-subreaper flag and parent-death signal, answered at entry. The clock ids are registers,
// translated with the other arguments (translate/rules.h). And pids in messages
// (translate/credentials.h): credentials sent (supervisor/call_look.h) and received, and the
// records a signalfd read returns, in the processes given the filters that stop those
// (supervisor/filter_injection.h); clone3()'s set_tid (supervisor/set_tid_children.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>

#include "supervisor/box_tasks.h"
#include "supervisor/call_look.h"
#include "supervisor/emulated_signals.h"
#include "supervisor/filter_injection.h"
#include "supervisor/set_tid_children.h"
#include "translate/object_rules.h"
#include "translate/outcome.h"
#include "translate/rules.h"

namespace vpidbox {

class SurfaceRewrites {
 public:
  SurfaceRewrites(BoxTasks& tasks, EmulatedSignals& signals)
      : tasks_(tasks),
        table_(tasks.table()),
        signals_(signals),
        set_tid_(tasks),
        injection_(tasks),
        look_(tasks) {}

  // At the seccomp stop of `call`, which is to run (outcome Continue): may answer it instead
  // (outcome), save what its exit needs (pending.surface), and ask for the exit stop.
  void on_entry(pid_t tid, const Call& call, Outcome& outcome, PendingExit& pending,
                bool& stop_at_exit);
  // At its syscall-exit stop, with the kernel's result: rewrites what the kernel wrote, puts back
  // what was changed for it. Returns the result the caller gets (set in its register here).
  std::int64_t on_exit(pid_t tid, const PendingExit& pending, std::int64_t result);
  // The call is to be restarted by the kernel with the caller's registers: its memory as well.
  void on_restart(pid_t tid, const PendingExit& pending);
  // The first stop of a task: true for a nested box's init, which is to be followed to its exec
  // (exec events), after which its own attributes are answered from here
  // (translate/object_rules.h, InitAttributes).
  bool on_first_stop(pid_t tid);
  // An exec event of a task: true when the exec events asked for by on_first_stop may stop.
  bool on_exec(pid_t tid);
  // clone3()'s set_tid (supervisor/set_tid_children.h): the numbers a task about to be added
  // gets (`creator`: the thread whose fork event reports it), and the creator's exit stop.
  std::vector<Pid> numbers_for_new_task(pid_t new_task, std::optional<pid_t> creator) {
    return set_tid_.numbers_for(new_task, creator);
  }
  void on_clone3_exit(pid_t tid, const PendingExit& pending, std::int64_t result);
  // A new process at its creator's fork event.
  void on_fork(pid_t creator_tid, pid_t child) { injection_.on_fork(creator_tid, child); }

  // Stops that a filter's installation or a take-over (CallLook) is waiting for: consumed here,
  // the task resumed. While either lasts, the task's resumes keep syscall stops.
  bool on_stop(pid_t tid, int status);
  bool wants_syscall_stops(pid_t tid) const {
    return injection_.busy(tid) || look_.wants_syscall_stops(tid);
  }
  // For the hybrid engine's listener: the notifications of Route::kLook rows.
  CallLook& look() { return look_; }

 private:
  void serve_init_prctl(pid_t tid, const Call& call, Outcome& outcome);
  std::int64_t rewrite_pidfd_info(pid_t tid, const PendingExit& pending, std::uint64_t at,
                                  std::int64_t result);
  void put_back(pid_t tid, const PendingExit& pending);
  bool taken_outside(Pid real) const;
  void rewrite_signalfd_read(pid_t tid, const PendingExit& pending, std::int64_t bytes);
  void rewrite_received_credentials(pid_t tid, std::uint64_t msghdr_at);
  bool receives_credentials(pid_t tid, int fd) const;
  bool is_signalfd(pid_t tid, std::int64_t fd) const;
  // referenced_number() for this box (translate/object_rules.h).
  Pid referenced(LevelId view, Pid real) const;

  BoxTasks& tasks_;
  const ProcessTable& table_;
  EmulatedSignals& signals_;
  // By level. The top level's init runs the program from the start (the launcher set it up
  // before the filter was installed).
  std::map<LevelId, InitAttributes> init_attributes_{{kTopLevel, InitAttributes{true}}};
  SetTidChildren set_tid_;
  FilterInjection injection_;
  CallLook look_;
};

}  // namespace vpidbox
