#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <string>
#include <tuple>

#include "translate/rules.h"
#include "translate/signal_rules.h"

using namespace vpidbox;

namespace {

// The group a decision signals (SignalGroup), if any.
std::optional<Pid> group_signalled(const EntryDecision& d) {
  const auto* group = std::get_if<SignalGroup>(&d.outcome);
  return group ? std::optional<Pid>(group->real_pgid) : std::nullopt;
}
bool box_signalled(const EntryDecision& d) {
  return std::holds_alternative<SignalBox>(d.outcome);
}
// The signal a reboot ends the box as (EndBox), or 0.
int end_signal(const EntryDecision& d) {
  return std::holds_alternative<EndBox>(d.outcome) ? std::get<EndBox>(d.outcome).as_signal : 0;
}

struct NoKernel final : KernelView {
  RealOrErrno parent_of(Pid) override { return {0, ESRCH}; }
  RealOrErrno pgid_of(Pid) override { return {0, ESRCH}; }
  RealOrErrno sid_of(Pid) override { return {0, ESRCH}; }
  RealOrErrno pidfd_target(Pid, int fd) override { return {fd == 7 ? 500 : 510, 0}; }
  bool catches_or_blocks(Pid, int signo) override { return signo == SIGUSR1; }
};

// init (real 500), a child (real 510) with a thread (real 511), and a process group whose
// leader (real 520) has exited: its number 4 stays held.
struct Box {
  ProcessTable table{32768};
  NoKernel kernel;
  Box() {
    table.add_task(500, 500);
    table.add_task(510, 510);
    table.add_task(511, 510);
    table.add_task(520, 520);
    table.remove(520, {520});
  }
};

std::uint64_t arg(Pid p) {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(p));
}

Call make_call(const char* name, Pid caller, std::array<std::uint64_t, 6> args) {
  Call call;
  call.real_tid = caller;
  call.row = find_syscall(name);
  REQUIRE(call.row != nullptr);
  call.args = args;
  return call;
}

// The arguments that make a selector-dependent pid argument mean "a process".
std::array<std::uint64_t, 6> selecting_a_process(const SyscallRow& row) {
  std::array<std::uint64_t, 6> args{};
  if (const std::optional<int> idtype = row.index_of(ArgKind::kIdType)) args[*idtype] = P_PID;
  if (const std::optional<int> which = row.index_of(ArgKind::kWhich))
    args[*which] = row.has(ArgKind::kPrioWho) ? PRIO_PROCESS : 1;  // IOPRIO_WHO_PROCESS
  return args;
}

// Whether a signal to init is discarded as the kernel discards it: the call runs with signal 0,
// so that the kernel still checks permission, the siginfo and flags, and sends nothing.
bool sent_as_signal_zero(const EntryDecision& d, int signal_index) {
  return std::holds_alternative<Continue>(d.outcome) && d.args_changed && d.args[signal_index] == 0;
}

bool is_group_kind(ArgKind kind) {
  return kind == ArgKind::kSetpgidGroup;
}

}  // namespace

TEST_CASE("every pid argument of the ptrace route: box numbers become real, others nothing") {
  for (const SyscallRow& row : syscall_table()) {
    if (row.route != Route::kTrace) continue;
    for (int i = 0; i < row.arg_count(); ++i) {
      const ArgKind kind = row.args[i];
      // Pids passed in memory or through a pidfd, and flags, are tested below.
      if (!carries_pid(kind) || is_memory_pid_in(kind) || is_memory_pid_out(kind)) continue;
      INFO(std::string(row.name) << " argument " << i);
      Box box;
      std::array<std::uint64_t, 6> args = selecting_a_process(row);
      // A box number, 2 (the child; for a group argument, 4: the held group)...
      args[i] = arg(is_group_kind(kind) ? 4 : 2);
      EntryDecision d = decide_entry(Call{510, &row, args}, box.table, box.kernel);
      CHECK(std::holds_alternative<Continue>(d.outcome));
      CHECK(static_cast<Pid>(d.args[i]) == (is_group_kind(kind) ? 520 : 510));
      // ...and numbers that name nothing in the box, unused or a real pid of the host: the
      // kernel gets a number that names nothing, and fails the call in its own order.
      for (Pid outside : {77, 500}) {
        args[i] = arg(outside);
        d = decide_entry(Call{510, &row, args}, box.table, box.kernel);
        REQUIRE(std::holds_alternative<Continue>(d.outcome));
        CHECK(static_cast<Pid>(d.args[i]) == kNoSuchPid);
        CHECK(d.args_changed);
      }
    }
  }
}

