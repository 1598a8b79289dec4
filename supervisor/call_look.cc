#include "supervisor/call_look.h"

#include <linux/netlink.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "supervisor/tracee.h"
#include "supervisor/unique_fd.h"
#include "translate/credentials.h"

namespace vpidbox {
namespace {

// The kernel refuses larger control buffers (optmem_max, 20 KiB by default) with ENOBUFS: what
// is not read here is not sent either.
constexpr std::uint64_t kMostControl = 1 << 20;
constexpr std::uint64_t kMostMessages = 1024;  // UIO_MAXIOV: sendmmsg() sends at most that many

MemoryRestore word_at(std::uint64_t address, std::int32_t value) {
  MemoryRestore word;
  word.address = address;
  word.bytes.resize(sizeof(value));
  std::memcpy(word.bytes.data(), &value, sizeof(value));
  return word;
}

}  // namespace

CallLook::Plan CallLook::plan(pid_t tid, const Call& call) {
  Plan plan;
  const int fd = static_cast<int>(call.arg_of(ArgKind::kFd));
  if (const std::optional<int> at = call.row->index_of(ArgKind::kMsgHdrIn)) {
    msghdr msg;
    if (!tracee::read_memory(tid, call.args[*at], &msg, sizeof(msg))) return plan;  // EFAULT
    plan_credentials(tid, msg, plan);
    plan_netlink_destination(tid, fd, msg);
  } else if (const std::optional<int> vec = call.row->index_of(ArgKind::kMmsgHdrIn)) {
    std::vector<mmsghdr> msgs(std::min<std::uint64_t>(call.args[*vec + 1], kMostMessages));
    if (!tracee::read_memory(tid, call.args[*vec], msgs.data(), msgs.size() * sizeof(mmsghdr)))
      return plan;  // the kernel's to refuse
    for (const mmsghdr& m : msgs) plan_credentials(tid, m.msg_hdr, plan);
  } else if (call.row->has(ArgKind::kSockaddrIn)) {
    plan_bind(tid, call, plan);
  }
  return plan;
}

// SCM_CREDENTIALS in a message sent: each pid becomes the real one the kernel checks.
void CallLook::plan_credentials(pid_t tid, const msghdr& msg, Plan& plan) {
  if (!msg.msg_control || msg.msg_controllen < sizeof(cmsghdr) || msg.msg_controllen > kMostControl)
    return;  // no credentials, or the kernel's to refuse
  std::vector<std::uint8_t> control(msg.msg_controllen);
  const auto control_at = reinterpret_cast<std::uint64_t>(msg.msg_control);
  if (!tracee::read_memory(tid, control_at, control.data(), control.size())) return;
  for (std::size_t offset : credential_pid_offsets(control)) {
    std::int32_t number;
    std::memcpy(&number, control.data() + offset, sizeof(number));
    const Pid real = sent_credentials_pid(table_, tid, number);
    if (real == number) continue;
    plan.writes.push_back(word_at(control_at + offset, real));
    plan.restores.push_back(word_at(control_at + offset, number));
  }
}

// A message to a netlink address on a socket not bound yet: the kernel would bind it (autobind)
// to the caller's real pid first.
void CallLook::plan_netlink_destination(pid_t tid, int fd, const msghdr& msg) {
  sa_family_t family = 0;
  if (!msg.msg_name || msg.msg_namelen < sizeof(sockaddr_nl) ||
      !tracee::read_memory(tid, reinterpret_cast<std::uint64_t>(msg.msg_name), &family,
                           sizeof(family)) ||
      family != AF_NETLINK)
    return;
  bind_for_caller(tid, fd);
}

void CallLook::plan_bind(pid_t tid, const Call& call, Plan& plan) {
  const std::uint64_t at = call.args[*call.row->index_of(ArgKind::kSockaddrIn)];
  sockaddr_nl addr;
  if (call.args[2] < sizeof(addr) || !tracee::read_memory(tid, at, &addr, sizeof(addr)) ||
      addr.nl_family != AF_NETLINK || addr.nl_pid != 0)
    return;  // not an autobind, or the kernel's to refuse
  const std::int32_t port = bind_for_caller(tid, static_cast<int>(call.arg_of(ArgKind::kFd)));
  if (port == 0) return;
  if (addr.nl_groups == 0) {
    plan.outcome = ReturnValue{0};  // the bind asked for is done
    return;
  }
  // Groups are joined with the caller's own rights: its call runs, naming the port it has now.
  if (const Task* task = table_.task(tid))
    bound_for_call_[{task->real_tgid, static_cast<int>(call.arg_of(ArgKind::kFd))}] = port;
  plan.writes.push_back(word_at(at + offsetof(sockaddr_nl, nl_pid), port));
  plan.restores.push_back(word_at(at + offsetof(sockaddr_nl, nl_pid), 0));
}

std::int32_t CallLook::bind_for_caller(pid_t tid, int fd) {
  const Task* task = table_.task(tid);
  if (!task) return 0;
  UniqueFd socket(
      static_cast<int>(::syscall(SYS_pidfd_getfd, tasks_.leader_pidfd(task->real_tgid), fd, 0)));
  if (!socket.valid()) return 0;  // pidfd_getfd refused (a seccomp policy): the kernel's port
  sockaddr_nl bound{};
  socklen_t len = sizeof(bound);
  if (::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0 ||
      bound.nl_family != AF_NETLINK)
    return 0;
  if (bound.nl_pid != 0) {
    // Bound by the supervisor for a bind() whose take-over was given up (a signal handler ran
    // first): still that call's port.
    auto it = bound_for_call_.find({task->real_tgid, fd});
    return it != bound_for_call_.end() && it->second == static_cast<std::int32_t>(bound.nl_pid)
               ? it->second
               : 0;
  }
  const std::optional<Pid> own = table_.virtual_tgid(tid);
  if (!own) return 0;
  sockaddr_nl want{};
  want.nl_family = AF_NETLINK;
  want.nl_pid = static_cast<std::uint32_t>(*own);
  for (int attempt = 0; attempt < 64; ++attempt) {
    if (::bind(socket.get(), reinterpret_cast<sockaddr*>(&want), sizeof(want)) == 0)
      return static_cast<std::int32_t>(want.nl_pid);
    if (errno != EADDRINUSE) return 0;
    // Taken: a negative number, from a random start downwards, as the kernel's autobind does.
    if (rover_ == -4096) {
      std::uint32_t random = 0;
      if (::getrandom(&random, sizeof(random), 0) != sizeof(random)) random = 0;
      rover_ = INT_MIN + static_cast<std::int32_t>(random % (-4096u - 0x80000000u));
    } else if (rover_ >= -4096) {
      rover_ = -4097;
    }
    want.nl_pid = static_cast<std::uint32_t>(rover_--);
  }
  return 0;
}

bool CallLook::apply(pid_t tid, const std::vector<MemoryRestore>& writes) {
  for (const MemoryRestore& w : writes)
    if (!tracee::write_memory_forced(tid, w.address, w.bytes.data(), w.bytes.size())) return false;
  return true;
}

void CallLook::serve(UnotifyChannel& channel, const seccomp_notif& req, const Call& call) {
  const auto tid = static_cast<pid_t>(req.pid);
  if (auto it = taken_.find(tid); it != taken_.end() && it->second.stage == Stage::kNotification) {
    // The call taken over, its memory written at its entry stop: it may run now.
    it->second.stage = Stage::kExit;
    channel.answer_continue(req.id);
    return;
  }
  Plan decided = plan(tid, call);
  if (std::holds_alternative<Continue>(decided.outcome) && decided.writes.empty()) {
    channel.answer_continue(req.id);  // the common case: nothing read is acted on
    return;
  }
  // Whatever was read belongs to the caller only while its notification is pending.
  if (!channel.still_pending(req.id)) return;
  if (const auto* v = std::get_if<ReturnValue>(&decided.outcome)) {
    channel.answer_value(req.id, v->value);
  } else if (const auto* e = std::get_if<ReturnErrno>(&decided.outcome)) {
    channel.answer_errno(req.id, e->error);
  } else if (decided.writes.empty()) {
    channel.answer_continue(req.id);
  } else if (table_.tracer_of(tid) != 0) {
    // Its stops are a tracer's inside the box (supervisor/emulated_ptrace.h), which a take-over
    // would steal: the call runs as the caller made it.
    channel.answer_continue(req.id);
  } else {
    // The kernel must read other numbers than the caller's: only ptrace can change them for this
    // call and put them back after it. The interrupt ends the notification (its call restarts).
    taken_[tid] = Taken{Stage::kInterrupting, req.data.nr, std::move(decided)};
    ::ptrace(PTRACE_INTERRUPT, tid, 0, 0);
  }
}

void CallLook::at_seccomp_stop(pid_t tid, const Call& call, Outcome& outcome, PendingExit& pending,
                               bool& stop_at_exit) {
  Plan decided = plan(tid, call);
  bound_for_call_.clear();  // nothing comes between this look and the call
  if (!std::holds_alternative<Continue>(decided.outcome)) {
    outcome = decided.outcome;
    return;
  }
  if (decided.writes.empty()) return;
  if (!apply(tid, decided.writes)) {
    apply(tid, decided.restores);
    outcome = ReturnErrno{EFAULT};  // the caller's numbers must not reach the kernel as they are
    return;
  }
  for (MemoryRestore& r : decided.restores) pending.surface.restores.push_back(std::move(r));
  stop_at_exit = true;
}

bool CallLook::wants_syscall_stops(pid_t tid) const {
  auto it = taken_.find(tid);
  return it != taken_.end() && it->second.stage != Stage::kInterrupting;
}

bool CallLook::on_stop(pid_t tid, int status) {
  auto it = taken_.find(tid);
  if (it == taken_.end()) return false;
  Taken& taken = it->second;
  const int signo = WSTOPSIG(status);
  if (taken.stage == Stage::kInterrupting) {
    // The interrupt's stop (another stop, a signal's, comes first: it is the route's).
    if (status >> 16 != PTRACE_EVENT_STOP || signo != SIGTRAP) return false;
    taken.stage = Stage::kEntry;
    ::ptrace(PTRACE_SYSCALL, tid, 0, 0);  // the call restarts: its entry stop
    return true;
  }
  if (signo != (SIGTRAP | 0x80)) return false;
  if (taken.stage == Stage::kEntry) {
    user_regs_struct regs;
    // Another call first (a signal handler ran): the look starts again at its notification.
    if (!tracee::get_regs(tid, regs) || static_cast<long>(regs.orig_rax) != taken.nr) {
      taken_.erase(it);
      ::ptrace(PTRACE_CONT, tid, 0, 0);
      return true;
    }
    if (!apply(tid, taken.plan.writes)) {
      // The caller's numbers must not reach the kernel as they are: the call fails.
      apply(tid, taken.plan.restores);
      regs.orig_rax = static_cast<unsigned long long>(-1);
      regs.rax = static_cast<unsigned long long>(-EFAULT);
      tracee::set_regs(tid, regs);
      taken_.erase(it);
      ::ptrace(PTRACE_CONT, tid, 0, 0);
      return true;
    }
    taken.stage = Stage::kNotification;
    ::ptrace(PTRACE_SYSCALL, tid, 0, 0);
    return true;
  }
  // Its exit (with or without the notification: a filter of the program's own may have failed
  // the call first). A restarted call is looked at anew at its own notification.
  apply(tid, taken.plan.restores);
  if (const Task* task = table_.task(tid); task && taken.nr == SYS_bind)
    std::erase_if(bound_for_call_, [&](const auto& e) { return e.first.first == task->real_tgid; });
  taken_.erase(it);
  ::ptrace(PTRACE_CONT, tid, 0, 0);
  return true;
}

}  // namespace vpidbox
