// Opens of the box's /proc, served in the open's own seccomp notification (open, openat,
// openat2 and creat notify the listener while the box has its own /proc):
//  - a path naming an fd link (/dev/fd/N, /dev/stdin, /proc/<n>/fd/N): in the box's /proc such a
//    link is FUSE text, which cannot reopen a pipe or a socket; the supervisor reopens the real
//    object through its own /proc and installs it in the caller (SECCOMP_IOCTL_NOTIF_ADDFD);
//  - a regular file of a box task or of /proc itself: the host file, or its rendered text, is
//    installed the same way, which saves the FUSE round trips and lets procfs judge writes
//    (comm, attr/*) by the writer; what the file holds, and whether it is served here or left
//    to FUSE, is the open plan's (procfs-fuse/open_plan.h), which FUSE follows too;
//  - both opened with the caller's credentials where they are not the supervisor's
//    (cred_worker.h), so that procfs refuses the caller what it would refuse it;
//  - anything else continues in the kernel untouched (directories and the rest go to FUSE).
#pragma once

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/user.h>

#include <cstdint>
#include <optional>
#include <string>

#include "procfs-fuse/host_proc.h"
#include "supervisor/cred_worker.h"
#include "supervisor/unique_fd.h"
#include "supervisor/unotify_channel.h"
#include "translate/process_table.h"

namespace vpidbox {

// True for the syscalls this route serves.
bool is_fd_open_syscall(int nr);

// One of those calls, as its arguments say.
struct OpenCall {
  int dirfd = AT_FDCWD;
  std::uint64_t path = 0;  // address in the caller
  int flags = 0;
  mode_t mode = 0;
};
// nullopt for another syscall, an unreadable open_how, or openat2 with RESOLVE_* restrictions.
std::optional<OpenCall> decode_open_call(pid_t pid, long nr, const std::uint64_t* args);

class ProcOpenRoute {
 public:
  // `box_proc`: the mount of the box's FUSE /proc. A link to one of its files is left to the
  // kernel, as reopening it here would ask the supervisor's own filesystem from the supervisor's
  // only thread.
  // `creds`: opens for a task whose credentials are not the supervisor's run with the task's, so
  // that procfs checks the task (cred_worker.h).
  ProcOpenRoute(const ProcessTable& table, procfs::BoxProcMount box_proc, CredentialWorker& creds);
  // Answers one notification of such a syscall.
  void serve(UnotifyChannel& channel, const seccomp_notif& req);

 private:
  const ProcessTable& table_;
  procfs::BoxProcMount box_proc_;
  CredentialWorker& creds_;
  UniqueFd host_proc_;  // the supervisor's /proc
};

// Rendered text in a sealed memfd named `name`, reopened read-only: readlink of the fd it is
// installed as shows "/memfd:<name> (deleted)".
UniqueFd sealed_text_file(const std::string& name, const std::string& text);

// The ptrace engine has no ADDFD. At the seccomp stop of such an open, if the path names one of
// the caller's own fds whose object has no path (a pipe, a socket, an anonymous inode), the call
// becomes fcntl(fd, F_DUPFD[_CLOEXEC], 0): the same object, though sharing the fd's open file
// description where a reopen would make a new one (README, Known differences). True when `regs`
// were rewritten; the caller stores them. Another process's fd link is looked at with the
// caller's credentials (`creds`): one the caller may not read is left to the kernel and the box's
// /proc, which refuse it as procfs would.
bool rewrite_fd_open(pid_t tid, user_regs_struct& regs, const ProcessTable& table,
                     procfs::BoxProcMount box_proc, CredentialWorker& creds);

}  // namespace vpidbox
