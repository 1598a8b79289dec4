#include "supervisor/launcher.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <string>

#include "filters/filter_builder.h"
#include "supervisor/landlock_guard.h"
#include "supervisor/mount_info.h"
#include "supervisor/socket_messages.h"

namespace vpidbox {
namespace {

bool has_effective_sys_admin() {
  cap_t caps = cap_get_proc();
  if (!caps) return false;
  cap_flag_value_t value = CAP_CLEAR;
  cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &value);
  cap_free(caps);
  return value == CAP_SET;
}

void send_line(int channel, const std::string& line) {
  (void)!::send(channel, line.data(), line.size(), MSG_NOSIGNAL);
}

bool send_fd(int channel, int fd) {
  // 'P': no listener, the ptrace engine serves every call.
  const char byte = fd < 0 ? 'P' : 'L';
  return send_message(channel, &byte, 1, fd);
}

bool write_file(const char* path, const std::string& text) {
  UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
  return fd.valid() &&
         ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

// A private mount namespace for the box, so that its /proc can differ from the host's. Root
// has one for the asking; anyone else needs a user namespace, where the caller's own uid and gid
// map to themselves (the box keeps its identity; its capabilities there end at its first exec).
bool enter_mount_namespace(std::string& error) {
  if (::unshare(CLONE_NEWNS) != 0) {
    const int first = errno;
    const uid_t uid = ::geteuid();
    const gid_t gid = ::getegid();
    if (first != EPERM || ::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      error = std::string("cannot make a mount namespace for /proc (") + std::strerror(first) +
              "); use --proc=intercept";
      return false;
    }
    if (!write_file("/proc/self/setgroups", "deny") ||
        !write_file("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1") ||
        !write_file("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1")) {
      error = std::string("cannot map ids in a user namespace for /proc (") + std::strerror(errno) +
              "); use --proc=intercept";
      return false;
    }
  }
  // Mounts made inside stay inside; the host's still show up.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    error = std::string("cannot make the box's mounts private: ") + std::strerror(errno);
    return false;
  }
  return true;
}

// Gives the box the /proc `mode` asks for and tells the supervisor: 'H' (host), 'N' (none), or
// 'F' with the mount id and the /dev/fuse descriptor (fuse), or an error line. Returns the mode
// the box got, nullopt on an error. kAuto gets FUSE where it can be had, kIntercept otherwise, for
// which nothing is sent yet (see send_intercept): its guard comes with the seccomp filter.
// `own_mount_namespace` tells whether init entered a mount namespace of its own on the way.
std::optional<ProcMode> set_up_proc(int channel, ProcMode mode, bool& own_mount_namespace) {
  own_mount_namespace = false;
  if (mode == ProcMode::kHost) {
    const char host = 'H';
    if (!send_message(channel, &host, 1, -1)) return std::nullopt;
    return ProcMode::kHost;
  }
  if (mode == ProcMode::kIntercept) return ProcMode::kIntercept;
  // FUSE first: without it, auto needs no namespace (a user namespace would change the box's
  // credentials for nothing).
  UniqueFd fuse;
  int fuse_error = 0;
  if (mode != ProcMode::kNone) {
    fuse.reset(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
    fuse_error = fuse.valid() ? 0 : errno;
    if (!fuse.valid() && mode == ProcMode::kAuto) return ProcMode::kIntercept;
  }
  std::string error;
  if (!enter_mount_namespace(error)) {
    if (mode == ProcMode::kAuto) return ProcMode::kIntercept;
    send_line(channel, error);
    return std::nullopt;
  }
  own_mount_namespace = true;
  if (mode == ProcMode::kNone) {
    if (::mount("none", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "mode=555,nr_inodes=1") != 0) {
      send_line(channel, std::string("cannot mount an empty /proc: ") + std::strerror(errno));
      return std::nullopt;
    }
    const char none = 'N';
    if (!send_message(channel, &none, 1, -1)) return std::nullopt;
    return ProcMode::kNone;
  }
  const std::string options = "fd=" + std::to_string(fuse.get()) +
                              ",rootmode=40555,user_id=" + std::to_string(::geteuid()) +
                              ",group_id=" + std::to_string(::getegid()) +
                              ",allow_other,default_permissions";
  if (!fuse.valid()) {
    send_line(channel, std::string("cannot open /dev/fuse for the box's /proc (") +
                           std::strerror(fuse_error) + "); use --proc=intercept");
    return std::nullopt;
  }
  if (::mount("proc", "/proc", "fuse.vpidbox", MS_NOSUID | MS_NODEV | MS_NOEXEC, options.c_str()) !=
      0) {
    if (mode == ProcMode::kAuto) return ProcMode::kIntercept;
    send_line(channel, std::string("cannot mount the box's /proc: ") + std::strerror(errno));
    return std::nullopt;
  }
  // DONT_SYNC: nobody answers the new filesystem until the supervisor has this message.
  struct statx sx {};
  if (::statx(AT_FDCWD, "/proc", AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) != 0) sx.stx_mnt_id = 0;
  char message[1 + sizeof(std::uint64_t)] = {'F'};
  std::memcpy(message + 1, &sx.stx_mnt_id, sizeof(std::uint64_t));
  if (!send_message(channel, message, sizeof(message), fuse.get())) return std::nullopt;
  return ProcMode::kFuse;
}

// 'I', a byte of flags (bit 0: guarded by Landlock, bit 1: init has a mount namespace of its own),
// then why the guard is missing, if it is.
bool send_intercept(int channel, const GuardResult& guard, bool own_mount_namespace) {
  std::string message = "I";
  message += static_cast<char>((guard.applied ? 1 : 0) | (own_mount_namespace ? 2 : 0));
  message += guard.why_not.substr(0, 400);
  return send_message(channel, message.data(), message.size(), -1);
}

[[noreturn]] void run_init_child(int channel, pid_t supervisor,
                                 const std::vector<std::string>& argv,
                                 const sigset_t& original_mask, Engine engine, ProcMode proc) {
  // Fail closed: init never outlives the supervisor.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != supervisor) ::_exit(kExitInternal);
  // Orphans of the box come to init, as they come to a pid namespace's init.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);

  char go = 0;
  if (::recv(channel, &go, 1, 0) != 1) ::_exit(kExitInternal);
  // Before the filter: once opens are routed, an open here would wait for a supervisor that is
  // still waiting for this message.
  bool own_mount_namespace = false;
  const std::optional<ProcMode> proc_given = set_up_proc(channel, proc, own_mount_namespace);
  if (!proc_given) ::_exit(kExitInternal);
  const bool intercept = *proc_given == ProcMode::kIntercept;
  // Opens are routed only to serve the box's own /proc: with the host's, or none, no open needs
  // the supervisor; every call that names a path does when the box's /proc has no mount.
  const PathRouting routing = *proc_given == ProcMode::kFuse ? PathRouting::kOpens
                              : intercept                    ? PathRouting::kEveryPath
                                                             : PathRouting::kNone;
  std::string error;
  GuardResult guard;
  const std::optional<int> listener = confine_to_box(engine, routing, error, &guard);
  if (!listener) {
    send_line(channel, error);
    ::_exit(kExitInternal);
  }
  if (intercept && !send_intercept(channel, guard, own_mount_namespace)) ::_exit(kExitInternal);
  if (!send_fd(channel, *listener)) ::_exit(kExitInternal);
  if (*listener >= 0) ::close(*listener);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  const int err = errno;
  // As shells say it: a bare name is looked up in PATH, a path is not.
  const bool searched = argv[0].find('/') == std::string::npos;
  send_line(channel, argv[0] + ": " +
                         (err == ENOENT && searched ? "command not found" : std::strerror(err)));
  ::_exit(err == ENOENT ? kExitNotFound : kExitCannotExecute);
}

}  // namespace

std::optional<int> confine_to_box(Engine engine, PathRouting routing, std::string& error,
                                  GuardResult* guard) {
  // no_new_privs is what lets an unprivileged process install a filter; with CAP_SYS_ADMIN the
  // box keeps setuid binaries working, as it would in a pid namespace.
  if (!has_effective_sys_admin() && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    error = std::string("cannot set no_new_privs: ") + std::strerror(errno);
    return std::nullopt;
  }
  // The box's /proc without a mount is guarded by Landlock (landlock_guard.h); the guard's
  // lookups come before the filter, which makes every lookup wait for the supervisor.
  GuardRules guard_rules;
  if (routing == PathRouting::kEveryPath)
    guard_rules = collect_guard_rules(plan_proc_guard(procfs_mount_points(read_own_mounts())));
  FilterResult filter = install_box_filter(engine != Engine::kPtrace, routing);
  // Under another supervisor's listener a second one is refused (EBUSY); old kernels have none.
  if (!filter.ok && engine == Engine::kAuto) filter = install_box_filter(false, routing);
  if (!filter.ok) {
    error = "seccomp filter refused (" + filter.error + ")" +
            (engine == Engine::kHybrid ? "; the hybrid engine needs seccomp user notification "
                                         "(Linux 5.5+); try --engine=ptrace"
                                       : "; vpidbox needs seccomp filters with SECCOMP_RET_TRACE");
    return std::nullopt;
  }
  if (routing == PathRouting::kEveryPath) {
    // On the ptrace engine the kernel opens /proc's directories and the files a box task writes
    // (no descriptor can be installed there).
    const GuardResult applied = apply_guard_rules(guard_rules, filter.listener_fd < 0);
    if (guard) *guard = applied;
  }
  return filter.listener_fd;
}

LaunchedInit fork_init(const std::vector<std::string>& argv, const sigset_t& original_mask,
                       Engine engine, ProcMode proc) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return {};
  UniqueFd ours(sv[0]), theirs(sv[1]);
  const pid_t supervisor = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return {};
  if (pid == 0) {
    ours.reset();
    run_init_child(theirs.get(), supervisor, argv, original_mask, engine, proc);
  }
  return LaunchedInit{pid, std::move(ours)};
}

