// The ptrace route's part for pids in objects (translate/object_rules.h): structures the kernel
// fills (F_GETLK's struct flock, SO_PEERCRED's struct ucred, struct pidfd_info, System V IPC's
// shmid_ds and msqid_ds), rewritten in the caller's memory at syscall exit, and init's own
// child-subreaper flag and parent-death signal, answered at entry. The clock ids are registers,
// translated with the other arguments (translate/rules.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>

#include "supervisor/box_tasks.h"
#include "supervisor/set_tid_children.h"
#include "translate/object_rules.h"
#include "translate/outcome.h"
#include "translate/rules.h"

namespace vpidbox {

class SurfaceRewrites {
 public:
  explicit SurfaceRewrites(BoxTasks& tasks)
      : tasks_(tasks), table_(tasks.table()), set_tid_(tasks) {}

  // At the seccomp stop of `call`, which is to run (outcome Continue): may answer it instead
  // (outcome), save what its exit needs (pending.surface), and ask for the exit stop.
  void on_entry(pid_t tid, const Call& call, Outcome& outcome, PendingExit& pending,
                bool& stop_at_exit);
  // At its syscall-exit stop, with the kernel's result: rewrites what the kernel wrote, puts back
  // what was changed for it. Returns the result the caller gets (set in its register here).
  std::int64_t on_exit(pid_t tid, const PendingExit& pending, std::int64_t result);
  // The call is to be restarted by the kernel with the caller's registers: its memory as well.
  void on_restart(pid_t tid, const PendingExit& pending);
  // The first stop of a task: a nested box's init is followed to its exec, after which its
  // own attributes are answered from here (translate/object_rules.h, InitAttributes).
  void on_first_stop(pid_t tid);
  // An exec event of a task (reported for those on_first_stop asked it for).
  void on_exec(pid_t tid);
  // clone3()'s set_tid (supervisor/set_tid_children.h): the numbers a task about to be added
  // gets (`creator`: the thread whose fork event reports it), and the creator's exit stop.
  std::vector<Pid> numbers_for_new_task(pid_t new_task, std::optional<pid_t> creator) {
    return set_tid_.numbers_for(new_task, creator);
  }
  void on_clone3_exit(pid_t tid, const PendingExit& pending, std::int64_t result);

 private:
  void serve_init_prctl(pid_t tid, const Call& call, Outcome& outcome);
  std::int64_t rewrite_pidfd_info(pid_t tid, const PendingExit& pending, std::uint64_t at,
                                  std::int64_t result);
  void put_back(pid_t tid, const PendingExit& pending);
  bool taken_outside(Pid real) const;
  // referenced_number() for this box (translate/object_rules.h).
  Pid referenced(LevelId view, Pid real) const;

  BoxTasks& tasks_;
  const ProcessTable& table_;
  // By level. The top level's init runs the program from the start (the launcher set it up
  // before the filter was installed).
  std::map<LevelId, InitAttributes> init_attributes_{{kTopLevel, InitAttributes{true}}};
  SetTidChildren set_tid_;
};

}  // namespace vpidbox
