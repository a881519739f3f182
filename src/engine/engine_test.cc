// Engine behaviour: grants of every GPU kind, gangs, FIFO per pool, lease
// lifecycle (release, renew, cancel, TTL), node states, idempotency and time.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::AddNode;
using testing::AddPool;
using testing::GpuRequest;
using testing::MakeEngine;
using testing::MigRequest;

constexpr Time kStart = Seconds(1000);
constexpr int64_t kH100Memory = 81920;
constexpr int64_t kL4Memory = 24576;

testing::NodeSpec Spec(const std::string& name, int gpus, DeviceMode mode, Labels labels = {},
                       int64_t cpu_milli = 64000) {
  testing::NodeSpec spec;
  spec.name = name;
  spec.gpus = gpus;
  spec.mode = mode;
  spec.labels = std::move(labels);
  spec.cpu_milli = cpu_milli;
  return spec;
}

// Pools: "h100" (2 nodes x 8 whole), "l4" (1 node x 4 shared), "mig" (1 node x
// 2 A100-40GB MIG), "cpu" (1 node without GPUs). Nodes in that order.
Inventory MixedInventory() {
  Inventory inventory;
  PoolIndex h100 = AddPool(inventory, "h100", "H100-80GB", kH100Memory);
  PoolIndex l4 = AddPool(inventory, "l4", "L4", kL4Memory);
  PoolIndex mig = AddPool(inventory, "mig", "A100-40GB", 40960);
  PoolIndex cpu = AddPool(inventory, "cpu", "");
  AddNode(inventory, h100, Spec("h100-0", 8, DeviceMode::kWhole, {{"zone", "a"}}));
  AddNode(inventory, h100, Spec("h100-1", 8, DeviceMode::kWhole, {{"zone", "b"}}));
  AddNode(inventory, l4, Spec("l4-0", 4, DeviceMode::kShared));
  AddNode(inventory, mig, Spec("mig-0", 2, DeviceMode::kMig));
  AddNode(inventory, cpu, Spec("cpu-0", 0, DeviceMode::kWhole, {}, 32000));
  return inventory;
}

Request InPool(Request request, const std::string& pool) {
  request.pool = pool;
  return request;
}

class EngineTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> engine_ = MakeEngine(MixedInventory());

  Decision Submit(const Request& request, Time now = kStart) {
    return engine_->Submit(request, now);
  }
  // Grants `request` or fails the test; returns the lease.
  LeaseId Grant(const Request& request, Time now = kStart) {
    Decision decision = Submit(request, now);
    EXPECT_EQ(decision.kind, DecisionKind::kGranted) << decision.message;
    return decision.lease;
  }
};

TEST(EngineCreate, RejectsAnInvalidInventoryOrOptions) {
  Inventory duplicate = MixedInventory();
  duplicate.nodes[1].name = "h100-0";
  Result<std::unique_ptr<Engine>> engine = Engine::Create(duplicate, {});
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(engine.status().message().find("nodes[1].name"), std::string::npos);
  EngineOptions options;
  options.placement.frag_max_candidates = -1;
  engine = Engine::Create(MixedInventory(), options);
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.status().message().find("frag_max_candidates"), std::string::npos);
}

TEST_F(EngineTest, GrantsWholeGpusOnOneNode) {
  Decision decision = Submit(InPool(GpuRequest(4000, 8000, 4096), "h100"));
  ASSERT_EQ(decision.kind, DecisionKind::kGranted);
  EXPECT_EQ(decision.request.value, 1u);
  EXPECT_EQ(decision.lease.value, 1u);
  EXPECT_EQ(decision.at, kStart);
  ASSERT_EQ(decision.placement.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    const Assignment& a = decision.placement[static_cast<size_t>(i)];
    EXPECT_EQ(a.member, 0u);
    EXPECT_EQ(a.node, decision.placement[0].node);
    EXPECT_EQ(a.device, i);
    EXPECT_EQ(a.gpu_milli, 1000);
    EXPECT_EQ(a.gpu_memory_mib, kH100Memory);
    EXPECT_EQ(a.mig_profile, -1);
  }
  NodeIndex node = decision.placement[0].node;
  EXPECT_EQ(engine_->cluster().allocated(node)[kGpu], 4000);
  EXPECT_EQ(engine_->cluster().allocated(node)[kGpuMemory], 4 * kH100Memory);
  EXPECT_EQ(engine_->cluster().allocated(node)[kCpu], 8000);
  EXPECT_EQ(engine_->cluster().untouched_devices(node), 4);
  const Lease* lease = engine_->FindLease(decision.lease);
  ASSERT_NE(lease, nullptr);
  EXPECT_EQ(lease->placement, decision.placement);
  EXPECT_EQ(lease->granted_at, kStart);
  EXPECT_EQ(lease->expires_at, 0);
}

