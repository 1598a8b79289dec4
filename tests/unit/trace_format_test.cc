#include <doctest/doctest.h>

#include <cerrno>

#include "supervisor/trace_log.h"

using namespace vpidbox;

TEST_CASE("trace lines show the virtual and real caller, the call and its result") {
  Call call;
  call.real_tid = 4242;
  call.row = find_syscall("getpgid");
  call.args[0] = 0;
  CHECK(format_trace_line(3, call, ReturnValue{1}) == "[v3 r4242] getpgid(0) = 1");
  call.args[0] = 77;
  CHECK(format_trace_line(3, call, ReturnErrno{ESRCH}) ==
        "[v3 r4242] getpgid(77) = -1 ESRCH (No such process)");
  call.row = find_syscall("wait4");
  call.args[0] = 0xffffffffu;  // -1 as a 32-bit int in a 64-bit register
  CHECK(format_trace_line(1, call, ReturnErrno{512}) ==
        "[v1 r4242] wait4(-1, 0, 0, 0) = -1 (kernel restart code 512)");
  call.row = find_syscall("getpid");
  CHECK(format_trace_line(1, call, ReturnValue{1}) == "[v1 r4242] getpid() = 1");
}
