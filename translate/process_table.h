// The box's tasks: real tid <-> virtual number, thread groups, and the numbers that stay
// allocated after their task is gone (the pgid or sid of a group whose leader has exited).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "translate/pid_space.h"

namespace vpidbox {

struct Task {
  Pid real_tid = 0;
  Pid real_tgid = 0;
  Pid vtid = 0;
  bool exited =
      false;  // a zombie or an exited thread whose exit the tracer has not yet seen reaped
};

class ProcessTable {
 public:
  explicit ProcessTable(Pid pid_max) : space_(pid_max) {}

  // Adds a task and gives it the next virtual number; nullopt when the space is full.
  std::optional<Pid> add_task(Pid real_tid, Pid real_tgid);
  bool contains(Pid real_tid) const { return tasks_.contains(real_tid); }
  const Task* task(Pid real_tid) const;

  // Number translation. Both directions know numbers that are held for a group after their task
  // left; callers that need a live task use task().
  std::optional<Pid> to_virtual(Pid real) const;
  std::optional<Pid> to_real(Pid vnr) const;
  // Virtual tgid of a task's thread group (its leader's number).
  std::optional<Pid> virtual_tgid(Pid real_tid) const;

  // The task has exited; its number stays allocated until it is reaped.
  void mark_exited(Pid real_tid);
  // The task is gone (reaped, or an exited non-leader thread). Its number is released unless
  // `group_ids_in_use` (real pgids and sids of the live tasks) still names it.
  void remove(Pid real_tid, const std::set<Pid>& group_ids_in_use);
  // Releases held group numbers that no live task uses any more.
  void release_unused_groups(const std::set<Pid>& group_ids_in_use);
  // A non-leader thread called execve: it takes over the leader's number (its tid becomes the
  // tgid) and its own number is released.
  void exec_by_thread(Pid old_real_tid, Pid real_tgid);

  // The virtual number a real one had until it was released lately: wait4() reports a child
  // that may have been swept from the table between the reap and the syscall-exit stop, and
  // kernel objects keep the pids of processes that have exited (translate/object_rules.h).
  static constexpr std::size_t kRecentlyReleasedKept = 1024;
  std::optional<Pid> recently_released(Pid real) const;

  // The numbers held for a group or session after their task is gone.
  std::vector<Pid> held_numbers() const;
  std::vector<Pid> live_real_tids() const;
  std::vector<Pid> exited_real_tids() const;
  std::size_t task_count() const { return tasks_.size(); }
  // Every task, by real tid (zombies and exited threads included: see Task::exited).
  const std::map<Pid, Task>& tasks() const { return tasks_; }
  const PidSpace& space() const { return space_; }
  // ns_last_pid written from inside the box (checkpoint/restore choosing the next number).
  bool set_last_allocated(Pid nr) { return space_.set_last_allocated(nr); }

 private:
  void release_number(Pid real);

  PidSpace space_;
  std::map<Pid, Task> tasks_;     // by real tid
  std::map<Pid, Pid> real_to_v_;  // every allocated number, task or held group
  std::map<Pid, Pid> v_to_real_;
  std::deque<std::pair<Pid, Pid>> recent_;  // (real, virtual), newest last
};

}  // namespace vpidbox
