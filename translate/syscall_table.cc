#include "translate/syscall_table.h"

#include <cerrno>

namespace vpidbox {
namespace {

using enum ArgKind;
using enum ResultKind;
using enum Route;

// x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl). The i386 and x32 ABIs are refused as
// a whole by the filter, so only the native numbers are needed.
constexpr SyscallRow kTable[] = {
    {"getpid", 39, {}, kTgid, kUnotify},
    {"gettid", 186, {}, kTid, kUnotify},
    {"getppid", 110, {}, kPpid, kUnotify},
    {"getpgrp", 111, {}, kPgid, kUnotify},
    {"getpgid", 121, {kPidOrZeroSelf}, kPgid, kUnotify},
    {"getsid", 124, {kPidOrZeroSelf}, kSid, kUnotify},
    // io_uring runs its operations without a seccomp check on each one (IORING_OP_WAITID and
    // others would bypass translation). ENOSYS makes liburing users fall back to plain syscalls,
    // as on a kernel built without io_uring.
    {"io_uring_setup", 425, {kValue, kValue}, kNone, kRefuse, ENOSYS},
};

}  // namespace

std::span<const SyscallRow> syscall_table() {
  return kTable;
}

const SyscallRow* find_syscall(int nr_x86_64) {
  for (const SyscallRow& row : kTable)
    if (row.nr_x86_64 == nr_x86_64) return &row;
  return nullptr;
}

const SyscallRow* find_syscall(std::string_view name) {
  for (const SyscallRow& row : kTable)
    if (row.name == name) return &row;
  return nullptr;
}

}  // namespace vpidbox
