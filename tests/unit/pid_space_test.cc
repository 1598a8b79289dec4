#include <doctest/doctest.h>

#include "translate/pid_space.h"

using vpidbox::PidSpace;

TEST_CASE("the first number is 1, then the lowest free above the last") {
  PidSpace space(100);
  CHECK(space.allocate() == 1);
  CHECK(space.allocate() == 2);
  CHECK(space.allocate() == 3);
  space.release(2);
  // A freed number is not reused before the counter wraps, as in the kernel.
  CHECK(space.allocate() == 4);
}

TEST_CASE("after passing RESERVED_PIDS the space wraps to 300, not 1") {
  PidSpace space(400);
  for (int i = 1; i < 400; ++i) REQUIRE(space.allocate() == i);
  for (int i = 2; i < 400; ++i) space.release(i);
  CHECK(space.allocate() == 300);
  CHECK(space.allocate() == 301);
}

TEST_CASE("below RESERVED_PIDS the space wraps to 1 and skips numbers in use") {
  PidSpace space(10);
  for (int i = 1; i < 10; ++i) REQUIRE(space.allocate() == i);
  CHECK_FALSE(space.allocate().has_value());  // full: fork fails with EAGAIN
  space.release(3);
  space.release(5);
  CHECK(space.allocate() == 3);
  CHECK(space.allocate() == 5);
}

TEST_CASE("claiming a chosen number leaves the cursor alone") {
  PidSpace space(100);
  CHECK(space.claim(50));
  CHECK_FALSE(space.claim(50));
  CHECK_FALSE(space.claim(0));
  CHECK_FALSE(space.claim(100));
  CHECK(space.allocate() == 1);
  CHECK(space.in_use(50));
}

TEST_CASE("writing ns_last_pid makes the next number the one after it, if free") {
  PidSpace space(1000);
  CHECK(space.allocate() == 1);
  CHECK(space.set_last_allocated(99));
  CHECK(space.last_allocated() == 99);
  CHECK(space.allocate() == 100);
  CHECK(space.set_last_allocated(0));
  CHECK(space.allocate() == 2);  // 1 is taken
  CHECK(space.set_last_allocated(499));
  CHECK(space.allocate() == 500);
  CHECK_FALSE(space.set_last_allocated(1001));
  CHECK_FALSE(space.set_last_allocated(-1));
  CHECK(space.allocate() == 501);
  CHECK(space.set_last_allocated(1000));  // pid_max itself: the next number wraps to 300
  CHECK(space.allocate() == 300);
}

TEST_CASE("a new pid namespace's pid_max: its own since 6.14, the machine's before") {
  using vpidbox::new_namespace_pid_max_for;
  CHECK(new_namespace_pid_max_for("6.14.0", 32768) == 4194304);
  CHECK(new_namespace_pid_max_for("6.18.44-fc-v857", 32768) == 4194304);
  CHECK(new_namespace_pid_max_for("7.0.0-rc1", 50000) == 4194304);
  CHECK(new_namespace_pid_max_for("6.13.12-amd64", 32768) == 32768);
  CHECK(new_namespace_pid_max_for("5.10.0-32-amd64", 99999) == 99999);
  CHECK(new_namespace_pid_max_for("6", 32768) == 32768);  // unreadable: the caller's
  CHECK(new_namespace_pid_max_for("", 32768) == 32768);
}
