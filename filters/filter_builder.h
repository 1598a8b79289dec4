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
// With `route_fd_opens`, open, openat, openat2 and creat notify the listener too (or, without
// one, stop for the ptrace route): the supervisor serves the ones that name a procfs fd link
// (supervisor/proc_open.h).
// Every SECCOMP_RET_TRACE of this filter carries kBoxTraceData: a seccomp stop with other data
// comes from a filter the program installed itself, which, having no tracer of its own, must
// see ENOSYS as the kernel gives it without one.
// A notified task waits for its answer killably once the supervisor has received it
// (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, 5.19+): no signal interrupts it then, and the calls
// the supervisor sends signals for (Route::kSignalSend) notify; where the kernel refuses the flag,
// they stop for ptrace.
constexpr unsigned kBoxTraceData = 0xb0c5;
FilterResult install_box_filter(bool with_listener, bool route_fd_opens = false);

}  // namespace vpidbox
