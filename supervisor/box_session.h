// One box's lifecycle: it starts init, drives the event loop, forwards the signals sent to
// vpidbox, and ends the box as a pid namespace ends. The work on the box's calls is the routes'
// (unotify_route.h, ptrace_route.h, proc_route.h); the tasks are box_tasks.h's. Internal to the
// supervisor.
#pragma once

#include <sys/signalfd.h>
#include <sys/types.h>

#include <csignal>
#include <memory>
#include <optional>
#include <string>

#include "supervisor/box_tasks.h"
#include "supervisor/child_waits.h"
#include "supervisor/control_route.h"
#include "supervisor/control_server.h"
#include "supervisor/emulated_ptrace.h"
#include "supervisor/emulated_signals.h"
#include "supervisor/kernel_facts.h"
#include "supervisor/proc_paths.h"
#include "supervisor/proc_route.h"
#include "supervisor/ptrace_route.h"
#include "supervisor/session.h"
#include "supervisor/stats.h"
#include "supervisor/trace_log.h"
#include "supervisor/unique_fd.h"
#include "supervisor/unotify_route.h"
#include "translate/signal_rules.h"

namespace vpidbox {

class BoxSession final : private BoxControl {
 public:
  explicit BoxSession(const RunOptions& options);
  int run();

 private:
  bool set_up();
  bool start_routes(std::string& error);
  void start_control_server();
  void add_listener(UniqueFd listener);
  UnotifyRoute* unotify_route_of(int fd);
  void loop();
  bool finished() const { return init_status_.has_value() && no_children_; }
  void on_signalfd();
  void on_control_signal(const signalfd_siginfo& info);
  void on_kill_after_timer();
  void on_launch_channel();
  void wait_for(pid_t tid);
  void sweep_children();
  void on_child_event(pid_t tid, int status);
  void on_exit(pid_t tid, int status);
  void begin_teardown();
  void kill_untraced_children();
  void watch(int fd);
  void unwatch(int fd);

  // BoxControl, for the routes.
  void kill_box() override;
  void end_box_as(int as_signal) override;

  const RunOptions& options_;
  BoxTasks tasks_;
  SystemKernelView kernel_;
  TraceLog trace_;
  Stats stats_;
  EmulatedSignals signals_;
  EmulatedPtrace emulated_ptrace_;  // ptrace for tracers inside the box
  ControlRoute control_channel_;
  QueuedSignals queued_signals_;
  PtraceRoute ptrace_;
  std::unique_ptr<ProcRoute> proc_;       // when the box has its own /proc (FUSE)
  std::unique_ptr<ProcPathRoute> paths_;  // when it has its own /proc without a mount
  // The hybrid engine's listeners: init's, and one for each process `vpidbox exec` brought in.
  std::vector<std::unique_ptr<UnotifyRoute>> unotify_;
  std::unique_ptr<ControlServer> control_;  // the box's control socket, when it could be made
  ProcMode proc_mode_ = ProcMode::kHost;
  bool own_mount_ns_ = false;  // intercept mode, fallen back to after init made one
  ForwardPolicy forward_policy_;
  SweepSchedule sweeps_;

  sigset_t original_mask_{};
  UniqueFd epoll_;
  UniqueFd signal_fd_;
  UniqueFd kill_after_timer_;
  UniqueFd launch_channel_;

  std::optional<int> init_status_;
  int init_death_override_ = 0;  // reboot() from inside: the signal init is reported dead by
  std::string exec_error_;
  bool tearing_down_ = false;
  bool no_children_ = false;
};

}  // namespace vpidbox