TEST_CASE("the kernel checks descriptors, flags and pointers before a pid: numbers it reads") {
  Box box;
  auto entry = [&](const char* name, std::array<std::uint64_t, 6> args) {
    EntryDecision d = decide_entry(make_call(name, 510, args), box.table, box.kernel);
    REQUIRE(std::holds_alternative<Continue>(d.outcome));
    return d;
  };
  // Negative or zero numbers it refuses itself (EINVAL) pass as they are...
  CHECK_FALSE(entry("waitid", {P_PID, 0, 0, WEXITED, 0}).args_changed);
  CHECK_FALSE(entry("waitid", {P_PGID, arg(-3), 0, WEXITED, 0}).args_changed);
  CHECK_FALSE(entry("sched_getscheduler", {arg(-5)}).args_changed);
  CHECK_FALSE(entry("getpriority", {PRIO_PROCESS, arg(-5)}).args_changed);
  CHECK_FALSE(entry("getpriority", {7, 2}).args_changed);  // a bad `which`: EINVAL
  CHECK_FALSE(entry("tkill", {0, SIGUSR1}).args_changed);
  CHECK_FALSE(entry("kill", {arg(INT_MIN), SIGUSR1}).args_changed);
  CHECK_FALSE(entry("wait4", {arg(INT_MIN), 0, 0, 0}).args_changed);
  // ...groups that name nothing keep their sign, and are never emulated...
  EntryDecision d = entry("kill", {arg(-77), 999});
  CHECK(static_cast<Pid>(d.args[0]) == -kNoSuchPid);
  CHECK_FALSE(group_signalled(d).has_value());
  CHECK(static_cast<Pid>(entry("wait4", {arg(-77), 0, 0, 0}).args[0]) == -kNoSuchPid);
  CHECK(static_cast<Pid>(entry("setpgid", {0, 77}).args[1]) == kNoSuchPid);
  // ...and a real tid of another thread group is not the caller's own: it names nothing.
  CHECK(static_cast<Pid>(entry("tkill", {arg(511), SIGUSR1}).args[0]) == 511);
  d = decide_entry(make_call("tkill", 500, {arg(511), SIGUSR1}), box.table, box.kernel);
  CHECK(static_cast<Pid>(d.args[0]) == kNoSuchPid);
}

TEST_CASE("thread arguments accept a real tid of the caller's own thread group") {
  Box box;
  // glibc's pthread_kill: tgkill(getpid(), pd->tid) with pd->tid real.
  Call call = make_call("tgkill", 510, {arg(2), arg(511), SIGUSR1});
  EntryDecision d = decide_entry(call, box.table, box.kernel);
  CHECK(static_cast<Pid>(d.args[0]) == 510);
  CHECK(static_cast<Pid>(d.args[1]) == 511);
  // The same real number from another thread group is not its own: it is read as virtual.
  call = make_call("tkill", 500, {arg(511), SIGUSR1});
  d = decide_entry(call, box.table, box.kernel);
  CHECK(static_cast<Pid>(d.args[0]) == kNoSuchPid);
  // A virtual tid works from anywhere in the box.
  call = make_call("tkill", 500, {arg(3), SIGUSR1});
  d = decide_entry(call, box.table, box.kernel);
  CHECK(static_cast<Pid>(d.args[0]) == 511);
}