TEST_F(EngineTest, FractionReservesProportionalOrExplicitMemory) {
  Decision quarter = Submit(GpuRequest(250));
  ASSERT_EQ(quarter.kind, DecisionKind::kGranted);
  ASSERT_EQ(quarter.placement.size(), 1u);
  EXPECT_EQ(engine_->inventory().nodes[quarter.placement[0].node].name, "l4-0");
  EXPECT_EQ(quarter.placement[0].gpu_milli, 250);
  EXPECT_EQ(quarter.placement[0].gpu_memory_mib, kL4Memory / 4);  // 250/1000 of 24576

  Request explicit_memory = GpuRequest(300);
  explicit_memory.member.resources[kGpuMemory] = 1000;
  Decision second = Submit(explicit_memory);
  ASSERT_EQ(second.kind, DecisionKind::kGranted);
  EXPECT_EQ(second.placement[0].gpu_memory_mib, 1000);
  // Best fit stacks the second fraction on the partly used device.
  EXPECT_EQ(second.placement[0].device, quarter.placement[0].device);
  const DeviceUsage& usage = engine_->cluster().device(2, quarter.placement[0].device);
  EXPECT_EQ(usage.used_milli, 550);
  EXPECT_EQ(usage.used_memory_mib, kL4Memory / 4 + 1000);
  EXPECT_EQ(engine_->cluster().untouched_devices(2), 3);
}

TEST_F(EngineTest, GrantsMigInstancesFullestDeviceFirst) {
  const MigGpuTable& table = *FindMigTable("A100-40GB");
  int three_g = FindMigProfile(table, "3g.20gb");
  Decision first = Submit(MigRequest("3g.20gb"));
  ASSERT_EQ(first.kind, DecisionKind::kGranted);
  ASSERT_EQ(first.placement.size(), 1u);
  EXPECT_EQ(first.placement[0].node, 3u);
  EXPECT_EQ(first.placement[0].mig_profile, three_g);
  EXPECT_EQ(first.placement[0].mig_start, 0);
  EXPECT_EQ(first.placement[0].gpu_milli, 428);             // floor(1000 * 3 / 7)
  EXPECT_EQ(first.placement[0].gpu_memory_mib, 40960 / 2);  // 4 of 8 memory slices
  Decision second = Submit(MigRequest("3g.20gb"));
  ASSERT_EQ(second.kind, DecisionKind::kGranted);
  EXPECT_EQ(second.placement[0].device, first.placement[0].device);
  EXPECT_EQ(second.placement[0].mig_start, 4);
  Decision third = Submit(MigRequest("3g.20gb"));
  ASSERT_EQ(third.kind, DecisionKind::kGranted);
  EXPECT_NE(third.placement[0].device, first.placement[0].device);
  EXPECT_EQ(engine_->cluster().device(3, first.placement[0].device).mig.compute_used, 6);
  EXPECT_EQ(engine_->cluster().allocated(3)[kGpu], 3 * 428);
}

TEST_F(EngineTest, CpuOnlyMemberUsesNoDevice) {
  Request request = InPool(GpuRequest(0, 16000, 8192), "cpu");
  Decision decision = Submit(request);
  ASSERT_EQ(decision.kind, DecisionKind::kGranted);
  ASSERT_EQ(decision.placement.size(), 1u);
  EXPECT_EQ(decision.placement[0].device, -1);
  EXPECT_EQ(decision.placement[0].gpu_milli, 0);
  EXPECT_EQ(engine_->cluster().allocated(4)[kCpu], 16000);
  EXPECT_EQ(engine_->cluster().allocated(4)[kMemory], 8192);
  EXPECT_EQ(engine_->cluster().allocated(4)[kGpu], 0);
  Decision again = Submit(request);
  ASSERT_EQ(again.kind, DecisionKind::kGranted);
  // 32 cores: a third member of 16 waits.
  EXPECT_EQ(Submit(request).kind, DecisionKind::kQueued);
}

