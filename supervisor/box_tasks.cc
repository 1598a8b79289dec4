#include "supervisor/box_tasks.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <vector>

#include "supervisor/kernel_abi.h"
#include "supervisor/kernel_facts.h"
#include "translate/invariant.h"

namespace vpidbox {
namespace {

// A zombie still answers PIDFD_GET_INFO; once reaped, its pidfd says ESRCH. Kernels before 6.13
// lack the ioctl: there the pidfd's fdinfo shows "Pid: -1" once the task is reaped.
bool is_reaped(int pidfd) {
  if (pidfd < 0) return true;
  abi::PidfdInfo info{};
  info.mask = abi::kPidfdInfoPid;
  if (::ioctl(pidfd, abi::kPidfdGetInfo, &info) == 0) return false;
  if (errno == ESRCH) return true;
  return pidfd_fdinfo_pid(0, pidfd).value_or(-1) <= 0;
}

}  // namespace

void BoxTasks::adopt_init(pid_t pid) {
  init_pid_ = pid;
  level_started_[kTopLevel] = std::chrono::system_clock::now();
  TracedTask& init = traced_[pid];
  init.pidfd.reset(abi::pidfd_open(pid, 0));
  init.started = true;
  init.sid_at_start = ::getsid(pid);
  VPIDBOX_INVARIANT(table_.add_task(pid, pid) == 1, "init is not pid 1");
}

void BoxTasks::add(pid_t tid, std::span<const Pid> chosen) {
  sweep_reaped();
  UniqueFd pidfd(abi::pidfd_open(tid, 0));
  Pid tgid = tid;
  LevelId level = kTopLevel;
  if (!pidfd.valid()) {
    // EINVAL: not a thread-group leader, so a thread; its group is in /proc, and its level is its
    // group's (ProcessTable::add_task).
    ProcStatusIds ids = read_status_ids(tid);
    if (!ids.ok) return;  // it died already
    tgid = ids.tgid;
  } else {
    // A new process is made in the level its parent makes children in. (With CLONE_PARENT the
    // parent is the creator's parent, whose children are made in the creator's own level: only
    // a nested box's front end makes children elsewhere, and it uses no CLONE_PARENT, nor may
    // an init.)
    abi::PidfdInfo info{};
    info.mask = abi::kPidfdInfoPid;
    Pid parent = 0;
    if (::ioctl(pidfd.get(), abi::kPidfdGetInfo, &info) == 0) {
      parent = static_cast<Pid>(info.ppid);
    } else {
      ProcStatusIds ids = read_status_ids(tid);
      if (!ids.ok) return;  // it died already
      parent = ids.ppid;
    }
    if (auto it = children_level_.find(parent); it != children_level_.end())
      level = it->second;
    else if (table_.contains(parent))
      level = table_.level_of(parent);
  }
  if (!table_.add_task(tid, tgid, level, chosen)) {
    ::kill(tid, SIGKILL);
    return;
  }
  TracedTask& traced = traced_[tid];
  traced.pidfd = std::move(pidfd);
  // It has not run yet: its session is still its parent's.
  if (traced.pidfd.valid()) traced.sid_at_start = ::getsid(tid);
  if (killing_) ::kill(tid, SIGKILL);
}

bool BoxTasks::add_entering(pid_t tid, LevelId level) {
  sweep_reaped();
  UniqueFd pidfd(abi::pidfd_open(tid, 0));
  if (!pidfd.valid() || killing_ || !table_.add_task(tid, tid, level)) return false;
  TracedTask& traced = traced_[tid];
  traced.pidfd = std::move(pidfd);
  traced.started = true;  // seized while it runs: there is no first stop
  traced.sid_at_start = ::getsid(tid);
  return true;
}

TracedTask* BoxTasks::find(pid_t tid) {
  auto it = traced_.find(tid);
  return it == traced_.end() ? nullptr : &it->second;
}

void BoxTasks::on_exit(pid_t tid) {
  auto it = traced_.find(tid);
  if (it == traced_.end()) return;
  // Killed inside a wait, the task may have reaped a child whose syscall-exit stop never came to
  // say so: look for the zombies that are gone.
  const bool in_wait = it->second.exit && it->second.exit->row &&
                       (it->second.exit->row->result == ResultKind::kReapedPid ||
                        it->second.exit->row->has(ArgKind::kSiginfoOut));
  it->second.exit.reset();
  if (is_reaped(it->second.pidfd.get())) {
    // A thread's number is never a process group's or a session's: no need to ask who uses it.
    const Task* task = table_.task(tid);
    const bool leader = task && task->real_tgid == tid;
    forget(tid, leader ? group_ids_in_use({tid}) : std::set<Pid>{});
  } else {
    table_.mark_exited(tid);
  }
  if (in_wait) sweep_reaped();
}

void BoxTasks::forget_if_reaped(pid_t tid) {
  auto it = traced_.find(tid);
  if (it == traced_.end() || !table_.task(tid) || !table_.task(tid)->exited) return;
  if (!is_reaped(it->second.pidfd.get())) return;
  forget(tid, group_ids_in_use({tid}));
}

void BoxTasks::forget(pid_t tid, const std::set<Pid>& group_ids_in_use) {
  const LevelId level = table_.level_of(tid);
  if (const Task* task = table_.task(tid); task && task->real_tgid == tid && process_forgotten_)
    process_forgotten_(tid);
  table_.remove(tid, group_ids_in_use);
  traced_.erase(tid);
  children_level_.erase(tid);
  if (level != kTopLevel) forget_empty_levels();
}

void BoxTasks::forget_empty_levels() {
  // Nested levels are made after the level they are nested in: the deepest come last.
  const std::vector<LevelId> levels = table_.level_and_descendants(kTopLevel);
  for (auto it = levels.rbegin(); it != levels.rend(); ++it) {
    const LevelId level = *it;
    table_.forget_level_if_empty(level);
    if (!table_.has_level(level)) level_started_.erase(level);
  }
}

void BoxTasks::exec_by_thread(Pid former, pid_t tid) {
  table_.exec_by_thread(former, tid);
  traced_.erase(former);
}

int BoxTasks::leader_pidfd(Pid tgid) const {
  auto it = traced_.find(tgid);
  return it == traced_.end() ? -1 : it->second.pidfd.get();
}

std::uint64_t BoxTasks::waited_signals(Pid tgid) const {
  std::uint64_t signals = 0;
  for (const auto& [tid, traced] : traced_) {
    const Task* task = table_.task(tid);
    if (task && task->real_tgid == tgid) signals |= traced.waiting_for;
  }
  return signals;
}

void BoxTasks::kill_all() {
  killing_ = true;
  for (const auto& [tid, task] : traced_)
    if (task.pidfd.valid()) abi::pidfd_send_signal(task.pidfd.get(), SIGKILL, nullptr, 0);
}

std::set<Pid> BoxTasks::group_ids_in_use(const std::vector<Pid>& candidates) const {
  std::set<Pid> ids;
  for (Pid real : candidates)
    if (names_group_or_session(real)) ids.insert(real);
  return ids;
}

// Asked at every reap, so it must not cost a call per task of the box (a thousand processes
// exiting would cost a million): one kill(2) answers for the process group, and only the tasks
// born into a session of that number are asked for theirs. Zombies keep their group and
// session until they are reaped, and both answers count them.
bool BoxTasks::names_group_or_session(Pid real) const {
  // No task of the box is the supervisor's namespace's init; and kill(-1) would mean every
  // process, so it is never asked.
  if (real <= 1) return false;
  if (::kill(-real, 0) == 0 || errno == EPERM) return true;  // signal 0 sends nothing
  for (const auto& [tid, traced] : traced_)
    if (traced.sid_at_start == real && tid != real && ::getsid(tid) == real) return true;
  return false;
}

void BoxTasks::release_unused_numbers() {
  sweep_reaped();
  table_.release_unused_groups(group_ids_in_use(table_.held_numbers()));
}

void BoxTasks::sweep_reaped() {
  std::vector<Pid> gone;
  for (Pid tid : table_.exited_real_tids())
    if (is_reaped(leader_pidfd(tid))) gone.push_back(tid);
  if (gone.empty()) return;
  std::vector<Pid> candidates = table_.held_numbers();
  candidates.insert(candidates.end(), gone.begin(), gone.end());
  const std::set<Pid> groups = group_ids_in_use(candidates);
  for (Pid tid : gone) forget(tid, groups);
  table_.release_unused_groups(groups);
  forget_empty_levels();
}

std::optional<LevelId> BoxTasks::nest_children_of(Pid real_tgid, bool own_proc) {
  const Task* task = table_.task(real_tgid);
  if (!task) return std::nullopt;
  std::optional<LevelId> level = table_.create_level(task->level, own_proc);
  if (!level) return std::nullopt;
  children_level_[real_tgid] = *level;
  level_started_[*level] = std::chrono::system_clock::now();
  return level;
}

void BoxTasks::kill_level(LevelId level) {
  for (const auto& [tid, traced] : traced_) {
    const Task* task = table_.task(tid);
    if (!task || !table_.sees(level, task->level)) continue;
    if (traced.pidfd.valid()) abi::pidfd_send_signal(traced.pidfd.get(), SIGKILL, nullptr, 0);
  }
}

std::chrono::system_clock::time_point BoxTasks::level_started(LevelId level) const {
  auto it = level_started_.find(level);
  return it == level_started_.end() ? std::chrono::system_clock::time_point{} : it->second;
}

}  // namespace vpidbox
