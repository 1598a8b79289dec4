#include "procfs-fuse/proc_tree.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace vpidbox::procfs {
namespace {

std::string join(std::string_view parent, std::string_view name) {
  std::string out(parent);
  if (!out.empty()) out += '/';
  out += name;
  return out;
}

// A live task of the box or a zombie leader; an exited thread is gone from /proc as soon as it
// exits, as the kernel unhashes it.
const Task* visible_task(Pid real, const ProcessTable& table) {
  const Task* task = table.task(real);
  if (!task) return nullptr;
  if (task->exited && task->real_tid != task->real_tgid) return nullptr;
  return task;
}

// The files a task directory (/proc/<n> or /proc/<n>/task/<t>) holds that carry pids.
NodeSpec task_dir_child(const NodeSpec& parent, std::string_view name) {
  NodeSpec child = parent;
  child.kind = NodeKind::kHost;
  child.host_path = join(parent.host_path, name);
  child.place = Place::kOther;
  child.rewrite = Rewrite::kNone;
  if (name == "status") child.rewrite = Rewrite::kStatus;
  if (name == "stat") child.rewrite = Rewrite::kStat;
  if (name == "sched") child.rewrite = Rewrite::kSched;
  if (name == "children") child.rewrite = Rewrite::kChildren;
  if (name == "timers") child.rewrite = Rewrite::kTimers;
  if (name == "fd") child.place = Place::kFdDir;
  if (name == "fdinfo") child.place = Place::kFdinfoDir;
  return child;
}

}  // namespace

std::string NodeSpec::key() const {
  std::string out = std::to_string(static_cast<int>(kind));
  out += '|';
  out += std::to_string(view);
  out += '|';
  out += host_path;
  for (Pid p : {bound_real, bound_virtual, bound_thread_real, bound_thread_virtual}) {
    out += '|';
    out += std::to_string(p);
  }
  return out;
}

NodeSpec root_node(LevelId view) {
  NodeSpec root;
  root.view = view;
  return root;
}

std::optional<Pid> parse_pid_name(std::string_view name) {
  if (name.empty() || name.front() == '0' || name.size() > 10) return std::nullopt;
  Pid value = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), value);
  if (error != std::errc() || end != name.data() + name.size() || value <= 0) return std::nullopt;
  return value;
}

std::optional<NodeSpec> child_of(const NodeSpec& parent, std::string_view name,
                                 const ProcessTable& table) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos)
    return std::nullopt;
  if (!still_valid(parent, table)) return std::nullopt;
  switch (parent.kind) {
    case NodeKind::kRoot: {
      NodeSpec child;
      child.view = parent.view;
      if (name == "self") {
        child.kind = NodeKind::kSelfLink;
        child.host_path = "self";
        return child;
      }
      if (name == "thread-self") {
        child.kind = NodeKind::kThreadSelfLink;
        child.host_path = "thread-self";
        return child;
      }
      if (std::optional<Pid> vnr = parse_pid_name(name)) {
        std::optional<Pid> real = table.to_real(*vnr, parent.view);
        if (!real || !visible_task(*real, table)) return std::nullopt;
        child.kind = NodeKind::kProcessDir;
        child.host_path = std::to_string(*real);
        child.place = Place::kTaskDir;
        child.bound_real = *real;
        child.bound_virtual = *vnr;
        return child;
      }
      // Every other all-digit name is a host pid, or a spelling procfs does not accept.
      if (name.find_first_not_of("0123456789") == std::string_view::npos) return std::nullopt;
      child.kind = NodeKind::kHost;
      child.host_path = std::string(name);
      if (name == "loadavg") child.rewrite = Rewrite::kLoadavg;
      if (name == "locks") child.rewrite = Rewrite::kLocks;
      return child;
    }
    case NodeKind::kSelfLink:
    case NodeKind::kThreadSelfLink:
    case NodeKind::kFdTarget:
      return std::nullopt;
    case NodeKind::kProcessDir:
      if (name == "task") {
        NodeSpec child = parent;
        child.kind = NodeKind::kTaskList;
        child.host_path = join(parent.host_path, name);
        child.place = Place::kOther;
        return child;
      }
      return task_dir_child(parent, name);
    case NodeKind::kTaskList: {
      std::optional<Pid> vtid = parse_pid_name(name);
      if (!vtid) return std::nullopt;
      std::optional<Pid> real = table.to_real(*vtid, parent.view);
      if (!real) return std::nullopt;
      const Task* thread = visible_task(*real, table);
      const Task* group = table.task(parent.bound_real);
      if (!thread || !group || thread->real_tgid != group->real_tgid) return std::nullopt;
      NodeSpec child = parent;
      child.kind = NodeKind::kHost;
      child.host_path = join(parent.host_path, std::to_string(*real));
      child.place = Place::kTaskDir;
      child.bound_thread_real = *real;
      child.bound_thread_virtual = *vtid;
      return child;
    }
    case NodeKind::kHost:
      break;
  }
  // A host directory.
  switch (parent.place) {
    case Place::kTaskDir:
      return task_dir_child(parent, name);
    case Place::kFdDir: {
      NodeSpec child = parent;
      child.host_path = join(parent.host_path, name);
      child.place = Place::kOther;
      child.kind = parse_pid_name(name) || name == "0" ? NodeKind::kHost : NodeKind::kFdTarget;
      return child;
    }
    case Place::kFdinfoDir: {
      NodeSpec child = parent;
      child.host_path = join(parent.host_path, name);
      child.place = Place::kOther;
      child.rewrite = Rewrite::kFdinfo;
      return child;
    }
    case Place::kOther:
      break;
  }
  NodeSpec child = parent;
  child.host_path = join(parent.host_path, name);
  child.rewrite = Rewrite::kNone;
  if (child.host_path == "sys/kernel/ns_last_pid") child.rewrite = Rewrite::kLastPid;
  if (child.host_path == "sys/kernel/pid_max") child.rewrite = Rewrite::kPidMax;
  if (child.host_path == "sysvipc/shm" || child.host_path == "sysvipc/msg")
    child.rewrite = Rewrite::kSysvipc;
  return child;
}

