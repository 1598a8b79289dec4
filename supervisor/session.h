// One box: starts init, supervises it until the box is empty, and returns the exit status.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace vpidbox {

enum class Engine {
  kAuto,    // hybrid when a seccomp listener can be installed, ptrace otherwise
  kHybrid,  // pure queries through seccomp user notification, the rest through ptrace
  kPtrace,  // everything through ptrace (nested under another listener, or old kernels)
};

enum class ProcMode {
  kAuto,       // fuse when FUSE and a mount namespace can be had, intercept otherwise
  kFuse,       // the box's own /proc (procfs-fuse/), mounted over /proc in a private mount namespace
  kIntercept,  // the box's own /proc without a mount: the calls that name /proc paths are served
               // by the supervisor (supervisor/proc_paths.h)
  kHost,       // the host's /proc, unchanged (only when asked for)
  kNone,       // an empty /proc
};

struct RunOptions {
  Engine engine = Engine::kAuto;
  ProcMode proc = ProcMode::kAuto;
  std::vector<std::string> argv;
  std::optional<std::string> trace_target;  // "-" or empty: stderr
  std::optional<std::chrono::milliseconds> kill_after;
  bool stats = false;        // print how many notifications and ptrace stops the run cost
  bool low_latency = false;  // hold the CPU latency request at 0 while the box runs (low_latency.h)
};

// Runs the box to completion: init's exit code, 128+signal when init was killed, or 125 when
// the box could not be set up (after printing one line on stderr).
int run_box(const RunOptions& options);

}  // namespace vpidbox
