#include <doctest/doctest.h>
#include <sys/syscall.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <map>
#include <set>
#include <utility>

#include "translate/queued_signals.h"

using namespace vpidbox;

namespace {

// Sessions and credentials as plain data; init (500) handles SIGUSR1 only.
struct QueueKernel final : KernelView {
  std::map<Pid, Pid> sid;
  std::set<std::pair<Pid, Pid>> denied;  // (sender, target) whose ids do not match
  RealOrErrno parent_of(Pid) override { return {0, ESRCH}; }
  RealOrErrno pgid_of(Pid) override { return {0, ESRCH}; }
  RealOrErrno sid_of(Pid tid) override {
    auto it = sid.find(tid);
    return it == sid.end() ? RealOrErrno{0, ESRCH} : RealOrErrno{it->second, 0};
  }
  RealOrErrno pidfd_target(Pid, int) override { return {0, EBADF}; }
  bool catches_or_blocks(Pid tgid, int signo) override { return tgid == 500 && signo == SIGUSR1; }
  bool may_signal(Pid sender, Pid target) override { return !denied.contains({sender, target}); }
  std::set<std::pair<Pid, int>> ignored;  // (process, signal) it ignores
  bool ignores(Pid tgid, int signo) override { return ignored.contains({tgid, signo}); }
};

// init (real 500, 1), a process 2 (real 510) with a thread 3 (real 511), and 4 (real 520) of
// another user, in another session.
struct Box {
  ProcessTable table{32768};
  QueueKernel kernel;
  Box() {
    table.add_task(500, 500);
    table.add_task(510, 510);
    table.add_task(511, 510);
    table.add_task(520, 520);
    kernel.sid = {{500, 400}, {510, 400}, {511, 400}, {520, 520}};
    for (Pid sender : {500, 510, 511}) kernel.denied.insert({sender, 520});
    for (Pid target : {500, 510, 511}) kernel.denied.insert({520, target});
  }
};

std::uint64_t arg(Pid p) {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(p));
}

constexpr int kSiQueue = -1;
constexpr int kSiTkill = -6;
constexpr std::uint64_t kInfo = 0x1000;  // the siginfo's address: read by the route

QueuedSignalDecision queue(Box& box, Pid caller, Pid pid, int signo, int code) {
  Call call{caller, find_syscall(SYS_rt_sigqueueinfo), {arg(pid), arg(signo), kInfo}};
  return decide_queued_signal(call, code, box.table, box.kernel);
}
QueuedSignalDecision queue_thread(Box& box, Pid caller, Pid tgid, Pid tid, int signo, int code) {
  Call call{caller, find_syscall(SYS_rt_tgsigqueueinfo), {arg(tgid), arg(tid), arg(signo), kInfo}};
  return decide_queued_signal(call, code, box.table, box.kernel);
}

// The errno of a decision that sends nothing (and, for kill, does no act): 0 for a success.
template <class Decision>
int error_of(const Decision& d) {
  REQUIRE_FALSE(d.send.has_value());
  if constexpr (requires { d.act; }) REQUIRE_FALSE(d.act.has_value());
  if (const auto* e = std::get_if<ReturnErrno>(&d.answer)) return e->error;
  return 0;
}

}  // namespace

TEST_CASE("sigqueue(): sent by the supervisor with the caller's siginfo, to the real process") {
  Box box;
  QueuedSignalDecision d = queue(box, 500, 2, SIGUSR1, kSiQueue);
  REQUIRE(d.send.has_value());
  CHECK(d.send->real_tgid == 510);
  CHECK(d.send->real_tid == 0);
  CHECK(d.send->signo == SIGUSR1);
  CHECK_FALSE(d.send->synthetic);
  // A thread's number names its process.
  d = queue(box, 500, 3, SIGUSR2, kSiQueue);
  REQUIRE(d.send.has_value());
  CHECK(d.send->real_tgid == 510);
  // To oneself.
  d = queue(box, 510, 2, SIGUSR2, kSiQueue);
  REQUIRE(d.send.has_value());
  CHECK(d.send->real_tgid == 510);
}

