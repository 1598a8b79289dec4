#include "translate/process_table.h"

#include "translate/invariant.h"

namespace vpidbox {

ProcessTable::ProcessTable(Pid pid_max) : pid_max_(pid_max) {
  levels_.emplace(kTopLevel, Level{-1, 0, PidSpace(pid_max), {}, {}, {}, 0, false, kTopLevel});
}

ProcessTable::Level* ProcessTable::level_ptr(LevelId level) {
  auto it = levels_.find(level);
  return it == levels_.end() ? nullptr : &it->second;
}

const ProcessTable::Level* ProcessTable::level_ptr(LevelId level) const {
  auto it = levels_.find(level);
  return it == levels_.end() ? nullptr : &it->second;
}

std::optional<LevelId> ProcessTable::create_level(LevelId parent, bool own_proc) {
  const Level* above = level_ptr(parent);
  if (!above || above->depth + 1 >= kMaxLevels) return std::nullopt;
  const LevelId id = next_level_++;
  const LevelId proc_view = own_proc ? id : above->proc_view;
  levels_.emplace(
      id, Level{parent, above->depth + 1, PidSpace(pid_max_), {}, {}, {}, 0, false, proc_view});
  return id;
}

LevelId ProcessTable::proc_view_of(LevelId level) const {
  const Level* l = level_ptr(level);
  return l ? l->proc_view : kTopLevel;
}

int ProcessTable::depth(LevelId level) const {
  const Level* l = level_ptr(level);
  return l ? l->depth : 0;
}

std::optional<LevelId> ProcessTable::parent_level(LevelId level) const {
  const Level* l = level_ptr(level);
  if (!l || l->parent < 0) return std::nullopt;
  return l->parent;
}

bool ProcessTable::sees(LevelId view, LevelId of) const {
  for (LevelId id = of; id >= 0;) {
    if (id == view) return true;
    const Level* l = level_ptr(id);
    if (!l) return false;
    id = l->parent;
  }
  return false;
}

std::optional<Pid> ProcessTable::init_of(LevelId level) const {
  const Level* l = level_ptr(level);
  if (!l || l->init_real == 0 || !tasks_.contains(l->init_real)) return std::nullopt;
  return l->init_real;
}

bool ProcessTable::level_ended(LevelId level) const {
  const Level* l = level_ptr(level);
  return !l || l->init_ended;
}

std::vector<LevelId> ProcessTable::level_and_descendants(LevelId level) const {
  std::vector<LevelId> out;
  for (const auto& [id, l] : levels_)
    if (sees(level, id)) out.push_back(id);
  return out;
}

std::vector<LevelId> ProcessTable::child_levels(LevelId level) const {
  std::vector<LevelId> out;
  for (const auto& [id, l] : levels_)
    if (l.parent == level) out.push_back(id);
  return out;
}

void ProcessTable::forget_level_if_empty(LevelId level) {
  if (level == kTopLevel) return;
  Level* l = level_ptr(level);
  if (!l || !l->real_to_v.empty()) return;
  for (const auto& [id, other] : levels_)
    if (other.parent == level) return;  // a nested level still hangs below it
  levels_.erase(level);
}

std::optional<Pid> ProcessTable::add_task(Pid real_tid, Pid real_tgid, LevelId level,
                                          std::span<const Pid> chosen) {
  VPIDBOX_INVARIANT(!tasks_.contains(real_tid), "task added twice");
  if (real_tid != real_tgid) {
    if (const Task* leader = task(real_tgid)) level = leader->level;
  }
  // The real pid may still be held as a group id of an earlier task with the same number: the
  // kernel would not have reused it then, so this is a stale hold and the old numbers go.
  if (number_level_.contains(real_tid)) release_number(real_tid);
  // As alloc_pid(): a number in the task's level and in every level above it, or none at all.
  std::vector<std::pair<Level*, Pid>> given;
  std::size_t depth_from_own = 0;
  for (Level* l = level_ptr(level); l; l = l->parent < 0 ? nullptr : level_ptr(l->parent)) {
    const Pid reserved = depth_from_own < chosen.size() ? chosen[depth_from_own] : 0;
    ++depth_from_own;
    std::optional<Pid> vnr = l->init_ended ? std::nullopt
                             : reserved    ? std::optional<Pid>(reserved)
                                           : l->space.allocate();
    if (!vnr) {
      for (auto& [done, nr] : given) done->space.release(nr);
      return std::nullopt;
    }
    given.emplace_back(l, *vnr);
  }
  if (given.empty()) return std::nullopt;  // no such level
  for (auto& [l, nr] : given) {
    l->real_to_v[real_tid] = nr;
    l->v_to_real[nr] = real_tid;
  }
  Level& own = *given.front().first;
  if (own.init_real == 0) own.init_real = real_tid;
  const Pid vtid = given.front().second;
  tasks_[real_tid] = Task{real_tid, real_tgid, vtid, level, false};
  number_level_[real_tid] = level;
  return vtid;
}

const Task* ProcessTable::task(Pid real_tid) const {
  auto it = tasks_.find(real_tid);
  return it == tasks_.end() ? nullptr : &it->second;
}

LevelId ProcessTable::level_of(Pid real_tid) const {
  const Task* t = task(real_tid);
  return t ? t->level : kTopLevel;
}

std::optional<Pid> ProcessTable::to_virtual(Pid real, LevelId view) const {
  const Level* l = level_ptr(view);
  if (!l) return std::nullopt;
  auto it = l->real_to_v.find(real);
  if (it == l->real_to_v.end()) return std::nullopt;
  return it->second;
}

std::optional<Pid> ProcessTable::to_real(Pid vnr, LevelId view) const {
  const Level* l = level_ptr(view);
  if (!l) return std::nullopt;
  auto it = l->v_to_real.find(vnr);
  if (it == l->v_to_real.end()) return std::nullopt;
  return it->second;
}

std::optional<LevelId> ProcessTable::deepest_level_of_number(Pid real) const {
  auto it = number_level_.find(real);
  if (it == number_level_.end()) return std::nullopt;
  return it->second;
}

std::vector<Pid> ProcessTable::numbers_from(Pid real, LevelId view) const {
  std::vector<Pid> out;
  std::optional<LevelId> deepest = deepest_level_of_number(real);
  if (!deepest || !sees(view, *deepest)) return out;
  // Collected from the deepest level up to `view`, then put in order from `view` down.
  for (LevelId id = *deepest;;) {
    const Level* l = level_ptr(id);
    VPIDBOX_INVARIANT(l != nullptr, "a number in a level that is gone");
    out.insert(out.begin(), l->real_to_v.at(real));
    if (id == view) break;
    id = l->parent;
  }
  return out;
}

std::optional<Pid> ProcessTable::virtual_tgid(Pid real_tid) const {
  const Task* t = task(real_tid);
  if (!t) return std::nullopt;
  return to_virtual(t->real_tgid, t->level);
}

void ProcessTable::mark_exited(Pid real_tid) {
  auto it = tasks_.find(real_tid);
  if (it == tasks_.end()) return;
  it->second.exited = true;
  Level* l = level_ptr(it->second.level);
  if (l && l->init_real == real_tid) l->init_ended = true;
}

void ProcessTable::set_tracer(Pid real_tid, Pid real_tracer) {
  if (real_tracer)
    tracers_[real_tid] = real_tracer;
  else
    tracers_.erase(real_tid);
}

Pid ProcessTable::tracer_of(Pid real_tid) const {
  auto it = tracers_.find(real_tid);
  return it == tracers_.end() ? 0 : it->second;
}

void ProcessTable::remove(Pid real_tid, const std::set<Pid>& group_ids_in_use) {
  tracers_.erase(real_tid);
  auto it = tasks_.find(real_tid);
  if (it == tasks_.end()) return;
  Level* l = level_ptr(it->second.level);
  if (l && l->init_real == real_tid) l->init_ended = true;
  tasks_.erase(it);
  if (!group_ids_in_use.contains(real_tid)) release_number(real_tid);
}

void ProcessTable::release_unused_groups(const std::set<Pid>& group_ids_in_use) {
  std::vector<Pid> unused;
  for (const auto& [real, level] : number_level_)
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
  for (const auto& [real, level] : number_level_)
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

std::size_t ProcessTable::task_count_seen_from(LevelId view) const {
  std::size_t n = 0;
  for (const auto& [real, t] : tasks_)
    if (sees(view, t.level)) ++n;
  return n;
}

const PidSpace& ProcessTable::space(LevelId level) const {
  const Level* l = level_ptr(level);
  VPIDBOX_INVARIANT(l != nullptr, "space of an unknown level");
  return l->space;
}

bool ProcessTable::set_last_allocated(LevelId level, Pid nr) {
  Level* l = level_ptr(level);
  return l && l->space.set_last_allocated(nr);
}

void ProcessTable::set_pid_max(LevelId level, Pid pid_max) {
  if (Level* l = level_ptr(level)) l->space.set_pid_max(pid_max);
}

bool ProcessTable::reserve(LevelId level, Pid nr) {
  Level* l = level_ptr(level);
  return l && !l->init_ended && l->space.claim(nr);
}

void ProcessTable::unreserve(LevelId level, Pid nr) {
  if (Level* l = level_ptr(level); l && !l->v_to_real.contains(nr)) l->space.release(nr);
}

std::optional<Pid> ProcessTable::recently_released(Pid real, LevelId view) const {
  const Level* l = level_ptr(view);
  if (!l) return std::nullopt;
  for (auto it = l->recent.rbegin(); it != l->recent.rend(); ++it)
    if (it->first == real) return it->second;
  return std::nullopt;
}

void ProcessTable::release_number(Pid real) {
  auto deepest = number_level_.find(real);
  if (deepest == number_level_.end()) return;
  for (Level* l = level_ptr(deepest->second); l;
       l = l->parent < 0 ? nullptr : level_ptr(l->parent)) {
    auto it = l->real_to_v.find(real);
    if (it == l->real_to_v.end()) continue;
    l->recent.emplace_back(real, it->second);
    // Long enough for the pids kernel objects keep after their task is gone (object_rules.h).
    if (l->recent.size() > kRecentlyReleasedKept) l->recent.pop_front();
    l->space.release(it->second);
    l->v_to_real.erase(it->second);
    l->real_to_v.erase(it);
  }
  number_level_.erase(deepest);
}

}  // namespace vpidbox
