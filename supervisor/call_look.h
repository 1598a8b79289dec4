// The calls whose pids are in memory the filter cannot see (Route::kLook): sendmsg() and
// sendmmsg(), whose SCM_CREDENTIALS name the sender as it sees itself, and bind() of a netlink
// socket without a port id, which the kernel gives the binder's pid (its tgid in its pid
// namespace, or a random negative number when that one is taken). Each such call notifies the
// hybrid engine's listener, and the supervisor looks at its memory:
//  - most continue at once (no credentials, not a netlink socket);
//  - a netlink socket that is not bound yet is bound by the supervisor itself (through a copy
//    of the descriptor) to the caller's box pid, as the kernel would have bound it in a
//    namespace; a bind() that asks for nothing else is then answered, one that also joins
//    multicast groups runs with that port id in place of 0;
//  - credentials are translated in the caller's memory, which the kernel reads: the task is
//    taken over by ptrace for that one call (its notification is interrupted with
//    PTRACE_INTERRUPT, and the call restarts under PTRACE_SYSCALL: its entry stop writes the
//    real numbers, its notification continues, its exit stop puts the caller's back).
// On the ptrace engine the same look is made at the seccomp stop.
#pragma once

#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <vector>

#include "supervisor/box_tasks.h"
#include "supervisor/surface_state.h"
#include "supervisor/unotify_channel.h"
#include "translate/outcome.h"
#include "translate/rules.h"

namespace vpidbox {

class CallLook {
 public:
  explicit CallLook(BoxTasks& tasks) : tasks_(tasks), table_(tasks.table()) {}

  // A notification of a kLook row (hybrid engine): answered, continued, or taken over.
  void serve(UnotifyChannel& channel, const seccomp_notif& req, const Call& call);
  // The seccomp stop of a kLook row (ptrace engine): what the kernel must read is written now,
  // the caller's own values kept in `pending` for the exit stop (`stop_at_exit`), or the call
  // answered (`outcome`).
  void at_seccomp_stop(pid_t tid, const Call& call, Outcome& outcome, PendingExit& pending,
                       bool& stop_at_exit);

  // The ptrace side of a call taken over. on_stop() consumes the stops that are the take-over's
  // (the interrupt, the call's entry and exit); while it lasts, the task's resumes keep syscall
  // stops.
  bool on_stop(pid_t tid, int status);
  bool wants_syscall_stops(pid_t tid) const;
  // A task that has just appeared: nothing kept for an earlier task of that number is its.
  void forget(pid_t tid) { taken_.erase(tid); }

 private:
  // What the look decided: an answer, or the words to write for the kernel (each with the
  // caller's own value, to put back).
  struct Plan {
    Outcome outcome = Continue{};
    std::vector<MemoryRestore> writes;
    std::vector<MemoryRestore> restores;
  };
  Plan plan(pid_t tid, const Call& call);
  void plan_credentials(pid_t tid, const msghdr& msg, Plan& plan);
  void plan_netlink_destination(pid_t tid, int fd, const msghdr& msg);
  void plan_bind(pid_t tid, const Call& call, Plan& plan);
  // Binds the caller's unbound netlink socket `fd` to its box pid (or, that being taken, to a
  // negative number as the kernel's autobind picks one). The port id, or 0 when it is bound
  // already, is no netlink socket, or cannot be had.
  std::int32_t bind_for_caller(pid_t tid, int fd);
  bool apply(pid_t tid, const std::vector<MemoryRestore>& writes);

  enum class Stage { kInterrupting, kEntry, kNotification, kExit };
  struct Taken {
    Stage stage = Stage::kInterrupting;
    long nr = 0;
    Plan plan;
  };

  BoxTasks& tasks_;
  const ProcessTable& table_;
  std::map<pid_t, Taken> taken_;
  // Sockets the supervisor bound for a bind() that is still to join its groups: (process,
  // descriptor) -> port id.
  std::map<std::pair<Pid, int>, std::int32_t> bound_for_call_;
  std::int32_t rover_ = -4096;  // as net/netlink/af_netlink.c netlink_autobind()
};

}  // namespace vpidbox
