#include "filters/filter_builder.h"

#include <seccomp.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

#include "translate/path_calls.h"
#include "translate/syscall_table.h"

namespace vpidbox {
namespace {

struct CtxDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using FilterCtx = std::unique_ptr<void, CtxDeleter>;

FilterResult failure(const char* what, int rc) {
  return FilterResult{false, -1, std::string(what) + ": " + std::strerror(rc < 0 ? -rc : rc)};
}

std::uint32_t action_for(const SyscallRow& row, bool with_listener) {
  switch (row.route) {
    case Route::kRefuse:
      return SCMP_ACT_ERRNO(row.refuse_errno);
    case Route::kUnotify:
    case Route::kProcOpen:
    case Route::kLook:
    case Route::kControl:
      if (with_listener) return SCMP_ACT_NOTIFY;
      break;
    case Route::kTrace:
    case Route::kStacked:  // not in this filter (skipped below)
      break;
  }
  return SCMP_ACT_TRACE(kBoxTraceData);
}

}  // namespace

FilterResult install_box_filter(bool with_listener, PathRouting routing) {
  FilterCtx ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return FilterResult{false, -1, "seccomp_init failed"};
  // Only the native ABI is in the filter: libseccomp sends every other architecture, and x32
  // calls made by a 64-bit process, to the bad-arch action. Their syscall numbers differ and
  // would otherwise slip past the translation.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS)))
    return failure("cannot refuse foreign ABIs", rc);
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0))
    return failure("cannot configure no_new_privs", rc);
  // A binary tree keeps the cost of a syscall that is not intercepted near constant.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);

  for (const SyscallRow& row : syscall_table()) {
    if (row.route == Route::kProcOpen && routing == PathRouting::kNone) continue;
    if (row.route == Route::kStacked) continue;
    const std::uint32_t action = action_for(row, with_listener);
    int rc = 0;
    if (row.filtered && row.filtered_twice) {
      rc = seccomp_rule_add_exact(
          ctx.get(), action, row.nr_x86_64, 2,
          scmp_arg_cmp{row.filter_arg, SCMP_CMP_MASKED_EQ, row.filter_mask, row.filter_value},
          scmp_arg_cmp{row.filter2_arg, SCMP_CMP_MASKED_EQ, row.filter2_mask, row.filter2_value});
    } else if (row.filtered) {
      rc = seccomp_rule_add_exact(
          ctx.get(), action, row.nr_x86_64, 1,
          scmp_arg_cmp{row.filter_arg, SCMP_CMP_MASKED_EQ, row.filter_mask, row.filter_value});
    } else if (row.zero_args_need_no_trap()) {
      // prlimit64(0, ...), sched_getaffinity(0, ...), setpgid(0, 0) and the like run at full
      // speed: trap only when some pid argument is not 0 (rules for one syscall are OR-ed).
      for (int i = 0; i < row.arg_count() && rc == 0; ++i) {
        if (!carries_pid(row.args[i])) continue;
        rc = seccomp_rule_add_exact(ctx.get(), action, row.nr_x86_64, 1,
                                    scmp_arg_cmp{static_cast<unsigned>(i), SCMP_CMP_NE, 0, 0});
      }
    } else {
      rc = seccomp_rule_add_exact(ctx.get(), action, row.nr_x86_64, 0);
    }
    if (rc) return failure(row.name.data(), rc);
  }
  if (routing == PathRouting::kEveryPath) {
    for (const PathCallRow& row : path_call_table()) {
      if (row.op == PathOp::kOpen) continue;  // the syscall table's open rows, above
      const std::uint32_t action =
          with_listener && !row.rewritten() ? SCMP_ACT_NOTIFY : SCMP_ACT_TRACE(kBoxTraceData);
      // Numbers this libseccomp does not know yet (the newest calls) are added by number.
      if (int rc = seccomp_rule_add_exact(ctx.get(), action, row.nr, 0)) {
        if (rc == -EDOM || rc == -EINVAL) continue;
        return failure(row.name.data(), rc);
      }
    }
  }
  if (int rc = seccomp_load(ctx.get())) return failure("loading the seccomp filter", rc);
  if (!with_listener) return FilterResult{true, -1, {}};
  int fd = seccomp_notify_fd(ctx.get());
  if (fd < 0) return failure("getting the seccomp listener", fd);
  return FilterResult{true, fd, {}};
}

}  // namespace vpidbox
