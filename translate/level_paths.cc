#include "translate/level_paths.h"

#include <charconv>
#include <vector>

namespace vpidbox {

std::optional<LevelId> resolve_level_path(const ProcessTable& table, LevelId from,
                                          std::string_view path) {
  LevelId level = from;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    Pid number = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), number);
    if (part.empty() || error != std::errc() || end != part.data() + part.size() || number <= 0)
      return std::nullopt;
    std::optional<LevelId> found;
    for (LevelId child : table.child_levels(level)) {
      const std::optional<Pid> init = table.init_of(child);
      if (init && table.to_virtual(*init, level) == number) found = child;
    }
    if (!found) return std::nullopt;
    level = *found;
  }
  return level;
}

std::optional<std::string> level_path(const ProcessTable& table, LevelId from, LevelId level) {
  if (!table.sees(from, level)) return std::nullopt;
  std::vector<Pid> numbers;
  for (LevelId at = level; at != from;) {
    const std::optional<LevelId> parent = table.parent_level(at);
    const std::optional<Pid> init = table.init_of(at);
    if (!parent || !init) return std::nullopt;
    const std::optional<Pid> number = table.to_virtual(*init, *parent);
    if (!number) return std::nullopt;
    numbers.insert(numbers.begin(), *number);
    at = *parent;
  }
  std::string out;
  for (Pid n : numbers) {
    if (!out.empty()) out += '/';
    out += std::to_string(n);
  }
  return out;
}

}  // namespace vpidbox