TEST_F(EngineTest, GangSpansNodesWithMembersInOrder) {
  Decision decision = Submit(GpuRequest(8000, 1000, 1024, /*members=*/2));
  ASSERT_EQ(decision.kind, DecisionKind::kGranted);
  ASSERT_EQ(decision.placement.size(), 16u);
  for (size_t i = 0; i < 16; ++i) EXPECT_EQ(decision.placement[i].member, i / 8);
  EXPECT_NE(decision.placement[0].node, decision.placement[8].node);
  EXPECT_EQ(engine_->cluster().allocated(0)[kGpu], 8000);
  EXPECT_EQ(engine_->cluster().allocated(1)[kGpu], 8000);
  EXPECT_EQ(engine_->FindLease(decision.lease)->members, 2);
}

TEST_F(EngineTest, GangThatDoesNotFitIsQueuedAndPlacesNothing) {
  LeaseId half = Grant(InPool(GpuRequest(4000), "h100"));
  EngineSnapshot before = engine_->Snapshot();
  std::vector<ResourceVector> allocated;
  for (NodeIndex n = 0; n < 5; ++n) allocated.push_back(engine_->cluster().allocated(n));
  // Two members of 8: the first fits on the empty node, the second does not.
  Decision gang = Submit(GpuRequest(8000, 1000, 1024, 2));
  ASSERT_EQ(gang.kind, DecisionKind::kQueued);
  EXPECT_EQ(gang.queue_reason, QueueReason::kNoCapacity);
  EXPECT_EQ(gang.position, 0);
  EngineSnapshot after = engine_->Snapshot();
  EXPECT_EQ(after.leases, before.leases);
  ASSERT_EQ(after.queue.size(), 1u);
  EXPECT_EQ(after.queue[0].id, gang.request);
  for (NodeIndex n = 0; n < 5; ++n) EXPECT_EQ(engine_->cluster().allocated(n), allocated[n]);
  // Withdrawn, the engine is as before apart from the consumed request id (and
  // the workload model, which counts arrivals).
  ASSERT_TRUE(engine_->Cancel(gang.request, kStart).ok());
  after = engine_->Snapshot();
  EXPECT_EQ(after.next_request_id, before.next_request_id + 1);
  EXPECT_EQ(after.now, before.now);
  EXPECT_EQ(after.leases, before.leases);
  EXPECT_EQ(after.queue, before.queue);
  EXPECT_EQ(after.node_states, before.node_states);
  // Once capacity frees up, a gang is granted whole from the queue.
  Decision again = Submit(GpuRequest(8000, 1000, 1024, 2));
  ASSERT_EQ(again.kind, DecisionKind::kQueued);
  ASSERT_TRUE(engine_->Release(half, kStart + 1).ok());
  std::vector<Decision> follows = engine_->TakeDecisions();
  ASSERT_EQ(follows.size(), 1u);
  EXPECT_EQ(follows[0].kind, DecisionKind::kGranted);
  EXPECT_EQ(follows[0].request, again.request);
  EXPECT_EQ(follows[0].placement.size(), 16u);
  EXPECT_EQ(follows[0].at, kStart + 1);
}

TEST_F(EngineTest, FifoPerPoolLetsDisjointPoolsPass) {
  LeaseId big = Grant(InPool(GpuRequest(8000), "h100"));
  Grant(InPool(GpuRequest(4000), "h100"));
  // Needs a whole node: waits for capacity.
  Decision first = Submit(InPool(GpuRequest(8000), "h100"));
  ASSERT_EQ(first.kind, DecisionKind::kQueued);
  EXPECT_EQ(first.queue_reason, QueueReason::kNoCapacity);
  // Another pool is not held up by it.
  EXPECT_EQ(Submit(InPool(GpuRequest(500), "l4")).kind, DecisionKind::kGranted);
  // One GPU would fit in h100, but the earlier request waits first.
  Decision small = Submit(InPool(GpuRequest(1000), "h100"));
  ASSERT_EQ(small.kind, DecisionKind::kQueued);
  EXPECT_EQ(small.queue_reason, QueueReason::kBehindQueue);
  EXPECT_EQ(small.position, 1);
  // A request that may use any pool shares h100 with the waiters: it queues too.
  EXPECT_EQ(Submit(GpuRequest(1000)).queue_reason, QueueReason::kBehindQueue);
  EXPECT_EQ(engine_->queue_length(), 3u);
  EXPECT_TRUE(engine_->TakeDecisions().empty());
  // Release: the queue is served in submission order.
  ASSERT_TRUE(engine_->Release(big, kStart + 5).ok());
  std::vector<Decision> follows = engine_->TakeDecisions();
  ASSERT_EQ(follows.size(), 3u);
  EXPECT_EQ(follows[0].request, first.request);
  EXPECT_EQ(follows[1].request, small.request);
  EXPECT_EQ(follows[2].request.value, small.request.value + 1);
  for (const Decision& d : follows) EXPECT_EQ(d.kind, DecisionKind::kGranted);
  EXPECT_EQ(engine_->queue_length(), 0u);
}

