#include "procfs-fuse/proc_view.h"

#include <vector>

#include "procfs-fuse/open_plan.h"

namespace vpidbox::procfs {
namespace {

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    const std::size_t end = std::min(path.find('/', pos), path.size());
    if (end > pos) out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// A real number of a box task as the box's directory name: its box number.
std::optional<std::string> box_name_of_real(std::string_view name, const ProcessTable& table,
                                            LevelId view) {
  const std::optional<Pid> real = parse_pid_name(name);
  if (!real || !table.task(*real)) return std::nullopt;
  const std::optional<Pid> vnr = table.to_virtual(*real, view);
  if (!vnr) return std::nullopt;
  return std::to_string(*vnr);
}

constexpr std::string_view kDeleted = " (deleted)";

// Box paths are ASCII names and '/': encoded into one file name with '/' as '!'.
std::string encode(std::string_view box_path) {
  std::string out(box_path);
  for (char& c : out)
    if (c == '/') c = '!';
  return out;
}

std::string decode(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (c == '!') c = '/';
  return out;
}

}  // namespace

std::optional<NodeSpec> node_for_host_path(std::string_view host_path, const ProcessTable& table,
                                           LevelId view) {
  NodeSpec node = root_node(view);
  for (std::string_view name : components(host_path)) {
    std::string box_name(name);
    // The names that are numbers: /proc/<n> and task/<t>, which the box numbers its own way.
    if (node.kind == NodeKind::kRoot || node.kind == NodeKind::kTaskList) {
      if (parse_pid_name(name)) {
        std::optional<std::string> box = box_name_of_real(name, table, view);
        if (!box) return std::nullopt;
        box_name = *box;
      }
    }
    std::optional<NodeSpec> next = child_of(node, box_name, table);
    if (!next) return std::nullopt;
    node = *next;
  }
  return node;
}

std::optional<NodeSpec> parent_node(const NodeSpec& node, const ProcessTable& table) {
  if (node.kind == NodeKind::kRoot) return std::nullopt;
  const std::size_t slash = node.host_path.rfind('/');
  if (slash == std::string::npos) return root_node(node.view);
  return node_for_host_path(std::string_view(node.host_path).substr(0, slash), table, node.view);
}

bool is_task_link(const NodeSpec& node) {
  return node.kind == NodeKind::kHost && node.bound_real != 0 &&
         node.host_path.find('/') != std::string::npos;
}

std::string shadow_root_name(LevelId view) {
  return view == kTopLevel ? "proc" : "proc." + std::to_string(view);
}

std::string shadow_task_dir_name(LevelId view, Pid box_number, Pid real_tgid) {
  return std::to_string(view) + "-" + std::to_string(box_number) + "-" + std::to_string(real_tgid);
}

std::string shadow_entry_name(unsigned long seq, std::string_view box_path) {
  return std::to_string(seq) + "-" + encode(box_path);
}

std::optional<std::string> box_path_of_shadow(std::string_view path, std::string_view base) {
  if (base.empty() || !path.starts_with(base)) return std::nullopt;
  path.remove_prefix(base.size());
  if (!path.empty() && path.front() != '/') return std::nullopt;
  const std::vector<std::string_view> parts = components(path);
  if (parts.empty()) return std::nullopt;
  auto rest_from = [&](std::size_t i) {
    std::string rest;
    for (; i < parts.size(); ++i) {
      rest += '/';
      rest += parts[i];
    }
    return rest;
  };
  if (parts[0] == "proc" || parts[0].starts_with("proc.")) return "/proc" + rest_from(1);
  if (parts.size() < 2) return std::nullopt;
  const std::string_view name = parts[1];
  const std::size_t dash = name.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  if (parts[0] == "task") {
    const std::string_view number = name.substr(dash + 1);
    return "/proc/" + std::string(number.substr(0, number.find('-'))) + "/task" + rest_from(2);
  }
  if (parts[0] == "copy" || parts[0] == "list") return decode(name.substr(dash + 1)) + rest_from(2);
  return std::nullopt;
}

std::string show_path_as_box(std::string_view text, std::string_view procfs_mount,
                             std::string_view base, const ProcessTable& table, LevelId view) {
  std::string_view body = text;
  std::string suffix;
  if (body.ends_with(kDeleted)) {
    body.remove_suffix(kDeleted.size());
    suffix = std::string(kDeleted);
  }
  if (std::optional<std::string> rendered = box_path_of_memfd_link(text)) return *rendered;
  if (std::optional<std::string> shadow = box_path_of_shadow(body, base)) return *shadow + suffix;
  if (procfs_mount.empty() || !body.starts_with(procfs_mount)) return std::string(text);
  std::string_view rest = body.substr(procfs_mount == "/" ? 0 : procfs_mount.size());
  if (!rest.empty() && rest.front() != '/') return std::string(text);
  const std::optional<NodeSpec> node = node_for_host_path(rest, table, view);
  if (!node) return std::string(text);
  const std::string shown = box_path(*node);  // "/proc/...", where the host's procfs is
  return (procfs_mount == "/proc" ? shown : std::string(procfs_mount) + shown.substr(5)) + suffix;
}

}  // namespace vpidbox::procfs
