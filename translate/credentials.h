// Pids in messages: SCM_CREDENTIALS control messages a box process sends or receives over a
// socket, and the records a signalfd read returns. Pure: the engine reads the bytes from the
// caller's memory and writes back what these say (supervisor/call_look.h,
// supervisor/surface_rewrites.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "translate/process_table.h"

namespace vpidbox {

// Where the pid of each SOL_SOCKET/SCM_CREDENTIALS message of a control buffer is (byte offsets
// into `control`), walking the messages as the kernel does (__scm_send, CMSG_OK): a message
// shorter than its header or longer than what is left ends the walk (the kernel refuses the
// send with EINVAL), and only credentials of the exact size count.
std::vector<std::size_t> credential_pid_offsets(std::span<const std::uint8_t> control);

// The pid to hand the kernel for the pid a box task puts in credentials it sends: a number of a
// task (a thread too, and a zombie, not a group's number whose leader is gone) in the caller's
// level becomes real;
// the kernel then accepts the caller's own tgid, or any pid from a task with CAP_SYS_ADMIN over
// the namespace (scm_check_creds). A number that names nothing becomes kNoSuchPid, which the
// kernel refuses as it refuses an unknown pid (EPERM without the capability, ESRCH with it);
// 0 and negative numbers stay (the kernel's to refuse).
Pid sent_credentials_pid(const ProcessTable& table, Pid caller_real_tid, Pid number);

// struct signalfd_siginfo (linux/signalfd.h): 128-byte records, the signal, its code and the
// sender's pid at these offsets.
constexpr std::size_t kSignalfdRecordSize = 128;
constexpr std::size_t kSignalfdSigno = 0;
constexpr std::size_t kSignalfdCode = 8;
constexpr std::size_t kSignalfdPid = 12;
constexpr std::size_t kSignalfdUid = 16;

}  // namespace vpidbox