TEST_F(EngineTest, HeadOfQueueBlocksSmallerRequestsInItsPool) {
  LeaseId a = Grant(InPool(GpuRequest(8000), "h100"));
  LeaseId b = Grant(InPool(GpuRequest(8000), "h100"));
  Decision head = Submit(InPool(GpuRequest(8000, 1000, 1024, 2), "h100"));
  Decision behind = Submit(InPool(GpuRequest(1000), "h100"));
  ASSERT_EQ(behind.kind, DecisionKind::kQueued);
  ASSERT_TRUE(engine_->Release(a, kStart).ok());
  EXPECT_TRUE(engine_->TakeDecisions().empty());  // head still does not fit; nothing overtakes
  EXPECT_EQ(engine_->queue_length(), 2u);
  ASSERT_TRUE(engine_->Cancel(head.request, kStart).ok());
  std::vector<Decision> follows = engine_->TakeDecisions();
  ASSERT_EQ(follows.size(), 1u);
  EXPECT_EQ(follows[0].request, behind.request);
  EXPECT_TRUE(engine_->Release(b, kStart).ok());
}

TEST_F(EngineTest, UnknownIdsAreNotFound) {
  EXPECT_EQ(engine_->Release(LeaseId{42}, kStart).code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->Renew(LeaseId{42}, kStart).code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->Cancel(RequestId{42}, kStart).code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->SetNodeState("nope", NodeState::kDown, kStart).code(), StatusCode::kNotFound);
  LeaseId lease = Grant(GpuRequest(1000));
  ASSERT_TRUE(engine_->Release(lease, kStart).ok());
  EXPECT_EQ(engine_->Release(lease, kStart).code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->Renew(lease, kStart).code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->Cancel(RequestId{lease.value}, kStart).code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->lease_count(), 0u);
}

TEST_F(EngineTest, CancelEndsQueuedAndGrantedRequestsSilently) {
  LeaseId full = Grant(InPool(GpuRequest(0, 32000, 1024), "cpu"));
  Decision queued = Submit(InPool(GpuRequest(0, 32000, 1024), "cpu"));
  ASSERT_EQ(queued.kind, DecisionKind::kQueued);
  ASSERT_TRUE(engine_->Cancel(queued.request, kStart).ok());
  EXPECT_EQ(engine_->queue_length(), 0u);
  EXPECT_EQ(engine_->Cancel(queued.request, kStart).code(), StatusCode::kNotFound);
  ASSERT_TRUE(engine_->Cancel(RequestId{full.value}, kStart).ok());
  EXPECT_EQ(engine_->FindLease(full), nullptr);
  EXPECT_TRUE(engine_->TakeDecisions().empty());  // neither was granted nor announced
  EXPECT_EQ(engine_->cluster().allocated(4)[kCpu], 0);
}

TEST_F(EngineTest, TtlExpiresOnTickAndRenewPostponesIt) {
  Request request = GpuRequest(1000);
  request.ttl = Seconds(60);
  LeaseId lease = Grant(request);
  EXPECT_EQ(engine_->FindLease(lease)->expires_at, kStart + Seconds(60));
  engine_->Tick(kStart + Seconds(59));
  EXPECT_NE(engine_->FindLease(lease), nullptr);
  ASSERT_TRUE(engine_->Renew(lease, kStart + Seconds(50)).ok());  // earlier now: applied at 59 s
  EXPECT_EQ(engine_->FindLease(lease)->expires_at, kStart + Seconds(119));
  engine_->Tick(kStart + Seconds(118));
  EXPECT_TRUE(engine_->TakeDecisions().empty());
  engine_->Tick(kStart + Seconds(119));
  std::vector<Decision> ended = engine_->TakeDecisions();
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].kind, DecisionKind::kLeaseEnded);
  EXPECT_EQ(ended[0].end_reason, EndReason::kExpired);
  EXPECT_EQ(ended[0].lease, lease);
  EXPECT_EQ(ended[0].at, kStart + Seconds(119));
  EXPECT_EQ(engine_->FindLease(lease), nullptr);
  EXPECT_EQ(engine_->Renew(lease, kStart + Seconds(120)).code(), StatusCode::kNotFound);
}

