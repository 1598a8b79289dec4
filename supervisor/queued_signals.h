// rt_sigqueueinfo() and rt_tgsigqueueinfo() served by the supervisor (translate/queued_signals.h
// decides): it reads the caller's siginfo and sends the signal with it; and kill() with a signal,
// sent as the caller (or discarded where the receiver ignores it, as the kernel discards it). On
// the hybrid engine such a call is a notification, and the caller waits for the answer killably
// (the filter's SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV), so a signal it sends itself is pending,
// not an interruption, when the answer comes, and is delivered as the call returns, as natively; at
// a ptrace stop the caller is stopped, which comes to the same.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>

#include "supervisor/box_tasks.h"
#include "supervisor/emulated_ptrace.h"
#include "supervisor/emulated_signals.h"
#include "supervisor/kernel_facts.h"
#include "translate/rules.h"

namespace vpidbox {

class QueuedSignals {
 public:
  QueuedSignals(BoxTasks& tasks, EmulatedSignals& signals, SystemKernelView& kernel,
                const EmulatedPtrace& emulated_ptrace)
      : tasks_(tasks), signals_(signals), kernel_(kernel), emulated_ptrace_(emulated_ptrace) {}

  // The call's result, 0 or -errno; nullopt when `still_ours` (asked once the caller's memory has
  // been read, before anything is decided or sent) says the caller is gone.
  std::optional<std::int64_t> serve(const Call& call, const std::function<bool()>& still_ours);

 private:
  std::int64_t serve_kill(const Call& call);

  BoxTasks& tasks_;
  EmulatedSignals& signals_;
  SystemKernelView& kernel_;
  const EmulatedPtrace& emulated_ptrace_;
};

}  // namespace vpidbox
