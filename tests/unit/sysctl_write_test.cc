#include <doctest/doctest.h>

#include <cerrno>

#include "translate/sysctl_write.h"

using namespace vpidbox;

TEST_CASE("a one-int sysctl write is parsed as proc_dointvec_minmax parses it") {
  auto value = [](std::string_view text) {
    const SysctlIntWrite w = parse_sysctl_int_write(text, 0);
    REQUIRE(w.error == 0);
    REQUIRE(w.stores);
    return w.value;
  };
  CHECK(value("1000") == 1000);
  CHECK(value("  700") == 700);
  CHECK(value("1100\n") == 1100);
  CHECK(value("0x400") == 1024);
  CHECK(value("01750") == 1000);
  CHECK(value("-1") == -1);
  CHECK(value("2147483647") == 2147483647);
  CHECK(value("-2147483648") == -2147483648LL);
  // One value: the blanks after it are taken, the rest is not (a short write).
  SysctlIntWrite w = parse_sysctl_int_write("1000 2000", 0);
  CHECK(w.value == 1000);
  CHECK(w.accepted == 5);
  CHECK(parse_sysctl_int_write("1000\n", 0).accepted == 5);
  for (std::string_view bad : {"800x", "+900", " ", "abc", "-", "12e3", "0x", "2147483648",
                               "99999999999999999999999", "000000000000000000001"})
    CHECK(parse_sysctl_int_write(bad, 0).error == EINVAL);
  // Nothing written, or written past the start: accepted, nothing stored.
  CHECK_FALSE(parse_sysctl_int_write("", 0).stores);
  CHECK(parse_sysctl_int_write("", 0).error == 0);
  w = parse_sysctl_int_write("1500", 2);
  CHECK_FALSE(w.stores);
  CHECK(w.error == 0);
  CHECK(w.accepted == 4);
}

TEST_CASE("pid_max: within its bounds, then the level numbers below it and wraps to 300") {
  ProcessTable table(kPidMaxLimit);
  table.add_task(100, 100);  // init: 1
  CHECK(pid_max_minimum_for(2) == 301);
  CHECK(pid_max_minimum_for(64) == 512);
  CHECK(write_pid_max(table, kTopLevel, 300, 301) == EINVAL);
  CHECK(write_pid_max(table, kTopLevel, kPidMaxLimit + 1, 301) == EINVAL);
  CHECK(write_pid_max(table, kTopLevel, 1000, 301) == 0);
  CHECK(table.space(kTopLevel).pid_max() == 1000);
  REQUIRE(table.set_last_allocated(kTopLevel, 998));
  CHECK(table.add_task(101, 101) == 999);
  CHECK(table.add_task(102, 102) == 300);  // past RESERVED_PIDS, the wrap starts there
  CHECK_FALSE(table.set_last_allocated(kTopLevel, 1001));
  CHECK(table.set_last_allocated(kTopLevel, 1000));
}
