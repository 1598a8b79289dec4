// The inode table of the box's /proc, as the kernel's lookups and forgets drive it.
#include <doctest/doctest.h>

#include "procfs-fuse/inode_table.h"

using namespace vpidbox;
using namespace vpidbox::procfs;

TEST_CASE("a node keeps its inode while the kernel holds it, and only then") {
  ProcessTable table(32768);
  table.add_task(500, 500);
  InodeTable inodes;
  REQUIRE(inodes.node(InodeTable::kRoot));
  CHECK(inodes.node(InodeTable::kRoot)->kind == NodeKind::kRoot);
  const NodeSpec dir = *child_of(root_node(), "1", table);
  const NodeSpec stat = *child_of(dir, "stat", table);
  const InodeTable::Ino a = inodes.look_up(dir);
  CHECK(inodes.look_up(dir) == a);  // two lookups
  const InodeTable::Ino b = inodes.look_up(stat);
  CHECK(b != a);
  CHECK(b != InodeTable::kRoot);
  inodes.forget(a, 1);
  REQUIRE(inodes.node(a));
  CHECK(inodes.node(a)->host_path == "500");
  inodes.forget(a, 1);
  CHECK_FALSE(inodes.node(a));
  // A node looked up again after it was forgotten gets a new number.
  CHECK(inodes.look_up(dir) != a);
  // The root is never forgotten.
  inodes.forget(InodeTable::kRoot, 100);
  CHECK(inodes.node(InodeTable::kRoot));
}
