// The in-box control channel (control_protocol.h): what a box process asks of the supervisor that
// serves it. `vpidbox run` inside a box asks for a nested box here instead of installing a tracer
// and a listener of its own (the kernel allows one listener per filter chain, and the supervisor
// holds every task's tracer slot); `vpidbox ps` and `vpidbox exec` inside a box list and enter
// the boxes nested in the caller's. Served on both engines: a notification, or a ptrace stop.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>

#include "supervisor/box_tasks.h"

namespace vpidbox {

class ControlRoute {
 public:
  explicit ControlRoute(BoxTasks& tasks) : tasks_(tasks) {}
  // prctl(kPrctlOption, args[1..4]) from task `caller`: the call's result, a value or -errno.
  std::int64_t answer(pid_t caller, const std::array<std::uint64_t, 6>& args);

 private:
  BoxTasks& tasks_;
};

}  // namespace vpidbox