TEST_F(EngineTest, ExpiryGrantsWaitingRequests) {
  Request holder = InPool(GpuRequest(0, 32000, 1024), "cpu");
  holder.ttl = Seconds(10);
  LeaseId lease = Grant(holder);
  Decision waiting = Submit(InPool(GpuRequest(0, 20000, 1024), "cpu"));
  ASSERT_EQ(waiting.kind, DecisionKind::kQueued);
  engine_->Tick(kStart + Seconds(10));
  std::vector<Decision> follows = engine_->TakeDecisions();
  ASSERT_EQ(follows.size(), 2u);
  EXPECT_EQ(follows[0].kind, DecisionKind::kLeaseEnded);
  EXPECT_EQ(follows[0].lease, lease);
  EXPECT_EQ(follows[1].kind, DecisionKind::kGranted);
  EXPECT_EQ(follows[1].request, waiting.request);
}

TEST_F(EngineTest, DrainingNodeKeepsLeasesButTakesNoNewWork) {
  Request zone_a = GpuRequest(1000);
  zone_a.node_selector = {{"zone", "a"}};
  LeaseId lease = Grant(zone_a);
  ASSERT_TRUE(engine_->SetNodeState("h100-0", NodeState::kDraining, kStart).ok());
  EXPECT_NE(engine_->FindLease(lease), nullptr);
  EXPECT_EQ(engine_->cluster().allocated(0)[kGpu], 1000);
  EXPECT_TRUE(engine_->TakeDecisions().empty());
  Decision elsewhere = Submit(InPool(GpuRequest(1000), "h100"));
  ASSERT_EQ(elsewhere.kind, DecisionKind::kGranted);
  EXPECT_EQ(elsewhere.placement[0].node, 1u);
  Decision waits = Submit(zone_a);  // only h100-0 carries zone=a
  ASSERT_EQ(waits.kind, DecisionKind::kQueued);
  ASSERT_TRUE(engine_->SetNodeState("h100-0", NodeState::kUp, kStart + 1).ok());
  std::vector<Decision> follows = engine_->TakeDecisions();
  ASSERT_EQ(follows.size(), 1u);
  EXPECT_EQ(follows[0].request, waits.request);
  EXPECT_EQ(follows[0].placement[0].node, 0u);
}

TEST_F(EngineTest, NodeDownEndsItsLeasesAndWholeGangs) {
  Decision gang = Submit(InPool(GpuRequest(6000, 1000, 1024, 2), "h100"));
  ASSERT_EQ(gang.kind, DecisionKind::kGranted);
  NodeIndex first = gang.placement[0].node;
  NodeIndex second = gang.placement[6].node;
  ASSERT_NE(first, second);
  Request on_first = InPool(GpuRequest(1000), "h100");
  on_first.node_selector = engine_->inventory().nodes[first].labels;
  LeaseId single = Grant(on_first);
  Decision waiting = Submit(InPool(GpuRequest(4000), "h100"));
  ASSERT_EQ(waiting.kind, DecisionKind::kQueued);
  const std::string& name = engine_->inventory().nodes[first].name;
  ASSERT_TRUE(engine_->SetNodeState(name, NodeState::kDown, kStart + 7).ok());
  std::vector<Decision> follows = engine_->TakeDecisions();
  ASSERT_EQ(follows.size(), 3u);
  EXPECT_EQ(follows[0].kind, DecisionKind::kLeaseEnded);
  EXPECT_EQ(follows[0].lease, gang.lease);
  EXPECT_EQ(follows[0].end_reason, EndReason::kNodeDown);
  EXPECT_EQ(follows[1].lease, single);
  EXPECT_EQ(follows[1].end_reason, EndReason::kNodeDown);
  EXPECT_EQ(follows[1].at, kStart + 7);
  // The gang's other member freed its node too; the waiter lands there.
  EXPECT_EQ(follows[2].kind, DecisionKind::kGranted);
  EXPECT_EQ(follows[2].request, waiting.request);
  EXPECT_EQ(follows[2].placement[0].node, second);
  EXPECT_EQ(engine_->cluster().allocated(first)[kGpu], 0);
  EXPECT_EQ(engine_->cluster().allocated(second)[kGpu], 4000);
  EXPECT_EQ(engine_->lease_count(), 1u);
  // Down nodes take no work; back up, they serve the queue.
  Decision big = Submit(InPool(GpuRequest(8000), "h100"));
  ASSERT_EQ(big.kind, DecisionKind::kQueued);
  ASSERT_TRUE(engine_->SetNodeState(name, NodeState::kUp, kStart + 8).ok());
  follows = engine_->TakeDecisions();
  ASSERT_EQ(follows.size(), 1u);
  EXPECT_EQ(follows[0].request, big.request);
  EXPECT_EQ(follows[0].placement[0].node, first);
}

