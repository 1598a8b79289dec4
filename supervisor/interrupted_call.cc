#include "supervisor/interrupted_call.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <string>
#include <string_view>

#include "supervisor/proc_open.h"
#include "supervisor/tracee.h"
#include "supervisor/unique_fd.h"

namespace vpidbox {

bool open_may_block_natively(pid_t tid, const user_regs_struct& regs) {
  const std::array<std::uint64_t, 6> args = tracee::syscall_args(regs);
  const std::optional<OpenCall> call =
      decode_open_call(tid, static_cast<long>(regs.orig_rax), args.data());
  if (!call) return true;
  if (call->flags & O_NONBLOCK) return false;  // opens that would wait fail at once instead
  char buf[PATH_MAX];
  // The path may end before the end of its page: read it in pieces up to a page boundary.
  std::size_t length = 0;
  while (length < sizeof(buf)) {
    const std::uint64_t at = call->path + length;
    const std::size_t piece = std::min<std::size_t>(4096 - (at % 4096), sizeof(buf) - length);
    if (!tracee::read_memory(tid, at, buf + length, piece)) return true;
    const std::string_view got(buf + length, piece);
    if (const auto end = got.find('\0'); end != std::string_view::npos) {
      length += end;
      break;
    }
    length += piece;
  }
  const std::string_view path(buf, length);
  if (length == sizeof(buf) || !path.starts_with('/') || path.starts_with("/proc") ||
      path.starts_with("/dev"))
    return true;
  // Looked up from the box's root, without leaving its mount (RESOLVE_NO_XDEV): nothing on the
  // way can be the box's own /proc, which this thread serves and so must not wait for.
  UniqueFd root(
      ::open(("/proc/" + std::to_string(tid) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return true;
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS;
  const std::string relative(path.substr(1));
  UniqueFd target(static_cast<int>(::syscall(
      SYS_openat2, root.get(), relative.empty() ? "." : relative.c_str(), &how, sizeof(how))));
  if (!target.valid()) return !(errno == ENOENT && (call->flags & O_CREAT));
  struct stat st {};
  if (::fstat(target.get(), &st) != 0) return true;
  return !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

}  // namespace vpidbox
