#include "supervisor/tracee.h"

#include <sys/ptrace.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

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

bool write_memory_forced(pid_t tid, std::uint64_t address, const void* in, std::size_t size) {
  if (write_memory(tid, address, in, size)) return true;
  // PTRACE_POKEDATA writes through the page protection (FOLL_FORCE), one aligned word at a time.
  // Only memory the tracee cannot write comes here, so no thread of it races the rewrite.
  const auto* bytes = static_cast<const unsigned char*>(in);
  for (std::uint64_t word_at = address & ~std::uint64_t{7}; word_at < address + size;
       word_at += sizeof(long)) {
    errno = 0;
    long word = ::ptrace(PTRACE_PEEKDATA, tid, word_at, 0);
    if (errno != 0) return false;
    unsigned char image[sizeof(long)];
    std::memcpy(image, &word, sizeof(word));
    for (std::size_t i = 0; i < sizeof(long); ++i)
      if (word_at + i >= address && word_at + i < address + size)
        image[i] = bytes[word_at + i - address];
    std::memcpy(&word, image, sizeof(word));
    if (::ptrace(PTRACE_POKEDATA, tid, word_at, word) != 0) return false;
  }
  return true;
}

}  // namespace vpidbox::tracee
