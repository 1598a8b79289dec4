// Opens that name a procfs fd link (/dev/fd/N, /dev/stdin, /proc/<n>/fd/N, ...). In the box's
// /proc such a link is FUSE text, and text cannot reopen a pipe or a socket; so these opens are
// trapped (open, openat, openat2, creat notify the listener) and, when the path names an fd
// link, the supervisor reopens the real object through its own /proc and installs it in the
// caller with SECCOMP_IOCTL_NOTIF_ADDFD. Every other open continues in the kernel untouched.
#pragma once

#include <linux/seccomp.h>
#include <sys/user.h>

#include "supervisor/unotify_channel.h"
#include "translate/process_table.h"

namespace vpidbox {

// True for the syscalls this route serves.
bool is_fd_open_syscall(int nr);

// Answers one notification of such a syscall. `proc_mount_id` is the mount id of the box's
// FUSE /proc: a link to one of its files is left to the kernel, as reopening it here would ask
// the supervisor's own filesystem from the supervisor's only thread.
void serve_fd_open(UnotifyChannel& channel, const seccomp_notif& req, const ProcessTable& table,
                   std::uint64_t proc_mount_id);

// The ptrace engine has no ADDFD. At the seccomp stop of such an open, if the path names one of
// the caller's own fds whose object has no path (a pipe, a socket, an anonymous inode), the call
// becomes fcntl(fd, F_DUPFD[_CLOEXEC], 0): the same object, though sharing the fd's open file
// description where a reopen would make a new one (README, Known differences). True when `regs`
// were rewritten; the caller stores them.
bool rewrite_fd_open(pid_t tid, user_regs_struct& regs, const ProcessTable& table,
                     std::uint64_t proc_mount_id);

}  // namespace vpidbox
