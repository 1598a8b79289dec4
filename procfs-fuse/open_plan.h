// What an open of a node of the box's /proc gets: one decision for the two places that serve
// such opens, so that they never disagree about what a file holds:
//  - the FUSE filesystem (proc_fs.h), for an open that reached it;
//  - the supervisor's open route (supervisor/proc_open.h), which answers in the open's own
//    seccomp notification what it can, by installing the file in the caller.
// Pure: decided from the node (proc_tree.h), the open's flags and the process table.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "procfs-fuse/proc_tree.h"
#include "translate/process_table.h"

namespace vpidbox::procfs {

enum class OpenServes {
  kError,     // the open fails with `error`
  kNotAFile,  // a directory or a link: FUSE's opendir and readlink, or the kernel's own walk
  kHostFile,  // the host procfs file at `host_path`, passed through, reads and writes
  kRendered,  // the text of the host file at `host_path`, through the renderer `rewrite`
};

struct OpenPlan {
  OpenServes serves = OpenServes::kNotAFile;
  int error = 0;          // for kError
  std::string host_path;  // relative to the supervisor's /proc
  Rewrite rewrite = Rewrite::kNone;
  // The real task the file is about: the thread of task/<t> when the path goes through one,
  // else the process of /proc/<n>; 0 for a file about no task.
  Pid task = 0;
  // The opener belongs to the process the path goes through: procfs judges such opens as the
  // owner's (supervisor/cred_worker.h, own_task).
  bool opener_owns = false;
  // A rendered file whose writes change the table, not a host file (ns_last_pid, pid_max).
  bool writes_last_pid = false;
  bool writes_pid_max = false;
  // The open route installs the file in the opener; otherwise it lets the kernel take the open
  // through FUSE (or its own walk), which then serves the same plan.
  bool served_in_notification = false;

  // Whether a reader sees `task` itself reading: procfs shows a task running while it reads its
  // own stat or status (the supervisor sees it waiting for the answer).
  bool read_by_task(Pid reader_real_tid) const { return task != 0 && task == reader_real_tid; }
};

// The plan for an open of `node` with `flags` (open(2)'s) by real task `opener`.
OpenPlan plan_open(const NodeSpec& node, int flags, Pid opener, const ProcessTable& table);

// Whether real task `opener` belongs to the process of real task `task` (0: none).
bool same_process(Pid opener, Pid task, const ProcessTable& table);

// Rendered text installed by the open route lives in a memfd named by the box's path of its
// node, so that readlink of the opener's fd shows that path as the box's procfs would: the kernel
// shows such a link as "/memfd:<name> (deleted)".
std::string memfd_name(const NodeSpec& node);
// The box's path back from such a link text; nullopt for any other text.
std::optional<std::string> box_path_of_memfd_link(std::string_view link_text);

}  // namespace vpidbox::procfs
