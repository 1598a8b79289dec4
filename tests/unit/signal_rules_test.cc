#include <doctest/doctest.h>

#include <csignal>

#include "translate/signal_rules.h"

using namespace vpidbox;

TEST_CASE("init ignores signals it has no handler for, from inside and outside") {
  CHECK_FALSE(init_receives({SIGTERM, SI_USER, false}, false));
  CHECK_FALSE(init_receives({SIGINT, SI_USER, true}, false));
  CHECK_FALSE(init_receives({SIGUSR1, SI_QUEUE, true}, false));
  CHECK_FALSE(init_receives({SIGINT, SI_KERNEL, false}, false));  // from the terminal
  CHECK(init_receives({SIGTERM, SI_USER, false}, true));
}

TEST_CASE("init still dies of its own faults and stops on SIGSTOP from outside") {
  CHECK(init_receives({SIGSEGV, SEGV_MAPERR, true}, false));
  CHECK(init_receives({SIGSEGV, SI_KERNEL, true}, false));      // a general protection fault
  CHECK_FALSE(init_receives({SIGSEGV, SI_USER, true}, false));  // kill -SEGV 1 from inside
  CHECK(init_receives({SIGSTOP, SI_USER, false}, false));
  CHECK_FALSE(init_receives({SIGSTOP, SI_USER, true}, false));
  CHECK(init_receives({SIGCHLD, CLD_EXITED, true}, false));
}

TEST_CASE("si_pid reads as the sender's virtual pid, or 0 from outside") {
  ProcessTable table(1000);
  table.add_task(700, 700);
  table.add_task(705, 705);
  CHECK(virtual_si_pid(SIGUSR1, SI_USER, 705, table, kTopLevel) == 2);
  CHECK(virtual_si_pid(SIGUSR1, SI_TKILL, 700, table, kTopLevel) == 1);
  CHECK(virtual_si_pid(SIGUSR1, SI_USER, 123, table, kTopLevel) == 0);  // a sender outside the box
  // sigqueue()'s si_pid is what the sender wrote: in the box, already a virtual number.
  CHECK_FALSE(virtual_si_pid(SIGUSR1, SI_QUEUE, 2, table, kTopLevel).has_value());
  CHECK(virtual_si_pid(SIGCHLD, CLD_EXITED, 705, table, kTopLevel) == 2);
  CHECK_FALSE(virtual_si_pid(SIGSEGV, SEGV_MAPERR, 0, table, kTopLevel).has_value());
  CHECK_FALSE(virtual_si_pid(SIGINT, SI_KERNEL, 0, table, kTopLevel).has_value());
}

TEST_CASE("a second stop signal within the grace period kills the box") {
  using Clock = ForwardPolicy::Clock;
  ForwardPolicy policy;
  const Clock::time_point t0{};
  CHECK(policy.on_signal(SIGTERM, false, false, t0) == ForwardAction::kForward);
  CHECK(policy.on_signal(SIGUSR1, false, false, t0) == ForwardAction::kForward);
  CHECK(policy.on_signal(SIGINT, false, false, t0 + std::chrono::seconds(1)) ==
        ForwardAction::kKillBox);
}

TEST_CASE("stop signals far apart are each forwarded") {
  using Clock = ForwardPolicy::Clock;
  ForwardPolicy policy;
  const Clock::time_point t0{};
  CHECK(policy.on_signal(SIGTERM, false, true, t0) == ForwardAction::kForward);
  CHECK(policy.on_signal(SIGTERM, false, true, t0 + std::chrono::seconds(6)) ==
        ForwardAction::kForward);
}

TEST_CASE("terminal ^C is not forwarded, and twice kills a box whose init ignores it") {
  using Clock = ForwardPolicy::Clock;
  ForwardPolicy policy;
  const Clock::time_point t0{};
  CHECK(policy.on_signal(SIGINT, true, true, t0) == ForwardAction::kIgnore);
  CHECK(policy.on_signal(SIGINT, true, true, t0) == ForwardAction::kIgnore);  // a shell's ^C
  CHECK(policy.on_signal(SIGINT, true, false, t0) == ForwardAction::kIgnore);
  CHECK(policy.on_signal(SIGINT, true, false, t0 + std::chrono::seconds(2)) ==
        ForwardAction::kKillBox);
}

TEST_CASE("may_signal: kill_ok_by_cred, within one user namespace") {
  const SignalIds root{0, 0, 0, true};
  const SignalIds alice{1000, 1000, 1000, false};
  const SignalIds bob{1001, 1001, 1001, false};
  CHECK(may_signal(root, alice));
  CHECK(may_signal(alice, alice));
  CHECK_FALSE(may_signal(alice, bob));
  CHECK_FALSE(may_signal(alice, root));
  // A setuid program run by alice (real alice, effective root) still belongs to her...
  CHECK(may_signal(alice, SignalIds{1000, 0, 0, false}));
  // ...and one that kept alice as its saved id too; either of the sender's ids may match.
  CHECK(may_signal(alice, SignalIds{1001, 1001, 1000, false}));
  CHECK(may_signal(SignalIds{1001, 1000, 1000, false}, bob));
}

TEST_CASE("a group signal sums up as __kill_pgrp_info") {
  GroupSignalResult empty;
  CHECK(empty.result() == -ESRCH);
  GroupSignalResult refused;
  refused.failed(EPERM);
  CHECK(refused.result() == -EPERM);
  GroupSignalResult mixed;
  mixed.failed(EPERM);
  mixed.delivered();
  mixed.failed(EPERM);
  CHECK(mixed.result() == 0);
}
