// Writes of the box's own sysctl files, kernel/ns_last_pid and kernel/pid_max, which belong to
// the pid namespace (pid_max since Linux 6.14): parsed as proc_dointvec_minmax() parses one int
// (kernel/sysctl.c, strict writes), and the box's rule for pid_max. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "translate/process_table.h"

namespace vpidbox {

// What a write(2) of `text` at file offset `offset` means to a one-int sysctl file.
struct SysctlIntWrite {
  int error = 0;             // EINVAL: the write fails, nothing changes
  bool stores = false;       // false: nothing to store (a write past offset 0 is ignored)
  std::int64_t value = 0;    // what to store, when `stores`
  std::size_t accepted = 0;  // what write(2) returns when it succeeds
};
// Leading blanks are skipped; then an optional '-' and a number in C's notation (0x hex, 0
// octal) that fits an int, followed by a blank or the end; blanks after it are taken as well,
// the rest of the text is not (a short write). A write at an offset other than 0 is accepted
// whole and ignored.
SysctlIntWrite parse_sysctl_int_write(std::string_view text, std::uint64_t offset);

// pid_max's bounds (kernel/pid.c): RESERVED_PIDS + 1, or 8 per possible CPU if more, up to
// PID_MAX_LIMIT.
constexpr Pid kPidMaxLimit = 4 * 1024 * 1024;
constexpr Pid kPidMaxMinimum = 301;
Pid pid_max_minimum_for(int possible_cpus);

// A write of `value` to the pid_max of `level`, already parsed: EINVAL out of
// [minimum, kPidMaxLimit], else the level numbers below it from now on. (Who may write is the
// opener's business: procfs refuses the open to a task that is neither the namespace's root nor
// has CAP_SYS_ADMIN in it.)
int write_pid_max(ProcessTable& table, LevelId level, std::int64_t value, Pid minimum);

}  // namespace vpidbox
