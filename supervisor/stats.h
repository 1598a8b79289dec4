// --stats: how many notifications and ptrace stops a run cost, by kind and by system call, for a
// user who wants to see where a box's time goes. Counting is a few increments per event; the
// summary is printed once, when the box is over.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace vpidbox {

struct Stats {
  // Counting by system call costs a table lookup and a map update per event: only with --stats.
  bool by_syscall = false;
  // Seccomp user notifications answered, by system call.
  std::map<std::string_view, std::uint64_t> notifications;
  // SECCOMP_RET_TRACE stops, by system call.
  std::map<std::string_view, std::uint64_t> seccomp_stops;
  std::uint64_t exit_stops = 0;     // syscall-exit stops (results rewritten)
  std::uint64_t fork_events = 0;    // fork, vfork and clone event stops
  std::uint64_t exec_events = 0;    // exec event stops (of multithreaded processes)
  std::uint64_t first_stops = 0;    // the first stop of every new task
  std::uint64_t signal_stops = 0;   // signal-delivery stops
  std::uint64_t group_stops = 0;    // group-stops and PTRACE_EVENT_STOPs
  std::uint64_t foreign_stops = 0;  // SECCOMP_RET_TRACE of the program's own filters
  // Stops only the emulated ptrace looks at: syscall entries for a tracer, a tracer's woken wait.
  std::uint64_t tracer_stops = 0;
};

// The summary: one line of totals, then one line per system call, most frequent first, each
// line prefixed "vpidbox: stats: ".
std::string format_stats(const Stats& stats);

}  // namespace vpidbox
