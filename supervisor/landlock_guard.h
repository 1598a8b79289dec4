// Landlock as the guard of the box's /proc where the box has no mount of its own
// (--proc=intercept, proc_paths.h). The supervisor answers every call that concerns /proc and
// lets the others continue in the kernel, which walks the path again; in between, a second thread
// of the caller can change the path (its memory, or a symlink on the way). The guard makes the
// kernel itself refuse what such a race would reach: the box's tasks may not read, write or list
// anything beneath a procfs mount (the supervisor installs what they may have: ADDFD), and, as in
// any Landlock domain, they may not follow the fd, exe, cwd or root links of a process outside the
// box (Landlock's ptrace restriction). Landlock rules allow, they cannot deny: the guard allows
// everything beside each procfs mount, at every directory above one ("/" for /proc), and those
// directories themselves may not be listed by the kernel (the supervisor opens them instead).
#pragma once

#include <string>
#include <vector>

#include "supervisor/unique_fd.h"

namespace vpidbox {

struct GuardPlan {
  std::vector<std::string> denied;     // procfs mount points: nothing allowed beneath
  std::vector<std::string> ancestors;  // the directories above them, shortest first
};

// Pure: the plan for these procfs mount points (absolute, normalized).
GuardPlan plan_proc_guard(const std::vector<std::string>& procfs_mounts);
// Whether `path` is one of the plan's ancestors (a directory whose own listing is refused).
bool is_guard_ancestor(const GuardPlan& plan, const std::string& path);

// The Landlock ABI version of the running kernel, 0 without Landlock (or where a seccomp filter
// refuses its calls).
int landlock_abi();

struct GuardResult {
  bool applied = false;
  std::string why_not;  // when not applied
};

// The guard in two steps, so that the second can run once the box's seccomp filter traps every
// call that names a path: the first opens what the rules name (everything beside each procfs
// mount, and the mounts themselves), the second makes no lookup.
struct GuardRules {
  struct Rule {
    UniqueFd fd;  // O_PATH
    bool directory = false;
    bool procfs = false;    // a denied procfs mount (a rule only when writes are allowed beneath)
    bool ancestor = false;  // a directory above one (the same)
  };
  std::vector<Rule> rules;
};
GuardRules collect_guard_rules(const GuardPlan& plan);
// Applies the guard to the calling thread, for it and its future children (the box's init before
// exec; needs no_new_privs or CAP_SYS_ADMIN). `kernel_opens`: the ptrace engine, which cannot
// install descriptors, lets the kernel open the directories of /proc and the files a box task
// writes: only reading files beneath a procfs mount stays refused.
GuardResult apply_guard_rules(const GuardRules& rules, bool kernel_opens);

}  // namespace vpidbox
