// Giving a box process one of the stacked filters (filters/stacked_filter.h). Only a task can
// install a seccomp filter on itself, so the supervisor makes it do so: at the syscall-exit stop
// of the call that asked for it (SO_PASSCRED, a new signalfd), the task's registers, signal mask
// and a little of its stack below the red zone are set aside, it is sent back to the syscall
// instruction it came from with seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, prog)
// in its registers, and at that call's exit stop everything is put back, the first call's result
// included: the program sees its call return as it did. Its signals are blocked meanwhile, so
// that no handler runs on the borrowed registers (SIGKILL and SIGSTOP cannot be, and need not:
// a stop resumes into the same call). TSYNC gives the filter to every thread of the process; its
// children inherit it, as they inherit the box's own.
//
// A process that has seccomp filters of its own is not given one (calling seccomp() could be
// fatal under its filter), nor one that may not install filters (neither no_new_privs nor
// CAP_SYS_ADMIN) or whose stack has no room: its calls then go untranslated.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "filters/stacked_filter.h"
#include "supervisor/box_tasks.h"

namespace vpidbox {

class FilterInjection {
 public:
  explicit FilterInjection(BoxTasks& tasks) : tasks_(tasks) {}

  // At the syscall-exit stop of `tid`: whether its process has the filter already; else the
  // task is set up to install it, and true is returned when it will (resume it with
  // PTRACE_SYSCALL while busy()).
  bool installed(pid_t tid, StackedFilter what, int fd) const;
  bool start(pid_t tid, StackedFilter what, int fd);
  bool busy(pid_t tid) const { return active_.contains(tid); }
  // A syscall-entry or -exit stop of a busy task: the installation goes on, or ends and the task
  // is resumed as it was.
  void on_syscall_stop(pid_t tid);
  // A new process (its creator's fork event) has its creator's filters.
  void on_fork(pid_t creator_tid, pid_t child);
  // A task that has just appeared: nothing set aside for an earlier task of that number is its.
  void forget(pid_t tid) { active_.erase(tid); }

 private:
  struct Active {
    user_regs_struct regs{};  // at the first call's exit stop
    std::uint64_t sigmask = 0;
    std::uint64_t scratch = 0;  // the stack borrowed for the program
    std::vector<std::uint8_t> saved;
    bool entered = false;  // seccomp()'s entry stop came
    Pid tgid = 0;
    std::pair<int, int> filter;  // (what, fd)
  };
  using Installed = std::set<std::pair<int, int>>;
  void finish(pid_t tid, Active& active, std::int64_t result);
  // How many filters a box process has before any of these: the supervisor's own, and the box's.
  int baseline_filters();

  BoxTasks& tasks_;
  std::map<pid_t, Active> active_;
  std::map<Pid, Installed> installed_;  // by process (real tgid)
  int baseline_ = -1;
};

}  // namespace vpidbox
