// The box's tasks: real tid <-> virtual numbers, thread groups, the levels of nested boxes, and
// the numbers that stay allocated after their task is gone (the pgid or sid of a group whose
// leader has exited).
//
// Levels are the box's pid namespaces. Level 0 is the box vpidbox started; a box started inside
// it (`vpidbox run` in the box) is a child level, and so on, 32 levels at most. A task belongs to
// one level and has one number there and one in every level above it, as a task of a nested pid
// namespace has one number per namespace (the kernel's struct pid, upid per level). Every number a
// task sees or names is read in the view of its own level: `to_virtual(real, level)` is its number
// there, or nothing when the task is not visible from that level (it belongs to an outer one).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "translate/pid_space.h"

namespace vpidbox {

// A level of the box (a pid namespace of its own). 0 is the outermost; ids are never reused.
using LevelId = std::int32_t;
constexpr LevelId kTopLevel = 0;
// The kernel allows 32 nested pid namespaces (MAX_PID_NS_LEVEL); the box, counting its top level,
// allows as many.
constexpr int kMaxLevels = 32;

struct Task {
  Pid real_tid = 0;
  Pid real_tgid = 0;
  Pid vtid = 0;               // its number in its own level
  LevelId level = kTopLevel;  // the level it belongs to
  bool exited =
      false;  // a zombie or an exited thread whose exit the tracer has not yet seen reaped
};

class ProcessTable {
 public:
  // The table starts with the top level; every level numbers up to `pid_max` (each pid namespace
  // has its own since Linux 6.14, and a new one starts with the same limit).
  explicit ProcessTable(Pid pid_max);

  // ---- levels ----
  // A new level below `parent`, whose first task will be its init (number 1 there). nullopt when
  // `parent` is unknown or the nesting would exceed kMaxLevels (the kernel's ENOSPC). `own_proc`:
  // its /proc shows it, as a pid namespace's own procfs does (`unshare --mount-proc`); otherwise
  // it shows the /proc its parent level sees (`unshare` without --mount-proc).
  std::optional<LevelId> create_level(LevelId parent, bool own_proc = true);
  // The level whose view a level's /proc shows.
  LevelId proc_view_of(LevelId level) const;
  bool has_level(LevelId level) const { return levels_.contains(level); }
  // 0 for the top level, 1 for a box inside it, ...
  int depth(LevelId level) const;
  std::optional<LevelId> parent_level(LevelId level) const;
  // Whether a task of level `of` is visible from level `view` (`of` is `view` or nested in it).
  bool sees(LevelId view, LevelId of) const;
  // The real tid of a level's init (its number 1), while it is in the table.
  std::optional<Pid> init_of(LevelId level) const;
  // Whether the level's init has exited: the level takes no new task (the kernel fails forks
  // into a pid namespace whose init is gone) and its tasks are being killed.
  bool level_ended(LevelId level) const;
  // The levels nested in `level`, at any depth, and `level` itself.
  std::vector<LevelId> level_and_descendants(LevelId level) const;
  // The levels directly below `level`, in the order they were made.
  std::vector<LevelId> child_levels(LevelId level) const;
  // A level with no task left is forgotten (its numbering with it).
  void forget_level_if_empty(LevelId level);

  // ---- tasks ----
  // Adds a task to `level` and gives it the next number there and in every level above; nullopt
  // when a level's space is full or the level's init has ended. A thread (real_tid != real_tgid)
  // whose leader is known joins its leader's level whatever `level` says: a thread group is in
  // one pid namespace.
  // `chosen`: numbers reserved for it (reserve()), one per level from `level` upward, 0 for a
  // level where it is allocated as usual (clone3's set_tid).
  std::optional<Pid> add_task(Pid real_tid, Pid real_tgid, LevelId level = kTopLevel,
                              std::span<const Pid> chosen = {});
  // Takes number `nr` of `level` for a task about to be added (false when it is taken or out of
  // the level's range); unreserve() gives back one that was not used.
  bool reserve(LevelId level, Pid nr);
  void unreserve(LevelId level, Pid nr);
  bool contains(Pid real_tid) const { return tasks_.contains(real_tid); }
  const Task* task(Pid real_tid) const;
  // The level of a task of the table; the top level for a task it does not know (callers check
  // task() first where that matters).
  LevelId level_of(Pid real_tid) const;

