// The /proc-path route: the box's own /proc without FUSE and without a mount namespace
// (--proc=intercept), where the host's procfs stays mounted on /proc. Every call that names a
// path (translate/path_calls.h) stops for the supervisor, which resolves the path as the caller
// would (path_walk.h). What does not concern /proc continues in the kernel untouched; what does is
// served here, in the box's view:
//  - opens: the file the open plan says (procfs-fuse/open_plan.h: the host file, or its rendered
//    text in a sealed memfd), the host directory of a box task, or, for /proc itself and
//    /proc/<n>/task, a directory listing only the box (proc_shadow.h), installed in the caller
//    with SECCOMP_IOCTL_NOTIF_ADDFD;
//  - the stat family, access, readlink, statfs, xattrs and the calls that would change /proc:
//    made by the supervisor on the host node, with the caller's credentials (cred_worker.h), the
//    results written into the caller (readlink's text as the box names things);
//  - getcwd, when the caller's working directory is in /proc;
//  - chdir, chroot, the execs and the inotify and fanotify watches, which must act on the caller
//    itself: at a ptrace stop, the path argument is pointed to the host path they stand for.
// On the ptrace engine (no ADDFD) the same answers are given at the seccomp stop, and an open is
// pointed to a path the kernel opens: the host file (writes), a copy of the file's text, or the
// listing directory. Landlock guards the rest (landlock_guard.h).
#pragma once

#include <linux/seccomp.h>
#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "supervisor/cred_worker.h"
#include "supervisor/launcher.h"
#include "supervisor/path_walk.h"
#include "supervisor/proc_shadow.h"
#include "supervisor/stats.h"
#include "supervisor/trace_log.h"
#include "supervisor/unique_fd.h"
#include "supervisor/unotify_channel.h"
#include "translate/path_calls.h"
#include "translate/process_table.h"

namespace vpidbox {

// A box task's memory: process_vm_readv/writev, or, where those are refused (a task whose ids
// are not the supervisor's or that is not dumpable, when the supervisor lacks CAP_SYS_PTRACE: a
// root box in Docker that switched to another user), its /proc/<tid>/mem opened as the task's
// own credentials are judged (the task's once it has exec'd as that user). One task's file is
// kept for the length of one call.
class CallerMemory {
 public:
  explicit CallerMemory(CredentialWorker& creds) : creds_(creds) {}
  // At the start of each call: the file kept may be another task's now.
  void forget() {
    tid_ = 0;
    mem_.reset();
  }
  bool read(pid_t tid, std::uint64_t address, void* out, std::size_t size);
  bool write(pid_t tid, std::uint64_t address, const void* in, std::size_t size);

 private:
  int mem(pid_t tid);
  CredentialWorker& creds_;
  pid_t tid_ = 0;
  UniqueFd mem_;
};

class ProcPathRoute {
 public:
  // `box_user_ns`: init's user namespace (the link text of /proc/<init>/ns/user).
  ProcPathRoute(ProcessTable& table, const ProcChannel& channel, const std::string& box_user_ns,
                Stats& stats, TraceLog& trace);
  ProcPathRoute(const ProcPathRoute&) = delete;
  ProcPathRoute& operator=(const ProcPathRoute&) = delete;

  bool ready() const { return walker_.ready(); }
  bool guarded() const { return guarded_; }

  // True for the calls this route serves: the path-call table's, and the opens.
  static bool serves(int nr);
  // A notification of such a call (the hybrid engine): answered.
  void serve(UnotifyChannel& channel, const seccomp_notif& req);
  // A seccomp stop of such a call (chdir, chroot and the execs on every engine, every one on
  // the ptrace engine): the registers to store, when they changed.
  bool on_stop(pid_t tid, user_regs_struct& regs);

  // Every ptrace stop, first: what the box wrote to ns_last_pid or pid_max is applied before any
  // task is numbered, and the ptrace engine's copies a task has opened since are removed.
  void before_stop(pid_t tid);
  // Seen at a seccomp stop (clone, clone3): a task may get mounts of its own.
  void note_clone_flags(std::uint64_t flags);

  // The box number a /proc/<n> directory fd of task `tid` stands for (pidfd_send_signal).
  std::optional<Pid> proc_dir_number(pid_t tid, int fd);

 private:
  // What a call gets.
  struct Answer {
    enum class Kind { kContinue, kValue, kErrno, kInstall, kRewrite };
    Kind kind = Kind::kContinue;
    std::int64_t value = 0;  // kValue; kErrno: the errno
    UniqueFd fd;             // kInstall
    bool cloexec = false;
    int arg = -1;  // kRewrite: the path argument to point at `path`
    std::string path;
    static Answer go_on() { return {}; }
    static Answer error(int e) {
      Answer a;
      a.kind = Kind::kErrno;
      a.value = e;
      return a;
    }
    static Answer result(std::int64_t v) {
      Answer a;
      a.kind = Kind::kValue;
      a.value = v;
      return a;
    }
  };
  struct Call {
    pid_t caller = 0;
    const PathCallRow* row = nullptr;
    std::uint64_t args[6] = {};
    bool ptrace = false;             // served at a ptrace stop: no ADDFD
    std::vector<std::string> paths;  // as read, for --trace
  };
  void trace(const Call& call, const Answer& answer);

  Answer answer(Call& call, const std::function<bool()>& still_pending);
  Answer answer_open(Call& call, const std::function<bool()>& still_pending);
  Answer answer_getcwd(Call& call);
  Answer answer_mq_open(Call& call);
  Answer answer_rewritten(Call& call, const Resolution& r, int arg);
  Answer perform(Call& call, std::vector<Resolution>& resolutions,
                 const std::vector<std::optional<std::string>>& paths,
                 const std::function<bool()>& still_pending);
  // The path (in the supervisor's view) that makes the kernel reach what `r` names; for the
  // kernel walking for the caller (a rewrite), nullopt when the caller cannot reach it by a path.
  std::string host_path_string(const Resolution& r) const;
  std::optional<std::string> rewrite_string(pid_t caller, const Resolution& r);
  std::string caller_path_string(const Call& call, const PathArg& arg,
                                 const std::optional<std::string>& path) const;
  std::string show_as_box(const std::string& text, pid_t reader) const;
  LevelId view_of(pid_t task) const { return table_.proc_view_of(table_.level_of(task)); }
  // Opens (dir, path) with `flags` as the caller: 0 or an errno.
  int open_as_caller(pid_t caller, bool own, int dir, const std::string& path, int flags,
                     mode_t mode, UniqueFd& fd);
  Answer table_writer(Call& call, procfs::Rewrite file, int path_arg, int flags,
                      const std::string& host_path);
  void drain_table_writes();

  ProcessTable& table_;
  Stats& stats_;
  TraceLog& trace_;
  bool guarded_;
  CredentialWorker creds_;
  CallerMemory memory_{creds_};
  UniqueFd host_proc_;
  ProcShadow shadow_;
  PathWalker walker_;
  // Writers of ns_last_pid and pid_max: the file each writes (a memfd, or the ptrace engine's
  // copy), open read-only here, with the writer's effective capabilities.
  struct TableWriter {
    UniqueFd fd;
    procfs::Rewrite file = procfs::Rewrite::kLastPid;
    std::uint64_t caps = 0;
    LevelId level = kTopLevel;  // the writer's: whose pid space the number is
  };
  std::vector<TableWriter> table_writers_;
  std::map<pid_t, std::string> copies_;  // the ptrace engine's copies, by the task that opens
};

}  // namespace vpidbox
