// Preemption: for higher classes, and reclaiming borrowed guarantees.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::GpuRequest;

constexpr Time kNow = Seconds(1000);

TenantSpec Tenant(const std::string& name, int64_t guaranteed_gpus = 0) {
  TenantSpec spec = testing::Tenant(name);
  spec.quota[kGpu].guaranteed = 1000 * guaranteed_gpus;
  return spec;
}

PriorityClass Class(const std::string& name, int64_t value, bool may_preempt, Duration grace = 0) {
  PriorityClass priority_class;
  priority_class.name = name;
  priority_class.value = value;
  priority_class.may_preempt = may_preempt;
  priority_class.preemption_grace = grace;
  return priority_class;
}

Request Ask(int64_t gpus, const std::string& tenant, const std::string& priority_class,
            int64_t members = 1) {
  Request request = GpuRequest(1000 * gpus, 1000, 1024, members);
  request.tenant = tenant;
  request.priority_class = priority_class;
  return request;
}

std::vector<Decision> OfKind(const std::vector<Decision>& decisions, DecisionKind kind) {
  std::vector<Decision> out;
  for (const Decision& decision : decisions) {
    if (decision.kind == kind) out.push_back(decision);
  }
  return out;
}

class PreemptionTest : public ::testing::Test {
 protected:
  // Two nodes with 4 whole GPUs each.
  void Build(std::vector<TenantSpec> tenants, std::vector<PriorityClass> classes) {
    Inventory inventory = testing::GpuCluster(2, 4);
    options_.tenants = std::move(tenants);
    options_.classes = std::move(classes);
    inventory_ = inventory;
    engine_ = Engine::Create(inventory, options_).value();
  }
  Decision Submit(const Request& request, Time at = kNow) { return engine_->Submit(request, at); }
  int Running(const std::string& tenant) {
    int count = 0;
    int index = engine_->tenancy().FindTenant(tenant);
    for (const Lease& lease : engine_->Snapshot().leases) count += lease.tenant == index;
    return count;
  }
  Inventory inventory_;
  EngineOptions options_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(PreemptionTest, HigherClassPreemptsTheFewestMostRecentLowerLeases) {
  Build({Tenant("a"), Tenant("b")}, {Class("batch", 0, false), Class("critical", 100, true)});
  std::vector<Decision> batch;
  for (int i = 0; i < 8; ++i) batch.push_back(Submit(Ask(1, "a", "batch"), kNow + Seconds(i)));
  Decision critical = Submit(Ask(2, "b", "critical"), kNow + Seconds(10));
  ASSERT_EQ(critical.kind, DecisionKind::kGranted) << DescribeDecision(critical, inventory_);
  std::vector<Decision> ended = OfKind(engine_->TakeDecisions(), DecisionKind::kLeaseEnded);
  ASSERT_EQ(ended.size(), 2u);  // two GPUs needed: two victims, not more
  for (const Decision& end : ended) {
    EXPECT_EQ(end.end_reason, EndReason::kPreempted);
    // The most recently started leases lose the least work.
    EXPECT_TRUE(end.lease == batch[7].lease || end.lease == batch[6].lease ||
                end.lease == batch[3].lease || end.lease == batch[2].lease)
        << end.lease.value;
    EXPECT_NE(end.message.find("class critical"), std::string::npos) << end.message;
  }
}

TEST_F(PreemptionTest, NeverEqualOrHigherClassesNorNonPreemptibleOnes) {
  PriorityClass pinned = Class("pinned", 0, false);
  pinned.preemptible = false;
  Build({Tenant("a"), Tenant("b")},
        {Class("batch", 0, true), pinned, Class("critical", 100, true)});
  for (int i = 0; i < 4; ++i) ASSERT_EQ(Submit(Ask(1, "a", "pinned")).kind, DecisionKind::kGranted);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(Submit(Ask(1, "a", "batch")).kind, DecisionKind::kGranted);
  Decision same = Submit(Ask(1, "b", "batch"));  // same class: waits
  EXPECT_EQ(same.kind, DecisionKind::kQueued);
  Decision critical = Submit(Ask(6, "b", "critical", 1));  // would need pinned GPUs too
  EXPECT_EQ(critical.kind, DecisionKind::kRejected);       // infeasible: 6 GPUs on a 4-GPU node
  Decision big = Submit(Ask(4, "b", "critical"));
  ASSERT_EQ(big.kind, DecisionKind::kGranted);  // the node of batch leases only
  EXPECT_EQ(Running("a"), 4);
  for (const Lease& lease : engine_->Snapshot().leases) {
    if (lease.tenant == engine_->tenancy().FindTenant("a")) {
      EXPECT_EQ(engine_->tenancy().priority_class(lease.priority_class).name, "pinned");
    }
  }
}

TEST_F(PreemptionTest, GangsArePreemptedWhole) {
  Build({Tenant("a"), Tenant("b")}, {Class("batch", 0, false), Class("critical", 100, true)});
  Decision gang = Submit(Ask(4, "a", "batch", 2));  // both nodes
  ASSERT_EQ(gang.kind, DecisionKind::kGranted);
  Decision critical = Submit(Ask(1, "b", "critical"));
  ASSERT_EQ(critical.kind, DecisionKind::kGranted);
  std::vector<Decision> ended = OfKind(engine_->TakeDecisions(), DecisionKind::kLeaseEnded);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].lease, gang.lease);
  EXPECT_EQ(engine_->lease_count(), 1u);
  EXPECT_EQ(engine_->cluster().allocated(0)[kGpu] + engine_->cluster().allocated(1)[kGpu], 1000);
}

