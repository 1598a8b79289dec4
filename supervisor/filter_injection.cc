#include "supervisor/filter_injection.h"

#include <linux/seccomp.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "supervisor/kernel_facts.h"
#include "supervisor/tracee.h"

namespace vpidbox {
namespace {

constexpr std::uint64_t kRedZone = 128;  // x86_64 SysV: below the stack pointer, a leaf's own
constexpr std::uint8_t kSyscallInsn[2] = {0x0f, 0x05};

// The number of seccomp filters of a task (/proc/<tid>/status), or -1.
int filter_count(pid_t tid) {
  const std::string path = "/proc/" + std::to_string(tid) + "/status";
  const std::optional<std::string> status = read_proc_file(path.c_str());
  if (!status) return -1;
  const char* value = proc_field(*status, "Seccomp_filters");
  return value ? std::atoi(value) : -1;
}

// Whether [from, to) lies in one writable mapping of the task (its stack).
bool writable_range(pid_t tid, std::uint64_t from, std::uint64_t to) {
  const std::string path = "/proc/" + std::to_string(tid) + "/maps";
  std::FILE* maps = std::fopen(path.c_str(), "re");
  if (!maps) return false;
  char line[512];
  bool inside = false;
  while (!inside && std::fgets(line, sizeof(line), maps)) {
    std::uint64_t lo = 0, hi = 0;
    char perms[5] = {0};
    if (std::sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s", &lo, &hi, perms) == 3)
      inside = lo <= from && to <= hi && perms[1] == 'w';
  }
  std::fclose(maps);
  return inside;
}

}  // namespace

int FilterInjection::baseline_filters() {
  if (baseline_ < 0) baseline_ = filter_count(::getpid()) + 1;
  return baseline_;
}

bool FilterInjection::installed(pid_t tid, StackedFilter what, int fd) const {
  const Task* task = tasks_.table().task(tid);
  if (!task) return false;
  auto it = installed_.find(task->real_tgid);
  return it != installed_.end() && it->second.contains({static_cast<int>(what), fd});
}

bool FilterInjection::start(pid_t tid, StackedFilter what, int fd) {
  const Task* task = tasks_.table().task(tid);
  // A task a tracer inside the box traces has its stops reported there: not borrowed.
  if (!task || active_.contains(tid) || tasks_.table().tracer_of(tid) != 0) return false;
  Installed& installed = installed_[task->real_tgid];
  // Filters the box did not give it: its own, which might not let it call seccomp().
  const int filters = filter_count(tid);
  const int expected = baseline_filters() + static_cast<int>(installed.size());
  if (filters < expected) installed.clear();  // another process had this number before
  if (filters < 0 || filters > baseline_filters() + static_cast<int>(installed.size()))
    return false;

  Active active;
  active.tgid = task->real_tgid;
  active.filter = {static_cast<int>(what), fd};
  if (!tracee::get_regs(tid, active.regs)) return false;
  std::uint8_t insn[2];
  if (!tracee::read_memory(tid, active.regs.rip - 2, insn, sizeof(insn)) ||
      std::memcmp(insn, kSyscallInsn, sizeof(insn)) != 0)
    return false;
  // The program, and the sock_fprog that points at it, below the red zone.
  const std::vector<sock_filter> program = stacked_filter_program(what, fd);
  const std::size_t size = sizeof(sock_fprog) + program.size() * sizeof(sock_filter);
  active.scratch = (active.regs.rsp - kRedZone - size) & ~std::uint64_t{15};
  if (!writable_range(tid, active.scratch, active.regs.rsp)) return false;
  active.saved.resize(size);
  if (!tracee::read_memory(tid, active.scratch, active.saved.data(), size)) return false;
  std::vector<std::uint8_t> image(size);
  sock_fprog prog{static_cast<unsigned short>(program.size()),
                  reinterpret_cast<sock_filter*>(active.scratch + sizeof(sock_fprog))};
  std::memcpy(image.data(), &prog, sizeof(prog));
  std::memcpy(image.data() + sizeof(prog), program.data(), program.size() * sizeof(sock_filter));
  if (::ptrace(PTRACE_GETSIGMASK, tid, sizeof(active.sigmask), &active.sigmask) != 0) return false;
  const std::uint64_t all = ~std::uint64_t{0};
  if (!tracee::write_memory(tid, active.scratch, image.data(), size) ||
      ::ptrace(PTRACE_SETSIGMASK, tid, sizeof(all), &all) != 0) {
    tracee::write_memory(tid, active.scratch, active.saved.data(), size);
    return false;
  }
  user_regs_struct call = active.regs;
  call.rip -= 2;  // the syscall instruction again
  call.rax = SYS_seccomp;
  call.orig_rax = static_cast<unsigned long long>(-1);
  call.rdi = SECCOMP_SET_MODE_FILTER;
  call.rsi = SECCOMP_FILTER_FLAG_TSYNC;
  call.rdx = active.scratch;
  if (!tracee::set_regs(tid, call)) {
    tracee::write_memory(tid, active.scratch, active.saved.data(), size);
    ::ptrace(PTRACE_SETSIGMASK, tid, sizeof(active.sigmask), &active.sigmask);
    return false;
  }
  active_[tid] = std::move(active);
  return true;
}

void FilterInjection::on_syscall_stop(pid_t tid) {
  auto it = active_.find(tid);
  if (it == active_.end()) return;
  Active& active = it->second;
  user_regs_struct regs;
  if (!tracee::get_regs(tid, regs)) {
    active_.erase(it);  // it died
    return;
  }
  if (!active.entered) {
    // Nothing but the instruction it was sent to runs before this entry stop.
    if (regs.orig_rax == SYS_seccomp) {
      active.entered = true;
      ::ptrace(PTRACE_SYSCALL, tid, 0, 0);
      return;
    }
  }
  finish(tid, active, static_cast<std::int64_t>(regs.rax));
  active_.erase(it);
}

void FilterInjection::finish(pid_t tid, Active& active, std::int64_t result) {
  tracee::write_memory(tid, active.scratch, active.saved.data(), active.saved.size());
  ::ptrace(PTRACE_SETSIGMASK, tid, sizeof(active.sigmask), &active.sigmask);
  tracee::set_regs(tid, active.regs);
  // 0: installed on every thread; a tid: a thread that could not take it (TSYNC); -errno (EACCES
  // without no_new_privs or CAP_SYS_ADMIN). Nothing was installed but on 0.
  if (result == 0) installed_[active.tgid].insert(active.filter);
  ::ptrace(PTRACE_CONT, tid, 0, 0);
}

void FilterInjection::on_fork(pid_t creator_tid, pid_t child) {
  const Task* creator = tasks_.table().task(creator_tid);
  const Task* made = tasks_.table().task(child);
  if (!creator || !made || made->real_tgid != child) return;  // a thread shares its group's
  auto it = installed_.find(creator->real_tgid);
  if (it == installed_.end())
    installed_.erase(child);
  else
    installed_[child] = it->second;
}

}  // namespace vpidbox
