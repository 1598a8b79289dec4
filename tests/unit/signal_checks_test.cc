#include <doctest/doctest.h>
#include <sys/syscall.h>

#include <cerrno>
#include <climits>
#include <map>
#include <set>
#include <utility>

#include "translate/rules.h"
#include "translate/signal_checks.h"

using namespace vpidbox;

namespace {

// Groups and credentials as plain data: `denied` holds the (sender, target) pairs whose ids do
// not let the sender signal the target.
struct CredKernel final : KernelView {
  std::map<Pid, Pid> pgid;
  std::set<std::pair<Pid, Pid>> denied;
  RealOrErrno parent_of(Pid) override { return {0, ESRCH}; }
  RealOrErrno pgid_of(Pid tid) override {
    auto it = pgid.find(tid);
    return it == pgid.end() ? RealOrErrno{0, ESRCH} : RealOrErrno{it->second, 0};
  }
  RealOrErrno sid_of(Pid) override { return {0, ESRCH}; }
  RealOrErrno pidfd_target(Pid, int) override { return {0, EBADF}; }
  bool catches_or_blocks(Pid, int) override { return true; }
  bool may_signal(Pid sender, Pid target) override { return !denied.contains({sender, target}); }
};

// init (real 500, 1), a child 2 (real 510) with a thread 3 (real 511), a child 4 of another
// user (real 520) in a group of its own, and a zombie 5 (real 530). Groups: init's outside (400),
// 2 and 5 in init's, 4 in its own (520).
struct Box {
  ProcessTable table{32768};
  CredKernel kernel;
  Box() {
    table.add_task(500, 500);
    table.add_task(510, 510);
    table.add_task(511, 510);
    table.add_task(520, 520);
    table.add_task(530, 530);
    table.mark_exited(530);
    kernel.pgid = {{500, 400}, {510, 400}, {511, 400}, {520, 520}, {530, 400}};
    for (Pid sender : {500, 510, 511, 530}) kernel.denied.insert({sender, 520});
    for (Pid target : {500, 510, 511, 530}) kernel.denied.insert({520, target});
  }
};

std::uint64_t arg(Pid p) {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(p));
}

// The answer to `name` with signal 0 from `caller`: 0, or the errno.
int check(Box& box, const char* name, Pid caller, std::array<std::uint64_t, 6> args) {
  Call call;
  call.real_tid = caller;
  call.args = args;
  call.row = find_syscall(find_syscall(name)->nr_x86_64, args);
  REQUIRE(call.row != nullptr);
  REQUIRE(is_signal_check(*call.row));
  const Outcome outcome = decide_query(call, box.table, box.kernel);
  if (const auto* e = std::get_if<ReturnErrno>(&outcome)) return e->error;
  REQUIRE(std::holds_alternative<ReturnValue>(outcome));
  CHECK(std::get<ReturnValue>(outcome).value == 0);
  return 0;
}

}  // namespace

TEST_CASE("kill(pid, 0): what the caller's level sees and may signal") {
  Box box;
  CHECK(check(box, "kill", 510, {arg(2), 0}) == 0);        // itself
  CHECK(check(box, "kill", 510, {arg(3), 0}) == 0);        // its own thread, by number
  CHECK(check(box, "kill", 510, {arg(1), 0}) == 0);        // init
  CHECK(check(box, "kill", 510, {arg(5), 0}) == 0);        // a zombie is still there
  CHECK(check(box, "kill", 510, {arg(4), 0}) == EPERM);    // another user's process
  CHECK(check(box, "kill", 520, {arg(4), 0}) == 0);        // one's own, whatever one's ids
  CHECK(check(box, "kill", 510, {arg(77), 0}) == ESRCH);   // a number nothing has
  CHECK(check(box, "kill", 510, {arg(500), 0}) == ESRCH);  // a real pid is not a box number
  CHECK(check(box, "kill", 510, {arg(INT_MIN), 0}) == ESRCH);
}

TEST_CASE("kill(0, 0), kill(-1, 0) and kill(-pgid, 0)") {
  Box box;
  CHECK(check(box, "kill", 520, {0, 0}) == 0);  // the caller's own group holds the caller
  // Every process but init and the caller's own counts, one the caller may not signal too.
  CHECK(check(box, "kill", 520, {arg(-1), 0}) == 0);
  CHECK(check(box, "kill", 500, {arg(-1), 0}) == 0);
  // A group: one member that may be signalled is enough; only others' members is EPERM; a group
  // that does not exist, ESRCH.
  box.table.add_task(540, 540);
  box.kernel.pgid[540] = 520;
  CHECK(check(box, "kill", 510, {arg(-4), 0}) == 0);
  box.kernel.denied.insert({510, 540});
  CHECK(check(box, "kill", 510, {arg(-4), 0}) == EPERM);
  CHECK(check(box, "kill", 520, {arg(-4), 0}) == 0);  // its own group
  CHECK(check(box, "kill", 510, {arg(-77), 0}) == ESRCH);
  CHECK(check(box, "kill", 510, {arg(-400), 0}) == ESRCH);  // a real group outside
}

