#include "supervisor/control_client.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "supervisor/box_listing.h"
#include "supervisor/control_protocol.h"
#include "supervisor/launcher.h"
#include "supervisor/nested_box.h"
#include "supervisor/runtime_dir.h"
#include "supervisor/socket_messages.h"
#include "supervisor/unique_fd.h"

namespace vpidbox {
namespace {

int fail(const std::string& line) {
  std::fprintf(stderr, "vpidbox: %s\n", line.c_str());
  return kExitInternal;
}

// A top-level box's control socket.
struct BoxSocket {
  std::string id;
  std::string path;
};

std::vector<BoxSocket> box_sockets() {
  std::vector<BoxSocket> out;
  for (const std::string& dir : runtime_dirs_to_scan()) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 5 && name.ends_with(".sock"))
        out.push_back({name.substr(0, name.size() - 5), dir + "/" + name});
    }
    ::closedir(d);
  }
  return out;
}

// A connection to a box's socket; invalid when nobody listens there any more (a box whose
// supervisor was killed leaves its socket behind: it is removed if it is the caller's).
UniqueFd connect_to(const BoxSocket& box) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (box.path.size() >= sizeof(addr.sun_path)) return {};
  std::memcpy(addr.sun_path, box.path.c_str(), box.path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return {};
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    struct stat st {};
    if (errno == ECONNREFUSED && ::lstat(box.path.c_str(), &st) == 0 && st.st_uid == ::geteuid())
      ::unlink(box.path.c_str());
    return {};
  }
  return fd;
}

std::optional<std::string> ask(int fd, const std::string& request) {
  if (!send_text(fd, request)) return std::nullopt;
  std::optional<Message> answer = receive_message(fd, 1 << 20);
  if (!answer) return std::nullopt;
  return std::move(answer->bytes);
}

// "ID/4/2": the top-level box whose id starts with ID (one only), and the nested path.
struct BoxName {
  BoxSocket socket;
  std::string path;
};

std::optional<BoxName> find_box(const std::string& name, std::string& error) {
  const std::size_t slash = name.find('/');
  const std::string id = name.substr(0, slash);
  const std::string path = slash == std::string::npos ? "" : name.substr(slash + 1);
  std::vector<BoxSocket> matches;
  for (const BoxSocket& box : box_sockets()) {
    if (box.id == id) {
      matches = {box};
      break;
    }
    if (!id.empty() && box.id.starts_with(id)) matches.push_back(box);
  }
  if (matches.empty()) {
    error = "no box '" + name + "'";
    return std::nullopt;
  }
  if (matches.size() > 1) {
    error = "'" + id + "' names more than one box";
    return std::nullopt;
  }
  return BoxName{matches.front(), path};
}

// An answer that is an error ("ERR ...") as the line to print.
std::optional<std::string> error_of(const std::string& answer) {
  if (answer.starts_with("ERR ")) return answer.substr(4);
  return std::nullopt;
}

// The answer of the in-box control channel for `op` with the text `in` (a box path, or nothing),
// grown until it fits.
std::optional<std::string> ask_enclosing(unsigned long op, const std::string& in, int& error) {
  for (std::size_t size = 1 << 16; size <= (1u << 26); size *= 4) {
    std::string buffer(size, '\0');
    std::memcpy(buffer.data(), in.c_str(), std::min(in.size() + 1, size));
    const long n = ::prctl(control::kPrctlOption, op, buffer.data(), size, 0);
    if (n >= 0) {
      buffer.resize(static_cast<std::size_t>(n));
      return buffer;
    }
    if (errno != ERANGE) break;
  }
  error = errno;
  return std::nullopt;
}

[[noreturn]] void die_with(int errors, const std::string& line, int status) {
  (void)!::write(errors, line.data(), line.size());
  ::_exit(status);
}

