// The seccomp program, built from the syscall table with libseccomp.
#pragma once

#include <string>

namespace vpidbox {

struct FilterResult {
  int listener_fd = -1;  // the unotify listener, or -1 with `error` set
  std::string error;
};

// Builds and loads the filter into the calling thread (the box's init, before exec). Every
// syscall of the table on the unotify route notifies the listener; refused syscalls fail with
// their errno; the i386 and x32 ABIs fail with ENOSYS as a whole. Does not set no_new_privs:
// the launcher decides that.
FilterResult install_box_filter();

}  // namespace vpidbox