TEST_F(PreemptionTest, GracePeriodThenTheLeaseEnds) {
  Build({Tenant("a"), Tenant("b")},
        {Class("batch", 0, false, Seconds(30)), Class("critical", 100, true)});
  for (int i = 0; i < 8; ++i) ASSERT_EQ(Submit(Ask(1, "a", "batch")).kind, DecisionKind::kGranted);
  Decision critical = Submit(Ask(1, "b", "critical"));
  ASSERT_EQ(critical.kind, DecisionKind::kQueued);
  std::vector<Decision> preempt = OfKind(engine_->TakeDecisions(), DecisionKind::kPreempt);
  ASSERT_EQ(preempt.size(), 1u);
  EXPECT_EQ(preempt[0].grace, Seconds(30));
  EXPECT_EQ(preempt[0].for_request, critical.request);
  // No second victim while the first is in its grace.
  engine_->Tick(kNow + Seconds(29));
  EXPECT_TRUE(engine_->TakeDecisions().empty());
  // Snapshot in the grace period: the restored engine ends it the same way.
  std::unique_ptr<Engine> restored =
      Engine::Restore(inventory_, options_, engine_->Snapshot()).value();
  for (Engine* engine : {engine_.get(), restored.get()}) {
    engine->Tick(kNow + Seconds(30));
    std::vector<Decision> after = engine->TakeDecisions();
    ASSERT_EQ(after.size(), 2u);
    EXPECT_EQ(after[0].kind, DecisionKind::kLeaseEnded);
    EXPECT_EQ(after[0].lease, preempt[0].lease);
    EXPECT_EQ(after[1].kind, DecisionKind::kGranted);
    EXPECT_EQ(after[1].request, critical.request);
  }
}

