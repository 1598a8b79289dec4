#include <doctest/doctest.h>
#include <sys/syscall.h>

#include <set>
#include <string>
#include <string_view>

#include "translate/rules.h"
#include "translate/syscall_table.h"

using namespace vpidbox;

// Each table row must have a test here; adding a row without one fails this list's check.
static const std::set<std::string_view> kRowsWithTests = {
    "getpid", "gettid", "getppid", "getpgrp", "getpgid", "getsid", "io_uring_setup",
};

TEST_CASE("every table row has a handler and a test") {
  std::set<std::string_view> names;
  for (const SyscallRow& row : syscall_table()) {
    INFO(std::string(row.name));
    CHECK(has_rule(row));
    CHECK(kRowsWithTests.contains(row.name));
    CHECK(names.insert(row.name).second);
  }
  CHECK(names.size() == kRowsWithTests.size());
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
  CHECK(find_syscall(SYS_getuid) == nullptr);
}
