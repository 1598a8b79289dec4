// The /proc route: everything the supervisor does for a box that has its own /proc. It serves
// the FUSE filesystem (procfs-fuse/), answers the opens the filter routes to it (proc_open.h),
// and makes procfs's checks the calling task's (cred_worker.h). Absent when the box sees the
// host's /proc or none.
#pragma once

#include <linux/seccomp.h>
#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "procfs-fuse/host_proc.h"
#include "procfs-fuse/proc_fs.h"
#include "supervisor/cred_worker.h"
#include "supervisor/launcher.h"
#include "supervisor/proc_open.h"
#include "supervisor/unotify_channel.h"
#include "translate/process_table.h"

namespace vpidbox {

class ProcRoute {
 public:
  // Serves the box's /proc from the descriptor init mounted (`channel`); `box_user_ns` names
  // init's user namespace (the link text of /proc/<init>/ns/user). nullptr with `error` set when
  // the filesystem cannot be started.
  static std::unique_ptr<ProcRoute> start(ProcChannel channel, ProcessTable& table,
                                          const std::string& box_user_ns, std::string& error);
  ProcRoute(const ProcRoute&) = delete;
  ProcRoute& operator=(const ProcRoute&) = delete;

  // The FUSE descriptor to watch, and the requests ready on it: false once the mount is gone
  // (the box's mount namespace died with its last process).
  int fuse_fd() const { return fs_->fd(); }
  bool serve_fuse() { return fs_->serve_ready(); }

  // An open the filter routed here, on the hybrid engine: answered in its notification.
  void serve_open(UnotifyChannel& channel, const seccomp_notif& req) {
    opens_->serve(channel, req);
  }
  // The same at a seccomp stop of the ptrace engine: true when `regs` were rewritten (the
  // caller stores them).
  bool rewrite_open(pid_t tid, user_regs_struct& regs);

  // The box number a directory of the box's /proc stands for, when `fd` of task `tid` is one
  // (/proc/<n>): such an fd works as a pidfd with procfs, not with FUSE.
  std::optional<Pid> proc_dir_number(pid_t tid, int fd) const;

 private:
  ProcRoute(ProcessTable& table, std::uint64_t mount_id, const std::string& box_user_ns);
  int write_table(Pid caller, procfs::Rewrite file, const SysctlIntWrite& write);

  ProcessTable& table_;
  procfs::BoxProcMount box_proc_;  // to tell the box's /proc files from the host's
  CredentialWorker creds_;
  std::unique_ptr<procfs::ProcFs> fs_;
  std::optional<ProcOpenRoute> opens_;
};

}  // namespace vpidbox
