// KernelView answered by the running kernel: the supervisor shares the box's real pid namespace,
// so it can ask about any box task by its real number.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "translate/kernel_view.h"
#include "translate/signal_rules.h"

namespace vpidbox {

struct TaskUids {
  uid_t ruid = 0, euid = 0, suid = 0;
};

class SystemKernelView final : public KernelView {
 public:
  // `leader_pidfd` returns a pidfd held for a thread-group leader, or -1.
  // `waited_signals` returns the signals the process's threads wait for in rt_sigtimedwait().
  SystemKernelView(std::function<int(Pid real_tgid)> leader_pidfd,
                   std::function<std::uint64_t(Pid real_tgid)> waited_signals)
      : leader_pidfd_(std::move(leader_pidfd)), waited_signals_(std::move(waited_signals)) {}
  RealOrErrno parent_of(Pid real_tgid) override;
  RealOrErrno pgid_of(Pid real_tid) override;
  RealOrErrno sid_of(Pid real_tid) override;
  RealOrErrno pidfd_target(Pid real_tid, int fd) override;
  bool catches_or_blocks(Pid real_tgid, int signo) override;
  bool ignores(Pid real_tgid, int signo) override;
  bool may_signal(Pid sender_tid, Pid target_tid) override;
  // check_kill_permission() for `signo`: may_signal, or SIGCONT within one session.
  bool may_send(Pid sender_tid, Pid target_tid, int signo);
  // A task's real, effective and saved uids, from a pidfd (0.7 us; /proc/<tid>/status, the
  // fallback before Linux 6.13, costs 11 us here). nullopt once it is gone.
  std::optional<TaskUids> uids_of(Pid real_tid);

 private:
  std::function<int(Pid)> leader_pidfd_;
  std::function<std::uint64_t(Pid)> waited_signals_;
};

// The text of a small /proc file (status, fdinfo), read whole with the reader the box's /proc
// uses (procfs-fuse/host_proc.h); nullopt when nothing can be read.
std::optional<std::string> read_proc_file(const char* path);
// Where the value of "Key:" starts in such a text (the key written without the colon), or
// nullptr.
const char* proc_field(const std::string& text, const char* key);
// The "Pid:" line of a pidfd's fdinfo (`owner` 0 for the supervisor's own fds): the real pid, -1
// once reaped; nullopt when unreadable or not a pidfd.
std::optional<Pid> pidfd_fdinfo_pid(Pid owner, int fd);

// A task's ids, groups and effective capabilities, from /proc/<tid>/status (ok false once it is
// gone). Credentials are per thread: `tid` names the thread. Ids are as the supervisor's user
// namespace maps them.
struct TaskCreds {
  uid_t ruid = 0, euid = 0, suid = 0, fsuid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<gid_t> groups;    // supplementary
  std::uint64_t caps = 0;       // CapEff
  std::uint64_t permitted = 0;  // CapPrm
  bool ok = false;
  bool has(int capability) const { return (caps >> capability) & 1; }
};
TaskCreds read_task_creds(Pid tid);
// The same from the text of a status file (pure).
TaskCreds parse_task_creds(const std::string& status);

// The real tgid and ppid of a task read from /proc/<tid>/status (the slow path).
struct ProcStatusIds {
  Pid tgid = 0;
  Pid ppid = 0;
  bool ok = false;
};
ProcStatusIds read_status_ids(Pid real_tid);

// Whether `signo` is set in the named signal mask of /proc/<pid>/status ("SigCgt", "SigBlk").
// nullopt when the process is gone.
std::optional<bool> status_mask_has(Pid real_pid, const char* mask, int signo);
// Whether a process has a handler for `signo` (SigCgt); false once it is gone.
bool has_handler(Pid real_tgid, int signo);

// security/commoncap.c cap_capable(): whether thread `tid`, with the effective capabilities
// `caps` and effective uid `euid` of its own user namespace, holds `capability` over an object of
// `target_tid`'s user namespace: its own namespace, or one below it that it owns or holds the
// capability over. False when either is gone or the namespaces cannot be compared; where the
// supervisor may not open a namespace link (no CAP_SYS_PTRACE), one namespace is assumed.
bool capable_over(Pid tid, std::uint64_t caps, uid_t euid, Pid target_tid, int capability);

}  // namespace vpidbox
