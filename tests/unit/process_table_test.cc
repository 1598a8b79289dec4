#include <doctest/doctest.h>

#include "translate/process_table.h"

using vpidbox::ProcessTable;

TEST_CASE("tasks get virtual numbers in order, threads from the same counter") {
  ProcessTable table(1000);
  CHECK(table.add_task(5000, 5000) == 1);
  CHECK(table.add_task(5007, 5007) == 2);
  CHECK(table.add_task(5009, 5007) == 3);  // a thread of 5007
  CHECK(table.to_virtual(5009, vpidbox::kTopLevel) == 3);
  CHECK(table.to_real(2, vpidbox::kTopLevel) == 5007);
  CHECK(table.virtual_tgid(5009) == 2);
  CHECK_FALSE(table.to_virtual(4242, vpidbox::kTopLevel).has_value());
}

TEST_CASE("a zombie keeps its number until it is removed") {
  ProcessTable table(1000);
  table.add_task(100, 100);
  table.add_task(200, 200);
  table.mark_exited(200);
  CHECK(table.to_virtual(200, vpidbox::kTopLevel) == 2);
  CHECK(table.exited_real_tids() == std::vector<vpidbox::Pid>{200});
  CHECK(table.live_real_tids() == std::vector<vpidbox::Pid>{100});
  table.remove(200, {});
  CHECK_FALSE(table.to_virtual(200, vpidbox::kTopLevel).has_value());
  CHECK_FALSE(table.to_real(2, vpidbox::kTopLevel).has_value());
}

TEST_CASE("a group id outlives its leader while a member uses it") {
  ProcessTable table(1000);
  table.add_task(100, 100);
  table.add_task(200, 200);  // leader of pgrp 200
  table.add_task(300, 300);  // member of pgrp 200
  table.remove(200, {200});
  CHECK_FALSE(table.contains(200));
  CHECK(table.to_virtual(200, vpidbox::kTopLevel) == 2);  // getpgid of the member still reads 2
  CHECK(table.held_numbers() == std::vector<vpidbox::Pid>{200});
  table.release_unused_groups({});
  CHECK(table.held_numbers().empty());
  CHECK_FALSE(table.to_virtual(200, vpidbox::kTopLevel).has_value());
}

TEST_CASE("execve by a non-leader thread gives it the leader's number") {
  ProcessTable table(1000);
  table.add_task(100, 100);
  table.add_task(101, 100);
  table.mark_exited(100);
  table.exec_by_thread(101, 100);
  CHECK_FALSE(table.contains(101));
  CHECK_FALSE(table.to_virtual(101, vpidbox::kTopLevel).has_value());
  REQUIRE(table.task(100) != nullptr);
  CHECK_FALSE(table.task(100)->exited);
  CHECK(table.to_virtual(100, vpidbox::kTopLevel) == 1);
}

TEST_CASE("a nested level numbers its tasks from 1 and every level above numbers them too") {
  using vpidbox::kTopLevel;
  ProcessTable table(1000);
  table.add_task(100, 100);  // init, 1
  table.add_task(110, 110);  // the nested box's front end, 2
  const std::optional<vpidbox::LevelId> inner = table.create_level(kTopLevel);
  REQUIRE(inner);
  CHECK(table.depth(*inner) == 1);
  CHECK(table.add_task(120, 120, *inner) == 1);  // the nested init: 1 inside...
  CHECK(table.to_virtual(120, kTopLevel) == 3);  // ...3 outside
  CHECK(table.init_of(*inner) == 120);
  CHECK(table.add_task(121, 120, kTopLevel) == 2);  // its thread joins its level
  CHECK(table.level_of(121) == *inner);
  CHECK(table.to_virtual(121, kTopLevel) == 4);
  CHECK(table.add_task(130, 130, *inner) == 3);
  // The inner level sees nothing of the outer one; the outer one sees everything.
  CHECK_FALSE(table.to_virtual(100, *inner));
  CHECK_FALSE(table.to_real(2, *inner) == 110);
  CHECK(table.to_real(2, *inner) == 121);
  CHECK(table.sees(kTopLevel, *inner));
  CHECK_FALSE(table.sees(*inner, kTopLevel));
  CHECK(table.numbers_from(130, kTopLevel) == std::vector<vpidbox::Pid>{5, 3});
  CHECK(table.numbers_from(130, *inner) == std::vector<vpidbox::Pid>{3});
  CHECK(table.numbers_from(100, *inner).empty());
  CHECK(table.task_count_seen_from(*inner) == 3);
  CHECK(table.task_count_seen_from(kTopLevel) == 5);
  // Numbers are per level: releasing the task frees both.
  table.remove(130, {});
  CHECK_FALSE(table.to_virtual(130, kTopLevel));
  CHECK(table.recently_released(130, *inner) == 3);
  CHECK(table.recently_released(130, kTopLevel) == 5);
}

TEST_CASE("a level whose init has exited takes no new task, and is forgotten once empty") {
  using vpidbox::kTopLevel;
  ProcessTable table(1000);
  table.add_task(100, 100);
  const vpidbox::LevelId inner = *table.create_level(kTopLevel);
  table.add_task(120, 120, inner);
  table.add_task(130, 130, inner);
  table.mark_exited(120);
  CHECK(table.level_ended(inner));
  CHECK_FALSE(table.add_task(140, 140, inner));
  CHECK_FALSE(table.to_virtual(140, kTopLevel));  // nothing was allocated above either
  table.remove(130, {});
  table.remove(120, {});
  table.forget_level_if_empty(inner);
  CHECK_FALSE(table.has_level(inner));
  CHECK_FALSE(table.level_ended(kTopLevel));
}

TEST_CASE("32 levels nest, the 33rd is refused as the kernel refuses it (ENOSPC)") {
  ProcessTable table(1000);
  vpidbox::LevelId level = vpidbox::kTopLevel;
  for (int depth = 1; depth < vpidbox::kMaxLevels; ++depth) {
    std::optional<vpidbox::LevelId> next = table.create_level(level);
    REQUIRE(next);
    level = *next;
  }
  CHECK(table.depth(level) == vpidbox::kMaxLevels - 1);
  CHECK_FALSE(table.create_level(level));
}

TEST_CASE("a full level fails the allocation in every level") {
  using vpidbox::kTopLevel;
  ProcessTable table(4);  // numbers 1..3
  table.add_task(100, 100);
  const vpidbox::LevelId inner = *table.create_level(kTopLevel);
  table.add_task(120, 120, inner);               // 2 outside, 1 inside
  table.add_task(130, 130, inner);               // 3 outside, 2 inside
  CHECK_FALSE(table.add_task(140, 140, inner));  // the top level is full
  CHECK(table.add_task(150, 150, kTopLevel) == std::nullopt);
  table.remove(130, {});
  // The failed allocation moved the inner level's cursor past 3, as the kernel's idr does: the
  // number after the wrap is the lowest free one.
  CHECK(table.add_task(140, 140, inner) == 2);
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