bool still_valid(const NodeSpec& node, const ProcessTable& table) {
  auto bound = [&](Pid real, Pid vnr) {
    if (real == 0) return true;
    return visible_task(real, table) && table.to_virtual(real, node.view) == vnr;
  };
  return bound(node.bound_real, node.bound_virtual) &&
         bound(node.bound_thread_real, node.bound_thread_virtual);
}

std::optional<std::string> self_link(Pid caller_real_tid, const ProcessTable& table, LevelId view) {
  const Task* caller = table.task(caller_real_tid);
  std::optional<Pid> tgid = caller ? table.to_virtual(caller->real_tgid, view) : std::nullopt;
  if (!tgid) return std::nullopt;
  return std::to_string(*tgid);
}

std::optional<std::string> thread_self_link(Pid caller_real_tid, const ProcessTable& table,
                                            LevelId view) {
  std::optional<std::string> tgid = self_link(caller_real_tid, table, view);
  std::optional<Pid> tid = table.to_virtual(caller_real_tid, view);
  if (!tgid || !tid) return std::nullopt;
  return *tgid + "/task/" + std::to_string(*tid);
}

std::vector<Pid> listed_processes(const ProcessTable& table, LevelId view) {
  std::vector<Pid> out;
  for (const auto& [real, task] : table.tasks()) {
    if (task.real_tid != task.real_tgid) continue;
    if (std::optional<Pid> vnr = table.to_virtual(real, view)) out.push_back(*vnr);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Pid> listed_threads(Pid member_real, const ProcessTable& table, LevelId view) {
  std::vector<Pid> out;
  const Task* member = table.task(member_real);
  if (!member) return out;
  for (const auto& [real, task] : table.tasks()) {
    if (task.real_tgid != member->real_tgid || !visible_task(real, table)) continue;
    if (std::optional<Pid> vnr = table.to_virtual(real, view)) out.push_back(*vnr);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<NodeSpec> resolve_proc_path(std::string_view path, Pid caller_real_tid,
                                          const ProcessTable& table) {
  // Most opens are elsewhere: decide that before splitting.
  const std::string_view head = path.substr(std::min(path.find_first_not_of('/'), path.size()));
  if (!head.starts_with("proc") && !head.starts_with(".")) return std::nullopt;
  std::vector<std::string_view> names;
  std::size_t pos = 0;
  while (pos < path.size()) {
    std::size_t end = std::min(path.find('/', pos), path.size());
    std::string_view part = path.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return std::nullopt;
    names.push_back(part);
  }
  if (!path.starts_with('/') || names.empty() || names.front() != "proc") return std::nullopt;
  NodeSpec node = root_node(table.proc_view_of(table.level_of(caller_real_tid)));
  for (std::size_t i = 1; i < names.size(); ++i) {
    std::optional<NodeSpec> next = child_of(node, names[i], table);
    if (!next) return std::nullopt;
    if (next->kind == NodeKind::kSelfLink || next->kind == NodeKind::kThreadSelfLink) {
      std::optional<std::string> tgid = self_link(caller_real_tid, table, node.view);
      if (!tgid) return std::nullopt;
      next = child_of(node, *tgid, table);
      if (next && names[i] == "thread-self") {
        next = child_of(*next, "task", table);
        std::optional<Pid> tid = table.to_virtual(caller_real_tid, node.view);
        if (next && tid) next = child_of(*next, std::to_string(*tid), table);
      }
      if (!next) return std::nullopt;
    }
    node = *next;
  }
  return node;
}

std::string box_path(const NodeSpec& node) {
  std::string out = "/proc";
  std::size_t pos = 0;
  for (int index = 0; pos <= node.host_path.size() && !node.host_path.empty(); ++index) {
    std::size_t end = std::min(node.host_path.find('/', pos), node.host_path.size());
    std::string_view part = std::string_view(node.host_path).substr(pos, end - pos);
    out += '/';
    if (index == 0 && node.bound_real)
      out += std::to_string(node.bound_virtual);
    else if (index == 2 && node.bound_thread_real)
      out += std::to_string(node.bound_thread_virtual);
    else
      out += part;
    pos = end + 1;
  }
  return out;
}

NodeSpec as_read_by(const NodeSpec& node, Pid reader_real_tid, const ProcessTable& table) {
  if (node.bound_real != 0 || node.kind != NodeKind::kHost) return node;
  NodeSpec seen = node;
  seen.view = table.proc_view_of(table.level_of(reader_real_tid));
  return seen;
}

std::string render_for_reader(const NodeSpec& node, std::string_view real_text,
                              const ProcessTable& table, bool reader_is_task) {
  const LevelId level = node.view;
  // A node outlives its level when the kernel keeps its inode: a box nested in the box has ended.
  if (!table.has_level(level)) return {};
  const NumberView view{
      [&table, level](int real) { return table.to_virtual(real, level).value_or(0); },
      table.space(level).last_allocated(),
      [&table, level](int real) {
        std::vector<Pid> numbers = table.numbers_from(real, level);
        return numbers.empty() ? std::vector<int>{}
                               : std::vector<int>(numbers.begin() + 1, numbers.end());
      }};
  switch (node.rewrite) {
    case Rewrite::kStatus: {
      NumberView with_tracer = view;
      const Pid task = node.bound_thread_real ? node.bound_thread_real : node.bound_real;
      if (const Pid tracer = table.tracer_of(task))
        with_tracer.tracer = table.to_virtual(tracer, level).value_or(0);
      std::string text = render_status(real_text, with_tracer);
      return reader_is_task ? show_reader_running_status(std::move(text)) : text;
    }
    case Rewrite::kStat: {
      std::string text = render_stat(real_text, view);
      return reader_is_task ? show_reader_running_stat(std::move(text)) : text;
    }
    case Rewrite::kChildren:
      return render_children(real_text, view);
    case Rewrite::kSched:
      return render_sched(real_text, view);
    case Rewrite::kTimers:
      return render_timers(real_text, view);
    case Rewrite::kSysvipc: {
      // An IPC object keeps its creator's pid after the creator is reaped, and the kernel still
      // prints that number: the box's, while the table remembers it.
      const NumberView remembering{[&table, level](int real) {
                                     if (std::optional<Pid> v = table.to_virtual(real, level))
                                       return *v;
                                     return table.recently_released(real, level).value_or(0);
                                   },
                                   view.last_allocated, nullptr};
      return render_sysvipc(real_text, remembering);
    }
    case Rewrite::kFdinfo:
      return render_pidfd_fdinfo(real_text, view);
    case Rewrite::kLoadavg:
      return render_loadavg(real_text, view);
    case Rewrite::kLocks:
      return render_locks(real_text, view);
    case Rewrite::kLastPid:
      return std::to_string(view.last_allocated) + "\n";
    case Rewrite::kPidMax:
      // The box's own limit, as a pid namespace shows its own (the host's may be lower).
      return std::to_string(table.space(level).pid_max()) + "\n";
    case Rewrite::kNone:
      break;
  }
  return std::string(real_text);
}

}  // namespace vpidbox::procfs
