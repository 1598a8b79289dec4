// The box's /proc, served with libfuse's low-level API from the supervisor's event loop.
//
// Every answer comes from the supervisor's own /proc (the host's view, which holds the box's
// tasks under their real numbers) through proc_tree.h (which names exist), open_plan.h (what an
// open gets, as the supervisor's open route decides it too) and render.h (what the pid fields
// say); host_nodes.h asks the host, inode_table.h numbers the nodes. The supervisor must never
// touch the box's /proc itself: it serves it from one thread, so a request it caused would wait for
// itself.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "procfs-fuse/proc_tree.h"
#include "translate/process_table.h"
#include "translate/sysctl_write.h"

namespace vpidbox::procfs {

class ProcFs {
 public:
  // Opens of /proc/<n>/fd/<m> must be served by the supervisor before they reach this
  // filesystem (supervisor/proc_open.h), on either engine: the objects fd links name (a pipe, a
  // socket) are looked up here for stat(2), and an open that reached such a FIFO node would make
  // a new pipe of it and block.
  //
  // `mount_id`: the mount id of the box's /proc (statx STATX_MNT_ID), which tells its files from
  // the host procfs files the supervisor hands to box tasks. `write_table(caller, file, write)`:
  // a write of /proc/sys/kernel/ns_last_pid or pid_max (`file`) by task `caller`, the changes to
  // the table this filesystem asks for; 0, or the errno the write fails with.
  //
  // `as_caller(caller, own_task, op)` runs `op` (which returns 0 or an errno) so that procfs
  // judges it as made by task `caller` (its credentials, not the supervisor's:
  // supervisor/cred_worker.h); `own_task` says the file belongs to the caller's own process.
  // Every open, read, write, readlink and listing of a host file goes through it.
  using AsCaller = std::function<int(Pid caller, bool own_task, const std::function<int()>& op)>;
  using WriteTable = std::function<int(Pid caller, Rewrite file, const SysctlIntWrite& write)>;
  ProcFs(const ProcessTable& table, std::uint64_t mount_id, WriteTable write_table,
         AsCaller as_caller);
  ~ProcFs();
  ProcFs(const ProcFs&) = delete;
  ProcFs& operator=(const ProcFs&) = delete;

  // Takes ownership of the /dev/fuse descriptor that box init mounted on /proc.
  bool start(int fuse_fd, std::string& error);
  int fd() const;
  // Answers every request that is ready. False once the mount is gone (the box's mount namespace
  // died with its last process).
  bool serve_ready();

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace vpidbox::procfs
