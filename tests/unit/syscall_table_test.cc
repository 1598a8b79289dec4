#include <doctest/doctest.h>
#include <sys/syscall.h>

#include <csignal>
#include <set>
#include <string>
#include <string_view>

#include "translate/rules.h"
#include "translate/syscall_table.h"

using namespace vpidbox;

// The rows with a dedicated test. Every ptrace-route row is also covered, argument by argument,
// by entry_rules_test.cc's isolation test, which walks the whole table.
// clang-format off
static const std::set<std::string_view> kRowsWithDedicatedTests = {
    "getpid",         "gettid",     "getppid",         "getpgrp", "getpgid", "getsid",
    "io_uring_setup", "wait4",      "waitid",          "kill",    "tgkill",  "tkill",
    "setsid",         "pidfd_open", "rt_sigtimedwait", "ioctl",   "clone",   "pidfd_send_signal",
    "reboot",         "fcntl",      "clone3",          "open",    "openat",  "openat2",
    "creat",
    // Pids in objects and ids (object_rules_test.cc, and below).
    "prctl",          "getsockopt", "shmctl",          "msgctl",  "semctl",  "clock_settime",
    "clock_gettime",  "clock_getres", "clock_nanosleep", "clock_adjtime",
    // Pids in messages (credentials_test.cc, stacked_filter_test.cc).
    "sendmsg",        "sendmmsg",   "bind",            "setsockopt", "signalfd", "signalfd4",
    "read",           "readv",      "recvmsg",         "recvmmsg", "dup",      "dup2",
    "dup3",
    // Signals the supervisor sends (queued_signals_test.cc).
    "rt_sigqueueinfo", "rt_tgsigqueueinfo",
};
// clang-format on

TEST_CASE("every table row has a handler and a test") {
  std::set<std::pair<std::string_view, std::uint64_t>> names;
  for (const SyscallRow& row : syscall_table()) {
    INFO(std::string(row.name));
    CHECK(has_rule(row));
    // A trace row without a pid argument needs a dedicated test.
    bool has_pid_argument = false;
    for (ArgKind kind : row.args) has_pid_argument |= carries_pid(kind);
    CHECK((kRowsWithDedicatedTests.contains(row.name) ||
           (row.route == Route::kTrace && has_pid_argument)));
    CHECK(names.insert({row.name, row.filter_value + static_cast<int>(row.filter_kind)}).second);
  }
  for (std::string_view name : kRowsWithDedicatedTests) CHECK(find_syscall(name) != nullptr);
}

TEST_CASE("table numbers are the x86_64 numbers") {
  CHECK(find_syscall("getpid")->nr_x86_64 == SYS_getpid);
  CHECK(find_syscall("gettid")->nr_x86_64 == SYS_gettid);
  CHECK(find_syscall("getppid")->nr_x86_64 == SYS_getppid);
  CHECK(find_syscall("getpgrp")->nr_x86_64 == SYS_getpgrp);
  CHECK(find_syscall("getpgid")->nr_x86_64 == SYS_getpgid);
  CHECK(find_syscall("getsid")->nr_x86_64 == SYS_getsid);
  CHECK(find_syscall("io_uring_setup")->nr_x86_64 == SYS_io_uring_setup);
  CHECK(find_syscall(SYS_getppid)->name == "getppid");
  for (const SyscallRow& row : syscall_table()) {
    INFO(std::string(row.name));
    std::array<std::uint64_t, 6> args{};
    if (row.filtered)
      args[row.filter_arg] = row.filter_kind == SyscallRow::ArgFilter::kOutsideRange
                                 ? row.filter_max + 1
                                 : row.filter_value;
    if (row.filtered_twice) args[row.filter2_arg] = row.filter2_value;
    CHECK(find_syscall(row.nr_x86_64, args) == &row);
  }
  CHECK(find_syscall(SYS_wait4)->name == "wait4");
  CHECK(find_syscall(SYS_kill)->name == "kill");
  CHECK(find_syscall(SYS_setsid)->name == "setsid");
  CHECK(find_syscall(SYS_rt_sigtimedwait)->name == "rt_sigtimedwait");
  CHECK(find_syscall(SYS_sched_setaffinity)->name == "sched_setaffinity");
  CHECK(find_syscall(SYS_perf_event_open)->name == "perf_event_open");
  CHECK(find_syscall(SYS_getuid) == nullptr);
}