  // ---- numbers, in the view of a level ----
  // Both directions know numbers that are held for a group after their task left; callers that
  // need a live task use task().
  std::optional<Pid> to_virtual(Pid real, LevelId view) const;
  std::optional<Pid> to_real(Pid vnr, LevelId view) const;
  // The numbers of a real task or held number from level `view` down to the deepest level that
  // has one (what NSpid lists when read from `view`); empty when `view` does not see it.
  std::vector<Pid> numbers_from(Pid real, LevelId view) const;
  // Virtual tgid of a task's thread group (its leader's number), in the task's own level.
  std::optional<Pid> virtual_tgid(Pid real_tid) const;
  // The virtual number a real one had in `view` until it was released lately: wait4() reports a
  // child that may have been swept from the table between the reap and the syscall-exit stop,
  // and kernel objects keep the pids of processes that have exited (translate/object_rules.h).
  static constexpr std::size_t kRecentlyReleasedKept = 1024;
  std::optional<Pid> recently_released(Pid real, LevelId view) const;

  // The task has exited; its number stays allocated until it is reaped.
  void mark_exited(Pid real_tid);
  // The task is gone (reaped, or an exited non-leader thread). Its numbers are released unless
  // `group_ids_in_use` (real pgids and sids of the live tasks) still names it.
  void remove(Pid real_tid, const std::set<Pid>& group_ids_in_use);
  // Releases held group numbers that no live task uses any more.
  void release_unused_groups(const std::set<Pid>& group_ids_in_use);
  // A non-leader thread called execve: it takes over the leader's number (its tid becomes the
  // tgid) and its own number is released.
  void exec_by_thread(Pid old_real_tid, Pid real_tgid);

  // The real numbers held for a group or session after their task is gone.
  std::vector<Pid> held_numbers() const;
  std::vector<Pid> live_real_tids() const;
  std::vector<Pid> exited_real_tids() const;
  std::size_t task_count() const { return tasks_.size(); }
  // The tasks of a level and of the levels nested in it, live or not.
  std::size_t task_count_seen_from(LevelId view) const;
  // Every task, by real tid (zombies and exited threads included: see Task::exited).
  const std::map<Pid, Task>& tasks() const { return tasks_; }
  const PidSpace& space(LevelId level) const;
  // ns_last_pid written from inside a level (checkpoint/restore choosing the next number).
  bool set_last_allocated(LevelId level, Pid nr);
  // pid_max written from inside (checked by the caller: pid_max_rule.h).
  void set_pid_max(LevelId level, Pid pid_max);

  // The thread of the box that traces a task (emulated ptrace: the real tracer is always the
  // supervisor), for /proc's TracerPid. 0 clears it.
  void set_tracer(Pid real_tid, Pid real_tracer);
  Pid tracer_of(Pid real_tid) const;

 private:
  struct Level {
    LevelId parent = -1;
    int depth = 0;
    PidSpace space;
    std::map<Pid, Pid> real_to_v;  // every number allocated here, task or held group
    std::map<Pid, Pid> v_to_real;
    std::deque<std::pair<Pid, Pid>> recent;  // (real, virtual), newest last
    Pid init_real = 0;                       // 0 until its first task
    bool init_ended = false;
    LevelId proc_view = kTopLevel;
  };

  Level* level_ptr(LevelId level);
  const Level* level_ptr(LevelId level) const;
  // The level a real number is allocated in at the deepest (its task's level, or its group
  // leader's), if any.
  std::optional<LevelId> deepest_level_of_number(Pid real) const;
  void release_number(Pid real);

  std::map<LevelId, Level> levels_;
  LevelId next_level_ = kTopLevel + 1;
  Pid pid_max_;
  std::map<Pid, Task> tasks_;  // by real tid
  // The deepest level each allocated real number has a number in (it has one in every level
  // above too).
  std::map<Pid, LevelId> number_level_;
  std::map<Pid, Pid> tracers_;  // real tid -> real tid of its tracer in the box
};

}  // namespace vpidbox
