#include <doctest/doctest.h>

#include "supervisor/landlock_guard.h"
#include "supervisor/mount_info.h"

using namespace vpidbox;

namespace {

// A container's mounts, as Docker makes them: the box's /proc with masked and read-only paths.
constexpr const char* kDockerMounts =
    "100 90 0:50 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/l\n"
    "101 100 0:53 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
    "102 100 0:54 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n"
    "103 101 0:54 /null /proc/kcore rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n"
    "104 101 0:55 / /proc/acpi ro,relatime - tmpfs tmpfs ro\n"
    "105 101 0:53 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw\n"
    "106 100 8:1 /var/lib/x /my\\040dir rw shared:2 master:3 - ext4 /dev/sda1 rw\n"
    "garbage line\n";

}  // namespace

TEST_CASE("mountinfo: fields, optional fields and escapes") {
  const std::vector<MountEntry> mounts = parse_mountinfo(kDockerMounts);
  REQUIRE(mounts.size() == 7);
  CHECK(mounts[0].id == 100);
  CHECK(mounts[0].parent == 90);
  CHECK(mounts[0].mount_point == "/");
  CHECK(mounts[0].fstype == "overlay");
  CHECK(mounts[1].fstype == "proc");
  CHECK(mounts[5].root == "/sys");
  CHECK(mounts[6].mount_point == "/my dir");
  CHECK(mounts[6].root == "/var/lib/x");
  CHECK(mounts[6].fstype == "ext4");
}

TEST_CASE("procfs mounts, and the mounts beneath them") {
  const std::vector<MountEntry> mounts = parse_mountinfo(kDockerMounts);
  CHECK(procfs_mount_points(mounts) == std::vector<std::string>{"/proc", "/proc/sys"});
  CHECK(mounts_beneath_procfs(mounts) == std::vector<std::string>{"/proc/kcore", "/proc/acpi"});
}

TEST_CASE("a path within another") {
  CHECK(path_within("/proc", "/proc"));
  CHECK(path_within("/proc/1/status", "/proc"));
  CHECK_FALSE(path_within("/process", "/proc"));
  CHECK_FALSE(path_within("/pro", "/proc"));
  CHECK(path_within("/anything", "/"));
  CHECK_FALSE(path_within("relative", "/"));
}

TEST_CASE("the Landlock guard's plan: denied procfs mounts and the directories above them") {
  const GuardPlan plan = plan_proc_guard({"/proc"});
  CHECK(plan.denied == std::vector<std::string>{"/proc"});
  CHECK(plan.ancestors == std::vector<std::string>{"/"});
  CHECK(is_guard_ancestor(plan, "/"));
  CHECK_FALSE(is_guard_ancestor(plan, "/proc"));

  // Docker's /proc/sys is a procfs mount beneath /proc: covered, not a second denial.
  const GuardPlan docker = plan_proc_guard({"/proc", "/proc/sys"});
  CHECK(docker.denied == std::vector<std::string>{"/proc"});
  CHECK(docker.ancestors == std::vector<std::string>{"/"});

  // A procfs elsewhere: every directory on the way is an ancestor, shortest first.
  const GuardPlan nested = plan_proc_guard({"/proc", "/srv/chroot/proc", "/proc"});
  CHECK(nested.denied == std::vector<std::string>{"/proc", "/srv/chroot/proc"});
  CHECK(nested.ancestors == std::vector<std::string>{"/", "/srv", "/srv/chroot"});

  // Nothing sensible to deny: no plan.
  CHECK(plan_proc_guard({"/", "relative"}).denied.empty());
}
