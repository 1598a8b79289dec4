// The box's view of host procfs paths (proc_view.h), on a plain table.
#include <doctest/doctest.h>

#include "procfs-fuse/open_plan.h"
#include "procfs-fuse/proc_view.h"
#include "procfs-fuse/sample_box.h"

using namespace vpidbox;
using namespace vpidbox::procfs;

TEST_CASE("host paths read in the box's numbers") {
  const ProcessTable table = testing::sample_box();
  const std::optional<NodeSpec> root = node_for_host_path("", table, kTopLevel);
  REQUIRE(root);
  CHECK(root->kind == NodeKind::kRoot);
  const std::optional<NodeSpec> child = node_for_host_path("600/status", table, kTopLevel);
  REQUIRE(child);
  CHECK(box_path(*child) == "/proc/3/status");
  CHECK(child->rewrite == Rewrite::kStatus);
  const std::optional<NodeSpec> thread = node_for_host_path("500/task/501/stat", table, kTopLevel);
  REQUIRE(thread);
  CHECK(box_path(*thread) == "/proc/1/task/2/stat");
  CHECK(thread->bound_thread_real == 501);
  // A thread is reachable under its own number too, as in procfs.
  CHECK(box_path(*node_for_host_path("501/fd", table, kTopLevel)) == "/proc/2/fd");
  // Names that are not numbers pass as they are.
  CHECK(box_path(*node_for_host_path("sys/kernel/pid_max", table, kTopLevel)) ==
        "/proc/sys/kernel/pid_max");
  // A task the box does not have: no node, whatever the host shows there.
  CHECK_FALSE(node_for_host_path("4242/status", table, kTopLevel));
  CHECK_FALSE(node_for_host_path("500/task/600", table, kTopLevel));  // not 500's thread
}

TEST_CASE("the node above a node, up to the root") {
  const ProcessTable table = testing::sample_box();
  const NodeSpec stat = *node_for_host_path("500/task/501/stat", table, kTopLevel);
  const std::optional<NodeSpec> up = parent_node(stat, table);
  REQUIRE(up);
  CHECK(box_path(*up) == "/proc/1/task/2");
  const NodeSpec list = *parent_node(*up, table);
  CHECK(list.kind == NodeKind::kTaskList);
  const NodeSpec process = *parent_node(list, table);
  CHECK(process.kind == NodeKind::kProcessDir);
  CHECK(parent_node(process, table)->kind == NodeKind::kRoot);
  CHECK_FALSE(parent_node(root_node(), table));
}

TEST_CASE("a task's links are magic, the root's are text") {
  const ProcessTable table = testing::sample_box();
  CHECK(is_task_link(*node_for_host_path("600/exe", table, kTopLevel)));
  CHECK(is_task_link(*node_for_host_path("600/fd/3", table, kTopLevel)));
  CHECK(is_task_link(*node_for_host_path("500/task/501/cwd", table, kTopLevel)));
  CHECK_FALSE(is_task_link(*node_for_host_path("mounts", table, kTopLevel)));
  CHECK_FALSE(is_task_link(*node_for_host_path("net", table, kTopLevel)));
}

TEST_CASE("the shadow's names say the box's paths they stand for") {
  const std::string base = "/dev/shm/vpidbox-proc.AbC123";
  CHECK(box_path_of_shadow(base + "/proc", base) == "/proc");
  CHECK(box_path_of_shadow(base + "/" + shadow_root_name(2), base) == "/proc");
  CHECK(box_path_of_shadow(base + "/task/" + shadow_task_dir_name(0, 3, 600), base) ==
        "/proc/3/task");
  CHECK(box_path_of_shadow(base + "/copy/" + shadow_entry_name(7, "/proc/3/status"), base) ==
        "/proc/3/status");
  CHECK(box_path_of_shadow(base + "/list/" + shadow_entry_name(8, "/proc/1/fd"), base) ==
        "/proc/1/fd");
  CHECK_FALSE(box_path_of_shadow("/dev/shm/other/proc", base));
  CHECK_FALSE(box_path_of_shadow(base + "x/proc", base));
  CHECK_FALSE(box_path_of_shadow(base + "/proc", ""));
}

TEST_CASE("link texts and working directories as the box reads them") {
  const ProcessTable table = testing::sample_box();
  const std::string base = "/dev/shm/vpidbox-proc.AbC123";
  auto shown = [&](std::string_view text) {
    return show_path_as_box(text, "/proc", base, table, kTopLevel);
  };
  CHECK(shown("/proc/600/fd") == "/proc/3/fd");
  CHECK(shown("/proc/500/task/501") == "/proc/1/task/2");
  CHECK(shown("/proc") == "/proc");
  CHECK(shown("/proc/sys/kernel") == "/proc/sys/kernel");
  CHECK(shown(base + "/proc") == "/proc");
  CHECK(shown(base + "/task/0-1-500") == "/proc/1/task");
  CHECK(shown("/memfd:/proc/3/status (deleted)") == "/proc/3/status");
  // Anything else stays: files outside, a task the box does not have, other texts.
  CHECK(shown("/etc/hostname") == "/etc/hostname");
  CHECK(shown("/proc/4242/fd") == "/proc/4242/fd");
  CHECK(shown("pipe:[1234]") == "pipe:[1234]");
  CHECK(shown("/processes/600") == "/processes/600");
  CHECK(shown("/tmp/gone (deleted)") == "/tmp/gone (deleted)");
  // Where the supervisor sees procfs elsewhere, the box's names keep that place.
  CHECK(show_path_as_box("/mnt/p/600/stat", "/mnt/p", base, table, kTopLevel) == "/mnt/p/3/stat");
}
