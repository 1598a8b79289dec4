// Where the box's numbers wrap: at the pid_max a new pid namespace would have on this machine.
#pragma once

#include "translate/pid_space.h"

namespace vpidbox {

// Asks the kernel when it can (a child that enters a new pid namespace, with a user namespace if
// it must, reads pid_max there); otherwise decides by the kernel's release.
Pid new_namespace_pid_max();

}  // namespace vpidbox