// A tenant below its guarantee reclaims what others borrowed; afterwards
// neither can take from the other, so preemption stops (Kueue issue #3779
// describes two queues preempting each other forever).
TEST_F(PreemptionTest, ReclaimBorrowedCapacityWithoutLoops) {
  Build({Tenant("a", 4), Tenant("b", 4)}, {Class("default", 0, false)});
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(Submit(Ask(1, "a", ""), kNow + Seconds(i)).kind, DecisionKind::kGranted);
  }
  int preempted = 0;
  for (int i = 0; i < 4; ++i) {
    Decision decision = Submit(Ask(1, "b", ""), kNow + Seconds(10));
    EXPECT_EQ(decision.kind, DecisionKind::kGranted) << DescribeDecision(decision, inventory_);
    preempted +=
        static_cast<int>(OfKind(engine_->TakeDecisions(), DecisionKind::kLeaseEnded).size());
  }
  EXPECT_EQ(preempted, 4);
  EXPECT_EQ(Running("a"), 4);
  EXPECT_EQ(Running("b"), 4);
  // Both now ask for more than their guarantee: they wait; nobody is preempted.
  EXPECT_EQ(Submit(Ask(1, "a", ""), kNow + Seconds(20)).kind, DecisionKind::kQueued);
  EXPECT_EQ(Submit(Ask(1, "b", ""), kNow + Seconds(20)).kind, DecisionKind::kQueued);
  for (int t = 0; t < 100; ++t) engine_->Tick(kNow + Seconds(30 + t));
  EXPECT_TRUE(OfKind(engine_->TakeDecisions(), DecisionKind::kLeaseEnded).empty());
  EXPECT_EQ(Running("a"), 4);
  EXPECT_EQ(Running("b"), 4);
}

// Regression: a tenant guaranteed GPUs and one guaranteed CPUs, each
// borrowing the other's resource, reclaimed each other's leases on every
// submission. Taking a lease that puts its owner below a guarantee is not a
// reclaim (rule (b)), so after the first fill nothing is preempted again.
TEST_F(PreemptionTest, GpuAndCpuGuaranteesNeverPingPong) {
  TenantSpec gpus = Tenant("g", 8);
  TenantSpec cpus = Tenant("c");
  cpus.quota[kCpu].guaranteed = 128000;
  Build({gpus, cpus}, {Class("default", 0, false)});
  auto ask = [](const std::string& tenant) {
    Request request = GpuRequest(1000, 16000, 1024);  // 1 GPU, 16 cores: 4 per node
    request.tenant = tenant;
    return request;
  };
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(Submit(ask("c"), kNow + Seconds(i)).kind, DecisionKind::kGranted);
  }
  std::map<uint64_t, int> preempted;  // lease -> times
  int preemptions = 0;
  for (int i = 0; i < 50; ++i) {
    Submit(ask(i % 2 == 0 ? "g" : "c"), kNow + Seconds(100 + i));
    engine_->Tick(kNow + Seconds(100 + i));
    for (const Decision& decision : engine_->TakeDecisions()) {
      if (decision.kind == DecisionKind::kLeaseEnded || decision.kind == DecisionKind::kPreempt) {
        ++preempted[decision.lease.value];
        ++preemptions;
      }
    }
  }
  for (const auto& [lease, times] : preempted) EXPECT_LE(times, 1) << "lease " << lease;
  // c is within its CPU guarantee and g within its GPU guarantee: neither
  // borrows without going below a guarantee, so nothing is taken at all.
  EXPECT_EQ(preemptions, 0);
  EXPECT_EQ(Running("c"), 8);
}

// KAI's published rule (GuaranteeDeservedQuota): a sibling reclaims another
// queue's GPUs above its quota, never below it. alice (quota 6) runs 8 single
// GPUs; bob (quota 2) gets 2 of them back, and his next request waits.
TEST_F(PreemptionTest, ReclaimStopsAtTheVictimsGuarantee) {
  Build({Tenant("alice", 6), Tenant("bob", 2)}, {Class("default", 0, false)});
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(Submit(Ask(1, "alice", ""), kNow + Seconds(i)).kind, DecisionKind::kGranted);
  }
  EXPECT_EQ(Submit(Ask(1, "bob", ""), kNow + Seconds(10)).kind, DecisionKind::kGranted);
  EXPECT_EQ(Submit(Ask(1, "bob", ""), kNow + Seconds(11)).kind, DecisionKind::kGranted);
  EXPECT_EQ(Submit(Ask(1, "bob", ""), kNow + Seconds(12)).kind, DecisionKind::kQueued);
  EXPECT_EQ(Running("alice"), 6);
  EXPECT_EQ(Running("bob"), 2);
}

