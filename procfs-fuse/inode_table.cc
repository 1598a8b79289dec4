#include "procfs-fuse/inode_table.h"

namespace vpidbox::procfs {

InodeTable::InodeTable() {
  inodes_[kRoot] = Inode{root_node(), 1};
}

const NodeSpec* InodeTable::node(Ino ino) const {
  auto it = inodes_.find(ino);
  return it == inodes_.end() ? nullptr : &it->second.node;
}

InodeTable::Ino InodeTable::look_up(const NodeSpec& node) {
  std::string key = node.key();
  auto found = by_key_.find(key);
  if (found != by_key_.end()) {
    ++inodes_[found->second].lookups;
    return found->second;
  }
  const Ino ino = next_++;
  inodes_[ino] = Inode{node, 1};
  by_key_[std::move(key)] = ino;
  return ino;
}

void InodeTable::forget(Ino ino, std::uint64_t count) {
  if (ino == kRoot) return;
  auto it = inodes_.find(ino);
  if (it == inodes_.end()) return;
  if (it->second.lookups > count) {
    it->second.lookups -= count;
    return;
  }
  by_key_.erase(it->second.node.key());
  inodes_.erase(it);
}

}  // namespace vpidbox::procfs
