#include <doctest/doctest.h>

#include <chrono>

#include "supervisor/child_waits.h"

using namespace vpidbox;
using namespace std::chrono_literals;

TEST_CASE("sweeps: owed after a SIGCHLD, due once ten times the last walk has passed") {
  SweepSchedule sweeps;
  const SweepSchedule::Clock::time_point t0{};
  CHECK_FALSE(sweeps.owed());
  CHECK_FALSE(sweeps.until_due(t0 + 1s).has_value());  // nothing owed: sleep as long as needed
  sweeps.on_sigchld();
  CHECK(sweeps.due(t0 + 1s));  // never swept: due at once
  sweeps.swept(t0 + 1s, 30us);
  CHECK_FALSE(sweeps.owed());
  CHECK(sweeps.interval() == 300us);
  sweeps.on_sigchld();
  CHECK_FALSE(sweeps.due(t0 + 1s + 299us));
  CHECK(sweeps.until_due(t0 + 1s + 100us) == std::chrono::microseconds(200));
  CHECK(sweeps.due(t0 + 1s + 300us));
  CHECK(sweeps.until_due(t0 + 2s) == SweepSchedule::Clock::duration::zero());
}

TEST_CASE("sweeps: a small box sweeps after every event, a slow walk at most every 2 ms") {
  SweepSchedule sweeps;
  const SweepSchedule::Clock::time_point t0{};
  sweeps.swept(t0, 500ns);
  sweeps.on_sigchld();
  CHECK(sweeps.due(t0));
  CHECK(sweeps.until_due(t0) == SweepSchedule::Clock::duration::zero());
  sweeps.swept(t0, 1s);
  CHECK(sweeps.interval() == SweepSchedule::kMaxInterval);
  sweeps.on_sigchld();
  CHECK(sweeps.due(t0 + SweepSchedule::kMaxInterval));
}
