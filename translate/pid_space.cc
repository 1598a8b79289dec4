#include "translate/pid_space.h"

namespace vpidbox {

std::optional<Pid> PidSpace::first_free_in(Pid from, Pid to) const {
  Pid candidate = from;
  for (auto it = used_.lower_bound(from); it != used_.end() && *it == candidate; ++it) ++candidate;
  if (candidate >= to) return std::nullopt;
  return candidate;
}

std::optional<Pid> PidSpace::allocate() {
  const Pid min = cursor_ > kReservedPids ? kReservedPids : 1;
  std::optional<Pid> nr = first_free_in(cursor_ < min ? min : cursor_, pid_max_);
  if (!nr) nr = first_free_in(min, pid_max_);
  if (!nr) return std::nullopt;
  used_.insert(*nr);
  cursor_ = *nr + 1;
  return nr;
}

bool PidSpace::claim(Pid nr) {
  if (nr < 1 || nr >= pid_max_ || used_.contains(nr)) return false;
  used_.insert(nr);
  return true;
}

bool PidSpace::set_last_allocated(Pid nr) {
  if (nr < 0 || nr > pid_max_) return false;  // pid_max itself is accepted, as the kernel does
  cursor_ = nr + 1;
  return true;
}

void PidSpace::release(Pid nr) {
  used_.erase(nr);
}

Pid new_namespace_pid_max_for(std::string_view release, Pid callers_pid_max) {
  constexpr Pid kPidMaxLimit = 4 * 1024 * 1024;
  // "6.14.0-rc1", "6.18.44-fc-v857", "5.10.0-32-amd64": the two leading numbers.
  int version[2] = {0, 0};
  std::size_t pos = 0;
  for (int& part : version) {
    if (pos >= release.size() || release[pos] < '0' || release[pos] > '9') return callers_pid_max;
    for (; pos < release.size() && release[pos] >= '0' && release[pos] <= '9'; ++pos)
      part = part * 10 + (release[pos] - '0');
    if (pos < release.size() && release[pos] == '.') ++pos;
  }
  const bool per_namespace = version[0] > 6 || (version[0] == 6 && version[1] >= 14);
  return per_namespace ? kPidMaxLimit : callers_pid_max;
}

}  // namespace vpidbox
