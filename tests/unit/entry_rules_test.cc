#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <string>

#include "translate/rules.h"
#include "translate/signal_rules.h"

using namespace vpidbox;

namespace {

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
  for (int i = 0; i < row.arg_count(); ++i) {
    if (row.args[i] == ArgKind::kWaitidId) args[0] = P_PID;
    if (row.args[i] == ArgKind::kPrioWho) args[0] = PRIO_PROCESS;
    if (row.args[i] == ArgKind::kIoprioWho) args[0] = 1;  // IOPRIO_WHO_PROCESS
  }
  return args;
}

int errno_outside(ArgKind kind) {
  if (kind == ArgKind::kWaitTarget || kind == ArgKind::kWaitidId) return ECHILD;
  if (kind == ArgKind::kSetpgidGroup) return EPERM;
  return ESRCH;
}

bool is_group_kind(ArgKind kind) {
  return kind == ArgKind::kSetpgidGroup;
}

}  // namespace

TEST_CASE("every pid argument of the ptrace route: box numbers become real, others fail") {
  for (const SyscallRow& row : syscall_table()) {
    if (row.route != Route::kTrace) continue;
    for (int i = 0; i < row.arg_count(); ++i) {
      const ArgKind kind = row.args[i];
      // Pids passed in memory or through a pidfd, and flags, are tested below.
      if (kind == ArgKind::kValue || kind == ArgKind::kPgidIn || kind == ArgKind::kPidOut ||
          kind == ArgKind::kCapHeader || kind == ArgKind::kInitRefusesFlag ||
          kind == ArgKind::kPidfdSignal || kind == ArgKind::kSignal || kind == ArgKind::kRebootCmd)
        continue;
      INFO(std::string(row.name) << " argument " << i);
      Box box;
      std::array<std::uint64_t, 6> args = selecting_a_process(row);
      // A box number, 2 (the child; for a group argument, 4: the held group)...
      args[i] = arg(is_group_kind(kind) ? 4 : 2);
      Call call = make_call(std::string(row.name).c_str(), 510, args);
      EntryDecision d = decide_entry(call, box.table, box.kernel);
      CHECK(std::holds_alternative<Continue>(d.outcome));
      CHECK(static_cast<Pid>(d.args[i]) == (is_group_kind(kind) ? 520 : 510));
      // ...and numbers that name nothing in the box: unused, and a real pid of the host.
      for (Pid outside : {77, 500}) {
        args[i] = arg(outside);
        call = make_call(std::string(row.name).c_str(), 510, args);
        d = decide_entry(call, box.table, box.kernel);
        REQUIRE(std::holds_alternative<ReturnErrno>(d.outcome));
        CHECK(std::get<ReturnErrno>(d.outcome).error == errno_outside(kind));
      }
    }
  }
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
  REQUIRE(std::holds_alternative<ReturnErrno>(d.outcome));
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
  CHECK(d.signal_group == 400);
  CHECK(std::holds_alternative<Continue>(d.outcome));
  d = decide_entry(make_call("kill", 510, {arg(-1), SIGTERM}), box.table, box.kernel);
  CHECK(d.signal_whole_box);
  d = decide_entry(make_call("kill", 510, {arg(-4), SIGTERM}), box.table, box.kernel);
  CHECK(d.signal_group == 520);
  d = decide_entry(make_call("kill", 510, {arg(-77), SIGTERM}), box.table, box.kernel);
  CHECK(std::get<ReturnErrno>(d.outcome).error == ESRCH);
  // init cannot be killed or stopped from inside, and kill() still succeeds.
  d = decide_entry(make_call("kill", 510, {arg(1), SIGKILL}), box.table, box.kernel);
  CHECK(std::get<ReturnValue>(d.outcome).value == 0);
  d = decide_entry(make_call("kill", 510, {arg(1), SIGTERM}), box.table, box.kernel);
  CHECK(static_cast<Pid>(d.args[0]) == 500);
}

TEST_CASE("wait4 and setsid stop at exit; their results read as virtual numbers") {
  Box box;
  EntryDecision d =
      decide_entry(make_call("wait4", 500, {arg(-1), 0, 0, 0}), box.table, box.kernel);
  CHECK(d.stop_at_exit);
  CHECK_FALSE(d.args_changed);
  CHECK(translate_result(*find_syscall("wait4"), 510, box.table) == 2);
  CHECK(translate_result(*find_syscall("wait4"), 0, box.table) == 0);  // WNOHANG
  CHECK(translate_result(*find_syscall("wait4"), -ECHILD, box.table) == -ECHILD);
  CHECK(translate_result(*find_syscall("setsid"), 510, box.table) == 2);
  d = decide_entry(make_call("setsid", 510, {}), box.table, box.kernel);
  CHECK(d.stop_at_exit);
}

