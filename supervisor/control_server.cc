#include "supervisor/control_server.h"

#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "supervisor/box_listing.h"
#include "supervisor/kernel_facts.h"
#include "supervisor/runtime_dir.h"
#include "supervisor/socket_messages.h"
#include "translate/level_paths.h"

namespace vpidbox {
namespace {

std::string random_id() {
  unsigned char bytes[6] = {};
  if (::getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes))) {
    const unsigned long mix = static_cast<unsigned long>(::getpid()) * 2654435761u ^
                              static_cast<unsigned long>(::time(nullptr));
    std::memcpy(bytes, &mix, sizeof(bytes));
  }
  char text[13];
  for (int i = 0; i < 6; ++i) std::snprintf(text + 2 * i, 3, "%02x", bytes[i]);
  return text;
}

// Whether a process is traced (its TracerPid is not 0): every box process is, by its
// supervisor.
bool is_traced(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  const std::optional<std::string> status = read_proc_file(path.c_str());
  const char* tracer = status ? proc_field(*status, "TracerPid") : nullptr;
  return !tracer || std::strtol(tracer, nullptr, 10) != 0;
}

std::string error_line(const std::string& line) {
  return "ERR " + line;
}

}  // namespace

ControlServer::ControlServer(BoxTasks& tasks, BoxConfinement confinement, Hooks hooks)
    : tasks_(tasks), confinement_(confinement), hooks_(std::move(hooks)), id_(random_id()) {}

std::unique_ptr<ControlServer> ControlServer::start(BoxTasks& tasks, BoxConfinement confinement,
                                                    Hooks hooks, std::string& error) {
  std::unique_ptr<ControlServer> server(new ControlServer(tasks, confinement, std::move(hooks)));
  const std::string dir = own_runtime_dir();
  if (std::optional<std::string> problem = prepare_runtime_dir(dir)) {
    error = *problem;
    return nullptr;
  }
  server->path_ = dir + "/" + server->id_ + ".sock";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (server->path_.size() >= sizeof(addr.sun_path)) {
    error = "the control socket's path is too long: " + server->path_;
    return nullptr;
  }
  std::memcpy(addr.sun_path, server->path_.c_str(), server->path_.size() + 1);
  server->listener_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  const mode_t old_mask = ::umask(0177);  // the socket is the owner's: 0600
  const bool bound =
      server->listener_.valid() &&
      ::bind(server->listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::umask(old_mask);
  if (!bound || ::listen(server->listener_.get(), 8) != 0) {
    error = "cannot listen at " + server->path_ + ": " + std::strerror(errno);
    server->path_.clear();
    return nullptr;
  }
  server->hooks_.watch(server->listener_.get());
  return server;
}

ControlServer::~ControlServer() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

void ControlServer::on_ready(int fd) {
  if (fd == listener_.get())
    accept_connection();
  else
    serve(fd);
}

void ControlServer::accept_connection() {
  for (;;) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd.valid()) return;
    const int number = fd.get();
    hooks_.watch(number);
    connections_.emplace(number, std::move(fd));
  }
}

void ControlServer::close_connection(int fd) {
  hooks_.unwatch(fd);
  attaching_.erase(fd);
  connections_.erase(fd);
}

void ControlServer::serve(int fd) {
  ucred peer{};
  socklen_t size = sizeof(peer);
  std::optional<Message> message = receive_message(fd, 4096);
  if (!message || ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0) {
    close_connection(fd);
    return;
  }
  if (auto it = attaching_.find(fd); it != attaching_.end()) {
    // The entering process confined itself: serve its listener, then let it exec.
    if (message->bytes == "listener" && message->fd.valid()) {
      hooks_.add_listener(std::move(message->fd));
    } else if (message->bytes != "no listener") {
      send_text(fd, error_line("expected the listener"));
      close_connection(fd);
      return;
    }
    attaching_.erase(it);
    send_text(fd, "OK");
    return;
  }
  send_text(fd, answer(fd, peer.pid, peer.uid, message->bytes));
}

std::string ControlServer::answer(int fd, pid_t peer, uid_t peer_uid, const std::string& request) {
  if (peer_uid != ::geteuid() && peer_uid != 0)
    return error_line("box " + id_ + " belongs to another user");
  if (is_traced(peer))
    return error_line(
        "vpidbox ps and exec do not run under a tracer or inside a box from outside it (inside a "
        "box, they see the boxes nested in it)");
  const ProcessTable& table = tasks_.table();
  const std::size_t space = request.find(' ');
  const std::string verb = request.substr(0, space);
  const std::string path = space == std::string::npos ? "" : request.substr(space + 1);
  if (verb == "ps" && space == std::string::npos)
    return encode_box_rows(gather_boxes(tasks_, kTopLevel, id_, [](Pid real) { return real; }));
  const std::optional<LevelId> level = resolve_level_path(table, kTopLevel, path);
  if (!level || table.level_ended(*level)) return error_line("no box " + id_ + "/" + path);
  if (verb == "procs")
    return encode_process_rows(gather_processes(tasks_, *level, [](Pid real) { return real; }));
  if (verb == "check") return "OK";
  if (verb == "attach") {
    if (peer_uid != ::geteuid())
      return error_line("box " + id_ + " belongs to another user: exec into it as that user");
    return attach(fd, peer, path);
  }
  return error_line("unknown request");
}

std::string ControlServer::attach(int fd, pid_t peer, const std::string& path) {
  const std::optional<LevelId> level = resolve_level_path(tasks_.table(), kTopLevel, path);
  if (!level) return error_line("no box " + id_ + "/" + path);
  if (::ptrace(PTRACE_SEIZE, peer, 0, kTraceOptions) != 0)
    return error_line(std::string("cannot follow the process: ") + std::strerror(errno));
  if (!tasks_.add_entering(peer, *level)) {
    ::ptrace(PTRACE_DETACH, peer, 0, 0);
    return error_line("box " + id_ + (path.empty() ? "" : "/" + path) + " is ending");
  }
  attaching_[fd] = peer;
  const std::optional<Pid> init = tasks_.table().init_of(kTopLevel);
  return "OK " + std::to_string(init.value_or(0)) + " " + (confinement_.with_listener ? "1" : "0") +
         " " + (confinement_.routed_opens ? "1" : "0") + " " +
         (confinement_.own_mount_ns ? "1" : "0") + " " + (confinement_.every_path ? "1" : "0");
}

}  // namespace vpidbox
