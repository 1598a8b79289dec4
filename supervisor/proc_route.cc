#include "supervisor/proc_route.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "procfs-fuse/proc_tree.h"
#include "supervisor/kernel_facts.h"
#include "supervisor/pid_max.h"
#include "translate/sysctl_write.h"
#include "translate/rules.h"

namespace vpidbox {

ProcRoute::ProcRoute(ProcessTable& table, std::uint64_t mount_id, const std::string& box_user_ns)
    : table_(table), box_proc_(mount_id), creds_(box_user_ns) {
  fs_ = std::make_unique<procfs::ProcFs>(
      table_, box_proc_.id(),
      [this](Pid caller, procfs::Rewrite file, const SysctlIntWrite& write) {
        return write_table(caller, file, write);
      },
      [this](Pid caller, bool own_task, const std::function<int()>& op) {
        return creds_.run_as(caller, own_task, op);
      });
  opens_.emplace(table_, box_proc_, creds_);
}

// The kernel's order: ns_last_pid checks the writer's capability first (EPERM), then the text
// and the range (EINVAL); pid_max's writer was judged at the open.
int ProcRoute::write_table(Pid caller, procfs::Rewrite file, const SysctlIntWrite& write) {
  const LevelId level = table_.level_of(caller);
  if (file == procfs::Rewrite::kLastPid) {
    const std::uint64_t caps = read_task_creds(caller).caps;
    if (!((caps >> CAP_SYS_ADMIN) & 1) && !((caps >> CAP_CHECKPOINT_RESTORE) & 1)) return EPERM;
    if (write.error || !write.stores) return write.error;
    if (write.value < 0 || write.value > table_.space(level).pid_max()) return EINVAL;
    return write_ns_last_pid(table_, level, caps, static_cast<Pid>(write.value));
  }
  if (write.error || !write.stores) return write.error;
  return write_pid_max(table_, level, write.value, pid_max_minimum());
}

std::unique_ptr<ProcRoute> ProcRoute::start(ProcChannel channel, ProcessTable& table,
                                            const std::string& box_user_ns, std::string& error) {
  std::unique_ptr<ProcRoute> route(new ProcRoute(table, channel.mount_id, box_user_ns));
  if (!route->fs_->start(channel.fuse.release(), error)) return nullptr;
  return route;
}

bool ProcRoute::rewrite_open(pid_t tid, user_regs_struct& regs) {
  return rewrite_fd_open(tid, regs, table_, box_proc_, creds_);
}

std::optional<Pid> ProcRoute::proc_dir_number(pid_t tid, int fd) const {
  if (fd < 0 || !box_proc_.holds_fd(tid, fd)) return std::nullopt;
  const std::string link = procfs::task_fd_link(tid, fd);
  char text[64];
  const ssize_t n = ::readlink(link.c_str(), text, sizeof(text));
  const std::string_view path(text, n > 0 ? static_cast<std::size_t>(n) : 0);
  if (!path.starts_with("/proc/")) return std::nullopt;
  return procfs::parse_pid_name(path.substr(6));
}

}  // namespace vpidbox
