// clone3() with set_tid in the box: the numbers the creator asks for are the box's
// (translate/set_tid_rule.h). At the clone3 entry stop they are checked and reserved in the
// levels the child will be in, and only what is asked of the real pid namespaces is left in the
// struct for the kernel; the child gets the reserved numbers when it is added, whichever of its
// first stop and its creator's fork event comes first; numbers the call did not use are given
// back at its exit.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "supervisor/box_tasks.h"
#include "translate/outcome.h"

namespace vpidbox {

class SetTidChildren {
 public:
  explicit SetTidChildren(BoxTasks& tasks) : tasks_(tasks), table_(tasks.table()) {}

  // At clone3()'s entry stop (outcome Continue), with its struct at `args_at` of `size` bytes:
  // a set_tid is planned; the call fails (outcome), or the numbers are reserved and the struct
  // rewritten for the kernel (put back at exit through pending.surface).
  void on_clone3_entry(pid_t tid, std::uint64_t args_at, std::uint64_t size, Outcome& outcome,
                       PendingExit& pending);
  // The numbers a task about to be added gets, one per level from its own up (empty: allocated
  // as usual). `creator`: the thread whose fork event reports it, when that is how it came.
  std::vector<Pid> numbers_for(pid_t new_task, std::optional<pid_t> creator);
  // At clone3()'s exit stop in the creator: a failed call gives its numbers back.
  void on_clone3_exit(pid_t tid, std::int64_t result);

 private:
  struct Reservation {
    LevelId level = kTopLevel;
    std::vector<Pid> numbers;   // reserved, one per level from `level` up
    std::uint64_t args_at = 0;  // the creator's struct clone_args
    std::uint64_t flags = 0;    // its clone flags
    Pid creator_tgid = 0;
    bool taken = false;
    // The creator's own set_tid and set_tid_size, which a child with its own copy of the
    // creator's memory gets back too.
    std::uint64_t own_fields[2] = {0, 0};
  };
  bool is_child_of(pid_t new_task, const Reservation& r) const;
  std::size_t kernel_levels();

  BoxTasks& tasks_;
  ProcessTable& table_;
  std::map<pid_t, Reservation> by_creator_;  // by the creating thread
  std::size_t kernel_levels_ = 0;            // real pid namespaces above the box, once read
};

}  // namespace vpidbox
