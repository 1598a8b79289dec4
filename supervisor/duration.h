// Parses durations as timeout(1) writes them: "10", "1.5", "500ms", "2s", "1m", "1h".
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace vpidbox {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace vpidbox
