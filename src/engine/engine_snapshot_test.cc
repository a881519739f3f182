// Snapshot and restore: an exact round trip, and corrupted snapshots that must
// fail with DataLoss (never a crash, never a silently wrong engine).
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <string>

#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::AddNode;
using testing::AddPool;
using testing::GpuRequest;
using testing::MigRequest;

constexpr Time kNow = Seconds(7000);

testing::NodeSpec Spec(const std::string& name, int gpus, DeviceMode mode) {
  testing::NodeSpec spec;
  spec.name = name;
  spec.gpus = gpus;
  spec.mode = mode;
  return spec;
}

// Nodes: 0 "h100-0" (4 whole), 1 "l4-0" (2 shared L4), 2 "mig-0" (2 MIG
// A100-40GB), 3 "cpu-0".
Inventory SnapshotInventory() {
  Inventory inventory;
  AddNode(inventory, AddPool(inventory, "h100", "H100-80GB", 81920),
          Spec("h100-0", 4, DeviceMode::kWhole));
  AddNode(inventory, AddPool(inventory, "l4", "L4", 24576), Spec("l4-0", 2, DeviceMode::kShared));
  AddNode(inventory, AddPool(inventory, "mig", "A100-40GB", 40960),
          Spec("mig-0", 2, DeviceMode::kMig));
  AddNode(inventory, AddPool(inventory, "cpu", ""), Spec("cpu-0", 0, DeviceMode::kWhole));
  return inventory;
}

class EngineSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = Engine::Create(SnapshotInventory(), options_).value();
    Request whole = GpuRequest(2000);
    whole.pool = "h100";
    whole.ttl = Seconds(60);
    whole.idempotency_key = "whole";
    Grant(whole);                  // lease 1: h100-0 devices 0, 1
    Grant(GpuRequest(600));        // lease 2: l4-0, 600 milli
    Grant(MigRequest("3g.20gb"));  // lease 3: mig-0, 3g at slice 0
    Request cpu = GpuRequest(0, 60000, 1024);
    cpu.pool = "cpu";
    Grant(cpu);                                                         // lease 4
    ASSERT_EQ(engine_->Submit(cpu, kNow).kind, DecisionKind::kQueued);  // request 5
    ASSERT_TRUE(engine_->SetNodeState("mig-0", NodeState::kDraining, kNow).ok());
    snapshot_ = engine_->Snapshot();
    ASSERT_EQ(snapshot_.leases.size(), 4u);
    ASSERT_EQ(snapshot_.queue.size(), 1u);
  }
  void Grant(const Request& request) {
    ASSERT_EQ(engine_->Submit(request, kNow).kind, DecisionKind::kGranted);
  }
  Lease& LeaseAt(size_t index) { return snapshot_.leases[index]; }
  // Restore must refuse the (corrupted) snapshot with DataLoss.
  void ExpectDataLoss(const std::string& field) {
    Result<std::unique_ptr<Engine>> restored =
        Engine::Restore(SnapshotInventory(), options_, snapshot_);
    ASSERT_FALSE(restored.ok()) << "a corrupted snapshot was accepted";
    EXPECT_EQ(restored.status().code(), StatusCode::kDataLoss) << restored.status().ToString();
    EXPECT_NE(restored.status().message().find(field), std::string::npos)
        << restored.status().message();
  }

  EngineOptions options_;
  std::unique_ptr<Engine> engine_;
  EngineSnapshot snapshot_;
};

