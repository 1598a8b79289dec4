#include "translate/set_tid_rule.h"

#include <algorithm>
#include <cerrno>

namespace vpidbox {

SetTidPlan plan_set_tid(std::span<const Pid> requested, std::span<const SetTidLevel> box_levels,
                        std::size_t kernel_levels, bool may_choose) {
  SetTidPlan plan;
  if (requested.size() > box_levels.size() + kernel_levels) {
    plan.error = EINVAL;
    return plan;
  }
  const std::size_t in_box = std::min(requested.size(), box_levels.size());
  for (std::size_t i = 0; i < in_box; ++i) {
    const Pid nr = requested[i];
    const SetTidLevel& level = box_levels[i];
    if (nr < 1 || nr >= level.pid_max || (nr != 1 && !level.has_init)) {
      plan.error = EINVAL;
    } else if (!may_choose) {
      plan.error = EPERM;
    } else if (level.in_use(nr)) {
      plan.error = EEXIST;
    }
    if (plan.error) {
      plan.box_numbers.clear();
      return plan;
    }
    plan.box_numbers.push_back(nr);
  }
  plan.kernel_first = in_box;
  plan.kernel_count = requested.size() - in_box;
  return plan;
}

}  // namespace vpidbox
