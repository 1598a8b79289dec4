#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "filters/stacked_filter.h"

using namespace vpidbox;

namespace {

// Runs a classic BPF program (the instructions these filters use) on seccomp_data.
std::uint32_t run(const std::vector<sock_filter>& program, const seccomp_data& data) {
  std::uint32_t a = 0;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& insn = program[pc];
    switch (insn.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        REQUIRE(insn.k + 4 <= sizeof(data));
        std::memcpy(&a, reinterpret_cast<const char*>(&data) + insn.k, 4);
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += a == insn.k ? insn.jt : insn.jf;
        break;
      case BPF_RET | BPF_K:
        return insn.k;
      default:
        FAIL("an instruction the test does not know");
    }
    REQUIRE(pc + 1 <= program.size());
  }
  FAIL("ran past the end");
  return 0;
}

seccomp_data call(int nr, std::uint64_t arg0 = 0, std::uint64_t arg1 = 0) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = AUDIT_ARCH_X86_64;
  d.args[0] = arg0;
  d.args[1] = arg1;
  return d;
}

constexpr std::uint32_t kTrace = SECCOMP_RET_TRACE | kStackedTraceData;

}  // namespace

TEST_CASE("a signalfd's filter stops its reads and its duplications, nothing else") {
  const std::vector<sock_filter> p = stacked_filter_program(StackedFilter::kReadsOfFd, 7);
  CHECK(run(p, call(SYS_read, 7)) == kTrace);
  CHECK(run(p, call(SYS_readv, 7)) == kTrace);
  CHECK(run(p, call(SYS_read, 0xffffffff00000007)) == kTrace);  // the kernel reads an int
  CHECK(run(p, call(SYS_dup, 7)) == kTrace);
  CHECK(run(p, call(SYS_dup2, 7, 9)) == kTrace);
  CHECK(run(p, call(SYS_dup3, 7, 9)) == kTrace);
  CHECK(run(p, call(SYS_fcntl, 7, F_DUPFD)) == kTrace);
  CHECK(run(p, call(SYS_fcntl, 7, F_DUPFD_CLOEXEC)) == kTrace);
  CHECK(run(p, call(SYS_fcntl, 7, F_GETFL)) == SECCOMP_RET_ALLOW);
  CHECK(run(p, call(SYS_fcntl, 8, F_DUPFD)) == SECCOMP_RET_ALLOW);
  CHECK(run(p, call(SYS_read, 8)) == SECCOMP_RET_ALLOW);
  CHECK(run(p, call(SYS_write, 7)) == SECCOMP_RET_ALLOW);
  CHECK(run(p, call(SYS_dup2, 9, 7)) == SECCOMP_RET_ALLOW);
  seccomp_data other_arch = call(SYS_read, 7);
  other_arch.arch = AUDIT_ARCH_I386;
  CHECK(run(p, other_arch) == SECCOMP_RET_ALLOW);  // the box's filter refuses those itself
}

TEST_CASE("a credentials receiver's filter stops its recvmsg and recvmmsg") {
  const std::vector<sock_filter> p = stacked_filter_program(StackedFilter::kRecvmsg, -1);
  CHECK(run(p, call(SYS_recvmsg, 3)) == kTrace);
  CHECK(run(p, call(SYS_recvmmsg, 3)) == kTrace);
  CHECK(run(p, call(SYS_recvfrom, 3)) == SECCOMP_RET_ALLOW);
  CHECK(run(p, call(SYS_read, 3)) == SECCOMP_RET_ALLOW);
}