TEST_F(EngineSnapshotTest, RoundTripIsExactAndContinuesIdentically) {
  Result<std::unique_ptr<Engine>> restored =
      Engine::Restore(SnapshotInventory(), options_, snapshot_);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  Engine& copy = **restored;
  EXPECT_TRUE(copy.Snapshot() == snapshot_);
  EXPECT_EQ(copy.now(), kNow);
  EXPECT_EQ(copy.queue_length(), 1u);
  EXPECT_EQ(copy.cluster().state(2), NodeState::kDraining);
  for (NodeIndex n = 0; n < 4; ++n) {
    EXPECT_EQ(copy.cluster().allocated(n), engine_->cluster().allocated(n)) << n;
  }
  ASSERT_NE(copy.FindLease(LeaseId{1}), nullptr);
  EXPECT_TRUE(*copy.FindLease(LeaseId{1}) == *engine_->FindLease(LeaseId{1}));
  // The idempotency key and the TTL survive; the queue is served the same way.
  // (A retry repeats the request: a different one under the key is a conflict.)
  Request whole = GpuRequest(2000);
  whole.pool = "h100";
  whole.ttl = Seconds(60);
  whole.idempotency_key = "whole";
  for (Engine* engine : {engine_.get(), &copy}) {
    Decision replay = engine->Submit(whole, kNow);
    EXPECT_TRUE(replay.replayed);
    EXPECT_EQ(replay.lease.value, 1u);
    engine->Tick(kNow + Seconds(60));
    ASSERT_TRUE(engine->Release(LeaseId{4}, kNow + Seconds(61)).ok());
  }
  std::vector<Decision> original = engine_->TakeDecisions();
  std::vector<Decision> replayed = copy.TakeDecisions();
  ASSERT_EQ(original.size(), 2u);  // lease 1 expired, request 5 granted
  ASSERT_EQ(replayed.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(replayed[i].kind, original[i].kind);
    EXPECT_EQ(replayed[i].request, original[i].request);
    EXPECT_EQ(replayed[i].placement, original[i].placement);
    EXPECT_EQ(replayed[i].at, original[i].at);
  }
  EXPECT_EQ(original[0].end_reason, EndReason::kExpired);
  EXPECT_EQ(original[1].request.value, 5u);
  EXPECT_TRUE(copy.Snapshot() == engine_->Snapshot());
}

TEST_F(EngineSnapshotTest, UnknownNodeNameIsDataLoss) {
  snapshot_.node_states.push_back({"ghost-7", NodeState::kDown});
  ExpectDataLoss("ghost-7");
}

TEST_F(EngineSnapshotTest, DeviceIndexOutOfRangeIsDataLoss) {
  LeaseAt(0).placement[1].device = 4;  // h100-0 has devices 0..3
  ExpectDataLoss("snapshot.leases[id 1]");
}

TEST_F(EngineSnapshotTest, DeviceOnCpuNodeIsDataLoss) {
  Lease& cpu = LeaseAt(3);
  cpu.placement[0].device = 0;
  cpu.placement[0].gpu_milli = 1000;
  ExpectDataLoss("snapshot.leases[id 4]");
}

TEST_F(EngineSnapshotTest, NodeIndexOutOfRangeIsDataLoss) {
  for (Assignment& a : LeaseAt(0).placement) a.node = 99;
  ExpectDataLoss("snapshot.leases[id 1]");
}

TEST_F(EngineSnapshotTest, OversubscribedSharedDeviceIsDataLoss) {
  Lease copy = LeaseAt(1);  // 600 milli on l4-0's device; two of them exceed 1000
  copy.id = LeaseId{6};
  copy.idempotency_key.clear();
  snapshot_.leases.push_back(copy);
  snapshot_.next_request_id = 7;
  ExpectDataLoss("snapshot.leases[id 6]");
}

TEST_F(EngineSnapshotTest, WholeDeviceLeasedTwiceIsDataLoss) {
  Lease copy = LeaseAt(0);
  copy.id = LeaseId{6};
  copy.idempotency_key.clear();
  copy.expires_at = 0;
  snapshot_.leases.push_back(copy);
  snapshot_.next_request_id = 7;
  ExpectDataLoss("snapshot.leases[id 6]");
}

TEST_F(EngineSnapshotTest, FractionOnWholeModeDeviceIsDataLoss) {
  LeaseAt(0).placement[0].gpu_milli = 500;
  ExpectDataLoss("snapshot.leases[id 1]");
}

TEST_F(EngineSnapshotTest, HostOversubscriptionIsDataLoss) {
  LeaseAt(3).member_host[kCpu] = 65000;  // cpu-0 has 64 cores
  ExpectDataLoss("snapshot.leases[id 4]");
}

TEST_F(EngineSnapshotTest, NegativeHostAmountIsDataLoss) {
  LeaseAt(3).member_host[kMemory] = -1;
  ExpectDataLoss("snapshot.leases[id 4]");
}

TEST_F(EngineSnapshotTest, OverlappingMigInstancesAreDataLoss) {
  Lease copy = LeaseAt(2);  // a second 3g.20gb at slice 0 of the same GPU
  copy.id = LeaseId{6};
  snapshot_.leases.push_back(copy);
  snapshot_.next_request_id = 7;
  ExpectDataLoss("snapshot.leases[id 6]");
}

