// Where the box's numbers wrap: at the pid_max a new pid namespace would have on this machine.
#pragma once

#include "translate/pid_space.h"

namespace vpidbox {

// Decided by the kernel's release (new_namespace_pid_max_for): since 6.14 a new namespace has a
// pid_max of its own, 4194304; before, the host's. (Asking a child in a new pid namespace gives
// the same answer, but costs two forks at every start, and is refused where no namespace can be
// made.)
Pid new_namespace_pid_max();
// The lowest pid_max that may be written (translate/sysctl_write.h): it grows with the number of
// possible CPUs (/sys/devices/system/cpu/possible).
Pid pid_max_minimum();

}  // namespace vpidbox