// The process `vpidbox exec` runs the command in: it asks the box's supervisor to take it in,
// confines itself as the box's init was confined, and execs. A failure goes back to the front end
// on `errors` as one line.
[[noreturn]] void enter_and_exec(const BoxName& box, const std::vector<std::string>& argv,
                                 const sigset_t& mask, pid_t front_end, int errors) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != front_end) ::_exit(kExitInternal);
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
  UniqueFd fd = connect_to(box.socket);
  if (!fd.valid()) die_with(errors, "box " + box.socket.id + " is not running", kExitInternal);
  // The supervisor follows this process with ptrace: let it, where Yama would not.
  ucred server{};
  socklen_t size = sizeof(server);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &server, &size) == 0)
    ::prctl(PR_SET_PTRACER, static_cast<unsigned long>(server.pid), 0, 0, 0);
  const std::optional<std::string> answer = ask(fd.get(), "attach " + box.path);
  if (!answer) die_with(errors, "box " + box.socket.id + " ended", kExitInternal);
  if (std::optional<std::string> error = error_of(*answer)) die_with(errors, *error, kExitInternal);
  std::istringstream fields(answer->substr(answer->find(' ') + 1));
  long init = 0;
  int with_listener = 0, routed_opens = 0, own_mount_ns = 0, every_path = 0;
  fields >> init >> with_listener >> routed_opens >> own_mount_ns >> every_path;
  if (own_mount_ns) {
    // The box's /proc is mounted in its own mount namespace (and, for a user other than root, a
    // user namespace of the box's): enter them as nsenter would, keeping the working directory.
    char cwd[PATH_MAX];
    const bool have_cwd = ::getcwd(cwd, sizeof(cwd)) != nullptr;
    const std::string ns = "/proc/" + std::to_string(init) + "/ns/";
    struct stat theirs {
    }, ours{};
    if (::stat((ns + "user").c_str(), &theirs) == 0 && ::stat("/proc/self/ns/user", &ours) == 0 &&
        theirs.st_ino != ours.st_ino) {
      UniqueFd user(::open((ns + "user").c_str(), O_RDONLY | O_CLOEXEC));
      if (!user.valid() || ::setns(user.get(), CLONE_NEWUSER) != 0)
        die_with(errors,
                 std::string("cannot enter the box's user namespace: ") + std::strerror(errno),
                 kExitInternal);
    }
    UniqueFd mnt(::open((ns + "mnt").c_str(), O_RDONLY | O_CLOEXEC));
    if (!mnt.valid() || ::setns(mnt.get(), CLONE_NEWNS) != 0)
      die_with(errors,
               std::string("cannot enter the box's mount namespace: ") + std::strerror(errno),
               kExitInternal);
    if (have_cwd && ::chdir(cwd) != 0) (void)!::chdir("/");
  }
  std::string error;
  const PathRouting routing = every_path     ? PathRouting::kEveryPath
                              : routed_opens ? PathRouting::kOpens
                                             : PathRouting::kNone;
  const std::optional<int> listener =
      confine_to_box(with_listener ? Engine::kHybrid : Engine::kPtrace, routing, error);
  if (!listener) die_with(errors, error, kExitInternal);
  const bool sent = *listener >= 0 ? send_text(fd.get(), "listener", *listener)
                                   : send_text(fd.get(), "no listener");
  if (*listener >= 0) ::close(*listener);
  std::optional<Message> ok = sent ? receive_message(fd.get()) : std::nullopt;
  if (!ok || ok->bytes != "OK") die_with(errors, "box " + box.socket.id + " ended", kExitInternal);
  fd.reset();
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  const int err = errno;
  const bool searched = argv[0].find('/') == std::string::npos;
  die_with(errors,
           argv[0] + ": " + (err == ENOENT && searched ? "command not found" : std::strerror(err)),
           err == ENOENT ? kExitNotFound : kExitCannotExecute);
}

// Inside a box: the child is made in the nested box already (kChildrenInto), and needs nothing
// but its command.
[[noreturn]] void exec_in_nested(const std::vector<std::string>& argv, const sigset_t& mask,
                                 int errors) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  const int err = errno;
  const bool searched = argv[0].find('/') == std::string::npos;
  const std::string line =
      argv[0] + ": " + (err == ENOENT && searched ? "command not found" : std::strerror(err));
  (void)!::write(errors, line.data(), line.size());
  ::_exit(err == ENOENT ? kExitNotFound : kExitCannotExecute);
}

}  // namespace

