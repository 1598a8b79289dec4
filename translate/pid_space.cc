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

}  // namespace vpidbox
