#include "supervisor/launcher.h"

#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

#include "filters/filter_builder.h"

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
  if (fd < 0) {
    char byte = 'P';  // no listener: the ptrace engine serves every call
    return ::send(channel, &byte, 1, MSG_NOSIGNAL) == 1;
  }
  char byte = 'L';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  return ::sendmsg(channel, &msg, MSG_NOSIGNAL) == 1;
}

[[noreturn]] void run_init_child(int channel, pid_t supervisor,
                                 const std::vector<std::string>& argv,
                                 const sigset_t& original_mask, Engine engine) {
  // Fail closed: init never outlives the supervisor.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != supervisor) ::_exit(kExitInternal);
  // Orphans of the box come to init, as they come to a pid namespace's init.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);

  char go = 0;
  if (::recv(channel, &go, 1, 0) != 1) ::_exit(kExitInternal);
  // no_new_privs is what lets an unprivileged process install a filter; with CAP_SYS_ADMIN the
  // box keeps setuid binaries working, as it would in a pid namespace.
  if (!has_effective_sys_admin() && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    send_line(channel, std::string("cannot set no_new_privs: ") + std::strerror(errno));
    ::_exit(kExitInternal);
  }
  FilterResult filter = install_box_filter(engine != Engine::kPtrace);
  // Under another supervisor's listener a second one is refused (EBUSY); old kernels have none.
  if (!filter.ok && engine == Engine::kAuto) filter = install_box_filter(false);
  if (!filter.ok) {
    send_line(channel, "seccomp filter refused (" + filter.error + ")" +
                           (engine == Engine::kHybrid
                                ? "; the hybrid engine needs seccomp user notification (Linux "
                                  "5.5+); try --engine=ptrace"
                                : "; vpidbox needs seccomp filters with SECCOMP_RET_TRACE"));
    ::_exit(kExitInternal);
  }
  if (!send_fd(channel, filter.listener_fd)) ::_exit(kExitInternal);
  if (filter.listener_fd >= 0) ::close(filter.listener_fd);

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

LaunchedInit fork_init(const std::vector<std::string>& argv, const sigset_t& original_mask,
                       Engine engine) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return {};
  UniqueFd ours(sv[0]), theirs(sv[1]);
  const pid_t supervisor = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return {};
  if (pid == 0) {
    ours.reset();
    run_init_child(theirs.get(), supervisor, argv, original_mask, engine);
  }
  return LaunchedInit{pid, std::move(ours)};
}

bool send_go(int channel) {
  char go = 'G';
  return ::send(channel, &go, 1, MSG_NOSIGNAL) == 1;
}

std::optional<UniqueFd> receive_listener(int channel, std::string& error) {
  char buf[512];
  iovec iov{buf, sizeof(buf)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = ::recvmsg(channel, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0) {
    error = "box init exited during set-up";
    return std::nullopt;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
      return UniqueFd(fd);
    }
  }
  if (n == 1 && buf[0] == 'P') return UniqueFd();
  error.assign(buf, static_cast<size_t>(n));
  return std::nullopt;
}

std::string receive_exec_error(int channel) {
  char buf[512];
  ssize_t n = ::recv(channel, buf, sizeof(buf), 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace vpidbox