TEST_F(EngineTest, IdempotencyKeyReplaysTheDecision) {
  Request request = GpuRequest(500);
  request.idempotency_key = "job-1";
  Decision original = Submit(request);
  ASSERT_EQ(original.kind, DecisionKind::kGranted);
  EXPECT_FALSE(original.replayed);
  Decision replay = Submit(request, kStart + 1);
  EXPECT_EQ(replay.kind, DecisionKind::kGranted);
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.request, original.request);
  EXPECT_EQ(replay.lease, original.lease);
  EXPECT_EQ(replay.placement, original.placement);
  EXPECT_EQ(engine_->lease_count(), 1u);
  EXPECT_EQ(engine_->Snapshot().next_request_id, original.request.value + 1);
  // After release the key is free: a new request.
  ASSERT_TRUE(engine_->Release(original.lease, kStart + 2).ok());
  Decision fresh = Submit(request, kStart + 3);
  ASSERT_EQ(fresh.kind, DecisionKind::kGranted);
  EXPECT_FALSE(fresh.replayed);
  EXPECT_NE(fresh.request, original.request);
}

// Regression (fixed in ec91fe4, Engine::Replay): the replay of a queued request derived its
// reason from the position (0 -> no_capacity, else behind_queue) instead of
// answering what the original decision said.
TEST_F(EngineTest, IdempotencyReplayOfQueuedRequestKeepsItsReason) {
  Grant(InPool(GpuRequest(0, 32000, 1024), "cpu"));
  ASSERT_EQ(Submit(InPool(GpuRequest(0, 32000, 1024), "cpu")).kind, DecisionKind::kQueued);
  Grant(InPool(GpuRequest(1000), "h100"));
  Request request = InPool(GpuRequest(8000, 1000, 1024, 2), "h100");
  request.idempotency_key = "gang";
  Decision original = Submit(request);
  ASSERT_EQ(original.kind, DecisionKind::kQueued) << original.message;
  EXPECT_EQ(original.queue_reason, QueueReason::kNoCapacity);  // the cpu waiter is elsewhere
  EXPECT_EQ(original.position, 1);
  Decision replay = Submit(request);
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.kind, DecisionKind::kQueued);
  EXPECT_EQ(replay.request, original.request);
  EXPECT_EQ(replay.position, 1);
  EXPECT_EQ(replay.queue_reason, original.queue_reason);
}

TEST_F(EngineTest, TimeNeverGoesBackwards) {
  Request request = GpuRequest(1000);
  request.ttl = Seconds(30);
  Decision late = Submit(request, kStart + Seconds(100));
  EXPECT_EQ(late.at, kStart + Seconds(100));
  Decision early = Submit(request, kStart);
  ASSERT_EQ(early.kind, DecisionKind::kGranted);
  EXPECT_EQ(early.at, kStart + Seconds(100));
  EXPECT_EQ(engine_->FindLease(early.lease)->granted_at, kStart + Seconds(100));
  EXPECT_EQ(engine_->FindLease(early.lease)->expires_at, kStart + Seconds(130));
  engine_->Tick(kStart);
  EXPECT_EQ(engine_->now(), kStart + Seconds(100));
  EXPECT_EQ(engine_->lease_count(), 2u);
  EXPECT_EQ(engine_->Snapshot().now, kStart + Seconds(100));
}

}  // namespace
}  // namespace allot
