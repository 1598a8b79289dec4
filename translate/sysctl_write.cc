#include "translate/sysctl_write.h"

#include <algorithm>
#include <cerrno>
#include <climits>

namespace vpidbox {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n';
}
// proc_skip_spaces() skips isspace(): blanks and \v, \f, \r.
bool is_space(char c) {
  return is_blank(c) || c == '\v' || c == '\f' || c == '\r';
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

// proc_get_long(): at most 21 characters are looked at (TMPBUFLEN - 1); a number that long may
// go on, and is refused.
constexpr std::size_t kLongestNumber = 21;

}  // namespace

SysctlIntWrite parse_sysctl_int_write(std::string_view text, std::uint64_t offset) {
  SysctlIntWrite out;
  if (text.empty()) return out;  // write(2) of nothing: 0, no change
  if (offset != 0) {
    out.accepted = text.size();
    return out;
  }
  std::size_t pos = 0;
  while (pos < text.size() && is_space(text[pos])) ++pos;
  if (pos == text.size()) {
    out.error = EINVAL;  // no value at all
    return out;
  }
  const std::string_view number = text.substr(pos, std::min(text.size() - pos, kLongestNumber));
  std::size_t at = 0;
  const bool negative = number[0] == '-' && text.size() - pos > 1;
  if (negative) ++at;
  if (at >= number.size() || number[at] < '0' || number[at] > '9') {
    out.error = EINVAL;
    return out;
  }
  // Base as strtoul(.., 0): 0x and a hex digit, or 0, or decimal.
  unsigned base = 10;
  if (number[at] == '0') {
    base = 8;
    if (at + 2 < number.size() && (number[at + 1] == 'x' || number[at + 1] == 'X') &&
        digit_value(number[at + 2]) < 16) {
      base = 16;
      at += 2;
    }
  }
  std::uint64_t value = 0;
  for (; at < number.size() && digit_value(number[at]) < static_cast<int>(base); ++at) {
    value = value * base + static_cast<std::uint64_t>(digit_value(number[at]));
    if (value > static_cast<std::uint64_t>(INT_MAX) + 1) {
      out.error = EINVAL;
      return out;
    }
  }
  if (at == kLongestNumber || (pos + at < text.size() && !is_blank(text[pos + at])) ||
      value > static_cast<std::uint64_t>(INT_MAX) + (negative ? 1 : 0)) {
    out.error = EINVAL;
    return out;
  }
  pos += at;
  while (pos < text.size() && is_space(text[pos])) ++pos;
  out.stores = true;
  out.value = negative ? -static_cast<std::int64_t>(value) : static_cast<std::int64_t>(value);
  out.accepted = pos;
  return out;
}

Pid pid_max_minimum_for(int possible_cpus) {
  return std::max<Pid>(kPidMaxMinimum, 8 * possible_cpus);  // PIDS_PER_CPU_MIN
}

int write_pid_max(ProcessTable& table, LevelId level, std::int64_t value, Pid minimum) {
  if (value < minimum || value > kPidMaxLimit) return EINVAL;
  table.set_pid_max(level, static_cast<Pid>(value));
  return 0;
}

}  // namespace vpidbox
