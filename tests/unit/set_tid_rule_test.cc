#include <doctest/doctest.h>

#include <cerrno>
#include <set>
#include <vector>

#include "translate/set_tid_rule.h"

using namespace vpidbox;

namespace {

// A level numbering below `pid_max`, with its init, where `taken` are in use.
SetTidLevel level(Pid pid_max, std::set<Pid> taken, bool has_init = true) {
  return SetTidLevel{pid_max, has_init, [taken](Pid nr) { return taken.contains(nr); }};
}

}  // namespace

TEST_CASE("set_tid: the box's levels first, innermost first; the rest is the kernel's") {
  const std::vector<SetTidLevel> box = {level(1000, {1, 2}), level(4194304, {1, 2, 3})};
  // One number: the child's own level.
  SetTidPlan plan = plan_set_tid(std::vector<Pid>{50}, box, 2, true);
  CHECK(plan.error == 0);
  CHECK(plan.box_numbers == std::vector<Pid>{50});
  CHECK(plan.kernel_count == 0);
  // Every box level, then two real namespaces: the kernel gets the last two.
  plan = plan_set_tid(std::vector<Pid>{50, 60, 12345, 23456}, box, 2, true);
  CHECK(plan.error == 0);
  CHECK(plan.box_numbers == std::vector<Pid>{50, 60});
  CHECK(plan.kernel_first == 2);
  CHECK(plan.kernel_count == 2);
  // More numbers than levels there are.
  CHECK(plan_set_tid(std::vector<Pid>{50, 60, 1, 2, 3}, box, 2, true).error == EINVAL);
}

TEST_CASE("set_tid: the kernel's errors in its order, level by level") {
  const std::vector<SetTidLevel> box = {level(1000, {1, 2}), level(4194304, {1, 2, 3})};
  CHECK(plan_set_tid(std::vector<Pid>{0}, box, 1, true).error == EINVAL);
  CHECK(plan_set_tid(std::vector<Pid>{-3}, box, 1, true).error == EINVAL);
  CHECK(plan_set_tid(std::vector<Pid>{1000}, box, 1, true).error == EINVAL);  // the level's pid_max
  CHECK(plan_set_tid(std::vector<Pid>{999}, box, 1, true).error == 0);
  CHECK(plan_set_tid(std::vector<Pid>{2}, box, 1, true).error == EEXIST);
  CHECK(plan_set_tid(std::vector<Pid>{50}, box, 1, false).error == EPERM);
  // The range comes before the capability, the capability before a number in use.
  CHECK(plan_set_tid(std::vector<Pid>{0}, box, 1, false).error == EINVAL);
  CHECK(plan_set_tid(std::vector<Pid>{2}, box, 1, false).error == EPERM);
  // The inner level is checked whole before the outer one: its EEXIST before an outer EINVAL.
  CHECK(plan_set_tid(std::vector<Pid>{2, 0}, box, 1, true).error == EEXIST);
  CHECK(plan_set_tid(std::vector<Pid>{50, 3}, box, 1, true).error == EEXIST);
  CHECK(plan_set_tid(std::vector<Pid>{50, 3}, box, 1, true).box_numbers.empty());
}

TEST_CASE("set_tid: a level without its init takes only 1") {
  const std::vector<SetTidLevel> box = {level(4194304, {}, false), level(4194304, {1, 2})};
  CHECK(plan_set_tid(std::vector<Pid>{5}, box, 1, true).error == EINVAL);
  CHECK(plan_set_tid(std::vector<Pid>{1}, box, 1, true).error == 0);
}
