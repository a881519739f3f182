#include "budget/spend_signals.h"

#include <gtest/gtest.h>

#include <random>

namespace allot {
namespace {

TEST(BurnWindowTest, SpentOverTheTrailingWindow) {
  BurnWindow window(4);
  EXPECT_FALSE(window.full());
  for (int64_t v : {0, 10, 20, 30}) window.Add(v);
  EXPECT_FALSE(window.full());
  window.Add(40);
  EXPECT_TRUE(window.full());
  EXPECT_EQ(window.Spent(), 40);
  window.Add(100);
  EXPECT_EQ(window.Spent(), 90);  // 100 - 10
  BurnWindow copy(4);
  copy.SetSamples(window.Samples());
  EXPECT_EQ(copy.Spent(), 90);
  EXPECT_EQ(copy.Samples(), window.Samples());
}

TEST(SpendAnomalyDetectorTest, FlagsAFiveTimesSpikeInItsWindow) {
  SpendAnomalyDetector detector;
  std::mt19937_64 random(7);
  std::normal_distribution<double> noise(1000.0, 100.0);  // 10% noise
  for (int w = 0; w < 40; ++w) {
    EXPECT_FALSE(detector.Observe(static_cast<int64_t>(noise(random)), 6.0, 2.0).anomalous);
  }
  SpendAnomalyDetector::Verdict spike = detector.Observe(5000, 6.0, 2.0);
  EXPECT_TRUE(spike.anomalous);
  EXPECT_NEAR(static_cast<double>(spike.median), 1000.0, 100.0);
  EXPECT_GT(spike.score, 6.0);
}

TEST(SpendAnomalyDetectorTest, StationaryNoiseRarelyAlerts) {
  // Noisy but stationary spend: fewer than 1% of windows may alert.
  for (uint64_t seed : {1, 2, 3}) {
    SpendAnomalyDetector detector;
    std::mt19937_64 random(seed);
    std::normal_distribution<double> noise(1000.0, 150.0);  // 15% noise
    int alerts = 0;
    constexpr int kWindows = 20000;
    for (int w = 0; w < kWindows; ++w) {
      int64_t spend = std::max<int64_t>(0, static_cast<int64_t>(noise(random)));
      alerts += detector.Observe(spend, 6.0, 2.0).anomalous ? 1 : 0;
    }
    EXPECT_LT(alerts, kWindows / 100) << "seed " << seed;
  }
}

TEST(SpendAnomalyDetectorTest, NeedsHistoryAndIgnoresTinyBaselines) {
  SpendAnomalyDetector detector(32, 8);
  for (int w = 0; w < 7; ++w) EXPECT_FALSE(detector.Observe(100, 6.0, 2.0).anomalous);
  // Not enough history yet, however large.
  EXPECT_FALSE(detector.Observe(100000, 6.0, 2.0).anomalous);
  SpendAnomalyDetector flat;
  for (int w = 0; w < 20; ++w) flat.Observe(0, 6.0, 2.0);
  // From nothing to 1 micro-unit is not an anomaly worth a page...
  EXPECT_FALSE(flat.Observe(1, 6.0, 2.0).anomalous);
  // ... but from nothing to real money is.
  EXPECT_TRUE(flat.Observe(1000, 6.0, 2.0).anomalous);
  SpendAnomalyDetector restored;
  restored.SetHistory(detector.History());
  EXPECT_EQ(restored.History(), detector.History());
}

}  // namespace
}  // namespace allot
