#include "supervisor/cred_worker.h"

#include <linux/capability.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <system_error>

#include "supervisor/kernel_facts.h"
#include "translate/invariant.h"

namespace vpidbox {
namespace {

struct Caps {
  std::uint64_t effective = 0, permitted = 0, inheritable = 0;
};

// A thread's capabilities (0: the calling thread). Raw, as every call here: per thread.
bool get_caps(pid_t tid, Caps& caps) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, tid};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  auto both = [](std::uint32_t low, std::uint32_t high) {
    return static_cast<std::uint64_t>(high) << 32 | low;
  };
  caps.effective = both(data[0].effective, data[1].effective);
  caps.permitted = both(data[0].permitted, data[1].permitted);
  caps.inheritable = both(data[0].inheritable, data[1].inheritable);
  return true;
}

bool set_caps(std::uint64_t effective, std::uint64_t permitted, std::uint64_t inheritable) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0] = {static_cast<std::uint32_t>(effective), static_cast<std::uint32_t>(permitted),
             static_cast<std::uint32_t>(inheritable)};
  data[1] = {static_cast<std::uint32_t>(effective >> 32),
             static_cast<std::uint32_t>(permitted >> 32),
             static_cast<std::uint32_t>(inheritable >> 32)};
  return ::syscall(SYS_capset, &header, data) == 0;
}

// setfsuid and setfsgid answer the previous id and no error: asking with an invalid id changes
// nothing and tells the current one.
bool set_fsuid(uid_t uid) {
  ::syscall(SYS_setfsuid, uid);
  return static_cast<uid_t>(::syscall(SYS_setfsuid, static_cast<uid_t>(-1))) == uid;
}
bool set_fsgid(gid_t gid) {
  ::syscall(SYS_setfsgid, gid);
  return static_cast<gid_t>(::syscall(SYS_setfsgid, static_cast<gid_t>(-1))) == gid;
}

// Takes `as` on the calling thread. The real and saved ids stay the supervisor's (root), so the
// permitted capabilities survive and the supervisor's identity can be taken back the same way
// (after restoring its effective capabilities); what procfs looks at (fs ids, effective ids,
// groups, effective capabilities) is the task's. Order matters: group changes need CAP_SETGID
// and setfsuid CAP_SETUID, which a non-root effective uid clears; the last capset sets the
// effective set exactly, whatever the id changes did to it.
bool take(const CredentialWorker::Identity& as, const CredentialWorker::Identity& own) {
  return ::syscall(SYS_setgroups, as.groups.size(), as.groups.data()) == 0 &&
         ::syscall(SYS_setresgid, -1, as.egid, -1) == 0 && set_fsgid(as.fsgid) &&
         ::syscall(SYS_setresuid, -1, as.euid, -1) == 0 &&
         set_caps(own.effective, own.permitted, own.inheritable) && set_fsuid(as.fsuid) &&
         set_caps(as.effective, as.permitted, as.inheritable);
}

bool is_identity(const CredentialWorker::Identity& id) {
  Caps caps;
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  return get_caps(0, caps) && caps.effective == id.effective && caps.permitted == id.permitted &&
         ::syscall(SYS_getresuid, &ruid, &euid, &suid) == 0 && euid == id.euid &&
         ::syscall(SYS_getresgid, &rgid, &egid, &sgid) == 0 && egid == id.egid &&
         static_cast<uid_t>(::syscall(SYS_setfsuid, static_cast<uid_t>(-1))) == id.fsuid &&
         static_cast<gid_t>(::syscall(SYS_setfsgid, static_cast<gid_t>(-1))) == id.fsgid;
}

