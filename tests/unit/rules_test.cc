#include <doctest/doctest.h>

#include <cerrno>
#include <map>

#include "translate/rules.h"

using namespace vpidbox;

namespace {

// The kernel as plain data: real parent, pgid and sid per real number.
struct FakeKernel final : KernelView {
  std::map<Pid, Pid> parent, pgid, sid;
  RealOrErrno lookup(const std::map<Pid, Pid>& m, Pid real) {
    auto it = m.find(real);
    if (it == m.end()) return {0, ESRCH};
    return {it->second, 0};
  }
  RealOrErrno parent_of(Pid tgid) override { return lookup(parent, tgid); }
  RealOrErrno pgid_of(Pid tid) override { return lookup(pgid, tid); }
  RealOrErrno sid_of(Pid tid) override { return lookup(sid, tid); }
  RealOrErrno pidfd_target(Pid, int) override { return {0, EBADF}; }
  bool catches_or_blocks(Pid, int) override { return true; }
};

Outcome ask(const char* name, Pid caller, const ProcessTable& table, KernelView& kernel,
            std::uint64_t arg0 = 0) {
  Call call;
  call.real_tid = caller;
  call.row = find_syscall(name);
  call.args[0] = arg0;
  return decide_query(call, table, kernel);
}

std::int64_t value(const Outcome& o) {
  REQUIRE(std::holds_alternative<ReturnValue>(o));
  return std::get<ReturnValue>(o).value;
}

int error(const Outcome& o) {
  REQUIRE(std::holds_alternative<ReturnErrno>(o));
  return std::get<ReturnErrno>(o).error;
}

// A box as `unshare --pid --fork` starts it: init (real 500) whose parent, pgrp and session are
// outside (real 400), one child (real 510) and a thread of it (real 511).
struct Box {
  ProcessTable table{32768};
  FakeKernel kernel;
  Box() {
    table.add_task(500, 500);
    table.add_task(510, 510);
    table.add_task(511, 510);
    kernel.parent = {{500, 400}, {510, 500}};
    kernel.pgid = {{500, 400}, {510, 400}, {511, 400}};
    kernel.sid = {{500, 400}, {510, 400}, {511, 400}};
  }
};

}  // namespace

TEST_CASE("init sees itself as 1 with its parent, group and session outside as 0") {
  Box box;
  CHECK(value(ask("getpid", 500, box.table, box.kernel)) == 1);
  CHECK(value(ask("gettid", 500, box.table, box.kernel)) == 1);
  CHECK(value(ask("getppid", 500, box.table, box.kernel)) == 0);
  CHECK(value(ask("getpgrp", 500, box.table, box.kernel)) == 0);
  CHECK(value(ask("getpgid", 500, box.table, box.kernel, 0)) == 0);
  CHECK(value(ask("getsid", 500, box.table, box.kernel, 0)) == 0);
}

TEST_CASE("a thread sees its process's pid and its own tid") {
  Box box;
  CHECK(value(ask("getpid", 511, box.table, box.kernel)) == 2);
  CHECK(value(ask("gettid", 511, box.table, box.kernel)) == 3);
  CHECK(value(ask("getppid", 511, box.table, box.kernel)) == 1);
}

TEST_CASE("groups led inside the box read with their virtual numbers") {
  Box box;
  box.kernel.sid[510] = box.kernel.pgid[510] = 510;  // the child called setsid()
  box.kernel.sid[511] = box.kernel.pgid[511] = 510;
  CHECK(value(ask("getsid", 511, box.table, box.kernel, 0)) == 2);
  CHECK(value(ask("getpgid", 500, box.table, box.kernel, 2)) == 2);
  CHECK(value(ask("getpgid", 500, box.table, box.kernel, 3)) == 2);  // a tid is accepted
}

TEST_CASE("a pid that names nothing in the box is ESRCH, as outside a namespace") {
  Box box;
  CHECK(error(ask("getpgid", 510, box.table, box.kernel, 99)) == ESRCH);
  CHECK(error(ask("getsid", 510, box.table, box.kernel, 400)) == ESRCH);  // a real number
  CHECK(error(ask("getpgid", 510, box.table, box.kernel, static_cast<std::uint64_t>(-5))) == ESRCH);
}

TEST_CASE("a caller the table does not know gets no answer that could leak a number") {
  Box box;
  CHECK(error(ask("getpid", 999, box.table, box.kernel)) == ENOSYS);
}

TEST_CASE("a zombie's number stays visible until it is reaped") {
  Box box;
  box.table.mark_exited(510);
  CHECK(value(ask("getpgid", 500, box.table, box.kernel, 0)) == 0);
  box.kernel.parent[520] = 510;
  box.table.add_task(520, 520);
  CHECK(value(ask("getppid", 520, box.table, box.kernel)) == 2);
}

TEST_CASE("ns_last_pid: CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE, then a number up to pid_max") {
  ProcessTable table(100);
  table.add_task(500, 500);
  constexpr std::uint64_t kSysAdmin = std::uint64_t{1} << 21;
  constexpr std::uint64_t kCheckpointRestore = std::uint64_t{1} << 40;
  CHECK(write_ns_last_pid(table, kTopLevel, 0, 10) == EPERM);
  CHECK(write_ns_last_pid(table, kTopLevel, std::uint64_t{1} << 5, 10) ==
        EPERM);  // CAP_KILL is not enough
  CHECK(write_ns_last_pid(table, kTopLevel, kSysAdmin, 1000) == EINVAL);
  CHECK(write_ns_last_pid(table, kTopLevel, kCheckpointRestore, 10) == 0);
  CHECK(table.add_task(501, 501) == 11);
  CHECK(write_ns_last_pid(table, kTopLevel, kSysAdmin, 20) == 0);
  CHECK(table.add_task(502, 502) == 21);
}