TEST_CASE(
    "signal 0 and numbers that are no signal are questions; kill's signals are sent by the "
    "supervisor, tkill's and tgkill's stop for ptrace") {
  for (int nr : {SYS_kill, SYS_tkill, SYS_tgkill}) {
    const SyscallRow* any = find_syscall(nr);
    REQUIRE(any != nullptr);
    const int signal = *any->index_of(ArgKind::kSignal);
    std::array<std::uint64_t, 6> args{};
    // The kernel reads the register's low half, as an int.
    for (std::uint64_t signo : {0ull, 65ull, 999ull, ~0ull, 0xffffffffull, 1ull << 32,
                                0x80000000ull, (1ull << 32) | 0x41}) {
      args[signal] = signo;
      INFO(signo);
      CHECK(find_syscall(nr, args)->route == Route::kUnotify);
    }
    for (std::uint64_t signo : {1ull, 9ull, 63ull, 64ull, (1ull << 32) | 9, ~0ull << 32 | 15}) {
      args[signal] = signo;
      INFO(signo);
      CHECK(find_syscall(nr, args)->route == (nr == SYS_kill ? Route::kSignalSend : Route::kTrace));
    }
    // Job control's signals run in the caller's context.
    for (std::uint64_t signo : {17ull, 18ull, 19ull, 20ull, 21ull, 22ull, 23ull}) {
      args[signal] = signo;
      INFO(signo);
      const bool job_control = signo >= SIGCONT && signo <= SIGTTOU;
      CHECK(find_syscall(nr, args)->route ==
            (nr == SYS_kill && !job_control ? Route::kSignalSend : Route::kTrace));
    }
    // The rows of one syscall never overlap: each call has exactly one.
    for (std::uint64_t signo :
         {0ull, 1ull, 17ull, 18ull, 22ull, 23ull, 64ull, 65ull, ~0ull, 1ull << 32}) {
      args[signal] = signo;
      int matching = 0;
      for (const SyscallRow& row : syscall_table())
        matching += row.nr_x86_64 == nr && row.matches(args);
      CHECK(matching == 1);
    }
  }
  // The signal calls with a siginfo: the supervisor sends them (queued_signals_test.cc), but for
  // pidfd_send_signal's, whose pidfd is the caller's.
  CHECK(find_syscall(SYS_rt_sigqueueinfo)->route == Route::kSignalSend);
  CHECK(find_syscall(SYS_rt_tgsigqueueinfo)->route == Route::kSignalSend);
  CHECK(find_syscall(SYS_pidfd_send_signal)->route == Route::kTrace);
}

TEST_CASE("the open family is declared once, for the /proc route") {
  for (int nr : {SYS_open, SYS_openat, SYS_openat2, SYS_creat}) {
    const SyscallRow* row = find_syscall(nr);
    REQUIRE(row != nullptr);
    CHECK(row->route == Route::kProcOpen);
    CHECK(row->has(ArgKind::kPath));
  }
  CHECK(find_syscall(SYS_openat)->index_of(ArgKind::kFd) == 0);
  CHECK(find_syscall(SYS_openat2)->index_of(ArgKind::kOpenHow) == 2);
}

TEST_CASE("getsockopt stops for SO_PEERCRED at SOL_SOCKET only: both arguments are compared") {
  const SyscallRow* peercred = find_syscall(SYS_getsockopt, {3, 1 /* SOL_SOCKET */, 17});
  REQUIRE(peercred != nullptr);
  CHECK(peercred->filtered_twice);
  CHECK(peercred->needs_exit_stop());
  CHECK(find_syscall(SYS_getsockopt, {3, 1, 4 /* SO_ERROR */}) == nullptr);
  CHECK(find_syscall(SYS_getsockopt, {3, 6 /* IPPROTO_TCP */, 17}) == nullptr);
}

TEST_CASE("clock ids stop only where the seven top bits are ones: where a pid can be") {
  const auto clock = [](std::int64_t id) {
    return find_syscall(SYS_clock_gettime, {static_cast<std::uint64_t>(id)});
  };
  CHECK(clock(1 /* CLOCK_MONOTONIC */) == nullptr);
  CHECK(clock(2 /* CLOCK_PROCESS_CPUTIME_ID */) == nullptr);
  CHECK(clock((~3LL << 3) | 2) != nullptr);  // pid 3's process clock, sign-extended
  CHECK(clock(0xffffffffLL & ((~3LL << 3) | 6)) != nullptr);  // zero-extended, a thread clock
  CHECK(clock((~4194303LL << 3) | 2) != nullptr);             // the largest pid there can be
  for (const char* name : {"clock_settime", "clock_getres", "clock_nanosleep", "clock_adjtime"})
    CHECK(find_syscall(name)->filter_mask == find_syscall("clock_gettime")->filter_mask);
  // glibc keeps the clock id in the register it passed: every such call stops at exit too.
  CHECK(clock(-6)->needs_exit_stop());
}
