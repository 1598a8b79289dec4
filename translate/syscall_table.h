// The syscall table, declared once: every syscall vpidbox intercepts, what its pid-carrying
// arguments and result are, and which engine route serves it. The filter builder, the engines,
// --trace and the tests all read this table.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace vpidbox {

enum class ArgKind : std::uint8_t {
  kUnused,
  kPidOrZeroSelf,  // a pid (a tid is accepted); 0 means the caller
  kValue,          // an argument shown but not translated
};

enum class ResultKind : std::uint8_t {
  kNone,  // errno or 0
  kTgid,  // a process id
  kTid,   // a thread id
  kPpid,  // a parent's process id, 0 when the parent is outside
  kPgid,  // a process-group id, 0 when its leader is outside
  kSid,   // a session id, 0 when its leader is outside
};

// How a syscall is served. kUnotify: answered by the supervisor in one round trip (pure
// queries). kRefuse: answered with `refuse_errno` by the filter itself, no round trip.
enum class Route : std::uint8_t { kUnotify, kRefuse };

struct SyscallRow {
  std::string_view name;
  int nr_x86_64;
  std::array<ArgKind, 6> args;
  ResultKind result;
  Route route;
  int refuse_errno = 0;

  int arg_count() const {
    int n = 0;
    while (n < 6 && args[n] != ArgKind::kUnused) ++n;
    return n;
  }
};

std::span<const SyscallRow> syscall_table();
const SyscallRow* find_syscall(int nr_x86_64);
const SyscallRow* find_syscall(std::string_view name);

}  // namespace vpidbox
