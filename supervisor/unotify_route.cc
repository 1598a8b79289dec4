#include "supervisor/unotify_route.h"

#include <cerrno>

#include "translate/invariant.h"
#include "translate/rules.h"

namespace vpidbox {

UnotifyRoute::UnotifyRoute(UnotifyChannel channel, const ProcessTable& table, KernelView& kernel,
                           TraceLog& trace, Stats& stats, ProcRoute* proc, ControlRoute& control,
                           QueuedSignals& queued, ProcPathRoute* paths)
    : channel_(std::move(channel)),
      table_(table),
      kernel_(kernel),
      trace_(trace),
      stats_(stats),
      proc_(proc),
      control_(control),
      queued_(queued),
      paths_(paths) {
  channel_.enable_sync_wakeup();
}

void UnotifyRoute::serve_one() {
  seccomp_notif req;
  if (channel_.receive(req) != NotifStatus::kOk) return;
  // Without a mount of its own, the box's /proc is served for every call that names a path.
  if (paths_ && ProcPathRoute::serves(req.data.nr)) {
    paths_->serve(channel_, req);
    return;
  }
  if (stats_.by_syscall) {
    if (const SyscallRow* row = find_syscall(req.data.nr)) ++stats_.notifications[row->name];
  }
  if (is_fd_open_syscall(req.data.nr)) {
    // The filter routes opens only while the box has its own /proc.
    if (proc_)
      proc_->serve_open(channel_, req);
    else
      channel_.answer_continue(req.id);
    return;
  }
  Call call;
  call.real_tid = static_cast<Pid>(req.pid);
  for (int i = 0; i < 6; ++i) call.args[i] = req.data.args[i];
  call.row = find_syscall(req.data.nr, call.args);
  // Only the table's unotify rows notify; anything else is a filter bug.
  VPIDBOX_INVARIANT(call.row != nullptr, "notification for a syscall outside the table");
  if (call.row->route == Route::kLook) {
    if (look_)
      look_->serve(channel_, req, call);
    else
      channel_.answer_continue(req.id);
    return;
  }
  if (call.row->route == Route::kControl) {
    const std::int64_t result = control_.answer(static_cast<pid_t>(req.pid), call.args);
    if (result < 0)
      channel_.answer_errno(req.id, static_cast<int>(-result));
    else
      channel_.answer_value(req.id, result);
    return;
  }
  if (call.row->route == Route::kSignalSend) {
    // What was read of the caller's memory is its only while the notification is pending.
    const std::optional<std::int64_t> result =
        queued_.serve(call, [&] { return channel_.still_pending(req.id); });
    if (!result) return;
    if (trace_.enabled()) {
      const Task* task = table_.task(call.real_tid);
      trace_.write(task ? task->vtid : 0, call,
                   *result < 0 ? Outcome{ReturnErrno{static_cast<int>(-*result)}}
                               : Outcome{ReturnValue{*result}});
    }
    if (*result < 0)
      channel_.answer_errno(req.id, static_cast<int>(-*result));
    else
      channel_.answer_value(req.id, *result);
    return;
  }
  const Outcome outcome = decide_query(call, table_, kernel_);
  if (trace_.enabled()) {
    const Task* task = table_.task(call.real_tid);
    trace_.write(task ? task->vtid : 0, call, outcome);
  }
  if (const auto* v = std::get_if<ReturnValue>(&outcome)) {
    channel_.answer_value(req.id, v->value);
  } else if (const auto* e = std::get_if<ReturnErrno>(&outcome)) {
    channel_.answer_errno(req.id, e->error);
  } else {
    channel_.answer_continue(req.id);
  }
}

}  // namespace vpidbox
