// Nested boxes: level paths, and the rows `vpidbox ps` prints.
#include <doctest/doctest.h>

#include "supervisor/box_listing.h"
#include "translate/level_paths.h"

using namespace vpidbox;

namespace {

// A box with two boxes nested in it, one of which has one more:
//   top: 100 (1), 110 (2, front end), 120 (3 = init of A), 140 (5 = init of B's front end...)
struct NestedSample {
  ProcessTable table{1000};
  LevelId a = 0, b = 0, a1 = 0;
  NestedSample() {
    table.add_task(100, 100);  // 1
    table.add_task(110, 110);  // 2: front end of A
    a = *table.create_level(kTopLevel);
    table.add_task(120, 120, a);  // 3 outside, 1 in A
    table.add_task(130, 130, a);  // 4, 2 in A: front end of A1
    a1 = *table.create_level(a);
    table.add_task(135, 135, a1);  // 5, 3 in A, 1 in A1
    b = *table.create_level(kTopLevel);
    table.add_task(140, 140, b);  // 6, 1 in B
  }
};

}  // namespace

TEST_CASE("a nested box is named by its init's number in each level on the way") {
  NestedSample s;
  CHECK(resolve_level_path(s.table, kTopLevel, "") == kTopLevel);
  CHECK(resolve_level_path(s.table, kTopLevel, "3") == s.a);
  CHECK(resolve_level_path(s.table, kTopLevel, "6") == s.b);
  CHECK(resolve_level_path(s.table, kTopLevel, "3/3") == s.a1);
  CHECK(resolve_level_path(s.table, s.a, "3") == s.a1);
  CHECK_FALSE(resolve_level_path(s.table, kTopLevel, "4"));    // a process, not a box's init
  CHECK_FALSE(resolve_level_path(s.table, kTopLevel, "3/1"));  // 1 in A is A itself
  CHECK_FALSE(resolve_level_path(s.table, kTopLevel, "x"));
  CHECK_FALSE(resolve_level_path(s.table, kTopLevel, "3//3"));
  CHECK_FALSE(resolve_level_path(s.table, s.a, "6"));  // B is not nested in A
  CHECK(level_path(s.table, kTopLevel, s.a1) == "3/3");
  CHECK(level_path(s.table, s.a, s.a1) == "3");
  CHECK(level_path(s.table, s.a, s.a) == "");
  CHECK_FALSE(level_path(s.table, s.b, s.a));
}

TEST_CASE("rows travel as text and come back the same") {
  const std::vector<BoxRow> boxes = {{"3f2a9c1b7d4e", 4242, 3, 1764800000, "sh -c echo\thi"},
                                     {"3f2a9c1b7d4e/4", 4250, 1, 1764800005, "sleep 9"}};
  const std::vector<BoxRow> back = decode_box_rows(encode_box_rows(boxes));
  REQUIRE(back.size() == 2);
  CHECK(back[0].id == "3f2a9c1b7d4e");
  CHECK(back[0].init_pid == 4242);
  CHECK(back[0].processes == 3);
  CHECK(back[0].started == 1764800000);
  CHECK(back[0].command == "sh -c echo hi");  // a tab would split the fields
  CHECK(back[1].id == "3f2a9c1b7d4e/4");
  const std::vector<ProcessRow> procs = {{1, 4242, "sh"}, {2, 4243, "sleep 100"}};
  const std::vector<ProcessRow> procs_back = decode_process_rows(encode_process_rows(procs));
  REQUIRE(procs_back.size() == 2);
  CHECK(procs_back[1].box_pid == 2);
  CHECK(procs_back[1].outer_pid == 4243);
  CHECK(procs_back[1].command == "sleep 100");
  CHECK(decode_box_rows("garbage\n\n").empty());
}

TEST_CASE("ps lists a nested box right after the box it is nested in") {
  const std::vector<BoxRow> rows = {{"bbb", 20, 1, 0, "b"},
                                    {"aaa/12", 13, 1, 0, "a12"},
                                    {"aaa", 10, 4, 0, "a"},
                                    {"aaa/4", 11, 2, 0, "a4"},
                                    {"aaa/4/2", 12, 1, 0, "a42"}};
  CHECK(format_box_table(rows, true) == "aaa\naaa/4\naaa/4/2\naaa/12\nbbb\n");
  const std::string table = format_box_table(rows, false);
  CHECK(table.starts_with("ID       PID       PROCS  STARTED   COMMAND\n"));
  CHECK(table.find("aaa/4/2  12        1      ") != std::string::npos);
}

TEST_CASE("a start time shows the time of day today, the date before") {
  const std::int64_t noon = 1764849600;  // 2025-12-04 12:00:00 UTC
  CHECK(format_start_time(noon - 3600, noon, 0) == "11:00:00");
  CHECK(format_start_time(noon - 86400, noon, 0) == "Dec03");
  CHECK(format_start_time(noon - 3600, noon, 3600) == "12:00:00");
}
