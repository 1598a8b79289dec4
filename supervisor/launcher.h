// Starts the box's init: forks it, and in the child sets up what a pid-namespace init has
// before exec (subreaper, death signal, seccomp filter), handing the listener to the supervisor.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <cstdint>
#include <optional>

#include "filters/filter_builder.h"
#include "supervisor/landlock_guard.h"
#include "supervisor/session.h"
#include "supervisor/unique_fd.h"

namespace vpidbox {

// Exit statuses, as env(1) and timeout(1) use them.
constexpr int kExitInternal = 125;
constexpr int kExitCannotExecute = 126;
constexpr int kExitNotFound = 127;

struct LaunchedInit {
  pid_t pid = -1;
  UniqueFd channel;  // supervisor end of the launch socket
};

// Forks init. The child waits on the channel for the go-ahead (so that the supervisor can attach
// first), installs the filter, sends the listener fd, then execs argv. If anything fails before
// exec, the child sends one error line and exits with kExitInternal/126/127.
LaunchedInit fork_init(const std::vector<std::string>& argv, const sigset_t& original_mask,
                       Engine engine, ProcMode proc);

// Confines the calling process as init is confined before exec: no_new_privs (unless it has
// CAP_SYS_ADMIN), then the box's filter, with a listener unless the engine is ptrace (`auto`
// falls back to none where a listener is refused), routing `routing`'s calls that name paths;
// with kEveryPath (the box's /proc without a mount), the Landlock guard, whose result goes to
// `guard`. The listener fd (-1 without one), or nullopt with one line in `error`.
std::optional<int> confine_to_box(Engine engine, PathRouting routing, std::string& error,
                                  GuardResult* guard = nullptr);

// Supervisor side of the launch protocol.
bool send_go(int channel);
// What init made of /proc: the mode that applies, for kFuse the /dev/fuse descriptor it mounted
// and that mount's id, for kIntercept whether Landlock guards it (landlock_guard.h) and whether
// the box has a mount namespace of its own. nullopt (with the child's error line) when set-up
// failed.
struct ProcChannel {
  ProcMode mode = ProcMode::kHost;
  UniqueFd fuse;
  std::uint64_t mount_id = 0;
  bool guarded = false;
  bool own_mount_namespace = false;
  std::string unguarded_because;
};
std::optional<ProcChannel> receive_proc(int channel, std::string& error);
// Receives the listener fd: an invalid fd when init runs on the ptrace engine only, nullopt
// (with the child's error line in `error`) when set-up failed.
std::optional<UniqueFd> receive_listener(int channel, std::string& error);
// After the listener: EOF means exec succeeded; otherwise the error line the child sent.
std::string receive_exec_error(int channel);

}  // namespace vpidbox