// Victims are judged together: bob's 5-GPU member needs 5 victims on the one
// node; alice (quota 3, 5 running, the most recent) can give only 2 of them
// and carol (no quota) the other 3. Judged one by one, all 5 were alice's.
TEST_F(PreemptionTest, ReclaimVictimsTogetherKeepTheGuarantee) {
  inventory_ = testing::GpuCluster(1, 8);
  options_.tenants = {Tenant("alice", 3), Tenant("bob", 5), Tenant("carol")};
  options_.classes = {Class("default", 0, false)};
  engine_ = Engine::Create(inventory_, options_).value();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Submit(Ask(1, "carol", ""), kNow + Seconds(i)).kind, DecisionKind::kGranted);
  }
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Submit(Ask(1, "alice", ""), kNow + Seconds(10 + i)).kind, DecisionKind::kGranted);
  }
  Decision bob = Submit(Ask(5, "bob", ""), kNow + Seconds(20));
  EXPECT_EQ(bob.kind, DecisionKind::kGranted) << DescribeDecision(bob, inventory_);
  EXPECT_EQ(Running("alice"), 3);
  EXPECT_EQ(Running("carol"), 0);
}

// A lumpy lease: alice (quota 6) borrows 2 GPUs, but only as part of 4-GPU
// leases; taking one would put her at 4, below her guarantee. bob waits.
TEST_F(PreemptionTest, ALeaseThatWouldCrossTheGuaranteeIsNotReclaimed) {
  Build({Tenant("alice", 6), Tenant("bob", 2)}, {Class("default", 0, false)});
  ASSERT_EQ(Submit(Ask(4, "alice", "")).kind, DecisionKind::kGranted);
  ASSERT_EQ(Submit(Ask(4, "alice", "")).kind, DecisionKind::kGranted);
  EXPECT_EQ(Submit(Ask(1, "bob", ""), kNow + Seconds(1)).kind, DecisionKind::kQueued);
  EXPECT_TRUE(engine_->TakeDecisions().empty());
  EXPECT_EQ(Running("alice"), 2);
}

// A preemptor that stops waiting pardons its victims in their grace.
class WithdrawnPreemptionTest : public PreemptionTest {
 protected:
  // a runs 8 batch GPUs (grace 30 s); b's critical request preempts one.
  void SetUpPreempt(Duration max_wait = 0) {
    PriorityClass critical = Class("critical", 100, true);
    critical.max_wait = max_wait;
    Build({Tenant("a"), Tenant("b")}, {Class("batch", 0, false, Seconds(30)), critical});
    for (int i = 0; i < 8; ++i) {
      Decision batch = Submit(Ask(1, "a", "batch"), kNow + Seconds(i));
      ASSERT_EQ(batch.kind, DecisionKind::kGranted);
      batch_.push_back(batch.lease);
    }
    critical_ = Submit(Ask(1, "b", "critical"), kNow + Seconds(10));
    ASSERT_EQ(critical_.kind, DecisionKind::kQueued);
    std::vector<Decision> preempt = OfKind(engine_->TakeDecisions(), DecisionKind::kPreempt);
    ASSERT_EQ(preempt.size(), 1u);
    victim_ = preempt[0].lease;
  }
  // The victim was pardoned (one PreemptWithdrawn in `decisions`) and runs
  // on past its grace, in this engine and in one restored from a snapshot.
  void ExpectPardoned(const std::vector<Decision>& decisions) {
    std::vector<Decision> withdrawn = OfKind(decisions, DecisionKind::kPreemptWithdrawn);
    ASSERT_EQ(withdrawn.size(), 1u);
    EXPECT_EQ(withdrawn[0].lease, victim_);
    EXPECT_EQ(withdrawn[0].for_request, critical_.request);
    std::unique_ptr<Engine> restored =
        Engine::Restore(inventory_, options_, engine_->Snapshot()).value();
    for (Engine* engine : {engine_.get(), restored.get()}) {
      engine->Tick(kNow + Seconds(100));
      EXPECT_TRUE(OfKind(engine->TakeDecisions(), DecisionKind::kLeaseEnded).empty());
      const Lease* lease = engine->FindLease(victim_);
      ASSERT_NE(lease, nullptr);
      EXPECT_EQ(lease->preempt_at, 0);
    }
  }
  std::vector<LeaseId> batch_;
  Decision critical_;
  LeaseId victim_;
};

