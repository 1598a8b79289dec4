// The box's view of host procfs paths, for the box's /proc without a mount of its own
// (supervisor/proc_paths.h), where the box's tasks hold host procfs files and directories and the
// kernel shows their host paths. Pure: decided from strings and the process table.
//  - which node of the box's view (proc_tree.h) a host path is: a directory fd a task holds, the
//    target of a link the walk followed;
//  - the node above a node, for "..";
//  - which nodes are a task's magic links (fd/<n>, exe, cwd, root, ns/*, map_files/*);
//  - how a path the kernel shows (a link's text, a working directory) reads in the box.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "procfs-fuse/proc_tree.h"
#include "translate/process_table.h"

namespace vpidbox::procfs {

// The node for `host_path`, relative to a procfs root ("" for the root, "4242/task/4243/fd"), in
// the view of level `view`: the real numbers in it become that level's. nullopt for a path
// through a task that level does not see, or one its view does not have.
std::optional<NodeSpec> node_for_host_path(std::string_view host_path, const ProcessTable& table,
                                           LevelId view);

// The node above `node`; nullopt above the root (the walk leaves procfs there).
std::optional<NodeSpec> parent_node(const NodeSpec& node, const ProcessTable& table);

// Whether a node below a task's directory is one of its links, when the host has a symlink there:
// every symlink of a task's directory is magic (it leads to the object itself), those of the
// root (self, thread-self, mounts, net) are text.
bool is_task_link(const NodeSpec& node);

// Where the supervisor keeps the directories that stand for the box's /proc listings
// (supervisor/proc_shadow.h): `base` holds "proc" or "proc.<level>" (the root, in the view of a
// level), "task/<level>-<n>-<real>" (the task list of process n of that level, real tgid
// `real`), and for the ptrace engine "copy/<seq>-<encoded box path>" (files) and
// "list/<seq>-<encoded box path>" (other directories).
std::string shadow_root_name(LevelId view);
std::string shadow_task_dir_name(LevelId view, Pid box_number, Pid real_tgid);
std::string shadow_entry_name(unsigned long seq, std::string_view box_path);
// The box's path for a path beneath `base`, nullopt for any other.
std::optional<std::string> box_path_of_shadow(std::string_view path, std::string_view base);

// The box's path for `text` as the kernel shows it (a link's text, a working directory): beneath
// `procfs_mount` (where the supervisor sees the host's procfs, "/proc"), real numbers become the
// box's; beneath the shadow `base`, the box's path it stands for; a memfd of rendered text
// (open_plan.h, memfd_name), the box path it is named by. Any other text is returned as it is.
std::string show_path_as_box(std::string_view text, std::string_view procfs_mount,
                             std::string_view base, const ProcessTable& table, LevelId view);

}  // namespace vpidbox::procfs
