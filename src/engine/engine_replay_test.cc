// Regressions of replay: state that decided later answers but was neither in
// the snapshot nor derived from it, so an engine restored from a snapshot
// (crash recovery) answered differently from the one that kept running.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::AddNode;
using testing::AddPool;
using testing::GpuCluster;
using testing::GpuRequest;
using testing::Tenant;

constexpr Duration kHour = Seconds(3600);
// 2026-11-21T00:00:00Z.
constexpr Time kDay0 = Seconds(int64_t{1'795'219'200});

PriorityClass Class(const std::string& name, int64_t value) {
  PriorityClass c;
  c.name = name;
  c.value = value;
  return c;
}

// Tenant "a" may spend 2.00 a day (one GPU-hour); class "batch" waits for
// the next day when over budget, "default" ranks above it.
EngineOptions DailyBudgetOptions() {
  EngineOptions options;
  options.tenants = {Tenant("org"), Tenant("a", "org"), Tenant("b", "org")};
  PriorityClass batch = Class("batch", 0);
  batch.queue_over_budget = true;
  options.classes = {Class("default", 10), batch};
  PoolPriceSpec price;
  price.pool = "gpu";
  price.per_unit_hour[kGpu] = 2'000'000;
  options.budgets.prices.pools.push_back(price);
  BudgetSpec daily;
  daily.name = "daily";
  daily.tenant = "a";
  daily.limit = 2'000'000;
  daily.period.kind = PeriodKind::kDaily;
  options.budgets.budgets = {daily};
  return options;
}

Request Gpu(const std::string& tenant, const std::string& priority_class) {
  Request request = GpuRequest(1000, 0, 0);
  request.tenant = tenant;
  request.estimate = kHour;
  request.priority_class = priority_class;
  return request;
}

bool Grants(const std::vector<Decision>& decisions, RequestId request) {
  for (const Decision& d : decisions) {
    if (d.kind == DecisionKind::kGranted && d.request == request) return true;
  }
  return false;
}

// A Submit that crossed midnight rolled the budget over but left the queue
// to "the next Tick" (a flag outside the snapshot): a snapshot taken in
// between lost it, and the restored engine kept queued what the original
// then granted.
TEST(EngineReplayTest, SubmitThatCrossesABudgetPeriodServesTheQueueAtOnce) {
  EngineOptions options = DailyBudgetOptions();
  std::unique_ptr<Engine> engine = Engine::Create(GpuCluster(1, 8), options).value();
  Time noon = kDay0 + 12 * kHour;
  Decision first = engine->Submit(Gpu("a", "batch"), noon);
  ASSERT_EQ(first.kind, DecisionKind::kGranted);
  ASSERT_TRUE(engine->Release(first.lease, noon + kHour).ok());
  Decision waiting = engine->Submit(Gpu("a", "batch"), noon + 2 * kHour);
  ASSERT_EQ(waiting.kind, DecisionKind::kQueued);
  ASSERT_EQ(waiting.queue_reason, QueueReason::kBudget);
  engine->TakeDecisions();

  // After midnight, another tenant's request of a higher class: granted at
  // once, and the new day's budget lets the waiting request go too.
  Decision other = engine->Submit(Gpu("b", "default"), kDay0 + 24 * kHour + Seconds(1));
  ASSERT_EQ(other.kind, DecisionKind::kGranted);
  EXPECT_TRUE(Grants(engine->TakeDecisions(), waiting.request))
      << "the new period's budget did not serve the queue within the command";

  std::unique_ptr<Engine> restored =
      Engine::Restore(GpuCluster(1, 8), options, engine->Snapshot()).value();
  Time later = kDay0 + 24 * kHour + Seconds(2);
  engine->Tick(later);
  restored->Tick(later);
  EXPECT_EQ(engine->TakeDecisions().size(), restored->TakeDecisions().size());
  EXPECT_EQ(engine->Snapshot(), restored->Snapshot());
  EXPECT_EQ(engine->NextWakeup(), restored->NextWakeup());
}

// Restoring the snapshot of an engine that never moved its clock started
// its budgets (the restore advanced to time 0), so the restored snapshot
// differed. Found by ReplayPropertyTest (soak, seed 1031).
TEST(EngineReplayTest, SnapshotOfAnUnusedEngineRestoresExactly) {
  EngineOptions options = DailyBudgetOptions();
  std::unique_ptr<Engine> engine = Engine::Create(GpuCluster(1, 8), options).value();
  EngineSnapshot snapshot = engine->Snapshot();
  std::unique_ptr<Engine> restored = Engine::Restore(GpuCluster(1, 8), options, snapshot).value();
  EXPECT_EQ(restored->Snapshot(), snapshot);
  Time noon = kDay0 + 12 * kHour;
  EXPECT_EQ(engine->Submit(Gpu("a", "batch"), noon).kind, DecisionKind::kGranted);
  EXPECT_EQ(restored->Submit(Gpu("a", "batch"), noon).kind, DecisionKind::kGranted);
  EXPECT_EQ(restored->Snapshot(), engine->Snapshot());
}

// Pool "a": a node with one GPU, pool "b" one with four; 16 CPUs each.
Inventory TwoPools() {
  Inventory inventory;
  testing::NodeSpec a0;
  a0.name = "a0";
  a0.gpus = 1;
  a0.cpu_milli = 16000;
  AddNode(inventory, AddPool(inventory, "a", "H100-80GB"), a0);
  testing::NodeSpec b0;
  b0.name = "b0";
  b0.gpus = 4;
  b0.cpu_milli = 16000;
  AddNode(inventory, AddPool(inventory, "b", "H100-80GB"), b0);
  return inventory;
}

Request InPool(const std::string& tenant, const std::string& pool, int64_t gpus, int64_t cpus) {
  Request request = GpuRequest(1000 * gpus, 1000 * cpus, 0);
  request.tenant = tenant;
  request.pool = pool;
  return request;
}

TenantSpec Guaranteed(const std::string& name, int64_t gpus) {
  TenantSpec spec = Tenant(name);
  spec.quota[kGpu].guaranteed = 1000 * gpus;
  return spec;
}

// After a drain that left every pool blocked by requests within guarantee,
// Submit answered behind_queue without draining for any request not first
// in order. But one that fair share ranks ahead of its pool's only blocker
// is considered before it, and a full drain grants it. (The shortcut also
// lived outside the snapshot: a restored engine drained and granted.)
TEST(EngineReplayTest, RequestRankedAheadOfItsPoolsOnlyBlockerIsGranted) {
  EngineOptions options;
  // Shares below guarantee: t1 and t2 -0.4, t3 -0.2 (t1 first on the tie).
  options.tenants = {Guaranteed("t1", 2), Guaranteed("t2", 2), Guaranteed("t3", 1)};
  std::unique_ptr<Engine> engine = Engine::Create(TwoPools(), options).value();
  Time now = Seconds(1000);
  // CPU-only leases leave 4 CPUs on each node (and shares unchanged).
  ASSERT_EQ(engine->Submit(InPool("t1", "a", 0, 12), now).kind, DecisionKind::kGranted);
  ASSERT_EQ(engine->Submit(InPool("t2", "b", 0, 12), now).kind, DecisionKind::kGranted);
  // Within guarantee but short of CPU: r1 blocks pool a, r2 pool b.
  Decision r1 = engine->Submit(InPool("t1", "a", 1, 8), now);
  ASSERT_EQ(r1.kind, DecisionKind::kQueued);
  Decision r2 = engine->Submit(InPool("t3", "b", 1, 8), now);
  ASSERT_EQ(r2.kind, DecisionKind::kQueued);
  EXPECT_TRUE(engine->TakeDecisions().empty());

  // t2 ranks before t3, so x is considered before r2: b has its 3 GPUs.
  Decision x = engine->Submit(InPool("t2", "b", 3, 0), now);
  EXPECT_EQ(x.kind, DecisionKind::kGranted)
      << DecisionKindName(x.kind) << " " << QueueReasonName(x.queue_reason);
}

}  // namespace
}  // namespace allot
