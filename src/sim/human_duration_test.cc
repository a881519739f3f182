#include "sim/human_duration.h"

#include <gtest/gtest.h>

#include <cmath>

namespace allot {
namespace {

TEST(HumanDuration, PicksTheUnitsAPersonWouldSay) {
  EXPECT_EQ(HumanDuration(0), "0 s");
  EXPECT_EQ(HumanDuration(0.0004), "0.4 ms");
  EXPECT_EQ(HumanDuration(0.0045), "4.5 ms");
  EXPECT_EQ(HumanDuration(0.85), "850 ms");
  EXPECT_EQ(HumanDuration(1), "1.0 s");
  EXPECT_EQ(HumanDuration(45.23), "45.2 s");
  EXPECT_EQ(HumanDuration(725), "12m 5s");
  EXPECT_EQ(HumanDuration(600), "10m");
  EXPECT_EQ(HumanDuration(3 * 3600 + 12 * 60 + 10), "3h 12m");
  EXPECT_EQ(HumanDuration(7200), "2h");
  EXPECT_EQ(HumanDuration(2 * 86400 + 4 * 3600 + 600), "2d 4h");
  EXPECT_EQ(HumanDuration(1299934), "15d 1h");  // FIFO's median wait on Philly
  EXPECT_EQ(HumanDuration(-90), "-1m 30s");
}

TEST(HumanDuration, RoundingNeverShowsAFullUnit) {
  // Values that round up to the next unit are shown in it.
  EXPECT_EQ(HumanDuration(0.0099999), "10 ms");
  EXPECT_EQ(HumanDuration(0.9997), "1.0 s");
  EXPECT_EQ(HumanDuration(59.96), "1m");
  EXPECT_EQ(HumanDuration(3599.6), "1h");
  EXPECT_EQ(HumanDuration(86399 + 0.0), "1d");
  EXPECT_EQ(HumanDuration(3600 * 23 + 59 * 60 + 40), "1d");
}

TEST(HumanDuration, NotANumberIsADash) {
  EXPECT_EQ(HumanDuration(NAN), "-");
  EXPECT_EQ(HumanDuration(INFINITY), "-");
}

}  // namespace
}  // namespace allot
