// The engine with tenants and priority classes: resolution errors, class
// order, running/queued caps, classes that reject or time out, snapshots, and
// a property test of fair shares.
#include <gtest/gtest.h>

#include <random>

#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::GpuRequest;
using testing::Tenant;

constexpr Time kNow = Seconds(100);

PriorityClass Class(const std::string& name, int64_t value) {
  PriorityClass priority_class;
  priority_class.name = name;
  priority_class.value = value;
  return priority_class;
}

Request Ask(int64_t gpu, const std::string& tenant, const std::string& priority_class = "") {
  Request request = GpuRequest(gpu, 1000, 1024);
  request.tenant = tenant;
  request.priority_class = priority_class;
  return request;
}

class EngineTenancyTest : public ::testing::Test {
 protected:
  // One node with 4 whole GPUs.
  void Build(std::vector<TenantSpec> tenants, std::vector<PriorityClass> classes) {
    Inventory inventory = testing::GpuCluster(1, 4);
    EngineOptions options;
    options.tenants = std::move(tenants);
    options.classes = std::move(classes);
    engine_ = Engine::Create(inventory, options).value();
  }
  Decision Submit(const Request& request) { return engine_->Submit(request, kNow); }
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTenancyTest, ResolutionErrorsNameTheField) {
  Build({Tenant("org"), Tenant("a", "org"), Tenant("b", "org")}, {Class("batch", 0)});
  auto expect_invalid = [&](const Request& request, const std::string& text) {
    EngineSnapshot before = engine_->Snapshot();
    Decision decision = Submit(request);
    EXPECT_EQ(decision.kind, DecisionKind::kRejected);
    EXPECT_EQ(decision.reject_code, RejectCode::kInvalidArgument);
    EXPECT_EQ(decision.message, text);
    EXPECT_TRUE(engine_->Snapshot() == before);
  };
  expect_invalid(Ask(1000, ""), "tenant: required (there are several tenants)");
  expect_invalid(Ask(1000, "ghost"), "tenant: unknown tenant 'ghost'");
  expect_invalid(Ask(1000, "org"),
                 "tenant: 'org' has sub-tenants; requests belong to a leaf tenant");
  expect_invalid(Ask(1000, "org/a", "gold"), "priority_class: unknown class 'gold'");
  EXPECT_EQ(Submit(Ask(1000, "org/a")).kind, DecisionKind::kGranted);  // path or name
  EXPECT_EQ(Submit(Ask(1000, "b", "batch")).kind, DecisionKind::kGranted);
}

TEST_F(EngineTenancyTest, HigherClassGoesFirst) {
  Build({Tenant("a"), Tenant("b")}, {Class("batch", 0), Class("critical", 100)});
  Decision full = Submit(Ask(4000, "a", "batch"));
  ASSERT_EQ(full.kind, DecisionKind::kGranted);
  Decision low = Submit(Ask(4000, "a", "batch"));
  Decision high = Submit(Ask(4000, "b", "critical"));
  ASSERT_EQ(low.kind, DecisionKind::kQueued);
  ASSERT_EQ(high.kind, DecisionKind::kQueued);
  Decision lower = Submit(Ask(1000, "b", "batch"));
  EXPECT_EQ(lower.queue_reason, QueueReason::kBehindHigherClass);
  ASSERT_TRUE(engine_->Release(full.lease, kNow).ok());
  std::vector<Decision> follows = engine_->TakeDecisions();
  ASSERT_EQ(follows.size(), 1u);
  EXPECT_EQ(follows[0].request, high.request);
}

