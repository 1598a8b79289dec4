#include "supervisor/queued_signals.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "supervisor/kernel_abi.h"
#include "translate/queued_signals.h"

namespace vpidbox {
namespace {

// The part of a siginfo the kernel copies first (struct kernel_siginfo): what cannot be read of
// it is EFAULT. The rest of the user's 128 bytes it reads only for a layout it does not know.
constexpr std::size_t kKernelSiginfoSize = 48;

// 0, or why it cannot be read: EFAULT, or EPERM where the supervisor may not read the task.
int read_siginfo(pid_t tid, std::uint64_t address, siginfo_t& info) {
  std::memset(&info, 0, sizeof(info));
  int error = EFAULT;
  for (std::size_t size : {sizeof(info), kKernelSiginfoSize}) {
    iovec local{&info, size};
    iovec remote{reinterpret_cast<void*>(address), size};
    if (::process_vm_readv(tid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size)) return 0;
    error = errno == EPERM ? EPERM : EFAULT;
  }
  return error;
}

}  // namespace

std::int64_t QueuedSignals::serve_kill(const Call& call) {
  const KillDecision decision = decide_kill(call, tasks_.table(), kernel_, [this](Pid tid) {
    return emulated_ptrace_.traces(static_cast<pid_t>(tid));
  });
  const pid_t caller = static_cast<pid_t>(call.real_tid);
  if (decision.act) {
    if (const auto* all = std::get_if<SignalBox>(&*decision.act))
      return signals_.signal_whole_box(caller, all->signo);
    const auto& group = std::get<SignalGroup>(*decision.act);
    return signals_.signal_group(caller, group.real_pgid, group.signo);
  }
  if (!decision.send) {
    if (const auto* e = std::get_if<ReturnErrno>(&decision.answer)) return -e->error;
    return std::get<ReturnValue>(decision.answer).value;
  }
  const Task* sender = tasks_.table().task(call.real_tid);
  const std::optional<TaskUids> uids = kernel_.uids_of(call.real_tid);
  if (!sender || !uids) return -ESRCH;
  const KillSend& send = *decision.send;
  return signals_.send_kill(sender->real_tgid, uids->ruid, send.real_tgid, send.named_tid,
                            send.signo)
             ? 0
             : -errno;
}

std::optional<std::int64_t> QueuedSignals::serve(const Call& call,
                                                 const std::function<bool()>& still_ours) {
  // kill(): nothing of the caller's memory is read.
  if (!call.row->has(ArgKind::kSiginfoIn)) return serve_kill(call);
  siginfo_t info;
  const int unreadable =
      read_siginfo(static_cast<pid_t>(call.real_tid), call.arg_of(ArgKind::kSiginfoIn), info);
  if (!still_ours()) return std::nullopt;
  if (unreadable == EPERM) {
    // A task the supervisor may not read (not dumpable, without CAP_SYS_PTRACE): what the kernel
    // would refuse whatever the siginfo says is refused; the rest cannot be sent (README, Known
    // differences).
    const QueuedSignalDecision refusal =
        decide_queued_signal(call, SI_QUEUE, tasks_.table(), kernel_);
    if (const auto* e = std::get_if<ReturnErrno>(&refusal.answer); e && !refusal.send)
      return -e->error;
  }
  if (unreadable) return -EFAULT;
  const QueuedSignalDecision decision =
      decide_queued_signal(call, info.si_code, tasks_.table(), kernel_);
  if (!decision.send) {
    if (const auto* e = std::get_if<ReturnErrno>(&decision.answer)) return -e->error;
    return std::get<ReturnValue>(decision.answer).value;
  }
  const QueuedSignal& send = *decision.send;
  // rt_sigqueueinfo() gives the siginfo the call's signal.
  info.si_signo = send.signo;
  bool sent = false;
  if (send.synthetic) {
    sent = send.real_tid ? signals_.send_synthetic_to_thread(send.real_tgid, send.real_tid, info)
                         : signals_.send_synthetic_to_process(send.real_tgid, info);
  } else if (send.real_tid) {
    // A traced thread's number is its own until the supervisor has seen it reaped.
    sent = ::syscall(SYS_rt_tgsigqueueinfo, send.real_tgid, send.real_tid, send.signo, &info) == 0;
  } else {
    // A process is named by the pidfd held for it: its number may be reaped and reused.
    const int pidfd = tasks_.leader_pidfd(send.real_tgid);
    if (pidfd < 0) return -ESRCH;
    sent = abi::pidfd_send_signal(pidfd, send.signo, &info, 0) == 0;
  }
  return sent ? 0 : -errno;
}

}  // namespace vpidbox