TEST_F(WithdrawnPreemptionTest, CancelledPreemptorPardonsItsVictim) {
  SetUpPreempt();
  ASSERT_TRUE(engine_->Cancel(critical_.request, kNow + Seconds(15)).ok());
  ExpectPardoned(engine_->TakeDecisions());
}

TEST_F(WithdrawnPreemptionTest, TimedOutPreemptorPardonsItsVictim) {
  SetUpPreempt(/*max_wait=*/Seconds(5));
  engine_->Tick(kNow + Seconds(16));
  std::vector<Decision> decisions = engine_->TakeDecisions();
  ASSERT_EQ(OfKind(decisions, DecisionKind::kRejected).size(), 1u);
  ExpectPardoned(decisions);
}

TEST_F(WithdrawnPreemptionTest, PreemptorPlacedElsewherePardonsItsVictim) {
  SetUpPreempt();
  LeaseId other = batch_[0] == victim_ ? batch_[1] : batch_[0];
  ASSERT_TRUE(engine_->Release(other, kNow + Seconds(15)).ok());
  std::vector<Decision> decisions = engine_->TakeDecisions();
  std::vector<Decision> granted = OfKind(decisions, DecisionKind::kGranted);
  ASSERT_EQ(granted.size(), 1u);
  EXPECT_EQ(granted[0].request, critical_.request);
  ExpectPardoned(decisions);
}

// Property: whatever others borrowed, a tenant asking for its guarantee gets
// it within one preemption round.
TEST(PreemptionProperty, GuaranteeWithinOneRound) {
  for (uint64_t seed : {1u, 2u, 3u, 4u, 5u, 6u}) {
    std::mt19937_64 random(seed);
    Inventory inventory = testing::GpuCluster(4, 8, DeviceMode::kShared, 256000, 1024 * 1024);
    EngineOptions options;
    options.tenants = {Tenant("owner", 12), Tenant("x", 8), Tenant("y", 4), Tenant("z", 0)};
    std::unique_ptr<Engine> engine = Engine::Create(inventory, options).value();
    // Borrowers fill the cluster with random fractions and whole GPUs.
    const char* borrowers[] = {"x", "y", "z"};
    for (int i = 0; i < 200; ++i) {
      int64_t gpu = std::vector<int64_t>{1000, 2000, 1000, 4000}[random() % 4];
      Request request = GpuRequest(gpu, 1000, 1024);
      request.tenant = borrowers[random() % 3];
      engine->Submit(request, kNow + Seconds(i));
    }
    // The owner asks for its 12 GPUs as whole single GPUs.
    for (int i = 0; i < 12; ++i) {
      Request request = GpuRequest(1000, 1000, 1024);
      request.tenant = "owner";
      Decision decision = engine->Submit(request, kNow + Seconds(300));
      EXPECT_EQ(decision.kind, DecisionKind::kGranted)
          << "seed " << seed << " request " << i << ": " << decision.message;
    }
    EXPECT_EQ(engine->quota().usage(engine->tenancy().FindTenant("owner"))[kGpu], 12000);
  }
}

}  // namespace
}  // namespace allot