TEST_F(EngineTenancyTest, RunningAndQueuedCaps) {
  TenantSpec a = Tenant("a");
  a.max_running = {{"default", 2}};
  a.max_queued = {{"default", 1}};
  Build({a, Tenant("b")}, {});
  EXPECT_EQ(Submit(Ask(1000, "a")).kind, DecisionKind::kGranted);
  Decision second = Submit(Ask(1000, "a"));
  EXPECT_EQ(second.kind, DecisionKind::kGranted);
  Decision third = Submit(Ask(1000, "a"));
  ASSERT_EQ(third.kind, DecisionKind::kQueued);
  EXPECT_EQ(third.queue_reason, QueueReason::kLimit);
  EXPECT_NE(third.message.find("max_running 2"), std::string::npos) << third.message;
  Decision fourth = Submit(Ask(1000, "a"));
  EXPECT_EQ(fourth.kind, DecisionKind::kRejected);
  EXPECT_EQ(fourth.reject_code, RejectCode::kLimitExceeded);
  // The capped tenant's waiting request does not hold b back.
  EXPECT_EQ(Submit(Ask(1000, "b")).kind, DecisionKind::kGranted);
  ASSERT_TRUE(engine_->Release(second.lease, kNow).ok());
  std::vector<Decision> follows = engine_->TakeDecisions();
  ASSERT_EQ(follows.size(), 1u);
  EXPECT_EQ(follows[0].request, third.request);
}

TEST_F(EngineTenancyTest, ClassesThatRejectOrTimeOut) {
  PriorityClass interactive = Class("interactive", 10);
  interactive.reject_when_busy = true;
  PriorityClass batch = Class("batch", 0);
  batch.max_wait = Seconds(60);
  Build({Tenant("a")}, {interactive, batch});
  ASSERT_EQ(Submit(Ask(4000, "a", "batch")).kind, DecisionKind::kGranted);
  Decision busy = Submit(Ask(1000, "a", "interactive"));
  EXPECT_EQ(busy.kind, DecisionKind::kRejected);
  EXPECT_EQ(busy.reject_code, RejectCode::kWouldWait);
  Decision waiting = Submit(Ask(1000, "a", "batch"));
  ASSERT_EQ(waiting.kind, DecisionKind::kQueued);
  engine_->Tick(kNow + Seconds(59));
  EXPECT_TRUE(engine_->TakeDecisions().empty());
  engine_->Tick(kNow + Seconds(60));
  std::vector<Decision> follows = engine_->TakeDecisions();
  ASSERT_EQ(follows.size(), 1u);
  EXPECT_EQ(follows[0].kind, DecisionKind::kRejected);
  EXPECT_EQ(follows[0].reject_code, RejectCode::kTimedOut);
  EXPECT_EQ(follows[0].request, waiting.request);
  EXPECT_EQ(engine_->queue_length(), 0u);
}

// Property: tenants of equal weight with equal demand end with dominant
// shares within one request of each other, whatever the submission order.
TEST(FairShareProperty, EqualWeightsEqualDemandEqualShares) {
  for (uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    std::mt19937_64 random(seed);
    Inventory inventory = testing::GpuCluster(4, 8, DeviceMode::kShared, 128000, 1024 * 1024);
    EngineOptions options;
    const int kTenants = 4;
    for (int t = 0; t < kTenants; ++t) options.tenants.push_back(Tenant("t" + std::to_string(t)));
    options.tenants.push_back(Tenant("blocker"));
    std::unique_ptr<Engine> engine = Engine::Create(inventory, options).value();
    std::vector<LeaseId> blockers;
    for (int n = 0; n < 4; ++n) {
      blockers.push_back(engine->Submit(Ask(8000, "blocker"), kNow).lease);
    }
    // Every tenant asks for the same multiset of shapes (14 GPUs each, 56 in
    // all for 32), in a random order.
    std::vector<std::pair<int, int64_t>> asks;
    for (int t = 0; t < kTenants; ++t) {
      for (int round = 0; round < 2; ++round) {
        for (int64_t gpu : {250, 500, 1000, 500, 250, 1000, 500, 250, 1000, 1000, 500, 250}) {
          asks.emplace_back(t, gpu);
        }
      }
    }
    std::shuffle(asks.begin(), asks.end(), random);
    for (const auto& [t, gpu] : asks) {
      ASSERT_EQ(engine->Submit(Ask(gpu, "t" + std::to_string(t)), kNow).kind,
                DecisionKind::kQueued);
    }
    for (LeaseId blocker : blockers) ASSERT_TRUE(engine->Release(blocker, kNow).ok());
    EXPECT_GT(engine->queue_length(), 0u);  // demand exceeds capacity
    double lowest = 1e9;
    double highest = -1e9;
    for (int t = 0; t < kTenants; ++t) {
      double share = engine->quota().Share(engine->tenancy().FindTenant("t" + std::to_string(t)));
      lowest = std::min(lowest, share);
      highest = std::max(highest, share);
    }
    // One request is at most 1 GPU of 32: a share step of 1/32.
    EXPECT_LE(highest - lowest, 1.0 / 32 + 1e-12) << "seed " << seed;
  }
}

