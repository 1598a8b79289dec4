#include <doctest/doctest.h>

#include "translate/process_table.h"

using vpidbox::ProcessTable;

TEST_CASE("tasks get virtual numbers in order, threads from the same counter") {
  ProcessTable table(1000);
  CHECK(table.add_task(5000, 5000) == 1);
  CHECK(table.add_task(5007, 5007) == 2);
  CHECK(table.add_task(5009, 5007) == 3);  // a thread of 5007
  CHECK(table.to_virtual(5009) == 3);
  CHECK(table.to_real(2) == 5007);
  CHECK(table.virtual_tgid(5009) == 2);
  CHECK_FALSE(table.to_virtual(4242).has_value());
}

TEST_CASE("a zombie keeps its number until it is removed") {
  ProcessTable table(1000);
  table.add_task(100, 100);
  table.add_task(200, 200);
  table.mark_exited(200);
  CHECK(table.to_virtual(200) == 2);
  CHECK(table.exited_real_tids() == std::vector<vpidbox::Pid>{200});
  CHECK(table.live_real_tids() == std::vector<vpidbox::Pid>{100});
  table.remove(200, {});
  CHECK_FALSE(table.to_virtual(200).has_value());
  CHECK_FALSE(table.to_real(2).has_value());
}

TEST_CASE("a group id outlives its leader while a member uses it") {
  ProcessTable table(1000);
  table.add_task(100, 100);
  table.add_task(200, 200);  // leader of pgrp 200
  table.add_task(300, 300);  // member of pgrp 200
  table.remove(200, {200});
  CHECK_FALSE(table.contains(200));
  CHECK(table.to_virtual(200) == 2);  // getpgid of the member still reads 2
  CHECK(table.held_numbers() == std::vector<vpidbox::Pid>{200});
  table.release_unused_groups({});
  CHECK(table.held_numbers().empty());
  CHECK_FALSE(table.to_virtual(200).has_value());
}

TEST_CASE("execve by a non-leader thread gives it the leader's number") {
  ProcessTable table(1000);
  table.add_task(100, 100);
  table.add_task(101, 100);
  table.mark_exited(100);
  table.exec_by_thread(101, 100);
  CHECK_FALSE(table.contains(101));
  CHECK_FALSE(table.to_virtual(101).has_value());
  REQUIRE(table.task(100) != nullptr);
  CHECK_FALSE(table.task(100)->exited);
  CHECK(table.to_virtual(100) == 1);
}

TEST_CASE("a task's tracer inside the box is known until either is removed") {
  ProcessTable t(32768);
  t.add_task(100, 100);
  t.add_task(200, 200);
  CHECK(t.tracer_of(200) == 0);
  t.set_tracer(200, 100);
  CHECK(t.tracer_of(200) == 100);
  t.set_tracer(200, 0);
  CHECK(t.tracer_of(200) == 0);
  t.set_tracer(200, 100);
  t.remove(200, {});
  CHECK(t.tracer_of(200) == 0);
}