TEST_F(EngineSnapshotTest, MigProfileOutOfRangeIsDataLoss) {
  LeaseAt(2).placement[0].mig_profile = 42;
  ExpectDataLoss("snapshot.leases[id 3]");
}

TEST_F(EngineSnapshotTest, MigStartNotAllowedIsDataLoss) {
  LeaseAt(2).placement[0].mig_start = 2;  // 3g instances start at slice 0 or 4
  ExpectDataLoss("snapshot.leases[id 3]");
}

TEST_F(EngineSnapshotTest, NonMigAssignmentOnMigDeviceIsDataLoss) {
  LeaseAt(2).placement[0].mig_profile = -1;
  ExpectDataLoss("snapshot.leases[id 3]");
}

TEST_F(EngineSnapshotTest, DuplicateLeaseIdIsDataLoss) {
  Lease copy = LeaseAt(3);
  copy.member_host[kCpu] = 1000;
  snapshot_.leases.push_back(copy);
  ExpectDataLoss("snapshot.leases[id 4]");
}

TEST_F(EngineSnapshotTest, LeaseIdAtNextRequestIdIsDataLoss) {
  snapshot_.next_request_id = 4;  // lease 4 exists
  snapshot_.queue.clear();
  ExpectDataLoss("snapshot.leases[id 4]");
}

TEST_F(EngineSnapshotTest, LeaseIdZeroIsDataLoss) {
  LeaseAt(0).id = LeaseId{0};
  ExpectDataLoss("snapshot.leases[id 0]");
}

TEST_F(EngineSnapshotTest, PlacementNotCoveringItsMembersIsDataLoss) {
  LeaseAt(3).members = 2;
  ExpectDataLoss("snapshot.leases[id 4]");
}

TEST_F(EngineSnapshotTest, QueueIdAtNextRequestIdIsDataLoss) {
  snapshot_.next_request_id = 5;
  ExpectDataLoss("snapshot.queue[id 5]");
}

TEST_F(EngineSnapshotTest, QueueIdOfALeaseIsDataLoss) {
  snapshot_.queue[0].id = RequestId{3};
  ExpectDataLoss("snapshot.queue[id 3]");
}

TEST_F(EngineSnapshotTest, InvalidQueuedRequestIsDataLoss) {
  snapshot_.queue[0].request.member.resources[kCpu] = -5;
  ExpectDataLoss("member.cpu");
}

// BUG (open; policy/cluster_state.cc, ClusterState::CanTake): a non-MIG assignment
// of 0 milli-GPU on a device is accepted; Take then counts the device as no
// longer untouched although nothing uses it, so untouched_devices drifts
// (and whole-GPU requests for the node cannot be placed).
TEST_F(EngineSnapshotTest, ZeroMilliDeviceAssignmentIsDataLoss) {
  Lease& cpu = LeaseAt(1);  // the fraction on l4-0
  cpu.placement[0].device = 1;
  cpu.placement[0].gpu_milli = 0;
  cpu.placement[0].gpu_memory_mib = 0;
  ExpectDataLoss("snapshot.leases[id 2]");
}

// BUG (open; policy/cluster_state.cc, ClusterState::CanTake): any negative device
// index is taken for "no device" (-1), so a corrupted index vanishes silently.
TEST_F(EngineSnapshotTest, NegativeDeviceIndexIsDataLoss) {
  LeaseAt(1).placement[0].device = -7;
  ExpectDataLoss("snapshot.leases[id 2]");
}

// BUG (open; engine_snapshot.cc, Engine::Restore): queued requests are only
// validated (Resolve), not checked for feasibility as Submit does; a queued
// member of 2^31 whole GPUs is restored, and the next DrainQueue hands it to
// the policies, where MemberDemand::whole_devices() wraps to a negative int
// and ClusterState::Take CHECK-fails. Either DataLoss or surviving the drain
// is acceptable; a crash is not. Runs in a child process.
TEST(EngineSnapshotDeathTest, QueuedAbsurdRequestDoesNotCrash) {
  auto restore = [] {
    std::unique_ptr<Engine> engine = Engine::Create(SnapshotInventory(), {}).value();
    Request four = GpuRequest(4000);
    four.pool = "h100";
    Decision lease = engine->Submit(four, kNow);
    ASSERT_EQ(engine->Submit(four, kNow).kind, DecisionKind::kQueued);
    EngineSnapshot snapshot = engine->Snapshot();
    snapshot.queue[0].request.member.resources[kGpu] = (int64_t{1} << 31) * 1000;
    Result<std::unique_ptr<Engine>> restored = Engine::Restore(SnapshotInventory(), {}, snapshot);
    if (!restored.ok()) std::_Exit(restored.status().code() == StatusCode::kDataLoss ? 0 : 1);
    ASSERT_TRUE((*restored)->Release(lease.lease, kNow + 1).ok());  // drains the queue
    std::_Exit((*restored)->lease_count() == 0 ? 0 : 1);
  };
  EXPECT_EXIT(restore(), ::testing::ExitedWithCode(0), "");
}

