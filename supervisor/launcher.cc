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
              "); use --proc=host";
      return false;
    }
    if (!write_file("/proc/self/setgroups", "deny") ||
        !write_file("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1") ||
        !write_file("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1")) {
      error = std::string("cannot map ids in a user namespace for /proc (") + std::strerror(errno) +
              "); use --proc=host";
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
// the box got (kAuto falls back to kHost), nullopt on an error.
std::optional<ProcMode> set_up_proc(int channel, ProcMode mode) {
  const char host = 'H';
  auto use_host = [&]() -> std::optional<ProcMode> {
    if (!send_message(channel, &host, 1, -1)) return std::nullopt;
    return ProcMode::kHost;
  };
  if (mode == ProcMode::kHost) return use_host();
  std::string error;
  if (!enter_mount_namespace(error)) {
    if (mode == ProcMode::kAuto) return use_host();
    send_line(channel, error);
    return std::nullopt;
  }
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
  UniqueFd fuse(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
  const std::string options = "fd=" + std::to_string(fuse.get()) +
                              ",rootmode=40555,user_id=" + std::to_string(::geteuid()) +
                              ",group_id=" + std::to_string(::getegid()) +
                              ",allow_other,default_permissions";
  if (!fuse.valid() || ::mount("proc", "/proc", "fuse.vpidbox", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                               options.c_str()) != 0) {
    if (mode == ProcMode::kAuto) return use_host();
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
  const std::optional<ProcMode> proc_given = set_up_proc(channel, proc);
  if (!proc_given) ::_exit(kExitInternal);
  // Opens are routed only to serve the box's own /proc: with the host's, or none, no open needs
  // the supervisor.
  std::string error;
  const std::optional<int> listener = confine_to_box(engine, *proc_given == ProcMode::kFuse, error);
  if (!listener) {
    send_line(channel, error);
    ::_exit(kExitInternal);
  }
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

std::optional<int> confine_to_box(Engine engine, bool route_fd_opens, std::string& error) {
  // no_new_privs is what lets an unprivileged process install a filter; with CAP_SYS_ADMIN the
  // box keeps setuid binaries working, as it would in a pid namespace.
  if (!has_effective_sys_admin() && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    error = std::string("cannot set no_new_privs: ") + std::strerror(errno);
    return std::nullopt;
  }
  FilterResult filter = install_box_filter(engine != Engine::kPtrace, route_fd_opens);
  // Under another supervisor's listener a second one is refused (EBUSY); old kernels have none.
  if (!filter.ok && engine == Engine::kAuto) filter = install_box_filter(false, route_fd_opens);
  if (!filter.ok) {
    error = "seccomp filter refused (" + filter.error + ")" +
            (engine == Engine::kHybrid ? "; the hybrid engine needs seccomp user notification "
                                         "(Linux 5.5+); try --engine=ptrace"
                                       : "; vpidbox needs seccomp filters with SECCOMP_RET_TRACE");
    return std::nullopt;
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
