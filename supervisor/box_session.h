// The supervisor's state for one box, shared by the lifecycle loop (session.cc) and the ptrace
// route (ptrace_route.cc). Internal to the supervisor.
#pragma once

#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/user.h>

#include <array>
#include <csignal>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "procfs-fuse/proc_fs.h"
#include "supervisor/kernel_facts.h"
#include "supervisor/proc_open.h"
#include "supervisor/session.h"
#include "supervisor/trace_log.h"
#include "supervisor/unique_fd.h"
#include "supervisor/unotify_channel.h"
#include "translate/process_table.h"
#include "translate/rules.h"
#include "translate/signal_rules.h"

namespace vpidbox {

// Fork, vfork and clone events attach every new task before it runs; EXITKILL makes the kernel
// kill every tracee if the supervisor dies, so no box process outlives it. TRACESECCOMP brings
// the filter's SECCOMP_RET_TRACE calls to the ptrace route. PTRACE_O_TRACEEXEC is added for
// multithreaded processes only (see trace_exec_of_threads).
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

// A signal the supervisor sent for kill(-1) on behalf of a box process: the receiver must see
// that process as the sender.
struct EmulatedSender {
  Pid vpid = 0;
  uid_t uid = 0;
};

class BoxSession {
 public:
  explicit BoxSession(const RunOptions& options);
  int run();

 private:
  // session.cc: set-up, the event loop, lifecycle.
  bool set_up();
  void loop();
  bool finished() const { return init_status_.has_value() && no_children_; }
  void on_signalfd();
  void on_control_signal(const signalfd_siginfo& info);
  void drain_children();
  void on_stop(pid_t tid, int status);
  void on_exit(pid_t tid, int status);
  void on_unotify();
  void on_launch_channel();
  bool start_proc(int channel, std::string& error);
  void on_kill_after_timer();
  void register_task(pid_t tid);
  void forget_if_reaped(pid_t tid);
  void sweep_reaped();
  std::set<Pid> group_ids_in_use(const std::vector<Pid>& candidates) const;
  bool names_group_or_session(Pid real) const;
  void kill_box();
  void begin_teardown();
  int leader_pidfd(Pid tgid) const;
  std::uint64_t waited_signals(Pid tgid) const;
  void watch(int fd);
  void unwatch(int fd);
  void resume(pid_t tid, int signo = 0);

  // ptrace_route.cc: the ptrace route.
  void trace_exec_of_threads(pid_t tid);
  void on_fork_event(pid_t tid);
  void on_exec_event(pid_t tid);
  void on_seccomp_stop(pid_t tid);
  void proc_dir_as_pidfd(pid_t tid, Call& call, user_regs_struct& regs);
  void on_syscall_exit(pid_t tid);
  void on_signal_delivery(pid_t tid, int signo);
  void rewrite_siginfo_at(pid_t tid, std::uint64_t address);
  std::optional<std::int32_t> translate_memory_arg(pid_t tid, const Call& call,
                                                   EntryDecision& decision, std::uint64_t& address);
  std::int64_t signal_whole_box(pid_t caller, int signo);
  std::int64_t signal_group(pid_t caller, Pid real_pgid, int signo);
  Outcome end_box_by_reboot(pid_t caller, int as_signal);
  bool send_as(const EmulatedSender& sender, TracedTask& target, Pid target_tgid, int signo);

  const RunOptions& options_;
  ProcessTable table_;
  SystemKernelView kernel_;
  std::map<Pid, TracedTask> traced_;
  std::map<std::pair<Pid, int>, EmulatedSender> emulated_senders_;
  TraceLog trace_;
  ForwardPolicy forward_policy_;
  pid_t supervisor_pid_ = 0;

  sigset_t original_mask_{};
  UniqueFd epoll_;
  UniqueFd signal_fd_;
  UniqueFd kill_after_timer_;
  UniqueFd launch_channel_;
  std::optional<UnotifyChannel> unotify_;
  std::unique_ptr<procfs::ProcFs> proc_fs_;  // the box's /proc, when it has its own
  std::uint64_t proc_mount_id_ = 0;
  std::optional<ProcOpenRoute> proc_open_;  // opens of the box's /proc

  pid_t init_pid_ = -1;
  std::optional<int> init_status_;
  int init_death_override_ = 0;  // reboot() from inside: the signal init is reported dead by
  std::string exec_error_;
  bool tearing_down_ = false;
  bool no_children_ = false;
};

// Caught-signal mask of a process, from /proc/<pid>/status (SigCgt).
bool has_handler(Pid real_tgid, int signo);

}  // namespace vpidbox