TEST_CASE("kill(-1, 0) from a process alone with init is ESRCH") {
  ProcessTable table{32768};
  table.add_task(500, 500);
  table.add_task(510, 510);
  table.add_task(511, 510);
  Box box;
  box.table = table;
  CHECK(check(box, "kill", 510, {arg(-1), 0}) == ESRCH);
  CHECK(check(box, "kill", 500, {arg(-1), 0}) == 0);  // init sees 2
}

TEST_CASE("tkill(tid, 0) and tgkill(tgid, tid, 0)") {
  Box box;
  CHECK(check(box, "tkill", 510, {arg(3), 0}) == 0);
  CHECK(check(box, "tkill", 510, {arg(511), 0}) == 0);  // a real tid of its own group
  CHECK(check(box, "tkill", 510, {arg(4), 0}) == EPERM);
  CHECK(check(box, "tkill", 510, {arg(77), 0}) == ESRCH);
  CHECK(check(box, "tkill", 510, {0, 0}) == EINVAL);
  CHECK(check(box, "tkill", 510, {arg(-1), 0}) == EINVAL);
  CHECK(check(box, "tgkill", 510, {arg(2), arg(3), 0}) == 0);
  CHECK(check(box, "tgkill", 510, {arg(2), arg(511), 0}) == 0);    // glibc's pthread_kill
  CHECK(check(box, "tgkill", 510, {arg(1), arg(3), 0}) == ESRCH);  // not init's thread
  CHECK(check(box, "tgkill", 510, {arg(3), arg(3), 0}) == ESRCH);  // a thread is no group
  CHECK(check(box, "tgkill", 510, {arg(4), arg(4), 0}) == EPERM);
  CHECK(check(box, "tgkill", 510, {0, arg(3), 0}) == EINVAL);
  CHECK(check(box, "tgkill", 510, {arg(2), arg(-1), 0}) == EINVAL);
  CHECK(check(box, "tgkill", 510, {arg(77), arg(3), 0}) == ESRCH);
}

TEST_CASE("a nested level sees its own tasks only, and its init's") {
  Box box;
  const std::optional<LevelId> nested = box.table.create_level(kTopLevel);
  REQUIRE(nested);
  box.table.add_task(600, 600, *nested);  // the nested init: 1 there, 6 at the top
  box.table.add_task(610, 610, *nested);  // 2 there, 7 at the top
  box.kernel.pgid[600] = 600;
  box.kernel.pgid[610] = 600;
  CHECK(check(box, "kill", 610, {arg(1), 0}) == 0);       // its own level's init
  CHECK(check(box, "kill", 610, {arg(4), 0}) == ESRCH);   // its level has no 4
  CHECK(check(box, "kill", 610, {arg(7), 0}) == ESRCH);   // the top level's number is not its
  CHECK(check(box, "kill", 510, {arg(7), 0}) == 0);       // the top level sees the nested one
  CHECK(check(box, "kill", 610, {arg(-1), 0}) == ESRCH);  // only its init besides itself
  CHECK(check(box, "kill", 600, {arg(-1), 0}) == 0);
  CHECK(check(box, "tgkill", 610, {arg(2), arg(2), 0}) == 0);
  CHECK(check(box, "tgkill", 510, {arg(7), arg(7), 0}) == 0);
}

TEST_CASE("a number that is no signal: EINVAL once something is found, ESRCH before") {
  Box box;
  for (std::uint64_t bad : {arg(-1), arg(INT_MIN), std::uint64_t{65}, std::uint64_t{999}}) {
    INFO(bad);
    CHECK(check(box, "kill", 510, {arg(2), bad}) == EINVAL);
    CHECK(check(box, "kill", 510, {arg(4), bad}) == EINVAL);  // before any permission check
    CHECK(check(box, "kill", 510, {arg(77), bad}) == ESRCH);
    CHECK(check(box, "kill", 510, {0, bad}) == EINVAL);
    CHECK(check(box, "kill", 510, {arg(-1), bad}) == EINVAL);
    CHECK(check(box, "kill", 510, {arg(-4), bad}) == EINVAL);
    CHECK(check(box, "kill", 510, {arg(-77), bad}) == ESRCH);
    CHECK(check(box, "kill", 510, {arg(INT_MIN), bad}) == ESRCH);
    CHECK(check(box, "tkill", 510, {arg(3), bad}) == EINVAL);
    CHECK(check(box, "tkill", 510, {arg(77), bad}) == ESRCH);
    CHECK(check(box, "tkill", 510, {arg(-1), bad}) == EINVAL);
    CHECK(check(box, "tgkill", 510, {arg(2), arg(3), bad}) == EINVAL);
    CHECK(check(box, "tgkill", 510, {arg(1), arg(3), bad}) == ESRCH);
  }
  // A register whose low half is 0 is signal 0.
  CHECK(check(box, "kill", 510, {arg(4), 1ull << 32}) == EPERM);
}

TEST_CASE("a caller the table does not know gets ENOSYS, as for the queries") {
  Box box;
  CHECK(check(box, "kill", 999, {arg(1), 0}) == ENOSYS);
}