TEST_CASE("kill: own group, every process, process groups and init") {
  Box box;
  // kill(0) and kill(-pgid) are emulated over the box's members of the group, so that members
  // outside the box (the group vpidbox was started in) are never reached.
  struct GroupKernel final : KernelView {
    RealOrErrno parent_of(Pid) override { return {0, ESRCH}; }
    RealOrErrno pgid_of(Pid) override { return {400, 0}; }
    RealOrErrno sid_of(Pid) override { return {400, 0}; }
    RealOrErrno pidfd_target(Pid, int) override { return {0, EBADF}; }
    bool catches_or_blocks(Pid, int) override { return true; }
  } kernel;
  EntryDecision d = decide_entry(make_call("kill", 510, {0, SIGTERM}), box.table, kernel);
  CHECK(group_signalled(d) == 400);
  CHECK(std::get<SignalGroup>(d.outcome).signo == SIGTERM);
  d = decide_entry(make_call("kill", 510, {arg(-1), SIGTERM}), box.table, box.kernel);
  CHECK(box_signalled(d));
  d = decide_entry(make_call("kill", 510, {arg(-4), SIGTERM}), box.table, box.kernel);
  CHECK(group_signalled(d) == 520);
  d = decide_entry(make_call("kill", 510, {arg(-77), SIGTERM}), box.table, box.kernel);
  CHECK_FALSE(group_signalled(d).has_value());  // no such group: the kernel says ESRCH
  CHECK(static_cast<Pid>(d.args[0]) == -kNoSuchPid);
  // init cannot be killed or stopped from inside, and kill() still succeeds.
  d = decide_entry(make_call("kill", 510, {arg(1), SIGKILL}), box.table, box.kernel);
  CHECK(sent_as_signal_zero(d, 1));
  d = decide_entry(make_call("kill", 510, {arg(1), SIGTERM}), box.table, box.kernel);
  CHECK(static_cast<Pid>(d.args[0]) == 500);
  // An invalid signal is the kernel's to refuse (EINVAL), to init too.
  d = decide_entry(make_call("kill", 510, {arg(1), 999}), box.table, box.kernel);
  CHECK(d.args[1] == 999);
}

TEST_CASE("wait4 and setsid stop at exit; their results read as virtual numbers") {
  Box box;
  EntryDecision d =
      decide_entry(make_call("wait4", 500, {arg(-1), 0, 0, 0}), box.table, box.kernel);
  CHECK(d.stop_at_exit);
  CHECK_FALSE(d.args_changed);
  CHECK(translate_result(*find_syscall("wait4"), 510, box.table, kTopLevel) == 2);
  CHECK(translate_result(*find_syscall("wait4"), 0, box.table, kTopLevel) == 0);  // WNOHANG
  CHECK(translate_result(*find_syscall("wait4"), -ECHILD, box.table, kTopLevel) == -ECHILD);
  CHECK(translate_result(*find_syscall("setsid"), 510, box.table, kTopLevel) == 2);
  d = decide_entry(make_call("setsid", 510, {}), box.table, box.kernel);
  CHECK(d.stop_at_exit);
}

TEST_CASE("a child reaped and swept before wait4's exit stop still reads as its number") {
  Box box;
  box.table.mark_exited(510);
  box.table.remove(511, {});
  box.table.remove(510, {});
  CHECK(translate_result(*find_syscall("wait4"), 510, box.table, kTopLevel) == 2);
}

TEST_CASE("waitid: P_ALL and P_PIDFD pass, P_PGID 0 means the caller's group") {
  Box box;
  EntryDecision d =
      decide_entry(make_call("waitid", 500, {P_ALL, 0, 0, WEXITED, 0}), box.table, box.kernel);
  CHECK_FALSE(d.args_changed);
  CHECK(d.stop_at_exit);
  d = decide_entry(make_call("waitid", 500, {P_PGID, 0, 0, WEXITED, 0}), box.table, box.kernel);
  CHECK_FALSE(d.args_changed);
  d = decide_entry(make_call("waitid", 500, {P_PIDFD, 3, 0, WEXITED, 0}), box.table, box.kernel);
  CHECK_FALSE(d.args_changed);
}

TEST_CASE("pidfd_open names a process, or a thread with PIDFD_THREAD") {
  Box box;
  EntryDecision d = decide_entry(make_call("pidfd_open", 500, {arg(3), 0}), box.table, box.kernel);
  CHECK(static_cast<Pid>(d.args[0]) == 511);  // the kernel says EINVAL for a non-leader
  d = decide_entry(make_call("pidfd_open", 510, {arg(511), 0200}), box.table, box.kernel);
  CHECK(static_cast<Pid>(d.args[0]) == 511);
}

