#include <doctest/doctest.h>

#include <string>

#include "supervisor/stats.h"

using namespace vpidbox;

TEST_CASE("--stats: totals, then the system calls, most frequent first") {
  Stats stats;
  stats.notifications["getpid"] = 3;
  stats.notifications["openat"] = 10;
  stats.seccomp_stops["wait4"] = 4;
  stats.seccomp_stops["openat"] = 1;
  stats.exit_stops = 4;
  stats.fork_events = 2;
  stats.first_stops = 2;
  stats.signal_stops = 1;
  stats.tracer_stops = 6;
  const std::string text = format_stats(stats);
  CHECK(
      text.starts_with("vpidbox: stats: 13 notifications, 20 ptrace stops (5 seccomp, 4 "
                       "syscall-exit, 2 fork events, 0 exec events, 2 first stops of new "
                       "tasks, 1 signal deliveries, 0 group stops, 0 for the program's own "
                       "filters, 6 for tracers in the box)\n"));
  const auto openat = text.find("vpidbox: stats: openat: 10 notifications, 1 seccomp stops\n");
  const auto wait4 = text.find("vpidbox: stats: wait4: 0 notifications, 4 seccomp stops\n");
  const auto getpid = text.find("vpidbox: stats: getpid: 3 notifications, 0 seccomp stops\n");
  REQUIRE(openat != std::string::npos);
  REQUIRE(wait4 != std::string::npos);
  REQUIRE(getpid != std::string::npos);
  CHECK(openat < wait4);
  CHECK(wait4 < getpid);
}

TEST_CASE("--stats of a box that cost nothing") {
  CHECK(format_stats(Stats{}) ==
        "vpidbox: stats: 0 notifications, 0 ptrace stops (0 seccomp, 0 syscall-exit, 0 fork "
        "events, 0 exec events, 0 first stops of new tasks, 0 signal deliveries, 0 group stops, 0 "
        "for the program's own filters, 0 for tracers in the box)\n");
}
