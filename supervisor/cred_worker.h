// Opens and reads of the host's /proc made for a box task, judged by procfs as the task's own.
//
// procfs checks more than modes: whether the reader may ptrace the task whose environ, maps, fd
// links or exe it reads, with the reader's fs ids and capabilities; some files look at the
// opener's credentials later (uid_map, pagemap, kallsyms). The supervisor, which opens such files
// for box tasks, would be judged instead of them. So, when a task's credentials are not the
// supervisor's, the operation runs on a worker thread that has taken them: Linux keeps
// credentials per thread, and the raw set*id/setgroups/capset syscalls change only the calling
// thread's (glibc's wrappers would change every thread's). The kernel then makes its own checks.
// One operation at a time; the supervisor waits for it.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "translate/pid_space.h"

namespace vpidbox {

class CredentialWorker {
 public:
  // `box_user_ns`: the user namespace of the box's init (the supervisor's own when it runs as
  // root; an owned child namespace otherwise), as readlink of /proc/<pid>/ns/user names it.
  explicit CredentialWorker(std::string box_user_ns);
  ~CredentialWorker();
  CredentialWorker(const CredentialWorker&) = delete;
  CredentialWorker& operator=(const CredentialWorker&) = delete;

  // Runs `op` as task `tid` would be judged: directly when procfs would judge the task as it
  // judges the supervisor, else on the worker with the task's credentials. Returns what `op`
  // returns (an errno, 0 for success); EACCES without running it when the credentials cannot be
  // taken. `own_task`: the file belongs to tid's own process (procfs lets a process read its
  // own; checks against it never tell the supervisor from the task). `op` must return errno
  // itself: errno is per thread.
  int run_as(Pid tid, bool own_task, const std::function<int()>& op);
  // The same, always on the worker with the task's credentials (the caller knows they differ).
  // `own_task`: every check `op` can meet is against tid's own process (no magic link is
  // followed), which procfs lets a process pass whatever its credentials.
  int run_as_task(Pid tid, bool own_task, const std::function<int()>& op);

  // The cheap test: at least the supervisor's effective capabilities, the same effective ids
  // (procfs shows a task's effective uid and gid as its directory's owner), and, unless
  // `own_task`, the box's user namespace.
  bool judged_as_supervisor(Pid tid, bool own_task) const;

  // Per-thread credentials the worker takes.
  struct Identity {
    uid_t euid = 0, fsuid = 0;
    gid_t egid = 0, fsgid = 0;
    std::vector<gid_t> groups;
    std::uint64_t effective = 0, permitted = 0, inheritable = 0;
    bool operator==(const Identity&) const = default;
  };

 private:
  int run_on_worker(const Identity& as, const std::function<int()>& op);
  void serve();

  const std::string box_user_ns_;
  std::string own_user_ns_;  // the supervisor's
  Identity own_;             // the supervisor's, taken back after every operation
  bool can_switch_ = false;  // CAP_SETUID and CAP_SETGID: a supervisor run as root

  std::mutex mutex_;
  std::condition_variable wake_;
  const std::function<int()>* job_ = nullptr;
  const Identity* job_identity_ = nullptr;
  int result_ = 0;
  bool done_ = false;
  bool stop_ = false;
  std::thread thread_;  // started at the first operation that needs it
};

}  // namespace vpidbox
