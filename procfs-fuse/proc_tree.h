// The shape of the box's /proc: which names exist, which host procfs path serves each, and which
// renderer rewrites it. Pure: decided from the process table alone, no syscalls.
//
// A node is named by its host path relative to the supervisor's /proc ("4242/task/4243/stat")
// and is bound to the tasks its path went through, so that a node found under /proc/7 stops
// resolving when the task that was 7 is gone, even if 7 is reused (procfs does the same: a
// directory of a dead task answers nothing).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "procfs-fuse/render.h"
#include "translate/process_table.h"

namespace vpidbox::procfs {

enum class NodeKind {
  kRoot,            // /proc: the host's entries that are not pids, then the box's processes
  kSelfLink,        // /proc/self -> "<caller's tgid>"
  kThreadSelfLink,  // /proc/thread-self -> "<tgid>/task/<tid>"
  kProcessDir,      // /proc/<n>, for any task of the box (threads are reachable, not listed)
  kTaskList,        // /proc/<n>/task: the box numbers of the group's threads
  kHost,            // anything else: the host procfs path, passed through or rewritten
  kFdTarget,        // a name like "pipe:[123]" looked up in an fd directory: the object an fd
                    // names, when a magic link's text is followed
};

// Which renderer (render.h) a file's text goes through.
enum class Rewrite {
  kNone,
  kStatus,
  kStat,
  kChildren,
  kSched,
  kTimers,
  kSysvipc,
  kFdinfo,
  kLoadavg,
  kLocks,
  kLastPid,
  kPidMax,
};

// Where a node sits, for what its children are.
enum class Place { kOther, kTaskDir, kFdDir, kFdinfoDir };

struct NodeSpec {
  NodeKind kind = NodeKind::kRoot;
  // The level of the box whose view the node is in: the level of the task that looked up its
  // /proc (a /proc is its pid namespace's; nested boxes see their own), inherited by every node
  // below. Numbers in the path and in the files are that level's.
  LevelId view = kTopLevel;
  std::string host_path;  // relative to the supervisor's /proc; "" is /proc itself
  Rewrite rewrite = Rewrite::kNone;
  Place place = Place::kOther;
  // The task the /proc/<n> at the top of this path names, and its box number then; likewise for
  // the task/<n> the path goes through. 0 when the path has none.
  Pid bound_real = 0;
  Pid bound_virtual = 0;
  Pid bound_thread_real = 0;
  Pid bound_thread_virtual = 0;

  // Identity for the inode table: equal keys are the same node.
  std::string key() const;
};

// /proc as seen from `view`.
NodeSpec root_node(LevelId view = kTopLevel);

// The child `name` of `parent`, or nullopt when it does not exist in the box's view (ENOENT).
// Host names are not checked against the host here: the caller stats the host path.
std::optional<NodeSpec> child_of(const NodeSpec& parent, std::string_view name,
                                 const ProcessTable& table);

// The node an absolute path names in the box's /proc ("/proc/self/task/2/stat"), as the caller
// `caller_real_tid` would reach it: "self" and "thread-self" are followed for that caller. nullopt
// for a path outside /proc, one that does not exist in the view, or one this lexical walk cannot
// follow ("..", a host symlink such as /proc/net, a magic link): the kernel walks those.
std::optional<NodeSpec> resolve_proc_path(std::string_view path, Pid caller_real_tid,
                                          const ProcessTable& table);

// The path the box knows a node by: "/proc/<box number>/task/<box number>/stat".
std::string box_path(const NodeSpec& node);

// A node as task `reader_real_tid` reads it. A file of no task (loadavg, ns_last_pid, pid_max,
// locks, sysvipc/*) shows the reader's level, as procfs shows the reader's pid namespace; and the
// kernel keeps such a name once looked up for every level alike.
NodeSpec as_read_by(const NodeSpec& node, Pid reader_real_tid, const ProcessTable& table);

// The text the box sees for a file node whose host text is `real_text`, through the node's
// renderer (render.h). `reader_is_task`: the reader is the task the file describes, which
// procfs shows running while it reads (the supervisor sees it waiting).
std::string render_for_reader(const NodeSpec& node, std::string_view real_text,
                              const ProcessTable& table, bool reader_is_task);

// False once a task the node is bound to is gone or its number names another task.
bool still_valid(const NodeSpec& node, const ProcessTable& table);

// The text of /proc/self and /proc/thread-self for a caller (a real tid); nullopt for a task
// that is not in the box, or not visible from `view`, the level of the /proc it is read in.
std::optional<std::string> self_link(Pid caller_real_tid, const ProcessTable& table, LevelId view);
std::optional<std::string> thread_self_link(Pid caller_real_tid, const ProcessTable& table,
                                            LevelId view);

// The pid entries of /proc as `view` sees it, ascending: every thread-group leader of that level
// and of the levels nested in it, zombies included.
std::vector<Pid> listed_processes(const ProcessTable& table, LevelId view);
// The entries of /proc/<n>/task for the group of real task `member`, ascending, in `view`.
std::vector<Pid> listed_threads(Pid member_real, const ProcessTable& table, LevelId view);

// True for a name that is a pid as /proc spells it (digits, no leading zero, fits in Pid).
std::optional<Pid> parse_pid_name(std::string_view name);

}  // namespace vpidbox::procfs
