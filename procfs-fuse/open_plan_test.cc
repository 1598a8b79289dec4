// The open plan: what an open of the box's /proc gets, on plain tables. Both servers of such
// opens (FUSE and the supervisor's open route) follow it, so these are the answers a box sees.
#include <doctest/doctest.h>
#include <fcntl.h>

#include <cerrno>

#include "procfs-fuse/open_plan.h"
#include "procfs-fuse/sample_box.h"

using namespace vpidbox;
using namespace vpidbox::procfs;

namespace {

using testing::sample_box;

OpenPlan plan_for(const ProcessTable& table, std::string_view path, int flags, Pid opener) {
  std::optional<NodeSpec> node = resolve_proc_path(path, opener, table);
  REQUIRE_MESSAGE(node.has_value(), "no ", path);
  return plan_open(*node, flags, opener, table);
}

}  // namespace

TEST_CASE("a file the box sees unchanged is the host file, installed at the open") {
  const ProcessTable table = sample_box();
  const OpenPlan plan = plan_for(table, "/proc/3/comm", O_RDWR, 600);
  CHECK(plan.serves == OpenServes::kHostFile);
  CHECK(plan.host_path == "600/comm");
  CHECK(plan.task == 600);
  CHECK(plan.opener_owns);
  CHECK(plan.served_in_notification);
  // Another process's file: judged as the opener, not as the owner.
  CHECK_FALSE(plan_for(table, "/proc/3/comm", O_RDONLY, 501).opener_owns);
  CHECK(plan_for(table, "/proc/uptime", O_RDONLY, 600).serves == OpenServes::kHostFile);
  CHECK(plan_for(table, "/proc/uptime", O_RDONLY, 600).task == 0);
}

TEST_CASE("a task's rendered file is read about the thread its path names") {
  const ProcessTable table = sample_box();
  OpenPlan plan = plan_for(table, "/proc/1/task/2/stat", O_RDONLY, 500);
  CHECK(plan.serves == OpenServes::kRendered);
  CHECK(plan.rewrite == Rewrite::kStat);
  CHECK(plan.host_path == "500/task/501/stat");
  CHECK(plan.task == 501);
  CHECK(plan.opener_owns);  // a thread of the same process
  CHECK(plan.served_in_notification);
  CHECK(plan.read_by_task(501));
  CHECK_FALSE(plan.read_by_task(500));
  // self is the opener's process.
  plan = plan_for(table, "/proc/self/status", O_RDONLY, 600);
  CHECK(plan.task == 600);
  CHECK(plan.read_by_task(600));
}

TEST_CASE("files about no task are rendered anew at every read: FUSE serves them") {
  const ProcessTable table = sample_box();
  for (const char* path :
       {"/proc/loadavg", "/proc/locks", "/proc/sysvipc/shm", "/proc/sys/kernel/ns_last_pid"}) {
    CAPTURE(path);
    const OpenPlan plan = plan_for(table, path, O_RDONLY, 600);
    CHECK(plan.serves == OpenServes::kRendered);
    CHECK(plan.task == 0);
    CHECK_FALSE(plan.read_by_task(600));
    CHECK_FALSE(plan.served_in_notification);
  }
}

TEST_CASE("writes: refused for rendered files but ns_last_pid, which writes the table") {
  const ProcessTable table = sample_box();
  OpenPlan plan = plan_for(table, "/proc/3/status", O_WRONLY, 600);
  CHECK(plan.serves == OpenServes::kError);
  CHECK(plan.error == EACCES);
  CHECK_FALSE(plan.served_in_notification);
  plan = plan_for(table, "/proc/sys/kernel/ns_last_pid", O_WRONLY | O_TRUNC, 600);
  CHECK(plan.serves == OpenServes::kRendered);
  CHECK(plan.writes_last_pid);
  CHECK_FALSE(plan.served_in_notification);
  // pid_max too, since Linux 6.14 a namespace's own (who may write it, its mode says).
  plan = plan_for(table, "/proc/sys/kernel/pid_max", O_WRONLY, 600);
  CHECK(plan.serves == OpenServes::kRendered);
  CHECK(plan.writes_pid_max);
  CHECK_FALSE(plan.writes_last_pid);
  CHECK_FALSE(plan.served_in_notification);
  // A written host file goes to the host file, in the opener's own context.
  plan = plan_for(table, "/proc/self/attr/current", O_WRONLY, 600);
  CHECK(plan.serves == OpenServes::kHostFile);
  CHECK_FALSE(plan.writes_last_pid);
  CHECK(plan.served_in_notification);
}

TEST_CASE("directories, links and O_PATH handles are the kernel's to open") {
  const ProcessTable table = sample_box();
  CHECK(plan_for(table, "/proc/3", O_RDONLY, 600).serves == OpenServes::kNotAFile);
  CHECK(plan_for(table, "/proc/3/task", O_RDONLY, 600).serves == OpenServes::kNotAFile);
  CHECK(plan_open(root_node(), O_RDONLY, 600, table).serves == OpenServes::kNotAFile);
  CHECK_FALSE(plan_for(table, "/proc/3/fd", O_RDONLY | O_DIRECTORY, 600).served_in_notification);
  CHECK_FALSE(plan_for(table, "/proc/3/comm", O_PATH, 600).served_in_notification);
  CHECK_FALSE(plan_for(table, "/proc/3/stat", O_RDONLY | O_DIRECTORY, 600).served_in_notification);
}

TEST_CASE("a gone task's file and a followed fd object fail as procfs fails them") {
  ProcessTable table = sample_box();
  const NodeSpec stat = *resolve_proc_path("/proc/3/stat", 600, table);
  const NodeSpec pipe = *resolve_proc_path("/proc/3/fd/pipe:[4242]", 600, table);
  OpenPlan plan = plan_open(pipe, O_RDONLY, 600, table);
  CHECK(plan.serves == OpenServes::kError);
  CHECK(plan.error == ENXIO);
  CHECK_FALSE(plan.served_in_notification);
  table.remove(600, {});
  plan = plan_open(stat, O_RDONLY, 500, table);
  CHECK(plan.serves == OpenServes::kError);
  CHECK(plan.error == ENOENT);
}

TEST_CASE("a rendered file's memfd is named by its box path, and read back from its link") {
  const ProcessTable table = sample_box();
  const NodeSpec stat = *resolve_proc_path("/proc/1/task/2/stat", 500, table);
  CHECK(memfd_name(stat) == "/proc/1/task/2/stat");
  CHECK(box_path_of_memfd_link("/memfd:" + memfd_name(stat) + " (deleted)") ==
        "/proc/1/task/2/stat");
  CHECK_FALSE(box_path_of_memfd_link("/memfd:/proc/1/stat"));       // not the kernel's form
  CHECK_FALSE(box_path_of_memfd_link("/memfd:scratch (deleted)"));  // another program's memfd
  CHECK_FALSE(box_path_of_memfd_link("/proc/500/stat (deleted)"));  // a host file
  CHECK_FALSE(box_path_of_memfd_link("/memfd:/proc (deleted)"));
}
