// clone3()'s set_tid: a process (or thread) made with the numbers its creator chooses, one per
// pid namespace level, innermost first, as checkpoint/restore tools recreate a tree
// (kernel/pid.c alloc_pid). In the box, the innermost levels are the box's own (the level the
// child is made in, then each enclosing box up to the top); the rest belong to the real pid
// namespaces the box runs in, and are the kernel's to check and allocate. Pure: the caller says
// what each box level holds.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "translate/pid_space.h"

namespace vpidbox {

// What alloc_pid() checks of one level.
struct SetTidLevel {
  Pid pid_max = 0;
  bool has_init = false;            // else only 1 may be asked for (the level's init)
  std::function<bool(Pid)> in_use;  // the number is taken (a task or a held group)
};

struct SetTidPlan {
  int error = 0;  // the call fails with this
  // The numbers the box gives the child, one per box level, innermost first (fewer than the
  // levels when fewer were asked for: the rest are allocated as usual).
  std::vector<Pid> box_numbers;
  // The elements of set_tid the kernel gets, for the real namespaces: from `kernel_first`,
  // `kernel_count` of them (0: set_tid is cleared for the kernel).
  std::size_t kernel_first = 0;
  std::size_t kernel_count = 0;
};

// `requested`: set_tid as the caller gave it (1 to 32 numbers; the kernel refuses other sizes
// before anything else). `box_levels`: the box's levels the child gets a number in, innermost
// first. `kernel_levels`: how many real pid namespaces there are above them (the depth of the
// supervisor's own, plus one). `may_choose`: the caller has CAP_SYS_ADMIN or
// CAP_CHECKPOINT_RESTORE. The kernel's order, level by level from the innermost: EINVAL for a
// number out of [1, pid_max) or other than 1 where the level has no init yet, EPERM without the
// capability, EEXIST for a number in use; EINVAL first of all for more numbers than levels.
SetTidPlan plan_set_tid(std::span<const Pid> requested, std::span<const SetTidLevel> box_levels,
                        std::size_t kernel_levels, bool may_choose);

}  // namespace vpidbox