TEST_F(EngineTenancyTest, SnapshotKeepsTenantsUsageAndOrder) {
  Build({Tenant("a"), Tenant("b")}, {Class("batch", 0), Class("critical", 100)});
  ASSERT_EQ(Submit(Ask(3000, "a", "batch")).kind, DecisionKind::kGranted);
  ASSERT_EQ(Submit(Ask(2000, "b", "batch")).kind, DecisionKind::kQueued);
  ASSERT_EQ(Submit(Ask(2000, "a", "critical")).kind, DecisionKind::kQueued);
  EngineSnapshot snapshot = engine_->Snapshot();
  Inventory inventory = engine_->inventory();
  EngineOptions options;
  options.tenants = {Tenant("a"), Tenant("b")};
  options.classes = {Class("batch", 0), Class("critical", 100)};
  std::unique_ptr<Engine> restored = Engine::Restore(inventory, options, snapshot).value();
  EXPECT_TRUE(restored->Snapshot() == snapshot);
  int a = restored->tenancy().FindTenant("a");
  EXPECT_EQ(restored->quota().usage(a)[kGpu], 3000);
  LeaseId first{1};
  ASSERT_TRUE(engine_->Release(first, kNow).ok());
  ASSERT_TRUE(restored->Release(first, kNow).ok());
  std::vector<Decision> original = engine_->TakeDecisions();
  std::vector<Decision> again = restored->TakeDecisions();
  ASSERT_EQ(original.size(), again.size());
  ASSERT_FALSE(original.empty());
  for (size_t i = 0; i < original.size(); ++i) {
    EXPECT_EQ(original[i].request, again[i].request);
    EXPECT_EQ(original[i].placement, again[i].placement);
  }
  EXPECT_EQ(original[0].request, RequestId{3});  // the critical one first
}

// Aging: a request that waited past its class's aging goes before newer
// ones of its class, whatever the shares, so it cannot starve.
TEST_F(EngineTenancyTest, AgedRequestsGoFirst) {
  PriorityClass standard = Class("default", 0);
  standard.aging = Seconds(60);
  Build({Tenant("a"), Tenant("b")}, {standard});
  std::vector<LeaseId> b_leases;
  for (int i = 0; i < 4; ++i) b_leases.push_back(Submit(Ask(1000, "b")).lease);
  Decision old_b = engine_->Submit(Ask(1000, "b"), kNow);
  Decision a1 = engine_->Submit(Ask(1000, "a"), kNow + Seconds(1));
  Decision a2 = engine_->Submit(Ask(1000, "a"), kNow + Seconds(2));
  ASSERT_EQ(old_b.kind, DecisionKind::kQueued);
  // Before aging, fair share favours a (it uses nothing, b uses everything).
  ASSERT_TRUE(engine_->Release(b_leases[0], kNow + Seconds(10)).ok());
  std::vector<Decision> first = engine_->TakeDecisions();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].request, a1.request);
  // After 60 s, b's old request is aged and goes before a's newer one.
  EngineSnapshot snapshot_at_65 = (engine_->Tick(kNow + Seconds(65)), engine_->Snapshot());
  ASSERT_TRUE(engine_->Release(b_leases[1], kNow + Seconds(70)).ok());
  std::vector<Decision> second = engine_->TakeDecisions();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].request, old_b.request);
  // A restored engine ages the same way.
  EngineOptions options;
  options.tenants = {Tenant("a"), Tenant("b")};
  options.classes = {standard};
  std::unique_ptr<Engine> restored =
      Engine::Restore(engine_->inventory(), options, snapshot_at_65).value();
  ASSERT_TRUE(restored->Release(b_leases[1], kNow + Seconds(70)).ok());
  std::vector<Decision> again = restored->TakeDecisions();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].request, old_b.request);
  EXPECT_EQ(a2.kind, DecisionKind::kQueued);
}

}  // namespace
}  // namespace allot
