#include "supervisor/tracee.h"

#include <sys/ptrace.h>
#include <sys/uio.h>

#include <cerrno>

namespace vpidbox::tracee {

bool get_regs(pid_t tid, user_regs_struct& regs) {
  return ::ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0;
}

bool set_regs(pid_t tid, const user_regs_struct& regs) {
  return ::ptrace(PTRACE_SETREGS, tid, 0, &regs) == 0;
}

std::array<std::uint64_t, 6> syscall_args(const user_regs_struct& regs) {
  return {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
}

void set_syscall_args(user_regs_struct& regs, const std::array<std::uint64_t, 6>& args) {
  regs.rdi = args[0];
  regs.rsi = args[1];
  regs.rdx = args[2];
  regs.r10 = args[3];
  regs.r8 = args[4];
  regs.r9 = args[5];
}

bool get_result(pid_t tid, std::int64_t& value) {
  errno = 0;
  const long word = ::ptrace(PTRACE_PEEKUSER, tid, offsetof(user_regs_struct, rax), 0);
  if (errno != 0) return false;
  value = word;
  return true;
}

bool set_result(pid_t tid, std::int64_t value) {
  return ::ptrace(PTRACE_POKEUSER, tid, offsetof(user_regs_struct, rax), value) == 0;
}

bool read_memory(pid_t tid, std::uint64_t address, void* out, std::size_t size) {
  iovec local{out, size};
  iovec remote{reinterpret_cast<void*>(address), size};
  return ::process_vm_readv(tid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

bool write_memory(pid_t tid, std::uint64_t address, const void* in, std::size_t size) {
  iovec local{const_cast<void*>(in), size};
  iovec remote{reinterpret_cast<void*>(address), size};
  return ::process_vm_writev(tid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

bool poke_word(pid_t tid, std::uint64_t address, std::uint64_t value) {
  return ::ptrace(PTRACE_POKEDATA, tid, address, value) == 0;
}

}  // namespace vpidbox::tracee
