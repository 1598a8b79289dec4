// The shape of the box's /proc and the fd-link path parser, on plain tables.
#include <doctest/doctest.h>

#include "procfs-fuse/fd_path.h"
#include "procfs-fuse/proc_tree.h"
#include "procfs-fuse/sample_box.h"

using namespace vpidbox;
using namespace vpidbox::procfs;

namespace {

using testing::sample_box;

NodeSpec walk(const ProcessTable& table, std::initializer_list<std::string_view> names) {
  NodeSpec node = root_node();
  for (std::string_view name : names) {
    std::optional<NodeSpec> next = child_of(node, name, table);
    REQUIRE_MESSAGE(next.has_value(), "no ", name);
    node = *next;
  }
  return node;
}

}  // namespace

TEST_CASE("the root lists the box's processes by box number, not its threads") {
  const ProcessTable table = sample_box();
  CHECK(listed_processes(table, kTopLevel) == std::vector<Pid>{1, 3});
  CHECK(listed_threads(501, table, kTopLevel) == std::vector<Pid>{1, 2});
  CHECK(listed_threads(600, table, kTopLevel) == std::vector<Pid>{3});
}

TEST_CASE("a box number leads to the host directory of its real task") {
  const ProcessTable table = sample_box();
  NodeSpec p = walk(table, {"3"});
  CHECK(p.kind == NodeKind::kProcessDir);
  CHECK(p.host_path == "600");
  // A thread is reachable by its number, as in procfs.
  CHECK(walk(table, {"2"}).host_path == "501");
  CHECK(walk(table, {"1", "task", "2", "stat"}).host_path == "500/task/501/stat");
  CHECK(walk(table, {"1", "task", "2", "stat"}).rewrite == Rewrite::kStat);
  CHECK(walk(table, {"3", "status"}).rewrite == Rewrite::kStatus);
  CHECK(walk(table, {"1", "task", "1", "children"}).rewrite == Rewrite::kChildren);
  CHECK(walk(table, {"3", "sched"}).rewrite == Rewrite::kSched);
  CHECK(walk(table, {"3", "fdinfo", "4"}).rewrite == Rewrite::kFdinfo);
  CHECK(walk(table, {"3", "net", "stat"}).rewrite == Rewrite::kNone);
  CHECK(walk(table, {"loadavg"}).rewrite == Rewrite::kLoadavg);
  CHECK(walk(table, {"locks"}).rewrite == Rewrite::kLocks);
  CHECK(walk(table, {"sys", "kernel", "ns_last_pid"}).rewrite == Rewrite::kLastPid);
  CHECK(walk(table, {"sys", "kernel", "pid_max"}).rewrite == Rewrite::kPidMax);
  CHECK(walk(table, {"sysvipc", "shm"}).rewrite == Rewrite::kSysvipc);
  CHECK(walk(table, {"sysvipc", "sem"}).rewrite == Rewrite::kNone);
  CHECK(walk(table, {"3", "timers"}).rewrite == Rewrite::kTimers);
}

TEST_CASE("numbers outside the box do not exist, whatever the host has") {
  const ProcessTable table = sample_box();
  CHECK_FALSE(child_of(root_node(), "500", table));  // a real number
  CHECK_FALSE(child_of(root_node(), "4", table));
  CHECK_FALSE(child_of(root_node(), "01", table));
  CHECK_FALSE(child_of(root_node(), "..", table));
  // task/<t> holds only the group's own threads.
  CHECK_FALSE(child_of(walk(table, {"3", "task"}), "1", table));
  CHECK_FALSE(child_of(walk(table, {"1", "task"}), "3", table));
}

TEST_CASE("a node stops resolving when its task is gone, even if its number is reused") {
  ProcessTable table = sample_box();
  const NodeSpec stat = walk(table, {"3", "stat"});
  CHECK(still_valid(stat, table));
  table.mark_exited(600);
  CHECK(still_valid(stat, table));  // a zombie keeps its directory
  table.remove(600, {});
  CHECK_FALSE(still_valid(stat, table));
  CHECK_FALSE(child_of(root_node(), "3", table));
  // An exited thread leaves /proc at once.
  table.mark_exited(501);
  CHECK_FALSE(child_of(root_node(), "2", table));
  CHECK(listed_threads(500, table, kTopLevel) == std::vector<Pid>{1});
}