std::string user_ns_of(const std::string& proc_dir) {
  char text[64];
  const ssize_t n = ::readlink((proc_dir + "/ns/user").c_str(), text, sizeof(text));
  return n > 0 ? std::string(text, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

CredentialWorker::CredentialWorker(std::string box_user_ns) : box_user_ns_(std::move(box_user_ns)) {
  Caps caps;
  uid_t ruid, suid;
  gid_t rgid, sgid;
  const long count = ::syscall(SYS_getgroups, 0, nullptr);
  own_.groups.resize(count > 0 ? static_cast<std::size_t>(count) : 0);
  if (!get_caps(0, caps) || count < 0 ||
      ::syscall(SYS_getgroups, own_.groups.size(), own_.groups.data()) != count ||
      ::syscall(SYS_getresuid, &ruid, &own_.euid, &suid) != 0 ||
      ::syscall(SYS_getresgid, &rgid, &own_.egid, &sgid) != 0)
    return;  // can_switch_ stays false: tasks not judged as the supervisor are refused
  own_.fsuid = static_cast<uid_t>(::syscall(SYS_setfsuid, static_cast<uid_t>(-1)));
  own_.fsgid = static_cast<gid_t>(::syscall(SYS_setfsgid, static_cast<gid_t>(-1)));
  own_user_ns_ = user_ns_of("/proc/self");
  own_.effective = caps.effective;
  own_.permitted = caps.permitted;
  own_.inheritable = caps.inheritable;
  // Only root can take another's ids; an unprivileged supervisor's box has its one user, whose
  // tasks are judged as the supervisor unless they dropped capabilities or nested namespaces.
  can_switch_ = ruid == 0 && suid == 0 && ((caps.effective >> CAP_SETUID) & 1) &&
                ((caps.effective >> CAP_SETGID) & 1);
}

CredentialWorker::~CredentialWorker() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool CredentialWorker::judged_as_supervisor(Pid tid, bool own_task) const {
  Caps caps;
  // At least the supervisor's: more is only possible in another user namespace (a new one
  // starts with every capability), where for one's own files they change nothing procfs checks.
  if (!get_caps(tid, caps) || (caps.effective & own_.effective) != own_.effective) return false;
  const std::string dir = "/proc/" + std::to_string(tid);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || st.st_uid != own_.euid || st.st_gid != own_.egid)
    return false;
  // Capabilities count only in their own user namespace: a task that entered another one is
  // weaker than the supervisor over everything outside it.
  return own_task || user_ns_of(dir) == box_user_ns_;
}

int CredentialWorker::run_as(Pid tid, bool own_task, const std::function<int()>& op) {
  return judged_as_supervisor(tid, own_task) ? op() : run_as_task(tid, own_task, op);
}

int CredentialWorker::run_as_task(Pid tid, bool own_task, const std::function<int()>& op) {
  if (!can_switch_) return EACCES;
  const TaskCreds creds = read_task_creds(tid);
  if (!creds.ok) return EACCES;
  Identity as;
  as.euid = creds.euid;
  as.fsuid = creds.fsuid;
  as.egid = creds.egid;
  as.fsgid = creds.fsgid;
  as.groups = creds.groups;
  as.effective = creds.caps;
  as.permitted = own_.permitted;
  as.inheritable = own_.inheritable;
  // The worker lives in the supervisor's user namespace, where capabilities gained in another
  // one are worth nothing.
  if (user_ns_of("/proc/" + std::to_string(tid)) != own_user_ns_) as.effective = 0;
  // procfs lets a process pass its checks against itself (same thread group, its own mm) even
  // when it is not dumpable (it changed ids without exec); a thread of the supervisor passes
  // them with CAP_SYS_PTRACE, which overrides nothing else (modes stay the task's to pass).
  // Without it (Docker's capabilities), the task's own ids pass them where it is dumpable.
  constexpr std::uint64_t kPtrace = std::uint64_t{1} << CAP_SYS_PTRACE;
  if (own_task && (own_.permitted & kPtrace)) as.effective |= kPtrace;
  if ((as.effective & ~own_.permitted) != 0) return EACCES;
  return run_on_worker(as, op);
}

int CredentialWorker::run_on_worker(const Identity& as, const std::function<int()>& op) {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable()) {
    try {
      thread_ = std::thread([this] { serve(); });
    } catch (const std::system_error&) {
      return EACCES;
    }
  }
  job_ = &op;
  job_identity_ = &as;
  done_ = false;
  lock.unlock();
  wake_.notify_all();
  lock.lock();
  wake_.wait(lock, [this] { return done_; });
  return result_;
}

void CredentialWorker::serve() {
  // Signals are the main thread's to take (signalfd): none may land here.
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  // The identity the worker holds. Taking one costs some ten credential commits (tens of us),
  // so the worker keeps the last one while idle (it runs nothing else, and its real and saved
  // ids stay root's: no box task can signal or trace it) and switches only when another is
  // asked.
  std::optional<Identity> held = own_;  // nullopt: unknown, after a failed take
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return job_ != nullptr || stop_; });
    if (stop_) return;
    const Identity& as = *job_identity_;
    bool ok = held == as;  // false for nullopt
    if (!ok) {
      // A worker that cannot become the supervisor again would serve the next task with
      // another's credentials.
      VPIDBOX_INVARIANT(set_caps(own_.effective, own_.permitted, own_.inheritable) &&
                            take(own_, own_) && is_identity(own_),
                        "the credential worker cannot take back the supervisor's credentials");
      // Fail closed: an identity only partly taken runs nothing (and is given back next time).
      ok = take(as, own_) && is_identity(as);
      held = ok ? std::optional<Identity>(as) : std::nullopt;
    }
    result_ = ok ? (*job_)() : EACCES;
    job_ = nullptr;
    job_identity_ = nullptr;
    done_ = true;
    lock.unlock();
    wake_.notify_all();
    lock.lock();
  }
}

}  // namespace vpidbox
