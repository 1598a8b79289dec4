// Reading and writing a stopped tracee: registers and memory. Failures are values (the tracee
// may have been killed at any moment).
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace vpidbox::tracee {

bool get_regs(pid_t tid, user_regs_struct& regs);
bool set_regs(pid_t tid, const user_regs_struct& regs);
std::array<std::uint64_t, 6> syscall_args(const user_regs_struct& regs);
void set_syscall_args(user_regs_struct& regs, const std::array<std::uint64_t, 6>& args);

// The syscall return value register, read and written alone (one ptrace call each).
bool get_result(pid_t tid, std::int64_t& value);
bool set_result(pid_t tid, std::int64_t value);

bool read_memory(pid_t tid, std::uint64_t address, void* out, std::size_t size);
bool write_memory(pid_t tid, std::uint64_t address, const void* in, std::size_t size);
// The same, also where the tracee itself may not write (a read-only private mapping), as a
// debugger writes: for numbers the kernel reads in place of the caller's, which must never reach
// the kernel untranslated.
bool write_memory_forced(pid_t tid, std::uint64_t address, const void* in, std::size_t size);

}  // namespace vpidbox::tracee