TEST_CASE("self and thread-self are the caller's") {
  const ProcessTable table = sample_box();
  CHECK(self_link(501, table, kTopLevel) == "1");
  CHECK(thread_self_link(501, table, kTopLevel) == "1/task/2");
  CHECK(self_link(600, table, kTopLevel) == "3");
  CHECK_FALSE(self_link(999, table, kTopLevel));
  CHECK(walk(table, {"self"}).kind == NodeKind::kSelfLink);
  CHECK(walk(table, {"thread-self"}).kind == NodeKind::kThreadSelfLink);
}

TEST_CASE("names in an fd directory: numbers are links, other names are followed objects") {
  const ProcessTable table = sample_box();
  CHECK(walk(table, {"3", "fd", "0"}).kind == NodeKind::kHost);
  CHECK(walk(table, {"3", "fd", "12"}).kind == NodeKind::kHost);
  const NodeSpec pipe = walk(table, {"3", "fd", "pipe:[4242]"});
  CHECK(pipe.kind == NodeKind::kFdTarget);
  CHECK(pipe.host_path == "600/fd/pipe:[4242]");
}

TEST_CASE("fd-link paths") {
  auto p = parse_fd_path("/dev/fd/63");
  REQUIRE(p);
  CHECK(p->who == FdPath::Who::kSelf);
  CHECK(p->fd == 63);
  CHECK(p->rest.empty());
  CHECK(parse_fd_path("/dev/stderr")->fd == 2);
  CHECK(parse_fd_path("/dev/stdin")->fd == 0);
  p = parse_fd_path("//proc/./12/task/13/fd/0/sub//dir");
  REQUIRE(p);
  CHECK(p->who == FdPath::Who::kNumber);
  CHECK(p->number == 12);
  CHECK(p->task == 13);
  CHECK(p->fd == 0);
  CHECK(p->rest == "/sub/dir");
  CHECK(parse_fd_path("/proc/thread-self/fd/3")->who == FdPath::Who::kThreadSelf);
  CHECK(parse_fd_path("/proc/self/fd/3")->who == FdPath::Who::kSelf);
  CHECK_FALSE(parse_fd_path("/proc/self/fd"));
  CHECK_FALSE(parse_fd_path("/proc/self/fdinfo/3"));
  CHECK_FALSE(parse_fd_path("/proc/self/fd/../fd/3"));
  CHECK_FALSE(parse_fd_path("proc/self/fd/3"));
  CHECK_FALSE(parse_fd_path("/proc/self/exe"));
  CHECK_FALSE(parse_fd_path("/dev/null"));
  CHECK_FALSE(parse_fd_path("/dev/fd/x"));
  CHECK_FALSE(parse_fd_path("/proc/self/fd/007"));
}

TEST_CASE("absolute paths resolve as the caller walks them") {
  const ProcessTable table = sample_box();
  auto node = resolve_proc_path("/proc/self/stat", 600, table);
  REQUIRE(node);
  CHECK(node->host_path == "600/stat");
  CHECK(node->rewrite == Rewrite::kStat);
  node = resolve_proc_path("//proc/thread-self/./status", 501, table);
  REQUIRE(node);
  CHECK(node->host_path == "500/task/501/status");
  CHECK(resolve_proc_path("/proc/1/task/2/comm", 600, table)->host_path == "500/task/501/comm");
  CHECK(resolve_proc_path("/proc/meminfo", 600, table)->host_path == "meminfo");
  CHECK_FALSE(resolve_proc_path("/proc/500/stat", 600, table));  // a real number
  CHECK_FALSE(resolve_proc_path("/proc/self/../1/stat", 600, table));
  CHECK_FALSE(resolve_proc_path("/etc/passwd", 600, table));
  CHECK_FALSE(resolve_proc_path("/procfoo/1", 600, table));
  CHECK_FALSE(resolve_proc_path("/proc/self/stat", 999, table));  // a caller outside the box
  CHECK(resolve_proc_path("/proc", 600, table)->kind == NodeKind::kRoot);
}

TEST_CASE("the box path of a node names box numbers") {
  const ProcessTable table = sample_box();
  CHECK(box_path(*resolve_proc_path("/proc/self/task/2/stat", 501, table)) ==
        "/proc/1/task/2/stat");
  CHECK(box_path(*resolve_proc_path("/proc/3/status", 501, table)) == "/proc/3/status");
  CHECK(box_path(*resolve_proc_path("/proc/meminfo", 501, table)) == "/proc/meminfo");
  CHECK(box_path(root_node()) == "/proc");
}

TEST_CASE("pid_max shows the box's own limit, not the host's") {
  ProcessTable table(4194304);
  table.add_task(500, 500);
  const NodeSpec node = walk(table, {"sys", "kernel", "pid_max"});
  CHECK(render_for_reader(node, "32768\n", table, false) == "4194304\n");
}
