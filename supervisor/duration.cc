#include "supervisor/duration.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace vpidbox {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string number(text);
  double scale_ms = 1000;
  auto ends_with = [&](std::string_view suffix) {
    return number.size() > suffix.size() &&
           std::string_view(number).substr(number.size() - suffix.size()) == suffix;
  };
  if (ends_with("ms")) {
    scale_ms = 1;
    number.resize(number.size() - 2);
  } else if (ends_with("s")) {
    number.pop_back();
  } else if (ends_with("m")) {
    scale_ms = 60'000;
    number.pop_back();
  } else if (ends_with("h")) {
    scale_ms = 3'600'000;
    number.pop_back();
  }
  if (number.empty() || number[0] == '-' || number[0] == '+') return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(value) || value < 0)
    return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(std::llround(value * scale_ms)));
}

}  // namespace vpidbox
