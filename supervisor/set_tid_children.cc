#include "supervisor/set_tid_children.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "supervisor/kernel_facts.h"
#include "supervisor/tracee.h"
#include "translate/set_tid_rule.h"

namespace vpidbox {
namespace {

// struct clone_args (linux/sched.h): set_tid and set_tid_size follow the first eight fields, in
// CLONE_ARGS_SIZE_VER1 and later.
constexpr std::uint64_t kSetTidOffset = 64;
constexpr std::uint64_t kCloneArgsSizeVer1 = 80;
constexpr std::uint64_t kMaxPidNsLevel = 32;

}  // namespace

// The real pid namespaces the box's processes are in: the supervisor's and those above it, as
// many as its NSpid lists.
std::size_t SetTidChildren::kernel_levels() {
  if (kernel_levels_ == 0) {
    kernel_levels_ = 1;
    if (std::optional<std::string> status = read_proc_file("/proc/self/status"))
      if (const char* nspid = proc_field(*status, "NSpid")) {
        int n = 0;
        for (const char* c = nspid; *c && *c != '\n'; ++c)
          if ((c == nspid || c[-1] == ' ' || c[-1] == '\t') && *c >= '0' && *c <= '9') ++n;
        if (n > 0) kernel_levels_ = static_cast<std::size_t>(n);
      }
  }
  return kernel_levels_;
}

void SetTidChildren::on_clone3_entry(pid_t tid, std::uint64_t args_at, std::uint64_t size,
                                     Outcome& outcome, PendingExit& pending) {
  std::uint64_t fields[2];  // set_tid, set_tid_size
  std::uint64_t flags = 0;
  // What cannot be read, or is refused before any pid is looked at (no array, or more than 32
  // numbers), is the kernel's to refuse.
  if (size < kCloneArgsSizeVer1 || !tracee::read_memory(tid, args_at, &flags, sizeof(flags)) ||
      !tracee::read_memory(tid, args_at + kSetTidOffset, fields, sizeof(fields)) ||
      fields[0] == 0 || fields[1] == 0 || fields[1] > kMaxPidNsLevel)
    return;
  std::vector<Pid> requested(fields[1]);
  if (!tracee::read_memory(tid, fields[0], requested.data(), requested.size() * sizeof(Pid)))
    return;
  const Task* caller = table_.task(tid);
  if (!caller) return;
  // Which numbers are taken, as the kernel knows it now: a group's number is free once its last
  // member is reaped.
  tasks_.release_unused_numbers();
  // A thread joins its group's level; a process is made where its creator makes children.
  const LevelId level = (flags & CLONE_THREAD)
                            ? caller->level
                            : tasks_.children_level_of(caller->real_tgid).value_or(caller->level);
  std::vector<LevelId> chain;
  std::vector<SetTidLevel> levels;
  for (std::optional<LevelId> l = level; l; l = table_.parent_level(*l)) {
    const LevelId at = *l;
    chain.push_back(at);
    levels.push_back(SetTidLevel{table_.space(at).pid_max(), table_.init_of(at).has_value(),
                                 [this, at](Pid nr) { return table_.space(at).in_use(nr); }});
  }
  const TaskCreds creds = read_task_creds(tid);
  const bool may_choose =
      creds.ok && (creds.has(CAP_SYS_ADMIN) || creds.has(CAP_CHECKPOINT_RESTORE));
  const SetTidPlan plan = plan_set_tid(requested, levels, kernel_levels(), may_choose);
  if (plan.error) {
    outcome = ReturnErrno{plan.error};
    return;
  }
  for (std::size_t i = 0; i < plan.box_numbers.size(); ++i) {
    if (table_.reserve(chain[i], plan.box_numbers[i])) continue;
    for (std::size_t j = 0; j < i; ++j) table_.unreserve(chain[j], plan.box_numbers[j]);
    outcome = ReturnErrno{EEXIST};
    return;
  }
  // The kernel gets the numbers of the real namespaces only, or none.
  const std::uint64_t for_kernel[2] = {
      plan.kernel_count ? fields[0] + plan.kernel_first * sizeof(Pid) : 0, plan.kernel_count};
  if (!tracee::write_memory_forced(tid, args_at + kSetTidOffset, for_kernel, sizeof(for_kernel))) {
    for (std::size_t i = 0; i < plan.box_numbers.size(); ++i)
      table_.unreserve(chain[i], plan.box_numbers[i]);
    outcome = ReturnErrno{EPERM};  // a call whose numbers cannot be changed cannot run
    return;
  }
  MemoryRestore restore;
  restore.address = args_at + kSetTidOffset;
  restore.bytes.resize(sizeof(fields));
  std::memcpy(restore.bytes.data(), fields, sizeof(fields));
  pending.surface.restores.push_back(std::move(restore));
  Reservation& r = by_creator_[tid];
  r = Reservation{level, plan.box_numbers,      args_at, flags, caller->real_tgid,
                  false, {fields[0], fields[1]}};
}

bool SetTidChildren::is_child_of(pid_t new_task, const Reservation& r) const {
  // A child starts as a copy of its creator in the call: clone3() with the same struct.
  user_regs_struct regs;
  if (!tracee::get_regs(new_task, regs) || regs.orig_rax != SYS_clone3 || regs.rdi != r.args_at)
    return false;
  if (!(r.flags & CLONE_THREAD)) return true;
  const ProcStatusIds ids = read_status_ids(new_task);
  return ids.ok && ids.tgid == r.creator_tgid;
}

std::vector<Pid> SetTidChildren::numbers_for(pid_t new_task, std::optional<pid_t> creator) {
  if (by_creator_.empty()) return {};
  Reservation* found = nullptr;
  if (creator) {
    if (auto it = by_creator_.find(*creator); it != by_creator_.end() && !it->second.taken)
      found = &it->second;
  } else {
    for (auto& [tid, r] : by_creator_)
      if (!r.taken && is_child_of(new_task, r)) found = &r;
  }
  if (!found) return {};
  found->taken = true;
  // A child with memory of its own has the struct as the kernel read it: the creator's own
  // fields go back there too.
  if (!(found->flags & CLONE_VM))
    tracee::write_memory_forced(new_task, found->args_at + kSetTidOffset, found->own_fields,
                                sizeof(found->own_fields));
  return found->numbers;
}

void SetTidChildren::on_clone3_exit(pid_t tid, std::int64_t result) {
  auto it = by_creator_.find(tid);
  if (it == by_creator_.end()) return;
  const Reservation& r = it->second;
  if (!r.taken || result <= 0) {
    std::optional<LevelId> level = r.level;
    for (Pid nr : r.numbers) {
      if (!level) break;
      table_.unreserve(*level, nr);
      level = table_.parent_level(*level);
    }
  }
  by_creator_.erase(it);
}

}  // namespace vpidbox
