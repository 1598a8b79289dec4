// The unotify route: the pure queries (getpid, getppid, gettid, getpgrp, getpgid, getsid, and
// the signal calls that send nothing) answered in one seccomp user-notification round trip, the
// signals sent with the caller's siginfo (queued_signals.h), and the opens routed to the /proc
// route.
#pragma once

#include "supervisor/call_look.h"
#include "supervisor/control_route.h"
#include "supervisor/proc_paths.h"
#include "supervisor/proc_route.h"
#include "supervisor/queued_signals.h"
#include "supervisor/stats.h"
#include "supervisor/trace_log.h"
#include "supervisor/unotify_channel.h"
#include "translate/kernel_view.h"
#include "translate/process_table.h"

namespace vpidbox {

class UnotifyRoute {
 public:
  // `proc` is the /proc route when the box has its own /proc (opens are routed only then);
  // `paths` the /proc-path route when it has one without a mount (every path call is routed).
  UnotifyRoute(UnotifyChannel channel, const ProcessTable& table, KernelView& kernel,
               TraceLog& trace, Stats& stats, ProcRoute* proc, ControlRoute& control,
               QueuedSignals& queued, ProcPathRoute* paths = nullptr);
  int fd() const { return channel_.fd(); }
  // Receives one notification and answers it.
  void serve_one();
  // The calls looked at in their notifications (Route::kLook): supervisor/call_look.h.
  void set_call_look(CallLook* look) { look_ = look; }

 private:
  UnotifyChannel channel_;
  const ProcessTable& table_;
  KernelView& kernel_;
  TraceLog& trace_;
  Stats& stats_;
  ProcRoute* proc_;
  ControlRoute& control_;
  QueuedSignals& queued_;
  ProcPathRoute* paths_;
  CallLook* look_ = nullptr;
};

}  // namespace vpidbox
