// A top-level box's control socket (runtime_dir.h): how `vpidbox ps` and `vpidbox exec` reach a
// running box from outside. Requests, one message each, answered in one message:
//   "ps"            the box and the boxes nested in it: box_listing.h rows
//   "procs PATH"    the processes of the box at PATH ("" the box itself, "4" the box nested in it
//                   whose init is its 4, ...): box_listing.h rows
//   "check PATH"    "OK" when there is such a box to enter
//   "attach PATH"   from the process `vpidbox exec` starts: the supervisor seizes it and makes it
//                   a process of that box (the box's next number; parent outside, so ppid 0), and
//                   answers "OK <init pid> <listener 0|1> <routed opens 0|1> <mount ns 0|1>"; the
//                   process then confines itself as init was confined and sends "listener" with
//                   its seccomp listener attached (or "no listener"), answered "OK".
// Every answer that is not "OK ..." or rows is "ERR <one line>". The socket is the owner's
// (0600 in a 0700 directory); each request is checked again: the asker must be the box's owner or
// root, and must not be traced (every box process is, by its supervisor: a box process may not
// reach a box, its own or another, from outside).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "supervisor/box_tasks.h"
#include "supervisor/unique_fd.h"

namespace vpidbox {

// What `vpidbox exec` must know to confine a process as the box's init was confined.
struct BoxConfinement {
  bool with_listener = false;  // the hybrid engine: the process brings its own listener
  bool routed_opens = false;   // the filter routes opens (the box has its own /proc)
  bool every_path = false;     // ... and every call that names a path (without a mount)
  bool own_mount_ns = false;   // the box's /proc is in a mount namespace of its own
};

class ControlServer {
 public:
  struct Hooks {
    std::function<void(int fd)> watch;
    std::function<void(int fd)> unwatch;
    // A listener an entering process brings (hybrid engine): serve it as the box's own.
    std::function<void(UniqueFd listener)> add_listener;
  };

  // Listens at <runtime dir>/<id>.sock. nullptr with `error` set when it cannot: the box then
  // runs without one.
  static std::unique_ptr<ControlServer> start(BoxTasks& tasks, BoxConfinement confinement,
                                              Hooks hooks, std::string& error);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::string& id() const { return id_; }
  // Whether `fd` is one of its descriptors; then it serves what is ready on it.
  bool owns(int fd) const { return fd == listener_.get() || connections_.contains(fd); }
  void on_ready(int fd);

 private:
  ControlServer(BoxTasks& tasks, BoxConfinement confinement, Hooks hooks);
  void accept_connection();
  void serve(int fd);
  void close_connection(int fd);
  // The answer to one request from a peer of these credentials.
  std::string answer(int fd, pid_t peer, uid_t peer_uid, const std::string& request);
  std::string attach(int fd, pid_t peer, const std::string& path);

  BoxTasks& tasks_;
  BoxConfinement confinement_;
  Hooks hooks_;
  std::string id_;
  std::string path_;
  UniqueFd listener_;
  // Connections, and for each the level a process attached through it entered (awaiting its
  // listener).
  std::map<int, UniqueFd> connections_;
  std::map<int, pid_t> attaching_;
};

}  // namespace vpidbox
