#include "filters/filter_builder.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "translate/path_calls.h"
#include "translate/syscall_table.h"

namespace vpidbox {
namespace {

struct CtxDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using FilterCtx = std::unique_ptr<void, CtxDeleter>;

// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19), newer than Debian 12's headers.
constexpr unsigned kWaitKillableRecv = 1u << 5;

FilterResult failure(const char* what, int rc) {
  return FilterResult{false, -1, std::string(what) + ": " + std::strerror(rc < 0 ? -rc : rc)};
}

// `killable`: the listener's notified tasks wait killably (the signal sends may notify).
std::uint32_t action_for(const SyscallRow& row, bool with_listener, bool killable) {
  switch (row.route) {
    case Route::kRefuse:
      return SCMP_ACT_ERRNO(row.refuse_errno);
    case Route::kUnotify:
    case Route::kProcOpen:
    case Route::kLook:
    case Route::kControl:
      if (with_listener) return SCMP_ACT_NOTIFY;
      break;
    case Route::kSignalSend:
      if (with_listener && killable) return SCMP_ACT_NOTIFY;
      break;
    case Route::kTrace:
    case Route::kStacked:  // not in this filter (skipped below)
      break;
  }
  return SCMP_ACT_TRACE(kBoxTraceData);
}

// A row's argument filter as seccomp rules, which libseccomp OR-s: one masked comparison, or a
// range of the masked argument cut into aligned power-of-two blocks (one masked comparison each),
// or the blocks of what is outside it. Rows of one syscall with other actions never overlap.
int add_masked_equal(scmp_filter_ctx ctx, std::uint32_t action, const SyscallRow& row,
                     std::uint64_t mask, std::uint64_t value) {
  return seccomp_rule_add_exact(ctx, action, row.nr_x86_64, 1,
                                scmp_arg_cmp{row.filter_arg, SCMP_CMP_MASKED_EQ, mask, value});
}

// lo <= (argument & row.filter_mask) <= hi, hi within the mask (whose set bits are the low ones).
int add_range(scmp_filter_ctx ctx, std::uint32_t action, const SyscallRow& row, std::uint64_t lo,
              std::uint64_t hi) {
  for (;;) {
    std::uint64_t size = 1;
    while (size * 2 != 0 && lo % (size * 2) == 0 && size * 2 - 1 <= hi - lo) size *= 2;
    if (int rc = add_masked_equal(ctx, action, row, row.filter_mask & ~(size - 1), lo)) return rc;
    if (size - 1 == hi - lo) return 0;
    lo += size;
  }
}

int add_filtered_rules(scmp_filter_ctx ctx, std::uint32_t action, const SyscallRow& row) {
  switch (row.filter_kind) {
    case SyscallRow::ArgFilter::kMaskedEqual:
      return add_masked_equal(ctx, action, row, row.filter_mask, row.filter_value);
    case SyscallRow::ArgFilter::kInRange:
      return add_range(ctx, action, row, row.filter_value, row.filter_max);
    case SyscallRow::ArgFilter::kOutsideRange:
      if (row.filter_value > 0) {
        if (int rc = add_range(ctx, action, row, 0, row.filter_value - 1)) return rc;
      }
      if (row.filter_max == row.filter_mask) return 0;
      return add_range(ctx, action, row, row.filter_max + 1, row.filter_mask);
  }
  return -EINVAL;
}

FilterResult build_filter(FilterCtx& ctx, bool with_listener, PathRouting routing, bool killable) {
  ctx.reset(seccomp_init(SCMP_ACT_ALLOW));
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
    const std::uint32_t action = action_for(row, with_listener, killable);
    int rc = 0;
    if (row.filtered && row.filtered_twice) {
      if (row.filter_kind != SyscallRow::ArgFilter::kMaskedEqual)
        return failure(row.name.data(), EINVAL);
      rc = seccomp_rule_add_exact(
          ctx.get(), action, row.nr_x86_64, 2,
          scmp_arg_cmp{row.filter_arg, SCMP_CMP_MASKED_EQ, row.filter_mask, row.filter_value},
          scmp_arg_cmp{row.filter2_arg, SCMP_CMP_MASKED_EQ, row.filter2_mask, row.filter2_value});
    } else if (row.filtered) {
      rc = add_filtered_rules(ctx.get(), action, row);
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
  return FilterResult{true, -1, {}};
}

// Loads the program with a listener, with seccomp(2) itself: libseccomp 2.5 has no attribute for
// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, so the program is exported as BPF. The listener, or
// -errno.
int load_with_listener(scmp_filter_ctx ctx, unsigned flags) {
  const int mem = ::memfd_create("vpidbox-filter", MFD_CLOEXEC);
  if (mem < 0) return -errno;
  std::vector<sock_filter> code;
  int rc = seccomp_export_bpf(ctx, mem);
  const off_t size = rc == 0 ? ::lseek(mem, 0, SEEK_END) : -1;
  if (size > 0 && size % sizeof(sock_filter) == 0) {
    code.resize(static_cast<std::size_t>(size) / sizeof(sock_filter));
    if (::pread(mem, code.data(), static_cast<std::size_t>(size), 0) != size) code.clear();
  }
  ::close(mem);
  if (code.empty()) return rc < 0 ? rc : -EIO;
  sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
  const long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                            SECCOMP_FILTER_FLAG_NEW_LISTENER | flags, &prog);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

}  // namespace

FilterResult install_box_filter(bool with_listener, PathRouting routing) {
  FilterCtx ctx;
  if (!with_listener) {
    FilterResult built = build_filter(ctx, false, routing, false);
    if (!built.ok) return built;
    if (int rc = seccomp_load(ctx.get())) return failure("loading the seccomp filter", rc);
    return built;
  }
  // Where the kernel refuses killable waits (before 5.19: EINVAL), the signal sends stop for
  // ptrace instead.
  int fd = -EINVAL;
  for (bool killable : {true, false}) {
    FilterResult built = build_filter(ctx, true, routing, killable);
    if (!built.ok) return built;
    fd = load_with_listener(ctx.get(), killable ? kWaitKillableRecv : 0);
    if (fd >= 0) return FilterResult{true, fd, {}};
    if (fd != -EINVAL) break;
  }
  return failure("loading the seccomp filter", fd);
}

}  // namespace vpidbox
