// `vpidbox ps` and `vpidbox exec`: a handle on running boxes. Outside any box they reach each
// top-level box through its control socket (control_server.h); inside a box they ask the
// supervisor that serves it (control_route.h) about the boxes nested in the caller's own.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vpidbox {

// Lists the running boxes (`box` unset) or the processes of one (`box` an id, an id's unique
// prefix, or "ID/4/2" for a nested box); `quiet` prints ids only. The exit status: 0, or 125 with
// one line on stderr.
int run_ps(bool quiet, const std::optional<std::string>& box);

// Runs `argv` in the running box `box`, as `nsenter` and `docker exec` do: the box's next pid,
// its /proc, a parent outside it (ppid 0 there), killed with the box. Returns its exit status
// (128+signal when killed), or 125/126/127 as `run` does.
int run_exec(const std::string& box, const std::vector<std::string>& argv);

}  // namespace vpidbox