// Regression (fixed in ec91fe4, Engine::Restore): a queued entry with id 0 ("no
// request") was accepted.
TEST_F(EngineSnapshotTest, QueueIdZeroIsDataLoss) {
  snapshot_.queue[0].id = RequestId{0};
  ExpectDataLoss("snapshot.queue[id 0]");
}

// Regression (fixed in ec91fe4, Engine::Restore): only the last assignment's member
// index was checked, so a placement that skipped member 0 was accepted.
TEST_F(EngineSnapshotTest, PlacementSkippingAMemberIsDataLoss) {
  Lease& cpu = LeaseAt(3);
  cpu.members = 2;
  cpu.placement[0].member = 1;  // member 0 has no assignment
  cpu.member_host[kCpu] = 1000;
  ExpectDataLoss("snapshot.leases[id 4]");
}

// Regression (fixed in ec91fe4, Engine::Restore): node states outside the enum were
// accepted.
TEST_F(EngineSnapshotTest, UnknownNodeStateValueIsDataLoss) {
  snapshot_.node_states.push_back({"h100-0", static_cast<NodeState>(9)});
  ExpectDataLoss("h100-0");
}

// Regression (fixed in ec91fe4, ClusterState::CanTake): device memory was added
// without an overflow check; a huge gpu_memory_mib on a device already in use
// wrapped negative and passed (signed overflow: undefined behaviour, which
// aborts a sanitizer build). Run in a child process so neither outcome stops
// the other tests.
TEST(EngineSnapshotDeathTest, DeviceMemoryOverflowIsDataLoss) {
  auto restore = [] {
    std::unique_ptr<Engine> engine = Engine::Create(SnapshotInventory(), {}).value();
    ASSERT_EQ(engine->Submit(GpuRequest(600), kNow).kind, DecisionKind::kGranted);
    EngineSnapshot snapshot = engine->Snapshot();
    Lease huge = snapshot.leases[0];
    huge.id = LeaseId{2};
    huge.placement[0].gpu_milli = 100;
    huge.placement[0].gpu_memory_mib = INT64_MAX - 10;
    snapshot.leases.push_back(huge);
    snapshot.next_request_id = 3;
    Result<std::unique_ptr<Engine>> restored = Engine::Restore(SnapshotInventory(), {}, snapshot);
    bool data_loss = !restored.ok() && restored.status().code() == StatusCode::kDataLoss;
    std::_Exit(data_loss ? 0 : 1);
  };
  EXPECT_EXIT(restore(), ::testing::ExitedWithCode(0), "");
}

// Regression (fixed in ec91fe4, Engine::Snapshot/Restore): the snapshot listed only
// nodes that were not up, and Restore started from the inventory's states, so
// a node configured down and later set up came back down.
TEST(EngineSnapshotStates, NodeConfiguredDownThenUpRestoresUp) {
  Inventory inventory = SnapshotInventory();
  inventory.nodes[0].state = NodeState::kDown;
  std::unique_ptr<Engine> engine = Engine::Create(inventory, {}).value();
  EXPECT_EQ(engine->cluster().state(0), NodeState::kDown);
  ASSERT_TRUE(engine->SetNodeState("h100-0", NodeState::kUp, kNow).ok());
  EngineSnapshot snapshot = engine->Snapshot();
  Result<std::unique_ptr<Engine>> restored = Engine::Restore(inventory, {}, snapshot);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ((*restored)->cluster().state(0), NodeState::kUp);
  EXPECT_TRUE((*restored)->Snapshot() == snapshot);
}

}  // namespace
}  // namespace allot