TEST_CASE("sigqueue(): the kernel's checks, in the kernel's order") {
  Box box;
  // A code of the kernel's, or SI_TKILL, only to oneself: EPERM first, whatever the target.
  CHECK(error_of(queue(box, 500, 2, SIGUSR1, SI_USER)) == EPERM);
  CHECK(error_of(queue(box, 500, 2, SIGUSR1, kSiTkill)) == EPERM);
  CHECK(error_of(queue(box, 500, 77, 999, 1)) == EPERM);
  CHECK(error_of(queue(box, 500, 0, SIGUSR1, SI_USER)) == EPERM);
  // Then the target, then the signal's range, then the credentials.
  CHECK(error_of(queue(box, 500, 77, SIGUSR1, kSiQueue)) == ESRCH);
  CHECK(error_of(queue(box, 500, 500, SIGUSR1, kSiQueue)) == ESRCH);  // a real pid
  CHECK(error_of(queue(box, 500, 0, SIGUSR1, kSiQueue)) == ESRCH);
  CHECK(error_of(queue(box, 500, INT_MIN, SIGUSR1, kSiQueue)) == ESRCH);
  CHECK(error_of(queue(box, 500, 2, 999, kSiQueue)) == EINVAL);
  CHECK(error_of(queue(box, 500, 2, -1, kSiQueue)) == EINVAL);
  CHECK(error_of(queue(box, 510, 4, 999, kSiQueue)) == EINVAL);  // before the credentials
  CHECK(error_of(queue(box, 510, 4, SIGUSR1, kSiQueue)) == EPERM);
  // SIGCONT within one's session whatever the ids; 4 is in another.
  box.kernel.sid[520] = 400;
  CHECK(queue(box, 510, 4, SIGCONT, kSiQueue).send.has_value());
  box.kernel.sid[520] = 520;
  CHECK(error_of(queue(box, 510, 4, SIGCONT, kSiQueue)) == EPERM);
  // Signal 0 checks and sends nothing.
  CHECK(error_of(queue(box, 500, 2, 0, kSiQueue)) == 0);
  CHECK(error_of(queue(box, 510, 4, 0, kSiQueue)) == EPERM);
}

TEST_CASE("sigqueue(): a forged code to oneself goes as a synthetic signal") {
  Box box;
  QueuedSignalDecision d = queue(box, 510, 2, SIGUSR1, SI_USER);
  REQUIRE(d.send.has_value());
  CHECK(d.send->synthetic);
  // The kernel compares the number with the calling thread's: from thread 3, the process's
  // number is not its own.
  CHECK(error_of(queue(box, 511, 2, SIGUSR1, SI_USER)) == EPERM);
  CHECK(queue(box, 511, 3, SIGUSR1, SI_USER).send.has_value());
}

TEST_CASE("sigqueue() to init: what it neither handles nor blocks is discarded after the checks") {
  Box box;
  CHECK(error_of(queue(box, 510, 1, SIGTERM, kSiQueue)) == 0);
  CHECK(error_of(queue(box, 510, 1, SIGKILL, kSiQueue)) == 0);
  CHECK(error_of(queue(box, 510, 1, SIGSTOP, kSiQueue)) == 0);
  CHECK(error_of(queue(box, 520, 1, SIGTERM, kSiQueue)) == EPERM);
  CHECK(error_of(queue(box, 510, 1, 999, kSiQueue)) == EINVAL);
  QueuedSignalDecision d = queue(box, 510, 1, SIGUSR1, kSiQueue);  // init handles it
  REQUIRE(d.send.has_value());
  CHECK(d.send->real_tgid == 500);
  CHECK(error_of(queue(box, 500, 1, SIGTERM, kSiQueue)) == 0);  // init to itself, too
}

TEST_CASE("rt_tgsigqueueinfo(): one thread, named as tkill and tgkill name it") {
  Box box;
  QueuedSignalDecision d = queue_thread(box, 500, 2, 3, SIGUSR1, kSiQueue);
  REQUIRE(d.send.has_value());
  CHECK(d.send->real_tgid == 510);
  CHECK(d.send->real_tid == 511);
  // pthread_sigqueue(): getpid() and glibc's cached, real, tid; SI_TKILL to oneself is one's own.
  d = queue_thread(box, 511, 2, 511, SIGUSR1, kSiTkill);
  REQUIRE(d.send.has_value());
  CHECK(d.send->real_tid == 511);
  CHECK(d.send->synthetic);
  CHECK(error_of(queue_thread(box, 510, 2, 3, SIGUSR1, kSiTkill)) == EPERM);
  CHECK(error_of(queue_thread(box, 500, 0, 3, SIGUSR1, kSiQueue)) == EINVAL);
  CHECK(error_of(queue_thread(box, 500, 2, 0, SIGUSR1, kSiQueue)) == EINVAL);
  CHECK(error_of(queue_thread(box, 500, 2, -1, SIGUSR1, SI_USER)) == EINVAL);  // before EPERM
  CHECK(error_of(queue_thread(box, 500, 1, 3, SIGUSR1, kSiQueue)) == ESRCH);   // not init's
  CHECK(error_of(queue_thread(box, 500, 2, 77, SIGUSR1, kSiQueue)) == ESRCH);
  CHECK(error_of(queue_thread(box, 510, 4, 4, SIGUSR1, kSiQueue)) == EPERM);
  CHECK(error_of(queue_thread(box, 500, 2, 3, 999, kSiQueue)) == EINVAL);
}

