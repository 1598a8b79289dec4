#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/prctl.h>

#include <cerrno>
#include <csignal>

#include "translate/object_rules.h"

using namespace vpidbox;

namespace {

// init (real 500, box 1) with a thread (real 501, box 2), and a child (real 510, box 3).
struct Box {
  ProcessTable table{32768};
  Box() {
    table.add_task(500, 500);
    table.add_task(501, 500);
    table.add_task(510, 510);
  }
};

std::int32_t process_clock(Pid pid) {
  return static_cast<std::int32_t>((~static_cast<std::uint32_t>(pid) << 3) | 2);
}
std::int32_t thread_clock(Pid tid) {
  return static_cast<std::int32_t>((~static_cast<std::uint32_t>(tid) << 3) | 6);
}

}  // namespace

TEST_CASE("CPU-time clock ids: the pid in them becomes real, anything else names nothing") {
  Box box;
  CHECK(clock_id_for_kernel(process_clock(3), box.table, 500) == process_clock(510));
  CHECK(clock_id_for_kernel(process_clock(1), box.table, 510) == process_clock(500));
  // A process clock takes box numbers only: 501 is no number of the box.
  CHECK(clock_id_for_kernel(process_clock(501), box.table, 500) == process_clock(kNoSuchClockPid));
  CHECK(clock_id_for_kernel(process_clock(77), box.table, 500) == process_clock(kNoSuchClockPid));
  // A thread clock takes a box tid, or a real tid of the caller's own thread group (glibc's
  // pthread_getcpuclockid).
  CHECK(clock_id_for_kernel(thread_clock(2), box.table, 500) == thread_clock(501));
  CHECK(clock_id_for_kernel(thread_clock(501), box.table, 500) == thread_clock(501));
  CHECK(clock_id_for_kernel(thread_clock(501), box.table, 510) == thread_clock(kNoSuchClockPid));
  // The caller's own clocks (pid 0), FD clocks and the fixed clocks pass unchanged.
  for (std::int32_t id : {-6, -2, (~3 << 3) | 3, 0, 1, 2, 3})
    CHECK(clock_id_for_kernel(id, box.table, 500) == id);
  // The number that names nothing keeps the id a CPU-time clock: INT_MAX would not.
  CHECK(process_clock(kNoSuchClockPid) < 0);
  CHECK((process_clock(kNoSuchClockPid) & 7) == 2);
}

TEST_CASE("F_GETLK's l_pid: the holder's box number, 0 outside, -1 and F_UNLCK as they are") {
  Box box;
  CHECK(lock_owner_for_caller(F_WRLCK, 510, box.table, kTopLevel) == 3);
  CHECK(lock_owner_for_caller(F_RDLCK, 30000, box.table, kTopLevel) == 0);
  CHECK(lock_owner_for_caller(F_WRLCK, -1, box.table, kTopLevel) == -1);
  CHECK(lock_owner_for_caller(F_UNLCK, 12345, box.table, kTopLevel) == 12345);
}

TEST_CASE("a pid a kernel object holds keeps its number after its process has gone") {
  Box box;
  const auto nobody_outside = [](Pid) { return false; };
  const auto taken_outside = [](Pid) { return true; };
  CHECK(referenced_number(box.table, kTopLevel, 510, nobody_outside) == 3);
  box.table.mark_exited(510);
  box.table.remove(510, {});
  CHECK(referenced_number(box.table, kTopLevel, 510, nobody_outside) == 3);
  // Once a process outside has the number, it is that process.
  CHECK(referenced_number(box.table, kTopLevel, 510, taken_outside) == 0);
  CHECK(referenced_number(box.table, kTopLevel, 30000, nobody_outside) == 0);
  CHECK(referenced_number(box.table, kTopLevel, 0, nobody_outside) == 0);
}