TEST_CASE("a child reaped and swept before wait4's exit stop still reads as its number") {
  Box box;
  box.table.mark_exited(510);
  box.table.remove(511, {});
  box.table.remove(510, {});
  CHECK(translate_result(*find_syscall("wait4"), 510, box.table) == 2);
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
  CHECK(find_syscall("rt_sigtimedwait")->siginfo_out == SiginfoOut::kArg1);
  CHECK(find_syscall("waitid")->siginfo_out == SiginfoOut::kArg2);
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
  CHECK(pgid_in_box(box.table, 4) == 520);  // a held group number
  CHECK_FALSE(pgid_in_box(box.table, 77).has_value());
  CHECK(visible_number(box.table, 510) == 2);
  CHECK(visible_number(box.table, 400) == 0);  // a foreground group outside the box
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
      args[0] = row.args[0] == ArgKind::kValue ? which : 0;
      EntryDecision d =
          decide_entry(make_call(std::string(row.name).c_str(), 510, args), box.table, box.kernel);
      CHECK(std::holds_alternative<Continue>(d.outcome));
      CHECK_FALSE(d.args_changed);
      CHECK_FALSE(d.stop_at_exit);
      CHECK_FALSE(d.signal_whole_box);
      CHECK_FALSE(d.signal_group.has_value());
    }
  }
  CHECK(rows_skipped > 10);
  CHECK_FALSE(find_syscall("kill")->zero_args_need_no_trap());
  CHECK_FALSE(find_syscall("wait4")->zero_args_need_no_trap());
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

  const SyscallRow* pidfd_signal = find_syscall(424, {7, SIGKILL});
  REQUIRE(pidfd_signal != nullptr);
  call = Call{510, pidfd_signal, {7, SIGKILL}};  // fd 7 is init's pidfd in NoKernel
  CHECK(std::get<ReturnValue>(decide_entry(call, box.table, box.kernel).outcome).value == 0);
  call.args[1] = SIGTERM;  // init neither handles nor blocks it: discarded when sent
  CHECK(std::get<ReturnValue>(decide_entry(call, box.table, box.kernel).outcome).value == 0);
  call.args[1] = SIGUSR1;  // init handles or blocks it: the kernel sends it
  CHECK(std::holds_alternative<Continue>(decide_entry(call, box.table, box.kernel).outcome));
  call.args = {8, SIGKILL};  // another process: the kernel delivers it
  CHECK(std::holds_alternative<Continue>(decide_entry(call, box.table, box.kernel).outcome));
}

TEST_CASE("a queued SIGCHLD keeps its child's number after the child is reaped") {
  Box box;
  box.table.mark_exited(510);
  box.table.remove(511, {});
  box.table.remove(510, {});
  CHECK(virtual_si_pid(SIGCHLD, CLD_EXITED, 510, box.table) == 2);
}

TEST_CASE("SIGKILL and SIGSTOP aimed at init from inside are ignored, by every sender") {
  Box box;
  for (auto [name, args] :
       std::initializer_list<std::pair<const char*, std::array<std::uint64_t, 6>>>{
           {"kill", {1, SIGKILL}},
           {"tkill", {1, SIGSTOP}},
           {"tgkill", {1, 1, SIGKILL}},
           {"rt_sigqueueinfo", {1, SIGKILL, 0}},
           {"rt_tgsigqueueinfo", {1, 1, SIGKILL, 0}}}) {
    INFO(name);
    EntryDecision d = decide_entry(make_call(name, 510, args), box.table, box.kernel);
    REQUIRE(std::holds_alternative<ReturnValue>(d.outcome));
    CHECK(std::get<ReturnValue>(d.outcome).value == 0);
  }
  // A signal init handles or blocks is sent, and another process gets SIGKILL.
  EntryDecision d = decide_entry(make_call("tgkill", 510, {1, 1, SIGUSR1}), box.table, box.kernel);
  CHECK(std::holds_alternative<Continue>(d.outcome));
  d = decide_entry(make_call("kill", 510, {1, SIGTERM}), box.table, box.kernel);
  CHECK(std::get<ReturnValue>(d.outcome).value == 0);  // neither handled nor blocked
  d = decide_entry(make_call("tgkill", 500, {2, 3, SIGKILL}), box.table, box.kernel);
  CHECK(std::holds_alternative<Continue>(d.outcome));
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
  CHECK(reboot(672274793, 0x01234567).end_box_as_signal == SIGHUP);                     // RESTART
  CHECK(reboot(85072278, 0xA1B2C3D4).end_box_as_signal == SIGHUP);                      // RESTART2
  CHECK(reboot(369367448, 0x4321FEDC).end_box_as_signal == SIGINT);                     // POWER_OFF
  CHECK(reboot(537993216, 0xCDEF0123).end_box_as_signal == SIGINT);                     // HALT
  CHECK(std::get<ReturnErrno>(reboot(672274793, 0x89ABCDEF).outcome).error == EINVAL);  // CAD_ON
  CHECK(std::get<ReturnErrno>(reboot(1, 0x01234567).outcome).error == EINVAL);          // bad magic
}
