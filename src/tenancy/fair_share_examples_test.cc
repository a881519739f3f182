// Published worked examples as test vectors: DRF (Ghodsi et al., NSDI 2011),
// Kueue cohort borrowing, KAI scheduler fair share. Each drives the real
// engine: a blocker holds the cluster while the tenants queue work, then its
// release lets the fair queue hand the capacity out.
#include <gtest/gtest.h>

#include <map>

#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::AddNode;
using testing::AddPool;
using testing::GpuRequest;
using testing::Tenant;

constexpr Time kNow = Seconds(100);

Request For(Request request, const std::string& tenant) {
  request.tenant = tenant;
  return request;
}

// Leases held per tenant name.
std::map<std::string, int> Running(const Engine& engine) {
  std::map<std::string, int> running;
  for (const Lease& lease : engine.Snapshot().leases) {
    ++running[engine.tenancy().tenant(lease.tenant).name];
  }
  return running;
}

class FairShareExamples : public ::testing::Test {
 protected:
  // The blocker's class cannot be preempted, so tenants below their guarantee
  // wait for its release instead of reclaiming from it.
  void Build(const Inventory& inventory, std::vector<TenantSpec> tenants) {
    tenants.push_back(Tenant("blocker"));
    EngineOptions options;
    options.tenants = std::move(tenants);
    PriorityClass standard;
    standard.name = "default";
    PriorityClass pinned;
    pinned.name = "pinned";
    pinned.preemptible = false;
    options.classes = {standard, pinned};
    engine_ = Engine::Create(inventory, options).value();
  }
  // Fills the cluster with one lease of `everything`, for tenant blocker.
  LeaseId Block(const Request& everything) {
    Request request = For(everything, "blocker");
    request.priority_class = "pinned";
    Decision decision = engine_->Submit(request, kNow);
    EXPECT_EQ(decision.kind, DecisionKind::kGranted) << decision.message;
    return decision.lease;
  }
  void Queue(const Request& request, const std::string& tenant, int count) {
    for (int i = 0; i < count; ++i) {
      Decision decision = engine_->Submit(For(request, tenant), kNow);
      ASSERT_EQ(decision.kind, DecisionKind::kQueued) << decision.message;
    }
  }
  std::unique_ptr<Engine> engine_;
};

// DRF paper, section 4: 9 CPUs and 18 GB; A's tasks need <1 CPU, 4 GB>, B's
// <3 CPU, 1 GB>. DRF gives A 3 tasks and B 2, both with dominant share 2/3.
TEST_F(FairShareExamples, DrfPaper) {
  Inventory inventory;
  PoolIndex pool = AddPool(inventory, "cpu", "");
  AddNode(inventory, pool,
          {.name = "n0",
           .gpus = 0,
           .mode = DeviceMode::kWhole,
           .cpu_milli = 9000,
           .memory_mib = 18 * 1024,
           .labels = {}});
  Build(inventory, {Tenant("A"), Tenant("B")});
  LeaseId blocker = Block(GpuRequest(0, 9000, 18 * 1024));
  Queue(GpuRequest(0, 1000, 4 * 1024), "A", 6);
  Queue(GpuRequest(0, 3000, 1024), "B", 6);
  ASSERT_TRUE(engine_->Release(blocker, kNow).ok());
  std::map<std::string, int> running = Running(*engine_);
  EXPECT_EQ(running["A"], 3);
  EXPECT_EQ(running["B"], 2);
  int a = engine_->tenancy().FindTenant("A");
  int b = engine_->tenancy().FindTenant("B");
  EXPECT_DOUBLE_EQ(engine_->quota().Share(a), 2.0 / 3.0);  // 12 GB of 18
  EXPECT_DOUBLE_EQ(engine_->quota().Share(b), 2.0 / 3.0);  // 6 CPUs of 9
}

// KAI scheduler fair share: 12 GPUs, A deserves 3 and B 1; the 8 beyond the
// guarantees are split by over-quota weight. Equal weights: 7 and 5; 1:7: 4
// and 8; 7:1: 10 and 2.
class KaiFairShare : public FairShareExamples,
                     public ::testing::WithParamInterface<std::tuple<int, int, int, int>> {};

