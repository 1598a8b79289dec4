#include "supervisor/control_route.h"

#include <sys/uio.h>

#include <cerrno>
#include <string>

#include "supervisor/box_listing.h"
#include "supervisor/control_protocol.h"
#include "supervisor/tracee.h"
#include "translate/level_paths.h"

namespace vpidbox {
namespace {

// Up to `size` bytes at `address` in the caller, to its first NUL.
std::optional<std::string> read_text(pid_t caller, std::uint64_t address, std::uint64_t size) {
  if (size == 0 || size > 4096) return std::nullopt;
  std::string text(size, '\0');
  if (!tracee::read_memory(caller, address, text.data(), size)) return std::nullopt;
  text.resize(text.find('\0') == std::string::npos ? size : text.find('\0'));
  return text;
}

// The answer text into the caller's buffer: its length, -ERANGE when it does not fit (with its
// NUL), -EFAULT when the buffer cannot be written.
std::int64_t write_text(pid_t caller, std::uint64_t address, std::uint64_t size,
                        const std::string& text) {
  if (text.size() + 1 > size) return -ERANGE;
  if (!tracee::write_memory(caller, address, text.c_str(), text.size() + 1)) return -EFAULT;
  return static_cast<std::int64_t>(text.size());
}

}  // namespace

std::int64_t ControlRoute::answer(pid_t caller, const std::array<std::uint64_t, 6>& args) {
  const ProcessTable& table = tasks_.table();
  const Task* task = table.task(caller);
  if (!task) return -ENOSYS;
  const LevelId level = task->level;
  const std::uint64_t op = args[1];
  const std::uint64_t arg = args[2];
  const std::uint64_t size = args[3];
  // What the caller's level sees of a task: its number there.
  auto as_caller_sees = [&](Pid real) { return table.to_virtual(real, level).value_or(0); };
  switch (op) {
    case control::kQuery: {
      control::BoxInfo info;
      info.depth = static_cast<std::uint32_t>(table.depth(level));
      info.max_depth = kMaxLevels - 1;
      if (size < sizeof(info)) return -EINVAL;
      return tracee::write_memory(caller, arg, &info, sizeof(info)) ? 0 : -EFAULT;
    }
    case control::kNestChildren: {
      if (arg != control::kNestOwnProc && arg != control::kNestParentProc) return -EINVAL;
      if (tasks_.children_level_of(task->real_tgid)) return -EBUSY;
      return tasks_.nest_children_of(task->real_tgid, arg == control::kNestOwnProc) ? 0 : -ENOSPC;
    }
    case control::kListBoxes:
      return write_text(caller, arg, size,
                        encode_box_rows(gather_boxes(tasks_, level, "", as_caller_sees)));
    case control::kChildrenInto:
    case control::kListProcesses: {
      const std::optional<std::string> path = read_text(caller, arg, size);
      if (!path) return -EFAULT;
      const std::optional<LevelId> target = resolve_level_path(table, level, *path);
      if (!target || *target == level || table.level_ended(*target)) return -ENOENT;
      if (op == control::kListProcesses)
        return write_text(caller, arg, size,
                          encode_process_rows(gather_processes(tasks_, *target, as_caller_sees)));
      tasks_.make_children_in(task->real_tgid, *target);
      return 0;
    }
    default:
      return -EINVAL;
  }
}

}  // namespace vpidbox