TEST_CASE("a nested level: its own numbers, its own init") {
  Box box;
  const std::optional<LevelId> nested = box.table.create_level(kTopLevel);
  REQUIRE(nested);
  box.table.add_task(600, 600, *nested);  // 1 there, 5 at the top
  box.table.add_task(610, 610, *nested);  // 2 there, 6 at the top
  box.kernel.sid[600] = 400;
  box.kernel.sid[610] = 400;
  QueuedSignalDecision d = queue(box, 610, 1, SIGUSR2, kSiQueue);
  // The nested init neither handles nor blocks SIGUSR2: discarded from inside its level...
  CHECK(error_of(d) == 0);
  // ...but not from the level above, which it is no init of.
  d = queue(box, 510, 5, SIGUSR2, kSiQueue);
  REQUIRE(d.send.has_value());
  CHECK(d.send->real_tgid == 600);
  CHECK(error_of(queue(box, 610, 5, SIGUSR2, kSiQueue)) == ESRCH);
}

namespace {

KillDecision kill_from(Box& box, Pid caller, Pid pid, int signo, std::set<Pid> traced = {}) {
  Call call{caller, find_syscall(SYS_kill, {arg(pid), arg(signo)}), {arg(pid), arg(signo)}};
  REQUIRE(call.row != nullptr);
  return decide_kill(call, box.table, box.kernel, [&](Pid tid) { return traced.contains(tid); });
}

}  // namespace

TEST_CASE("kill() with a signal: sent as the caller, to the process the number names") {
  Box box;
  KillDecision d = kill_from(box, 500, 2, SIGUSR1);
  REQUIRE(d.send.has_value());
  CHECK(d.send->real_tgid == 510);
  CHECK(d.send->named_tid == 510);
  CHECK(d.send->signo == SIGUSR1);
  // A thread's number: its process, that thread preferred.
  d = kill_from(box, 500, 3, SIGTERM);
  REQUIRE(d.send.has_value());
  CHECK(d.send->real_tgid == 510);
  CHECK(d.send->named_tid == 511);
  // kill(-1) is the box's act.
  d = kill_from(box, 510, -1, SIGUSR1);
  REQUIRE(d.act.has_value());
  CHECK(std::holds_alternative<SignalBox>(*d.act));
}

TEST_CASE("kill() with a signal: ESRCH for what the box does not number, then the credentials") {
  Box box;
  CHECK(error_of(kill_from(box, 500, 77, SIGUSR1)) == ESRCH);
  CHECK(error_of(kill_from(box, 500, 510, SIGUSR1)) == ESRCH);  // a real pid
  CHECK(error_of(kill_from(box, 500, INT_MIN, SIGUSR1)) == ESRCH);
  CHECK(error_of(kill_from(box, 510, 4, SIGUSR1)) == EPERM);
  CHECK(error_of(kill_from(box, 520, 2, SIGTERM)) == EPERM);
  // SIGCONT within one's session whatever the ids.
  box.kernel.sid[520] = 400;
  CHECK(kill_from(box, 510, 4, SIGCONT).send.has_value());
  box.kernel.sid[520] = 520;
  CHECK(error_of(kill_from(box, 510, 4, SIGCONT)) == EPERM);
  // One's own thread group whatever the ids.
  box.kernel.denied.insert({511, 510});
  CHECK(kill_from(box, 511, 2, SIGUSR2).send.has_value());
}

TEST_CASE("kill() to init from inside: what it neither handles nor blocks is discarded") {
  Box box;
  CHECK(error_of(kill_from(box, 510, 1, SIGTERM)) == 0);
  CHECK(error_of(kill_from(box, 510, 1, SIGKILL)) == 0);
  CHECK(error_of(kill_from(box, 520, 1, SIGTERM)) == EPERM);
  KillDecision d = kill_from(box, 510, 1, SIGUSR1);  // init handles it
  REQUIRE(d.send.has_value());
  CHECK(d.send->real_tgid == 500);
}

TEST_CASE("kill() of an ignored signal is discarded, unless a tracer inside sees it") {
  Box box;
  box.kernel.ignored = {{510, SIGUSR2}, {510, SIGCONT}, {510, SIGTSTP}};
  CHECK(error_of(kill_from(box, 500, 2, SIGUSR2)) == 0);
  CHECK(error_of(kill_from(box, 510, 2, SIGUSR2)) == 0);  // to oneself
  // Still the credentials first.
  box.kernel.ignored.insert({520, SIGUSR2});
  CHECK(error_of(kill_from(box, 510, 4, SIGUSR2)) == EPERM);
  // Traced inside: the tracer sees even an ignored signal.
  CHECK(kill_from(box, 500, 2, SIGUSR2, {510}).send.has_value());
  CHECK(kill_from(box, 500, 3, SIGUSR2, {511}).send.has_value());
  // SIGCONT resumes and a stop signal flushes SIGCONT even when ignored: sent.
  CHECK(kill_from(box, 500, 2, SIGCONT).send.has_value());
  CHECK(kill_from(box, 500, 2, SIGTSTP).send.has_value());
  CHECK(kill_from(box, 500, 2, SIGUSR1).send.has_value());
  CHECK_FALSE(discards_when_ignored(SIGKILL));
  CHECK(discards_when_ignored(SIGCHLD));
}