TEST_P(KaiFairShare, SurplusSplitByWeight) {
  auto [weight_a, weight_b, expect_a, expect_b] = GetParam();
  Inventory inventory = testing::GpuCluster(3, 4);
  TenantSpec a = Tenant("A");
  a.quota[kGpu].guaranteed = 3000;
  a.weight_milli = 1000 * weight_a;
  TenantSpec b = Tenant("B");
  b.quota[kGpu].guaranteed = 1000;
  b.weight_milli = 1000 * weight_b;
  Build(inventory, {a, b});
  std::vector<LeaseId> blockers;
  for (int n = 0; n < 3; ++n) blockers.push_back(Block(GpuRequest(4000, 0, 0)));
  Queue(GpuRequest(1000, 0, 0), "A", 12);
  Queue(GpuRequest(1000, 0, 0), "B", 12);
  for (LeaseId blocker : blockers) ASSERT_TRUE(engine_->Release(blocker, kNow).ok());
  std::map<std::string, int> running = Running(*engine_);
  EXPECT_EQ(running["A"], expect_a);
  EXPECT_EQ(running["B"], expect_b);
}

INSTANTIATE_TEST_SUITE_P(Weights, KaiFairShare,
                         ::testing::Values(std::make_tuple(1, 1, 7, 5), std::make_tuple(1, 7, 4, 8),
                                           std::make_tuple(7, 1, 10, 2)));

// Kueue cohort borrowing: team-a has 9 CPUs nominal, team-b 12, in one
// cohort of 21. Either may borrow all the other's unused quota and reach 21;
// with borrowingLimit 1 (allot: limit = guaranteed + 1) team-a stops at 10,
// and the 11th request waits with reason `limit`.
class KueueCohort : public FairShareExamples {
 protected:
  Inventory Cluster() {
    Inventory inventory;
    PoolIndex pool = AddPool(inventory, "cpu", "");
    AddNode(inventory, pool,
            {.name = "n0",
             .gpus = 0,
             .mode = DeviceMode::kWhole,
             .cpu_milli = 21000,
             .memory_mib = 64 * 1024,
             .labels = {}});
    return inventory;
  }
  std::vector<TenantSpec> Teams(int64_t a_limit, int64_t b_lending) {
    TenantSpec cohort = Tenant("cohort");
    TenantSpec a = Tenant("team-a", "cohort");
    a.quota[kCpu].guaranteed = 9000;
    a.quota[kCpu].limit = a_limit;
    TenantSpec b = Tenant("team-b", "cohort");
    b.quota[kCpu].guaranteed = 12000;
    b.quota[kCpu].lending_limit = b_lending;
    return {cohort, a, b};
  }
  // Submits 1-CPU requests for team-a until one is not granted.
  int GrantedUntilRefused(Decision* refused) {
    for (int granted = 0; granted < 100; ++granted) {
      *refused = engine_->Submit(For(GpuRequest(0, 1000, 64), "team-a"), kNow);
      if (refused->kind != DecisionKind::kGranted) return granted;
    }
    return -1;
  }
};

TEST_F(KueueCohort, EitherTeamMayBorrowTheWholeCohort) {
  Build(Cluster(), Teams(kUnlimited, kUnlimited));
  Decision refused;
  EXPECT_EQ(GrantedUntilRefused(&refused), 21);
  EXPECT_EQ(refused.queue_reason, QueueReason::kNoCapacity);
}

TEST_F(KueueCohort, BorrowingLimitCapsTeamA) {
  Build(Cluster(), Teams(10000, kUnlimited));
  Decision refused;
  EXPECT_EQ(GrantedUntilRefused(&refused), 10);
  EXPECT_EQ(refused.kind, DecisionKind::kQueued);
  EXPECT_EQ(refused.queue_reason, QueueReason::kLimit);
  EXPECT_NE(refused.message.find("cohort/team-a"), std::string::npos) << refused.message;
  // team-b still reaches its own 12 (and the 11 CPUs left are not team-a's).
  for (int i = 0; i < 11; ++i) {
    EXPECT_EQ(engine_->Submit(For(GpuRequest(0, 1000, 64), "team-b"), kNow).kind,
              DecisionKind::kGranted);
  }
}

// Kueue's lendingLimit: team-b lends at most 4 of its 12, so team-a can reach
// 9 + 4 = 13; the next request waits with reason `quota` (protected capacity).
TEST_F(KueueCohort, LendingLimitProtectsTheRest) {
  Build(Cluster(), Teams(kUnlimited, 4000));
  Decision refused;
  EXPECT_EQ(GrantedUntilRefused(&refused), 13);
  EXPECT_EQ(refused.queue_reason, QueueReason::kQuota);
  // team-b can use its protected capacity at once.
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(engine_->Submit(For(GpuRequest(0, 1000, 64), "team-b"), kNow).kind,
              DecisionKind::kGranted);
  }
}

}  // namespace
}  // namespace allot
