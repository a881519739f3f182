// The simulator's fairness reference: weighted DRF by progressive filling.
#include "sim/drf.h"

#include <gtest/gtest.h>

namespace allot {
namespace {

// DRF paper (Ghodsi et al. 2011, section 4): 9 CPUs and 18 GB; user A runs
// tasks of <1 CPU, 4 GB>, user B tasks of <3 CPUs, 1 GB>, both with more
// tasks than fit. Demands as fractions of capacity (n tasks each).
std::vector<std::vector<double>> PaperDemand(double tasks) {
  return {{tasks * 1 / 9.0, tasks * 4 / 18.0}, {tasks * 3 / 9.0, tasks * 1 / 18.0}};
}

TEST(WeightedDrf, PaperExampleGivesAThreeTasksAndBTwo) {
  std::vector<double> share = WeightedDrfShares(PaperDemand(100), {1, 1});
  // Both dominant shares 2/3: A 3 tasks (12 of 18 GB), B 2 tasks (6 of 9 CPUs).
  EXPECT_NEAR(share[0], 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(share[1], 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(share[0] * 18 / 4, 3.0, 1e-9);
  EXPECT_NEAR(share[1] * 9 / 3, 2.0, 1e-9);
  // Not a single pooled share: together they hold 4/3 of "the cluster".
  EXPECT_GT(share[0] + share[1], 1.0);
}

TEST(WeightedDrf, WeightsScaleTheDominantShares) {
  // A weighs 2, B 1: s_A = 2L, s_B = L; A takes 9L tasks, B 3L. Memory
  // (4 x 9L + 3L = 39L GB of 18) runs out before CPUs (18L of 9): L = 6/13.
  std::vector<double> share = WeightedDrfShares(PaperDemand(100), {2, 1});
  EXPECT_NEAR(share[0], 12.0 / 13.0, 1e-9);
  EXPECT_NEAR(share[1], 6.0 / 13.0, 1e-9);
}

TEST(WeightedDrf, AMetDemandLeavesTheRestToOthers) {
  // A wants one task only (dominant share 4/18). With one task each, both
  // demands are met; with B wanting more, B fills the CPUs A leaves (8 of 9):
  // a dominant share of 8/9.
  std::vector<double> share = WeightedDrfShares(PaperDemand(1), {1, 1});
  std::vector<double> more = WeightedDrfShares({PaperDemand(1)[0], PaperDemand(100)[1]}, {1, 1});
  EXPECT_NEAR(share[0], 4.0 / 18.0, 1e-9);
  EXPECT_NEAR(share[1], 3.0 / 9.0, 1e-9);  // one task of its own, demand met
  EXPECT_NEAR(more[0], 4.0 / 18.0, 1e-9);
  EXPECT_NEAR(more[1], 8.0 / 9.0, 1e-9);
}

TEST(WeightedDrf, NoDemandNoShare) {
  std::vector<double> share = WeightedDrfShares({{0, 0}, {0.5, 0.25}}, {1, 1});
  EXPECT_EQ(share[0], 0.0);
  EXPECT_NEAR(share[1], 0.5, 1e-9);
}

}  // namespace
}  // namespace allot
