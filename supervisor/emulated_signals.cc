#include "supervisor/emulated_signals.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "supervisor/kernel_abi.h"
#include "supervisor/kernel_facts.h"
#include "translate/signal_rules.h"

namespace vpidbox {
namespace {

constexpr int kFirstRealtimeSignal = 32;  // the kernel's SIGRTMIN (glibc keeps two for itself)

}  // namespace

std::int64_t EmulatedSignals::signal_whole_box(pid_t caller, int signo) {
  // kill(-1) from inside a pid namespace reaches every process the namespace sees (those of
  // namespaces nested in it too) except its init and the caller's own thread group
  // (kernel/signal.c kill_something_info: every process whose number there is above 1).
  const ProcessTable& table = tasks_.table();
  const Task* me = table.task(caller);
  const std::optional<TaskUids> sender = kernel_.uids_of(caller);
  if (!me || !sender) return -ESRCH;
  const std::optional<Pid> init = table.init_of(me->level);
  int count = 0;
  std::int64_t result = 0;
  tasks_.for_each_process([&](Pid tgid, TracedTask& traced) {
    const Task* member = table.task(tgid);
    if (!member || !table.sees(me->level, member->level)) return;
    if (tgid == init || tgid == me->real_tgid) return;
    ++count;
    // EPERM does not count, as in kill().
    if (!kernel_.may_send(caller, tgid, signo)) return;
    result = send_as(me->real_tgid, sender->ruid, traced, tgid, signo) ? 0 : -errno;
  });
  return count ? result : -ESRCH;
}

std::int64_t EmulatedSignals::signal_group(pid_t caller, Pid real_pgid, int signo) {
  // Only the members the caller's level sees are reached: a group made outside the box (the one
  // vpidbox was started in) may hold the host's processes, which the box must not signal, and
  // one made in an outer level its outer processes.
  const ProcessTable& table = tasks_.table();
  const Task* me = table.task(caller);
  const std::optional<TaskUids> sender = kernel_.uids_of(caller);
  if (!me || !sender) return -ESRCH;
  const std::optional<Pid> init = table.init_of(me->level);
  GroupSignalResult result;
  tasks_.for_each_process([&](Pid tgid, TracedTask& traced) {
    const Task* member = table.task(tgid);
    if (!member || !table.sees(me->level, member->level)) return;
    if (::getpgid(tgid) != real_pgid) return;
    if (tgid == init && (signo == SIGKILL || signo == SIGSTOP)) {
      result.delivered();  // init ignores them from inside, and the call still succeeds
      return;
    }
    if (!kernel_.may_send(caller, tgid, signo)) {
      result.failed(EPERM);
      return;
    }
    if (send_as(me->real_tgid, sender->ruid, traced, tgid, signo))
      result.delivered();
    else
      result.failed(errno);
  });
  return result.result();
}

bool EmulatedSignals::sent_by_supervisor(int code, Pid sender) const {
  return (code == SI_USER || code == SI_TKILL) && sender == supervisor_pid_;
}

bool EmulatedSignals::send_synthetic_to_thread(Pid tgid, Pid tid, const siginfo_t& info) {
  synthetic_[{tid, info.si_signo}] = info;
  return ::syscall(SYS_tgkill, tgid, tid, info.si_signo) == 0;
}

bool EmulatedSignals::send_synthetic_to_process(Pid tgid, const siginfo_t& info) {
  synthetic_[{tgid, info.si_signo}] = info;
  return abi::pidfd_send_signal(tasks_.leader_pidfd(tgid), info.si_signo, nullptr, 0) == 0;
}

std::optional<siginfo_t> EmulatedSignals::take_synthetic(Pid tid, Pid tgid, int signo) {
  for (Pid receiver : {tid, tgid}) {
    auto it = synthetic_.find({receiver, signo});
    if (it == synthetic_.end()) continue;
    const siginfo_t info = it->second;
    synthetic_.erase(it);
    return info;
  }
  return std::nullopt;
}

std::optional<EmulatedSender> EmulatedSignals::take_sender(Pid receiver_tgid, int signo) {
  auto it = senders_.find({receiver_tgid, signo});
  if (it == senders_.end()) return std::nullopt;
  const EmulatedSender sender = it->second.front();
  it->second.pop_front();
  if (it->second.empty()) senders_.erase(it);
  return sender;
}

std::optional<EmulatedSender> EmulatedSignals::peek_sender(Pid receiver_tgid, int signo,
                                                           std::size_t index) const {
  auto it = senders_.find({receiver_tgid, signo});
  if (it == senders_.end() || index >= it->second.size()) return std::nullopt;
  return it->second[index];
}

void EmulatedSignals::remember_sender(Pid sender_tgid, uid_t sender_uid, Pid target_tgid,
                                      int signo) {
  // SIGKILL has no delivery stop at which to name the sender.
  if (signo == SIGKILL) return;
  const ProcessTable& table = tasks_.table();
  const Pid vpid = table.to_virtual(sender_tgid, table.level_of(target_tgid)).value_or(0);
  std::deque<EmulatedSender>& queue = senders_[{target_tgid, signo}];
  if (signo < kFirstRealtimeSignal) queue.clear();
  queue.push_back(EmulatedSender{vpid, sender_uid});
}

bool EmulatedSignals::send_kill(Pid sender_tgid, uid_t sender_uid, Pid target_tgid, Pid named_tid,
                                int signo) {
  remember_sender(sender_tgid, sender_uid, target_tgid, signo);
  if (named_tid == target_tgid)
    return abi::pidfd_send_signal(tasks_.leader_pidfd(target_tgid), signo, nullptr, 0) == 0;
  // A thread of the process was named: kill() of its number prefers it for delivery, as the
  // caller's kill() would. A traced thread's number is its own until the supervisor has seen it
  // reaped.
  return ::kill(named_tid, signo) == 0;
}

void EmulatedSignals::forget_receiver(Pid tgid) {
  senders_.erase(senders_.lower_bound({tgid, 0}), senders_.lower_bound({tgid + 1, 0}));
  for (auto it = synthetic_.lower_bound({tgid, 0});
       it != synthetic_.end() && it->first.first == tgid;)
    it = synthetic_.erase(it);
}

bool EmulatedSignals::send_as(Pid sender_tgid, uid_t sender_uid, TracedTask& target,
                              Pid target_tgid, int signo) {
  if (signo == 0) return true;
  remember_sender(sender_tgid, sender_uid, target_tgid, signo);
  return abi::pidfd_send_signal(target.pidfd.get(), signo, nullptr, 0) == 0;
}

}  // namespace vpidbox
