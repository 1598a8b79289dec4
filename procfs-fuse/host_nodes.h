// The host side of the nodes of the box's /proc (proc_tree.h): what the supervisor's own /proc
// says of each, in the box's terms (attributes, link texts, directory entries). Every call asks
// the supervisor's /proc, never the box's: the box's is served by the thread that asks.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

#include "procfs-fuse/host_proc.h"
#include "procfs-fuse/proc_tree.h"
#include "translate/process_table.h"

namespace vpidbox::procfs {

struct DirEntry {
  std::string name;
  mode_t type;  // S_IF* bits
};

class HostNodes {
 public:
  HostNodes(const ProcessTable& table, BoxProcMount mount) : table_(table), mount_(mount) {}
  ~HostNodes();
  HostNodes(const HostNodes&) = delete;
  HostNodes& operator=(const HostNodes&) = delete;

  // Opens the supervisor's /proc: 0 or an errno.
  int open();
  // The supervisor's /proc (O_PATH), and a node's path beneath it.
  int dir() const { return dir_; }
  static const char* path_of(const NodeSpec& node) {
    return node.host_path.empty() ? "." : node.host_path.c_str();
  }

  // The attributes the box sees for a node asked by real task `caller`: 0, or an errno.
  int attributes(const NodeSpec& node, Pid caller, struct stat& st) const;
  // The text of a host link node (`text` as the host's readlink gave it) as the box sees it.
  void show_link_as_box(const NodeSpec& node, std::string& text) const;
  // The host entries of a directory node, in the host's order: 0, or an errno. The root's pid
  // entries are the host's, and left out.
  int read_dir(const NodeSpec& node, std::vector<DirEntry>& entries) const;

 private:
  int fd_target_attributes(const NodeSpec& node, struct stat& st) const;

  const ProcessTable& table_;
  BoxProcMount mount_;
  int dir_ = -1;
};

}  // namespace vpidbox::procfs
