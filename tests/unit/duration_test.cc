#include <doctest/doctest.h>

#include "supervisor/duration.h"

using std::chrono::milliseconds;
using vpidbox::parse_duration;

TEST_CASE("durations as timeout(1) writes them") {
  CHECK(parse_duration("10") == milliseconds(10000));
  CHECK(parse_duration("1.5") == milliseconds(1500));
  CHECK(parse_duration("500ms") == milliseconds(500));
  CHECK(parse_duration("2s") == milliseconds(2000));
  CHECK(parse_duration("1m") == milliseconds(60000));
  CHECK(parse_duration("1h") == milliseconds(3600000));
  CHECK_FALSE(parse_duration("").has_value());
  CHECK_FALSE(parse_duration("-1").has_value());
  CHECK_FALSE(parse_duration("ten").has_value());
  CHECK_FALSE(parse_duration("5x").has_value());
  CHECK_FALSE(parse_duration("s").has_value());
}