bool send_go(int channel) {
  char go = 'G';
  return ::send(channel, &go, 1, MSG_NOSIGNAL) == 1;
}

std::optional<ProcChannel> receive_proc(int channel, std::string& error) {
  std::optional<Message> message = receive_message(channel);
  if (!message) {
    error = "box init exited during set-up";
    return std::nullopt;
  }
  const std::string& bytes = message->bytes;
  ProcChannel out;
  if (message->fd.valid() && bytes.size() == 1 + sizeof(std::uint64_t) && bytes[0] == 'F') {
    out.mode = ProcMode::kFuse;
    out.fuse = std::move(message->fd);
    std::memcpy(&out.mount_id, bytes.data() + 1, sizeof(std::uint64_t));
    return out;
  }
  if (bytes.size() >= 2 && bytes[0] == 'I') {
    out.mode = ProcMode::kIntercept;
    out.guarded = (bytes[1] & 1) != 0;
    out.own_mount_namespace = (bytes[1] & 2) != 0;
    out.unguarded_because = bytes.substr(2);
    return out;
  }
  if (bytes == "H" || bytes == "N") {
    out.mode = bytes == "H" ? ProcMode::kHost : ProcMode::kNone;
    return out;
  }
  error = bytes;
  return std::nullopt;
}

std::optional<UniqueFd> receive_listener(int channel, std::string& error) {
  std::optional<Message> message = receive_message(channel);
  if (!message) {
    error = "box init exited during set-up";
    return std::nullopt;
  }
  if (message->fd.valid()) return std::move(message->fd);
  if (message->bytes == "P") return UniqueFd();
  error = message->bytes;
  return std::nullopt;
}

std::string receive_exec_error(int channel) {
  char buf[512];
  ssize_t n = ::recv(channel, buf, sizeof(buf), 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace vpidbox