int run_ps(bool quiet, const std::optional<std::string>& box) {
  if (enclosing_box()) {
    int error = 0;
    if (!box) {
      std::optional<std::string> rows = ask_enclosing(control::kListBoxes, "", error);
      if (!rows) return fail(std::string("cannot list the nested boxes: ") + std::strerror(error));
      std::fputs(format_box_table(decode_box_rows(*rows), quiet).c_str(), stdout);
      return 0;
    }
    std::optional<std::string> rows = ask_enclosing(control::kListProcesses, *box, error);
    if (!rows)
      return fail(error == ENOENT ? "no box '" + *box + "' nested in this one"
                                  : std::string("cannot list the box: ") + std::strerror(error));
    std::fputs(format_process_table(decode_process_rows(*rows), "OUTER PID").c_str(), stdout);
    return 0;
  }
  if (!box) {
    std::vector<BoxRow> rows;
    for (const BoxSocket& socket : box_sockets()) {
      UniqueFd fd = connect_to(socket);
      if (!fd.valid()) continue;
      const std::optional<std::string> answer = ask(fd.get(), "ps");
      if (!answer) continue;
      if (std::optional<std::string> error = error_of(*answer)) return fail(*error);
      for (BoxRow& row : decode_box_rows(*answer)) rows.push_back(std::move(row));
    }
    std::fputs(format_box_table(std::move(rows), quiet).c_str(), stdout);
    return 0;
  }
  std::string error;
  const std::optional<BoxName> name = find_box(*box, error);
  if (!name) return fail(error);
  UniqueFd fd = connect_to(name->socket);
  if (!fd.valid()) return fail("box " + name->socket.id + " is not running");
  const std::optional<std::string> answer = ask(fd.get(), "procs " + name->path);
  if (!answer) return fail("box " + name->socket.id + " ended");
  if (std::optional<std::string> error_line = error_of(*answer)) return fail(*error_line);
  const std::vector<ProcessRow> rows = decode_process_rows(*answer);
  if (quiet) {
    for (const ProcessRow& row : rows) std::printf("%d\n", row.box_pid);
  } else {
    std::fputs(format_process_table(rows, "HOST PID").c_str(), stdout);
  }
  return 0;
}

int run_exec(const std::string& box, const std::vector<std::string>& argv) {
  const bool inside = enclosing_box().has_value();
  std::optional<BoxName> name;
  if (inside) {
    int error = 0;
    if (::prctl(control::kPrctlOption, control::kChildrenInto, box.c_str(), box.size() + 1, 0) !=
        0) {
      error = errno;
      return fail(error == ENOENT ? "no box '" + box + "' nested in this one"
                                  : std::string("cannot enter the box: ") + std::strerror(error));
    }
  } else {
    std::string error;
    name = find_box(box, error);
    if (!name) return fail(error);
    UniqueFd fd = connect_to(name->socket);
    if (!fd.valid()) return fail("box " + name->socket.id + " is not running");
    const std::optional<std::string> answer = ask(fd.get(), "check " + name->path);
    if (!answer) return fail("box " + name->socket.id + " ended");
    if (std::optional<std::string> error_line = error_of(*answer)) return fail(*error_line);
  }

  sigset_t handled, original;
  sigemptyset(&handled);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
    sigaddset(&handled, sig);
  ::sigprocmask(SIG_BLOCK, &handled, &original);
  UniqueFd signals(::signalfd(-1, &handled, SFD_CLOEXEC));
  int pipe_fds[2];
  if (!signals.valid() || ::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return fail(std::string("cannot set up: ") + std::strerror(errno));
  UniqueFd errors_in(pipe_fds[0]), errors_out(pipe_fds[1]);
  const pid_t front_end = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) return fail(std::string("cannot fork: ") + std::strerror(errno));
  if (child == 0) {
    if (inside) exec_in_nested(argv, original, errors_out.get());
    enter_and_exec(*name, argv, original, front_end, errors_out.get());
  }
  errors_out.reset();
  std::string failure;
  char buf[512];
  for (ssize_t n; (n = ::read(errors_in.get(), buf, sizeof(buf))) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    failure.append(buf, static_cast<std::size_t>(n));
  }
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) {
      if (!failure.empty()) std::fprintf(stderr, "vpidbox: %s\n", failure.c_str());
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    signalfd_siginfo info;
    if (::read(signals.get(), &info, sizeof(info)) != sizeof(info)) continue;
    // Signals sent to vpidbox go on to the command; SIGCHLD says it may be done.
    if (info.ssi_signo != SIGCHLD && info.ssi_code != 0x80 /* SI_KERNEL: the terminal's */)
      ::kill(child, static_cast<int>(info.ssi_signo));
  }
}

}  // namespace vpidbox