TEST_CASE("the ptrace engine answers the pure queries by skipping the syscall") {
  Box box;
  EntryDecision d = decide_entry(make_call("getpid", 511, {}), box.table, box.kernel);
  CHECK(std::get<ReturnValue>(d.outcome).value == 2);
  d = decide_entry(make_call("gettid", 511, {}), box.table, box.kernel);
  CHECK(std::get<ReturnValue>(d.outcome).value == 3);
}

TEST_CASE("rt_sigtimedwait and waitid stop at exit to rewrite the siginfo they fill") {
  Box box;
  EntryDecision d =
      decide_entry(make_call("rt_sigtimedwait", 510, {0, 0x1000, 0, 8}), box.table, box.kernel);
  CHECK(d.stop_at_exit);
  CHECK(find_syscall("rt_sigtimedwait")->index_of(ArgKind::kSiginfoOut) == 1);
  CHECK(find_syscall("waitid")->index_of(ArgKind::kSiginfoOut) == 2);
}

TEST_CASE("terminal job control: tcsetpgrp's pgid in, tcgetpgrp's and tcgetsid's out") {
  Box box;
  const SyscallRow* set = find_syscall(16, {0, 0x5410});
  const SyscallRow* get = find_syscall(16, {0, 0x540F});
  const SyscallRow* sid = find_syscall(16, {0, 0x5429});
  REQUIRE(set != nullptr);
  REQUIRE(get != nullptr);
  REQUIRE(sid != nullptr);
  CHECK(find_syscall(16, {0, 0x5401}) == nullptr);  // TCGETS: not intercepted
  CHECK(set->needs_exit_stop());                    // the caller's memory gets its own value back
  CHECK(get->needs_exit_stop());
  const ArgKind in = ArgKind::kPgidIn;
  CHECK(memory_pid_for_kernel(in, box.table, 510, 4) == 520);  // a held group number
  CHECK(memory_pid_for_kernel(in, box.table, 510, 77) == kNoSuchPid);
  CHECK_FALSE(memory_pid_for_kernel(in, box.table, 510, -5).has_value());  // EINVAL
  CHECK_FALSE(memory_pid_for_kernel(in, box.table, 510, 0).has_value());
  CHECK(memory_pid_for_caller(ArgKind::kPidOut, box.table, kTopLevel, 510) == 2);
  CHECK(memory_pid_for_caller(ArgKind::kPidOut, box.table, kTopLevel, 400) ==
        0);  // a group outside
}

TEST_CASE("capget's header names a thread: 0 is the caller, others the box's or nothing") {
  Box box;
  const ArgKind header = ArgKind::kCapHeader;
  CHECK(find_syscall("capget")->needs_exit_stop());
  CHECK(memory_pid_for_kernel(header, box.table, 500, 3) == 511);
  CHECK(memory_pid_for_kernel(header, box.table, 510, 511) == 511);  // its own real tid
  CHECK(memory_pid_for_kernel(header, box.table, 500, 77) == kNoSuchPid);
  CHECK_FALSE(memory_pid_for_kernel(header, box.table, 500, 0).has_value());
  CHECK_FALSE(memory_pid_for_kernel(header, box.table, 500, -1).has_value());  // EINVAL
}