TEST_CASE("PIDFD_GET_INFO: box numbers; a process outside fails with ESRCH, its parent reads 0") {
  Box box;
  std::optional<PidfdInfoPids> shown = pidfd_info_for_caller({501, 500, 400}, box.table, kTopLevel);
  REQUIRE(shown.has_value());
  CHECK(shown->pid == 2);
  CHECK(shown->tgid == 1);
  CHECK(shown->ppid == 0);
  CHECK_FALSE(pidfd_info_for_caller({30000, 30000, 1}, box.table, kTopLevel).has_value());
  // A reaped process (PIDFD_INFO_EXIT) has no pids: nothing to fail.
  shown = pidfd_info_for_caller({0, 0, 0}, box.table, kTopLevel);
  REQUIRE(shown.has_value());
  CHECK(shown->pid == 0);
}

TEST_CASE("init's child-subreaper flag and parent-death signal are its own, from inside") {
  InitAttributes attrs{true};
  // Read as a namespace's init reads them: neither is set.
  InitPrctl d = decide_init_prctl(PR_GET_CHILD_SUBREAPER, 0x1000, true, attrs);
  CHECK(d.emulated);
  CHECK(d.stores == 0);
  d = decide_init_prctl(PR_GET_PDEATHSIG, 0x1000, true, attrs);
  CHECK(d.stores == 0);
  // Set and read back, from any thread of init for the flag.
  CHECK(decide_init_prctl(PR_SET_CHILD_SUBREAPER, 1, false, attrs).emulated);
  CHECK(decide_init_prctl(PR_GET_CHILD_SUBREAPER, 0x1000, false, attrs).stores == 1);
  CHECK(decide_init_prctl(PR_SET_PDEATHSIG, SIGUSR1, true, attrs).error == 0);
  CHECK(decide_init_prctl(PR_GET_PDEATHSIG, 0x1000, true, attrs).stores == SIGUSR1);
  CHECK(decide_init_prctl(PR_SET_PDEATHSIG, _NSIG + 1, true, attrs).error == EINVAL);
  CHECK(attrs.pdeath_signal == SIGUSR1);
  // The death signal is per thread: init's other threads have the kernel's (none).
  CHECK_FALSE(decide_init_prctl(PR_GET_PDEATHSIG, 0x1000, false, attrs).emulated);
  CHECK_FALSE(decide_init_prctl(PR_SET_NAME, 0x1000, true, attrs).emulated);
  // A nested box's init sets the real ones itself before its program runs: the kernel's calls.
  InitAttributes setting_up;
  CHECK_FALSE(decide_init_prctl(PR_SET_PDEATHSIG, SIGKILL, true, setting_up).emulated);
  CHECK_FALSE(decide_init_prctl(PR_SET_CHILD_SUBREAPER, 1, true, setting_up).emulated);
}

TEST_CASE("numbers are read in the view of the caller's level") {
  Box box;
  const std::optional<LevelId> nested = box.table.create_level(kTopLevel);
  REQUIRE(nested.has_value());
  box.table.add_task(520, 520, *nested);  // the nested box's init: 4 at the top, 1 inside
  box.table.add_task(521, 520, *nested);
  CHECK(clock_id_for_kernel(process_clock(1), box.table, 521) == process_clock(520));
  CHECK(clock_id_for_kernel(process_clock(3), box.table, 521) == process_clock(kNoSuchClockPid));
  CHECK(clock_id_for_kernel(process_clock(4), box.table, 510) == process_clock(520));
  CHECK(lock_owner_for_caller(F_WRLCK, 510, box.table, *nested) == 0);
  CHECK(lock_owner_for_caller(F_WRLCK, 520, box.table, *nested) == 1);
  CHECK(lock_owner_for_caller(F_WRLCK, 520, box.table, kTopLevel) == 4);
  std::optional<PidfdInfoPids> shown = pidfd_info_for_caller({520, 520, 510}, box.table, *nested);
  REQUIRE(shown.has_value());
  CHECK(shown->pid == 1);
  CHECK(shown->ppid == 0);
  CHECK_FALSE(pidfd_info_for_caller({510, 510, 500}, box.table, *nested).has_value());
}
