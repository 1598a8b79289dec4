// The inode numbers of the box's /proc: one per node (proc_tree.h) the kernel holds, counted as
// FUSE counts lookups and forgotten when the kernel forgets it. Pure: no syscalls.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "procfs-fuse/proc_tree.h"

namespace vpidbox::procfs {

class InodeTable {
 public:
  using Ino = std::uint64_t;
  static constexpr Ino kRoot = 1;  // FUSE_ROOT_ID

  InodeTable();
  // The node an inode number stands for, or nullptr for one the kernel has forgotten.
  const NodeSpec* node(Ino ino) const;
  // The inode of `node`, one lookup more: the same number while the kernel holds it.
  Ino look_up(const NodeSpec& node);
  // The kernel dropped `count` lookups of `ino`.
  void forget(Ino ino, std::uint64_t count);
  std::size_t size() const { return inodes_.size(); }

 private:
  struct Inode {
    NodeSpec node;
    std::uint64_t lookups = 0;
  };
  std::unordered_map<Ino, Inode> inodes_;
  std::unordered_map<std::string, Ino> by_key_;
  Ino next_ = kRoot + 1;
};

}  // namespace vpidbox::procfs
