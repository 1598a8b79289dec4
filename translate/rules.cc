#include "translate/rules.h"

#include <cerrno>
#include <string_view>

namespace vpidbox {
namespace {

// A real number as the box sees it: its virtual number, or 0 when it names something outside
// (the kernel's pid_vnr() of a pid that is not visible in the namespace).
Pid visible_or_zero(const ProcessTable& table, Pid real) {
  if (real <= 0) return 0;
  return table.to_virtual(real).value_or(0);
}

// The real tid named by a pid argument where 0 means the caller; nullopt when it names no
// task of the box (ESRCH, as for a pid outside a namespace).
std::optional<Pid> target_or_self(const ProcessTable& table, const Call& call, std::uint64_t arg) {
  const auto vnr = static_cast<Pid>(arg);
  if (vnr == 0) return call.real_tid;
  if (vnr < 0) return std::nullopt;
  std::optional<Pid> real = table.to_real(vnr);
  if (!real || !table.contains(*real)) return std::nullopt;
  return real;
}

Outcome group_query(const Call& call, const ProcessTable& table, KernelView& kernel, bool session) {
  std::optional<Pid> target =
      call.row->arg_count() > 0 ? target_or_self(table, call, call.args[0]) : call.real_tid;
  if (!target) return ReturnErrno{ESRCH};
  RealOrErrno group = session ? kernel.sid_of(*target) : kernel.pgid_of(*target);
  if (!group.ok()) return ReturnErrno{group.error};
  return ReturnValue{visible_or_zero(table, group.value)};
}

}  // namespace

bool has_rule(const SyscallRow& row) {
  switch (row.route) {
    case Route::kRefuse:
      return row.refuse_errno != 0;
    case Route::kUnotify:
      switch (row.result) {
        case ResultKind::kTgid:
        case ResultKind::kTid:
        case ResultKind::kPpid:
        case ResultKind::kPgid:
        case ResultKind::kSid:
          return true;
        case ResultKind::kNone:
          return false;
      }
  }
  return false;
}

Outcome decide_query(const Call& call, const ProcessTable& table, KernelView& kernel) {
  const Task* caller = table.task(call.real_tid);
  // Every thread of the box is in the table before it can run; a caller we do not know is not
  // ours to answer for, and guessing would leak a real number.
  if (!caller) return ReturnErrno{ENOSYS};
  switch (call.row->result) {
    case ResultKind::kTid:
      return ReturnValue{caller->vtid};
    case ResultKind::kTgid:
      return ReturnValue{table.virtual_tgid(call.real_tid).value_or(0)};
    case ResultKind::kPpid: {
      RealOrErrno parent = kernel.parent_of(caller->real_tgid);
      if (!parent.ok()) return ReturnErrno{parent.error};
      return ReturnValue{visible_or_zero(table, parent.value)};
    }
    case ResultKind::kPgid:
      return group_query(call, table, kernel, false);
    case ResultKind::kSid:
      return group_query(call, table, kernel, true);
    case ResultKind::kNone:
      break;
  }
  return Continue{};
}

}  // namespace vpidbox