TEST_CASE("owners (F_SETOWN, F_SETOWN_EX, FIOSETOWN) take box numbers, groups negative") {
  Box box;
  const SyscallRow* setown = find_syscall(SYS_fcntl, {0, 8});
  const SyscallRow* getown = find_syscall(SYS_fcntl, {0, 9});
  const SyscallRow* setown_ex = find_syscall(SYS_fcntl, {0, 15});
  const SyscallRow* getown_ex = find_syscall(SYS_fcntl, {0, 16});
  REQUIRE((setown && getown && setown_ex && getown_ex));
  // The others run untrapped (a signalfd's duplication stops in its process's filter only).
  CHECK(find_syscall(SYS_fcntl, {0, 0 /* F_DUPFD */})->route == Route::kStacked);
  CHECK(find_syscall(SYS_fcntl, {0, 10 /* F_SETSIG */}) == nullptr);
  auto owner = [&](Pid number) {
    EntryDecision d = decide_entry(Call{510, setown, {3, 8, arg(number)}}, box.table, box.kernel);
    REQUIRE(std::holds_alternative<Continue>(d.outcome));
    CHECK_FALSE(d.stop_at_exit);
    return static_cast<Pid>(d.args[2]);
  };
  CHECK(owner(2) == 510);
  CHECK(owner(511) == 511);  // the caller's own thread, by its real tid
  CHECK(owner(4) == 520);    // a number the box holds for a group: the kernel takes any
  CHECK(owner(-4) == -520);
  CHECK(owner(77) == kNoSuchPid);
  CHECK(owner(-77) == -kNoSuchPid);
  CHECK(owner(0) == 0);              // no owner
  CHECK(owner(INT_MIN) == INT_MIN);  // EINVAL
  // F_GETOWN's result: a group is negative; an errno stays one.
  CHECK(translate_result(*getown, 510, box.table, kTopLevel) == 2);
  CHECK(translate_result(*getown, -520, box.table, kTopLevel) == -4);
  CHECK(translate_result(*getown, 400, box.table, kTopLevel) == 0);     // outside
  CHECK(translate_result(*getown, -40000, box.table, kTopLevel) == 0);  // a group outside
  CHECK(translate_result(*getown, -EBADF, box.table, kTopLevel) == -EBADF);
  CHECK(translate_result(*getown, 0, box.table, kTopLevel) == 0);
  // struct f_owner_ex {type, pid}: F_OWNER_TID 0, F_OWNER_PID 1, F_OWNER_PGRP 2.
  const ArgKind ex = ArgKind::kOwnerExIn;
  CHECK(setown_ex->needs_exit_stop());  // the caller's struct gets its own number back
  CHECK(memory_pid_for_kernel(ex, box.table, 500, 3, 0) == 511);
  CHECK(memory_pid_for_kernel(ex, box.table, 500, 2, 1) == 510);
  CHECK(memory_pid_for_kernel(ex, box.table, 500, 4, 2) == 520);
  CHECK(memory_pid_for_kernel(ex, box.table, 500, 77, 2) == kNoSuchPid);
  CHECK(memory_pid_for_kernel(ex, box.table, 500, 77, 1) == kNoSuchPid);
  CHECK_FALSE(memory_pid_for_kernel(ex, box.table, 500, 2, 7).has_value());   // EINVAL
  CHECK_FALSE(memory_pid_for_kernel(ex, box.table, 500, -2, 1).has_value());  // ESRCH
  CHECK_FALSE(memory_pid_for_kernel(ex, box.table, 500, 0, 1).has_value());   // none
  CHECK(memory_pid_for_caller(ArgKind::kOwnerExOut, box.table, kTopLevel, 511) == 3);
  CHECK(memory_pid_for_caller(ArgKind::kOwnerExOut, box.table, kTopLevel, 400) == 0);
  // F_SETOWN_EX as the F_SETOWN that means the same, where one does.
  CHECK(owner_ex_as_setown(1, 2) == 2);
  CHECK(owner_ex_as_setown(2, 4) == -4);
  CHECK(owner_ex_as_setown(1, 0) == 0);
  CHECK(owner_ex_as_setown(1, -3) == INT_MAX);        // ESRCH
  CHECK(owner_ex_as_setown(7, 2) == INT_MIN);         // EINVAL
  CHECK_FALSE(owner_ex_as_setown(0, 3).has_value());  // a thread: only F_SETOWN_EX says it
  CHECK_FALSE(owner_ex_as_setown(2, 0).has_value());  // no owner, but of type group
  CHECK(owner(INT_MAX) == kNoSuchPid);
  // A socket's owner through ioctl, as F_SETOWN and F_GETOWN take and give it.
  for (std::uint64_t request : {0x8901, 0x8902, 0x8903, 0x8904}) {
    const SyscallRow* row = find_syscall(SYS_ioctl, {3, request});
    REQUIRE(row != nullptr);
    CHECK(row->needs_exit_stop());
  }
  CHECK(memory_pid_for_kernel(ArgKind::kOwnerIn, box.table, 500, -4) == -520);
  CHECK(memory_pid_for_kernel(ArgKind::kOwnerIn, box.table, 500, 77) == kNoSuchPid);
  CHECK(memory_pid_for_caller(ArgKind::kOwnerOut, box.table, kTopLevel, -520) == -4);
  CHECK(memory_pid_for_caller(ArgKind::kOwnerOut, box.table, kTopLevel, -40000) == 0);
}

