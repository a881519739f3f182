#include "metering/resource_time.h"

#include <gtest/gtest.h>

namespace allot {
namespace {

TEST(ResourceTimeTest, MultipliesWithinRange) {
  EXPECT_EQ(ResourceMs(1000, 3'600'000), 3'600'000'000);  // one GPU-hour in milli-GPU-ms
  EXPECT_EQ(ResourceMs(0, 1'000'000), 0);
  EXPECT_EQ(ResourceMs(5, 0), 0);
  EXPECT_EQ(ResourceMs(-5, 10), 0);
}

TEST(ResourceTimeTest, SaturatesHugeQuantitiesOverLongDurations) {
  int64_t ten_years_ms = int64_t{10} * 366 * 86'400'000;
  // 1e15 units (a petabyte of memory in bytes) for ten years: 3.2e26 wraps int64.
  EXPECT_EQ(ResourceMs(1'000'000'000'000'000, ten_years_ms), kMaxResourceMs);
  EXPECT_EQ(ResourceMs(kMaxResourceMs, 2), kMaxResourceMs);
  EXPECT_EQ(ResourceMs(kMaxResourceMs, 1), kMaxResourceMs);
  EXPECT_EQ(ResourceMs(int64_t{1} << 32, int64_t{1} << 30), int64_t{1} << 62);  // fits
  EXPECT_EQ(ResourceMs(int64_t{1} << 32, int64_t{1} << 31), kMaxResourceMs);    // 2^63 does not
}

}  // namespace
}  // namespace allot
