// The box's tasks as the supervisor follows them: the process table (real and virtual numbers)
// and, for every task it traces, what it holds for it (a pidfd, the exit stop it waits for).
// Shared by the lifecycle and the routes; the only place tasks are added and forgotten.
#pragma once

#include <sys/ptrace.h>
#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "supervisor/surface_state.h"
#include "supervisor/unique_fd.h"
#include "translate/process_table.h"
#include "translate/syscall_table.h"

namespace vpidbox {

// Fork, vfork and clone events attach every new task before it runs; EXITKILL makes the kernel
// kill every tracee if the supervisor dies, so no box process outlives it. TRACESECCOMP brings
// the filter's SECCOMP_RET_TRACE calls to the ptrace route. PTRACE_O_TRACEEXEC is added for
// multithreaded processes only (PtraceRoute::trace_exec_of_threads).
constexpr long kTraceOptions = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                               PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD;

// What a task's next syscall-exit stop must rewrite.
struct PendingExit {
  const SyscallRow* row = nullptr;  // nullptr: the result of fork/vfork/clone (a child's number)
  std::array<std::uint64_t, 6> args{};
  // A pid argument passed in memory was replaced by its real number for the kernel; the caller's
  // memory (at restore_memory_at) gets its own value back at exit.
  std::optional<std::int32_t> restore_memory_arg;
  std::uint64_t restore_memory_at = 0;
  // clone3(): the caller's flags word, where the supervisor changed it for the kernel (at
  // clone_args_at), and whether the child was attached (its fork event came).
  std::optional<std::uint64_t> restore_clone_flags;
  std::uint64_t clone_args_at = 0;
  bool child_attached = false;
  // What supervisor/surface_rewrites.h changed in memory for the kernel, or saved, for this call.
  SurfaceExit surface;
};

struct TracedTask {
  UniqueFd pidfd;  // held for thread-group leaders
  bool started = false;
  std::optional<PendingExit> exit;
  // The signals a thread waits for in rt_sigtimedwait(): the kernel takes them out of its
  // blocked mask meanwhile (into real_blocked, which /proc does not show), yet they are not
  // ignored.
  std::uint64_t waiting_for = 0;
  // A leader's session when it was registered: only setsid() changes a session, and it makes
  // the caller's own pid the sid, so these two are the only numbers its sid can be.
  Pid sid_at_start = 0;
};

class BoxTasks {
 public:
  explicit BoxTasks(Pid pid_max) : table_(pid_max) {}

  ProcessTable& table() { return table_; }
  const ProcessTable& table() const { return table_; }
  pid_t init_pid() const { return init_pid_; }

  // Init, just seized: number 1.
  void adopt_init(pid_t pid);
  // A task the kernel attached (its fork event or its first stop came): it gets the next number
  // of its level (its thread group's, or the level its parent makes children in) and of every
  // level above, or is killed when a pid space is full (the kernel would have failed the fork
  // with EAGAIN), when its level's init is gone, or once the box is being killed.
  // `chosen`: numbers reserved for it (clone3's set_tid), as ProcessTable::add_task takes them.
  void add(pid_t tid, std::span<const Pid> chosen = {});
  // A task that came into the box from outside (`vpidbox exec`), seized already: it joins `level`
  // as a process of its own. False when the level takes no new task.
  bool add_entering(pid_t tid, LevelId level);
  TracedTask* find(pid_t tid);
  // Numbers held for groups and sessions that no process uses any more are released now (else
  // lazily, at the next add): for a caller that must know which numbers are free (set_tid).
  void release_unused_numbers();
  bool follows(pid_t tid) const { return traced_.contains(tid); }
  // A task's exit was reported: a thread or a reaped process is forgotten, a zombie is kept
  // (holding its number) until its parent reaps it.
  void on_exit(pid_t tid);
  // A process some call may just have reaped.
  void forget_if_reaped(pid_t tid);
  // Called with the real tgid of every process the box forgets (reaped).
  void on_process_forgotten(std::function<void(Pid)> hook) { process_forgotten_ = std::move(hook); }
  // A non-leader thread called execve: it now has its leader's tid (`tid`), its own (`former`)
  // is released.
  void exec_by_thread(Pid former, pid_t tid);

  int leader_pidfd(Pid tgid) const;
  // The signals the threads of a process wait for in rt_sigtimedwait().
  std::uint64_t waited_signals(Pid tgid) const;
  // Calls f(real tgid, TracedTask&) for every process (thread-group leader) of the box.
  template <class F>
  void for_each_process(F f) {
    for (auto& [tid, traced] : traced_) {
      const Task* task = table_.task(tid);
      if (task && task->real_tgid == tid) f(tid, traced);
    }
  }
  // SIGKILL to every task of the box, now and as new ones are attached.
  void kill_all();

  // ---- nested boxes ----
  // A new box nested in the level of process `real_tgid`, which its children from now on are
  // made in (the first of them its init): the level, or nullopt when 32 levels are nested.
  // `own_proc`: the new box's /proc shows the new box, else the level it is nested in.
  std::optional<LevelId> nest_children_of(Pid real_tgid, bool own_proc);
  // The children of process `real_tgid` are made in `level` from now on (nsenter's way).
  void make_children_in(Pid real_tgid, LevelId level) { children_level_[real_tgid] = level; }
  // The level the children of process `real_tgid` are made in, where it is not its own.
  std::optional<LevelId> children_level_of(Pid real_tgid) const {
    auto it = children_level_.find(real_tgid);
    if (it == children_level_.end()) return std::nullopt;
    return it->second;
  }
  // A level's init exited: as when a pid namespace's init exits, every other task of it and of
  // the levels nested in it is killed.
  void kill_level(LevelId level);
  // When a level was made (the top level: when the box started).
  std::chrono::system_clock::time_point level_started(LevelId level) const;

 private:
  void sweep_reaped();
  // A task that is gone from the box: its numbers (unless a group still uses them), what is held
  // for it, and the levels that have no task left.
  void forget(pid_t tid, const std::set<Pid>& group_ids_in_use);
  void forget_empty_levels();
  // Which of `candidates` still name a process group or a session of the box.
  std::set<Pid> group_ids_in_use(const std::vector<Pid>& candidates) const;
  bool names_group_or_session(Pid real) const;

  ProcessTable table_;
  std::map<Pid, TracedTask> traced_;
  // Processes whose children are made in another level than their own (a nested box's front
  // end, or `vpidbox exec` inside a box).
  std::map<Pid, LevelId> children_level_;
  std::map<LevelId, std::chrono::system_clock::time_point> level_started_;
  pid_t init_pid_ = -1;
  bool killing_ = false;
  std::function<void(Pid)> process_forgotten_;
};

}  // namespace vpidbox
