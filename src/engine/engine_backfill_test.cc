// Backfill: requests that end, by their estimates, before the blocked head's
// reservation may start ahead of it; others wait.
#include <gtest/gtest.h>

#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::GpuRequest;

constexpr Time kNow = Seconds(1000);

Request Ask(int64_t gpus, Duration estimate) {
  Request request = GpuRequest(1000 * gpus, 1000, 1024);
  request.estimate = estimate;
  return request;
}

class BackfillTest : public ::testing::Test {
 protected:
  void SetUp() override { engine_ = testing::MakeEngine(testing::GpuCluster(2, 4)); }
  Decision Submit(const Request& request) { return engine_->Submit(request, kNow); }
  std::unique_ptr<Engine> engine_;
};

TEST_F(BackfillTest, ShortJobsRunAheadOfTheReservationLongOnesWait) {
  // n0 busy for 100 s (by estimate), n1 half busy for 1000 s.
  ASSERT_EQ(Submit(Ask(4, Seconds(100))).kind, DecisionKind::kGranted);
  ASSERT_EQ(Submit(Ask(2, Seconds(1000))).kind, DecisionKind::kGranted);
  // The head needs a whole node: reservation at n0's expected end, t + 100 s.
  Decision head = Submit(Ask(4, Seconds(600)));
  ASSERT_EQ(head.kind, DecisionKind::kQueued);
  Decision quick = Submit(Ask(1, Seconds(50)));  // ends before the reservation
  EXPECT_EQ(quick.kind, DecisionKind::kGranted) << quick.message;
  Decision slow = Submit(Ask(1, Seconds(500)));  // would still run at the reservation
  EXPECT_EQ(slow.kind, DecisionKind::kQueued);
  Decision unknown = Submit(Ask(1, 0));  // no estimate: never backfills
  EXPECT_EQ(unknown.kind, DecisionKind::kQueued);
  EXPECT_EQ(engine_->queue_length(), 3u);
}

TEST_F(BackfillTest, NoReservationWhenTheBlockingLeaseHasNoEstimate) {
  ASSERT_EQ(Submit(Ask(4, 0)).kind, DecisionKind::kGranted);  // n0, end unknown
  ASSERT_EQ(Submit(Ask(2, 0)).kind, DecisionKind::kGranted);  // n1, end unknown
  ASSERT_EQ(Submit(Ask(4, Seconds(600))).kind, DecisionKind::kQueued);
  // It fits on n1 now and is short, but the head's reservation is unknown.
  EXPECT_EQ(Submit(Ask(1, Seconds(1))).kind, DecisionKind::kQueued);
}

TEST_F(BackfillTest, TheHeadStillStartsAtItsReservation) {
  Decision first = Submit(Ask(4, Seconds(100)));
  ASSERT_EQ(Submit(Ask(2, Seconds(1000))).kind, DecisionKind::kGranted);
  Decision head = Submit(Ask(4, Seconds(600)));
  Decision quick = Submit(Ask(1, Seconds(50)));
  ASSERT_EQ(quick.kind, DecisionKind::kGranted);
  // At the reservation n0 frees; the backfilled job sits on n1 and is not in the way.
  ASSERT_TRUE(engine_->Release(first.lease, kNow + Seconds(100)).ok());
  std::vector<Decision> follows = engine_->TakeDecisions();
  ASSERT_FALSE(follows.empty());
  EXPECT_EQ(follows[0].request, head.request);
  EXPECT_EQ(follows[0].kind, DecisionKind::kGranted);
}

}  // namespace
}  // namespace allot
