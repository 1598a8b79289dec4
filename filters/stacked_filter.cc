#include "filters/stacked_filter.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cstddef>

namespace vpidbox {
namespace {

constexpr unsigned kArch = offsetof(seccomp_data, arch);
constexpr unsigned kNr = offsetof(seccomp_data, nr);
// The low half of the first argument (x86_64 is little-endian): descriptors are ints, and the
// kernel reads only that half of them.
constexpr unsigned kArg0Low = offsetof(seccomp_data, args);
constexpr unsigned kArg1Low = offsetof(seccomp_data, args) + sizeof(seccomp_data::args[0]);

}  // namespace

std::vector<sock_filter> stacked_filter_program(StackedFilter what, int fd) {
  constexpr sock_filter kTrace = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | kStackedTraceData);
  constexpr sock_filter kAllow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  if (what == StackedFilter::kRecvmsg)
    return {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArch),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),  // -> allow
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNr),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_recvmsg, 1, 0),   // -> trace
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_recvmmsg, 0, 1),  // -> allow
        kTrace,
        kAllow,
    };
  // Reads of `fd`, and the calls that give it another number (dup, dup2, dup3, F_DUPFD and
  // F_DUPFD_CLOEXEC), so that the new number is followed too.
  const auto descriptor = static_cast<unsigned>(fd);
  return {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArch),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 15),  // -> 17 allow
      /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNr),
      /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_read, 5, 0),   // -> 9 descriptor
      /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_readv, 4, 0),  // -> 9
      /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup, 3, 0),    // -> 9
      /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup2, 2, 0),   // -> 9
      /* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup3, 1, 0),   // -> 9
      /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fcntl, 2, 8),  // -> 11 fcntl, 17 allow
      /* 9 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArg0Low),
      /* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, descriptor, 5, 6),  // -> 16 trace, 17 allow
      /* 11 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArg0Low),
      /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, descriptor, 0, 4),  // -> 17 allow
      /* 13 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArg1Low),
      /* 14 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, F_DUPFD, 1, 0),          // -> 16 trace
      /* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, F_DUPFD_CLOEXEC, 0, 1),  // -> 17 allow
      /* 16 */ kTrace,
      /* 17 */ kAllow,
  };
}

}  // namespace vpidbox