TEST_CASE("timer_create: SIGEV_THREAD_ID names a thread of the caller by either number") {
  Box box;
  const SyscallRow* timer = find_syscall("timer_create");
  REQUIRE(timer != nullptr);
  CHECK(timer->needs_exit_stop());
  CHECK(memory_selector_offset(ArgKind::kSigeventIn) == 12);  // sigev_notify
  CHECK(memory_pid_offset(ArgKind::kSigeventIn) == 16);       // sigev_notify_thread_id
  const ArgKind ev = ArgKind::kSigeventIn;
  CHECK(memory_pid_for_kernel(ev, box.table, 510, 3, 4) == 511);    // gettid() in the box
  CHECK(memory_pid_for_kernel(ev, box.table, 510, 511, 4) == 511);  // glibc's cached tid
  CHECK(memory_pid_for_kernel(ev, box.table, 510, 77, 4) == kNoSuchPid);
  CHECK_FALSE(memory_pid_for_kernel(ev, box.table, 510, 3, 0).has_value());  // SIGEV_SIGNAL
  CHECK_FALSE(memory_pid_for_kernel(ev, box.table, 510, 3, 2).has_value());  // SIGEV_THREAD
}

TEST_CASE("prctl: only the options that keep a pid are trapped") {
  Box box;
  const SyscallRow* ptracer = find_syscall(SYS_prctl, {0x59616d61});
  const SyscallRow* sched_core = find_syscall(SYS_prctl, {62});
  REQUIRE((ptracer && sched_core));
  CHECK(find_syscall(SYS_prctl, {15 /* PR_SET_NAME */}) == nullptr);
  auto tracer = [&](std::uint64_t number) {
    return decide_entry(Call{510, ptracer, {0x59616d61, number}}, box.table, box.kernel).args[1];
  };
  CHECK(tracer(2) == 510);
  CHECK(tracer(0) == 0);                                        // nobody
  CHECK(tracer(~0ULL) == ~0ULL);                                // PR_SET_PTRACER_ANY
  CHECK(tracer(77) == static_cast<std::uint64_t>(kNoSuchPid));  // EINVAL from Yama
  EntryDecision d = decide_entry(Call{510, sched_core, {62, 2, 3, 0, 0}}, box.table, box.kernel);
  CHECK(d.args[2] == 511);
}

TEST_CASE("calls the filter lets through with zero pid arguments need no translation") {
  int rows_skipped = 0;
  for (const SyscallRow& row : syscall_table()) {
    if (!row.zero_args_need_no_trap()) continue;
    ++rows_skipped;
    INFO(std::string(row.name));
    Box box;
    std::array<std::uint64_t, 6> args{};     // every argument 0, pid arguments included
    for (std::uint64_t which : {0, 1, 2}) {  // PRIO_/IOPRIO_WHO_ selectors, where they matter
      if (const std::optional<int> selector = row.index_of(ArgKind::kWhich))
        args[*selector] = which;
      EntryDecision d =
          decide_entry(make_call(std::string(row.name).c_str(), 510, args), box.table, box.kernel);
      CHECK(std::holds_alternative<Continue>(d.outcome));
      CHECK_FALSE(d.args_changed);
      CHECK_FALSE(d.stop_at_exit);
      CHECK_FALSE(box_signalled(d));
      CHECK_FALSE(group_signalled(d).has_value());
    }
  }
  CHECK(rows_skipped > 10);
  CHECK_FALSE(find_syscall("kill")->zero_args_need_no_trap());
  CHECK_FALSE(find_syscall("wait4")->zero_args_need_no_trap());
  CHECK_FALSE(find_syscall("ptrace")->zero_args_need_no_trap());  // PTRACE_TRACEME takes pid 0
  CHECK(find_syscall("prlimit64")->zero_args_need_no_trap());
  CHECK(find_syscall("setpgid")->zero_args_need_no_trap());
}

