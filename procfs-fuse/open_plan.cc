#include "procfs-fuse/open_plan.h"

#include <fcntl.h>

#include <cerrno>

namespace vpidbox::procfs {
namespace {

constexpr std::string_view kMemfdLinkPrefix = "/memfd:";
constexpr std::string_view kUnlinkedSuffix = " (deleted)";

OpenPlan fails_with(int error) {
  OpenPlan plan;
  plan.serves = OpenServes::kError;
  plan.error = error;
  return plan;
}

// Files about no task that programs keep open and read again and again from the start
// (/proc/loadavg): rendered anew at every such read, which only FUSE can do; a file installed by
// the open route holds the text of its open.
bool rendered_anew_at_every_read(Rewrite rewrite) {
  switch (rewrite) {
    case Rewrite::kLoadavg:
    case Rewrite::kLocks:
    case Rewrite::kLastPid:
    case Rewrite::kSysvipc:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool same_process(Pid opener, Pid task, const ProcessTable& table) {
  const Task* me = table.task(opener);
  const Task* them = task ? table.task(task) : nullptr;
  return me && them && me->real_tgid == them->real_tgid;
}

OpenPlan plan_open(const NodeSpec& node, int flags, Pid opener, const ProcessTable& table) {
  if (!still_valid(node, table)) return fails_with(ENOENT);
  // What procfs answers for an open of a socket's or a pipe's name looked up in an fd directory:
  // such objects are reopened through the fd link itself (supervisor/proc_open.h).
  if (node.kind == NodeKind::kFdTarget) return fails_with(ENXIO);
  if (node.kind != NodeKind::kHost) return OpenPlan{};  // directories and links
  OpenPlan plan;
  plan.host_path = node.host_path;
  plan.rewrite = node.rewrite;
  plan.task = node.bound_thread_real ? node.bound_thread_real : node.bound_real;
  plan.opener_owns = same_process(opener, node.bound_real, table);
  // Directories and O_PATH handles are the kernel's to open (through FUSE).
  const bool wants_file = !(flags & (O_DIRECTORY | O_PATH));
  if (node.rewrite == Rewrite::kNone) {
    plan.serves = OpenServes::kHostFile;
    plan.served_in_notification = wants_file;
    return plan;
  }
  const bool read_only = (flags & O_ACCMODE) == O_RDONLY;
  // ns_last_pid and pid_max are the rewritten files that take writes (who may write pid_max is
  // judged by its mode, as procfs does); procfs refuses writes to the rest.
  if (!read_only && node.rewrite != Rewrite::kLastPid && node.rewrite != Rewrite::kPidMax)
    return fails_with(EACCES);
  plan.serves = OpenServes::kRendered;
  plan.writes_last_pid = node.rewrite == Rewrite::kLastPid;
  plan.writes_pid_max = node.rewrite == Rewrite::kPidMax;
  plan.served_in_notification =
      wants_file && read_only && !rendered_anew_at_every_read(node.rewrite);
  return plan;
}

std::string memfd_name(const NodeSpec& node) {
  return box_path(node);
}

std::optional<std::string> box_path_of_memfd_link(std::string_view link_text) {
  if (!link_text.starts_with(kMemfdLinkPrefix) || !link_text.ends_with(kUnlinkedSuffix))
    return std::nullopt;
  link_text.remove_prefix(kMemfdLinkPrefix.size());
  link_text.remove_suffix(kUnlinkedSuffix.size());
  if (!link_text.starts_with("/proc/")) return std::nullopt;
  return std::string(link_text);
}

}  // namespace vpidbox::procfs
