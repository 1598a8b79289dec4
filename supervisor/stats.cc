#include "supervisor/stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace vpidbox {
namespace {

std::uint64_t total(const std::map<std::string_view, std::uint64_t>& counts) {
  std::uint64_t sum = 0;
  for (const auto& [name, n] : counts) sum += n;
  return sum;
}

}  // namespace

std::string format_stats(const Stats& stats) {
  std::string out = fmt::format(
      "vpidbox: stats: {} notifications, {} ptrace stops ({} seccomp, {} syscall-exit, {} fork "
      "events, {} exec events, {} first stops of new tasks, {} signal deliveries, {} group "
      "stops, {} for the program's own filters, {} for tracers in the box)\n",
      total(stats.notifications),
      total(stats.seccomp_stops) + stats.exit_stops + stats.fork_events + stats.exec_events +
          stats.first_stops + stats.signal_stops + stats.group_stops + stats.foreign_stops +
          stats.tracer_stops,
      total(stats.seccomp_stops), stats.exit_stops, stats.fork_events, stats.exec_events,
      stats.first_stops, stats.signal_stops, stats.group_stops, stats.foreign_stops,
      stats.tracer_stops);
  struct Row {
    std::string_view name;
    std::uint64_t notified = 0;
    std::uint64_t stopped = 0;
  };
  std::map<std::string_view, Row> rows;
  for (const auto& [name, n] : stats.notifications) rows[name] = {name, n, 0};
  for (const auto& [name, n] : stats.seccomp_stops) {
    rows[name].name = name;
    rows[name].stopped = n;
  }
  std::vector<Row> sorted;
  for (const auto& [name, row] : rows) sorted.push_back(row);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Row& a, const Row& b) {
    return a.notified + a.stopped > b.notified + b.stopped;
  });
  for (const Row& row : sorted)
    out += fmt::format("vpidbox: stats: {}: {} notifications, {} seccomp stops\n", row.name,
                       row.notified, row.stopped);
  return out;
}

}  // namespace vpidbox