TEST_CASE("init cannot clone(CLONE_PARENT), nor be killed through a pidfd from inside") {
  Box box;
  const std::array<std::uint64_t, 6> clone_parent{0x8000 | SIGCHLD};
  const SyscallRow* clone = find_syscall(56, clone_parent);
  REQUIRE(clone != nullptr);
  CHECK(find_syscall(56, {SIGCHLD}) == nullptr);  // a plain fork through clone: not trapped
  Call call{500, clone, clone_parent};
  CHECK(std::get<ReturnErrno>(decide_entry(call, box.table, box.kernel).outcome).error == EINVAL);
  call.real_tid = 510;  // any other process may
  CHECK(std::holds_alternative<Continue>(decide_entry(call, box.table, box.kernel).outcome));

  // CLONE_UNTRACED is dropped, for init and everyone else: the child must be attached.
  const std::array<std::uint64_t, 6> clone_untraced{0x00800000 | SIGCHLD};
  const SyscallRow* untraced = find_syscall(56, clone_untraced);
  REQUIRE(untraced != nullptr);
  for (Pid caller : {500, 510}) {
    call = Call{caller, untraced, clone_untraced};
    EntryDecision d = decide_entry(call, box.table, box.kernel);
    REQUIRE(std::holds_alternative<Continue>(d.outcome));
    CHECK(d.args_changed);
    CHECK(d.args[0] == SIGCHLD);
  }
  call = Call{500, untraced, {0x00800000 | 0x8000 | SIGCHLD}};  // both: init's EINVAL first
  CHECK(std::get<ReturnErrno>(decide_entry(call, box.table, box.kernel).outcome).error == EINVAL);
  // clone3's flags are read from memory by the engine; the rule is the same.
  CHECK(rule_for_clone_flags(0x00800000 | 0x100, false).flags == 0x100);
  CHECK(rule_for_clone_flags(0x00800000 | 0x100, false).error == 0);
  CHECK(rule_for_clone_flags(0x8000, true).error == EINVAL);
  CHECK(rule_for_clone_flags(0x8000, false).flags == 0x8000);
  CHECK(find_syscall(435)->result == ResultKind::kNewChild);

  const SyscallRow* pidfd_signal = find_syscall(424, {7, SIGKILL});
  REQUIRE(pidfd_signal != nullptr);
  call = Call{510, pidfd_signal, {7, SIGKILL}};  // fd 7 is init's pidfd in NoKernel
  CHECK(sent_as_signal_zero(decide_entry(call, box.table, box.kernel), 1));
  call.args[1] = SIGTERM;  // init neither handles nor blocks it: discarded when sent
  CHECK(sent_as_signal_zero(decide_entry(call, box.table, box.kernel), 1));
  // With a siginfo, whose si_signo must be the call's signal: answered without the kernel.
  call.args[2] = 0x1000;
  CHECK(std::get<ReturnValue>(decide_entry(call, box.table, box.kernel).outcome).value == 0);
  call.args[2] = 0;
  call.args[1] = SIGUSR1;  // init handles or blocks it: the kernel sends it
  CHECK(std::holds_alternative<Continue>(decide_entry(call, box.table, box.kernel).outcome));
  call.args = {8, SIGKILL};  // another process: the kernel delivers it
  CHECK(std::holds_alternative<Continue>(decide_entry(call, box.table, box.kernel).outcome));
}

TEST_CASE("pidfd_send_signal to a process group is emulated over the box's members") {
  Box box;
  const SyscallRow* row = find_syscall("pidfd_send_signal");
  // fd 7 is init's pidfd, fd 8 another's in NoKernel: the group numbered as its process.
  EntryDecision d = decide_entry(Call{510, row, {7, SIGTERM, 0, 4}}, box.table, box.kernel);
  CHECK(group_signalled(d) == 500);
  d = decide_entry(Call{500, row, {8, SIGKILL, 0, 4}}, box.table, box.kernel);
  CHECK(group_signalled(d) == 510);
  // The kernel's: other flags, and a siginfo the emulation could not pass on.
  for (std::array<std::uint64_t, 6> args : {std::array<std::uint64_t, 6>{8, SIGTERM, 0, 1},
                                            {8, SIGTERM, 0, 6},
                                            {8, SIGTERM, 0x1000, 4}}) {
    d = decide_entry(Call{500, row, args}, box.table, box.kernel);
    CHECK_FALSE(group_signalled(d).has_value());
    CHECK(std::holds_alternative<Continue>(d.outcome));
  }
}

