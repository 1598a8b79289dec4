#include "translate/process_table.h"

#include "translate/invariant.h"

namespace vpidbox {

std::optional<Pid> ProcessTable::add_task(Pid real_tid, Pid real_tgid) {
  VPIDBOX_INVARIANT(!tasks_.contains(real_tid), "task added twice");
  // The real pid may still be held as a group id of an earlier task with the same number: the
  // kernel would not have reused it then, so this is a stale hold and the old number goes.
  if (real_to_v_.contains(real_tid)) release_number(real_tid);
  std::optional<Pid> vnr = space_.allocate();
  if (!vnr) return std::nullopt;
  tasks_[real_tid] = Task{real_tid, real_tgid, *vnr, false};
  real_to_v_[real_tid] = *vnr;
  v_to_real_[*vnr] = real_tid;
  return vnr;
}

const Task* ProcessTable::task(Pid real_tid) const {
  auto it = tasks_.find(real_tid);
  return it == tasks_.end() ? nullptr : &it->second;
}

std::optional<Pid> ProcessTable::to_virtual(Pid real) const {
  auto it = real_to_v_.find(real);
  if (it == real_to_v_.end()) return std::nullopt;
  return it->second;
}

std::optional<Pid> ProcessTable::to_real(Pid vnr) const {
  auto it = v_to_real_.find(vnr);
  if (it == v_to_real_.end()) return std::nullopt;
  return it->second;
}

std::optional<Pid> ProcessTable::virtual_tgid(Pid real_tid) const {
  const Task* t = task(real_tid);
  if (!t) return std::nullopt;
  return to_virtual(t->real_tgid);
}

void ProcessTable::mark_exited(Pid real_tid) {
  auto it = tasks_.find(real_tid);
  if (it != tasks_.end()) it->second.exited = true;
}

void ProcessTable::remove(Pid real_tid, const std::set<Pid>& group_ids_in_use) {
  if (tasks_.erase(real_tid) == 0) return;
  if (!group_ids_in_use.contains(real_tid)) release_number(real_tid);
}

void ProcessTable::release_unused_groups(const std::set<Pid>& group_ids_in_use) {
  std::vector<Pid> unused;
  for (const auto& [real, vnr] : real_to_v_)
    if (!tasks_.contains(real) && !group_ids_in_use.contains(real)) unused.push_back(real);
  for (Pid real : unused) release_number(real);
}

void ProcessTable::exec_by_thread(Pid old_real_tid, Pid real_tgid) {
  if (old_real_tid == real_tgid) return;
  auto old = tasks_.find(old_real_tid);
  if (old == tasks_.end()) return;
  tasks_.erase(old);
  release_number(old_real_tid);
  auto leader = tasks_.find(real_tgid);
  if (leader != tasks_.end()) leader->second.exited = false;
}

std::vector<Pid> ProcessTable::held_numbers() const {
  std::vector<Pid> out;
  for (const auto& [real, vnr] : real_to_v_)
    if (!tasks_.contains(real)) out.push_back(real);
  return out;
}

std::vector<Pid> ProcessTable::live_real_tids() const {
  std::vector<Pid> out;
  for (const auto& [real, t] : tasks_)
    if (!t.exited) out.push_back(real);
  return out;
}

std::vector<Pid> ProcessTable::exited_real_tids() const {
  std::vector<Pid> out;
  for (const auto& [real, t] : tasks_)
    if (t.exited) out.push_back(real);
  return out;
}

std::optional<Pid> ProcessTable::recently_released(Pid real) const {
  for (auto it = recent_.rbegin(); it != recent_.rend(); ++it)
    if (it->first == real) return it->second;
  return std::nullopt;
}

void ProcessTable::release_number(Pid real) {
  auto it = real_to_v_.find(real);
  if (it == real_to_v_.end()) return;
  recent_.emplace_back(real, it->second);
  // Long enough for the pids kernel objects keep after their task is gone (object_rules.h).
  if (recent_.size() > kRecentlyReleasedKept) recent_.pop_front();
  space_.release(it->second);
  v_to_real_.erase(it->second);
  real_to_v_.erase(it);
}

}  // namespace vpidbox
