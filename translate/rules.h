// Per-syscall translation rules: (call, table, kernel facts) -> what the engine must do.
// No syscalls here.
#pragma once

#include <array>
#include <climits>
#include <cstdint>

#include "translate/kernel_view.h"
#include "translate/outcome.h"
#include "translate/process_table.h"
#include "translate/syscall_table.h"

namespace vpidbox {

struct Call {
  Pid real_tid = 0;  // the calling thread, as the supervisor sees it
  const SyscallRow* row = nullptr;
  std::array<std::uint64_t, 6> args{};

  // The value of the call's (first) argument of `kind`, or `fallback` when it has none.
  std::uint64_t arg_of(ArgKind kind, std::uint64_t fallback = 0) const {
    const std::optional<int> i = row->index_of(kind);
    return i ? args[*i] : fallback;
  }
};

// Whether a rule exists for the row's route; the unit tests check it for every table row.
bool has_rule(const SyscallRow& row);

// A pure query (the unotify route, or the ptrace engine's emulation of it).
Outcome decide_query(const Call& call, const ProcessTable& table, KernelView& kernel);

// What to do at the syscall-entry stop of a call on the ptrace route.
struct EntryDecision {
  // Continue: run the syscall with `args` (stopping at its exit if `stop_at_exit`).
  // ReturnValue/ReturnErrno: skip it, return this. SignalBox, SignalGroup, EndBox: skip it, act,
  // and return what the act returns.
  EntryOutcome outcome = Continue{};
  std::array<std::uint64_t, 6> args{};
  bool args_changed = false;
  bool stop_at_exit = false;
};

EntryDecision decide_entry(const Call& call, const ProcessTable& table, KernelView& kernel);

// What the box does with the flags of clone() (a register) and clone3() (in memory): init may not
// make a sibling of itself (EINVAL, as a namespace's init), and CLONE_UNTRACED is removed, so that
// the child is attached like any other: a task the supervisor does not trace would be served by
// nobody and would survive the supervisor. `error` is 0 or the errno to fail the call with.
struct CloneFlagsRule {
  int error = 0;
  std::uint64_t flags = 0;  // the flags to run the call with
};
CloneFlagsRule rule_for_clone_flags(std::uint64_t flags, bool caller_is_init);

// A write of the box's /proc/sys/kernel/ns_last_pid by a task of `level` with these effective
// capabilities, as pid_ns_ctl_handler judges it: CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE (else
// EPERM), then a number in [0, pid_max] (else EINVAL). On success the next number allocated in
// that level is nr + 1.
int write_ns_last_pid(ProcessTable& table, LevelId level, std::uint64_t effective_caps, Pid nr);

// The result to hand back at syscall exit (real -> virtual for pid results), in the view of the
// caller's level.
std::int64_t translate_result(const SyscallRow& row, std::int64_t result, const ProcessTable& table,
                              LevelId view);

// The number handed to the kernel for a pid argument that names nothing in the box. It is above
// PID_MAX_LIMIT (4194304), so the kernel finds nothing, as a namespace's member finds nothing
// for an outside number, and fails the call in its own order: EBADF, EINVAL, EFAULT, ENOTTY
// before ESRCH, ECHILD or EPERM. Negated, it is a group that cannot exist (not INT_MIN, not -1).
constexpr Pid kNoSuchPid = INT_MAX;

// A pid the caller passes in memory (is_memory_pid_in(kind)): the number to write there for the
// kernel, or nullopt to leave it. `selector` is the number at memory_selector_offset(kind).
std::optional<Pid> memory_pid_for_kernel(ArgKind kind, const ProcessTable& table,
                                         Pid caller_real_tid, Pid number, int selector = 0);
// struct f_owner_ex {type, pid} as the F_SETOWN owner that means the same for the kernel: a
// process, a group (negative), INT_MIN for a bad type (EINVAL), a number that names nothing for a
// negative pid (ESRCH). nullopt where none does: a thread (F_OWNER_TID), or no group.
std::optional<Pid> owner_ex_as_setown(int type, Pid pid);
// A pid, pgid or sid the kernel wrote in the caller's memory (is_memory_pid_out(kind)): the
// caller's number for it in the view of its level `view`, 0 when it is outside.
Pid memory_pid_for_caller(ArgKind kind, const ProcessTable& table, LevelId view, Pid real);
// An owner as F_GETOWN reports it (a group negative): its number in `view`, 0 when outside.
Pid owner_for_caller(const ProcessTable& table, LevelId view, Pid real);
// A pid, pgid or sid as level `view` sees it: its virtual number there, 0 when outside.
Pid visible_number(const ProcessTable& table, LevelId view, Pid real);

// The real tid a thread-directed argument names (docs/pid-semantics.md, hard fact 4): a real tid of
// the caller's own thread group is taken as real (glibc passes its cached, real, pd->tid);
// otherwise the number is virtual, in the view of the caller's level. nullopt when it names no
// task the caller can see.
std::optional<Pid> resolve_tid(const ProcessTable& table, Pid caller_real_tid, Pid number);

}  // namespace vpidbox