TEST_CASE("a queued SIGCHLD keeps its child's number after the child is reaped") {
  Box box;
  box.table.mark_exited(510);
  box.table.remove(511, {});
  box.table.remove(510, {});
  CHECK(virtual_si_pid(SIGCHLD, CLD_EXITED, 510, box.table, kTopLevel) == 2);
}

TEST_CASE("SIGKILL and SIGSTOP aimed at init from inside are ignored, by every sender") {
  Box box;
  for (auto [name, args, signal_index] :
       std::initializer_list<std::tuple<const char*, std::array<std::uint64_t, 6>, int>>{
           {"kill", {1, SIGKILL}, 1},
           {"tkill", {1, SIGSTOP}, 1},
           {"tgkill", {1, 1, SIGKILL}, 2},
           {"rt_sigqueueinfo", {1, SIGKILL, 0}, 1},
           {"rt_tgsigqueueinfo", {1, 1, SIGKILL, 0}, 2}}) {
    INFO(name);
    EntryDecision d = decide_entry(make_call(name, 510, args), box.table, box.kernel);
    CHECK(sent_as_signal_zero(d, signal_index));
  }
  // A signal init handles or blocks is sent, and another process gets SIGKILL.
  EntryDecision d = decide_entry(make_call("tgkill", 510, {1, 1, SIGUSR1}), box.table, box.kernel);
  CHECK(std::holds_alternative<Continue>(d.outcome));
  d = decide_entry(make_call("kill", 510, {1, SIGTERM}), box.table, box.kernel);
  CHECK(sent_as_signal_zero(d, 1));  // neither handled nor blocked
  d = decide_entry(make_call("tgkill", 500, {2, 3, SIGKILL}), box.table, box.kernel);
  CHECK(std::holds_alternative<Continue>(d.outcome));
  // A thread that is not init's, named with init's number: the kernel says ESRCH.
  d = decide_entry(make_call("tgkill", 510, {1, 77, SIGTERM}), box.table, box.kernel);
  CHECK(std::holds_alternative<Continue>(d.outcome));
  CHECK(static_cast<Pid>(d.args[1]) == kNoSuchPid);
}

TEST_CASE("tgkill naming init's group but another process's thread is left to the kernel") {
  // tgkill(1, tid of a thread outside init) is ESRCH in a namespace, whatever init does with the
  // signal: it must not be answered 0 as a signal init would discard.
  Box box;
  for (auto [name, args] :
       std::initializer_list<std::pair<const char*, std::array<std::uint64_t, 6>>>{
           {"tgkill", {1, 2, SIGTERM}},
           {"tgkill", {1, 3, SIGKILL}},
           {"rt_tgsigqueueinfo", {1, 2, SIGTERM, 0}}}) {
    INFO(name);
    EntryDecision d = decide_entry(make_call(name, 510, args), box.table, box.kernel);
    CHECK(std::holds_alternative<Continue>(d.outcome));
  }
}

TEST_CASE("reboot() ends the box instead of the machine") {
  Box box;
  auto reboot = [&](std::uint64_t magic2, std::uint64_t cmd) {
    return decide_entry(make_call("reboot", 510, {0xfee1dead, magic2, cmd, 0}), box.table,
                        box.kernel);
  };
  CHECK(end_signal(reboot(672274793, 0x01234567)) == SIGHUP);                           // RESTART
  CHECK(end_signal(reboot(85072278, 0xA1B2C3D4)) == SIGHUP);                            // RESTART2
  CHECK(end_signal(reboot(369367448, 0x4321FEDC)) == SIGINT);                           // POWER_OFF
  CHECK(end_signal(reboot(537993216, 0xCDEF0123)) == SIGINT);                           // HALT
  CHECK(std::get<ReturnErrno>(reboot(672274793, 0x89ABCDEF).outcome).error == EINVAL);  // CAD_ON
  CHECK(std::get<ReturnErrno>(reboot(1, 0x01234567).outcome).error == EINVAL);          // bad magic
}
