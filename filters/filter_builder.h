// The seccomp program, built from the syscall table with libseccomp.
#pragma once

#include <cstdint>
#include <string>

namespace vpidbox {

struct FilterResult {
  bool ok = false;
  int listener_fd = -1;  // the unotify listener, when one was asked for
  std::string error;
};

// Builds and loads the filter into the calling thread (the box's init, before exec). Every
// syscall of the table on the unotify route notifies the listener; refused syscalls fail with
// their errno; the i386 and x32 ABIs fail with ENOSYS as a whole. Does not set no_new_privs:
// the launcher decides that.
// With `with_listener` false, the unotify rows go to the ptrace route too and no listener is
// created.
// `routing` says which calls that name paths come to the supervisor: none (the host's /proc, or
// none); open, openat, openat2 and creat (kOpens, the box's FUSE /proc: the supervisor serves the
// ones that name a procfs fd link, supervisor/proc_open.h); or every call of the path-call table
// (kEveryPath, the box's /proc without a mount, supervisor/proc_paths.h), where chdir, chroot and
// the execs always stop for the ptrace route (their paths are rewritten). They notify the
// listener, or, without one, stop for the ptrace route.
// Every SECCOMP_RET_TRACE of this filter carries kBoxTraceData: a seccomp stop with other data
// comes from a filter the program installed itself, which, having no tracer of its own, must
// see ENOSYS as the kernel gives it without one.
// A notified task waits for its answer killably once the supervisor has received it
// (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, 5.19+): no signal interrupts it then, and the calls
// the supervisor sends signals for (Route::kSignalSend) notify; where the kernel refuses the flag,
// they stop for ptrace.
constexpr unsigned kBoxTraceData = 0xb0c5;
enum class PathRouting { kNone, kOpens, kEveryPath };
FilterResult install_box_filter(bool with_listener, PathRouting routing = PathRouting::kNone);

}  // namespace vpidbox
