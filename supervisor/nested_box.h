// `vpidbox run` inside a box. The supervisor that serves the enclosing box already traces every
// task and holds the one seccomp listener of the filter chain, so a nested box is not a second
// supervisor: this process asks the enclosing one, over the in-box control channel
// (control_protocol.h), to make its children in a new level of pid numbers, then forks the nested
// box's init and stays its front end, as `unshare --pid --fork` stays the parent of a pid
// namespace's init: it forwards signals to it, and exits with its status once the nested box is
// empty. Its orphans are its to reap when the nested init is gone (it is a subreaper), which the
// enclosing supervisor kills as a pid namespace's processes are killed with its init.
#pragma once

#include <optional>

#include "supervisor/control_protocol.h"
#include "supervisor/session.h"

namespace vpidbox {

// What the supervisor serving this process says of its box, or nullopt outside any box.
std::optional<control::BoxInfo> enclosing_box();

// Runs a box nested in the enclosing one (`outer`); the same exit statuses as run_box().
int run_nested_box(const RunOptions& options, const control::BoxInfo& outer);

}  // namespace vpidbox
