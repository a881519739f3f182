// Bad and impossible requests: every one is Rejected with the right code and a
// message naming the field, gets no request id, and leaves the engine's
// snapshot exactly as it was.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::AddNode;
using testing::AddPool;
using testing::GpuRequest;
using testing::MakeEngine;
using testing::MigRequest;

constexpr Time kNow = Seconds(5000);
constexpr int kRdma = kBuiltinResources;  // the one custom resource

// Pools "h100" (2 x 8 whole, zone=a), "l4" (1 x 4 shared L4, zone=b), "mig"
// (1 x 2 A100-40GB MIG), "cpu" (1 node). Every node has 2 "rdma", 64 cores
// and 256 GiB.
Inventory ValidationInventory() {
  Inventory inventory;
  inventory.resources = ResourceCatalog::Create({"rdma"}).value();
  PoolIndex h100 = AddPool(inventory, "h100", "H100-80GB", 81920);
  PoolIndex l4 = AddPool(inventory, "l4", "L4", 24576);
  PoolIndex mig = AddPool(inventory, "mig", "A100-40GB", 40960);
  PoolIndex cpu = AddPool(inventory, "cpu", "");
  auto add = [&](PoolIndex pool, const std::string& name, int gpus, DeviceMode mode,
                 Labels labels) {
    testing::NodeSpec spec;
    spec.name = name;
    spec.gpus = gpus;
    spec.mode = mode;
    spec.labels = std::move(labels);
    AddNode(inventory, pool, spec);
    inventory.nodes.back().capacity[kRdma] = 2;
  };
  add(h100, "h100-0", 8, DeviceMode::kWhole, {{"zone", "a"}});
  add(h100, "h100-1", 8, DeviceMode::kWhole, {{"zone", "a"}});
  add(l4, "l4-0", 4, DeviceMode::kShared, {{"zone", "b"}});
  add(mig, "mig-0", 2, DeviceMode::kMig, {});
  add(cpu, "cpu-0", 0, DeviceMode::kWhole, {});
  return inventory;
}

// Names the snapshot fields that differ.
std::string SnapshotDiff(const EngineSnapshot& a, const EngineSnapshot& b) {
  std::string diff;
  if (a.now != b.now) diff += " now";
  if (a.next_request_id != b.next_request_id) diff += " next_request_id";
  if (a.node_states != b.node_states) diff += " node_states";
  if (a.leases != b.leases) diff += " leases";
  if (a.queue != b.queue) diff += " queue";
  if (a.workload != b.workload) diff += " workload";
  if (!(a == b) && diff.empty()) diff = " (a field not listed here)";
  return diff;
}

struct Case {
  std::string name;
  std::function<void(Request&)> edit;  // applied to a valid one-GPU request
  RejectCode code;
  std::string field;  // must appear in the message
};

void PrintTo(const Case& test, std::ostream* out) { *out << test.name; }

Request Base() { return GpuRequest(1000, 2000, 4096); }

std::vector<Case> Cases() {
  using RC = RejectCode;
  const RC kBad = RC::kInvalidArgument;
  const RC kNever = RC::kInfeasible;
  int64_t huge = int64_t{1} << 62;
  return {
      {"NegativeGpu", [](Request& r) { r.member.resources[kGpu] = -500; }, kBad, "member.gpu"},
      {"NegativeCpu", [](Request& r) { r.member.resources[kCpu] = -1; }, kBad, "member.cpu"},
      {"NegativeMemory", [](Request& r) { r.member.resources[kMemory] = -1; }, kBad,
       "member.memory"},
      {"NegativeCustom", [](Request& r) { r.member.resources[kRdma] = -2; }, kBad, "member.rdma"},
      {"NothingAskedFor", [](Request& r) { r.member.resources = {}; }, kBad, "member"},
      {"CpuTwoToThe62", [=](Request& r) { r.member.resources[kCpu] = huge; }, kBad, "member.cpu"},
      {"MemoryAboveMaxQuantity", [](Request& r) { r.member.resources[kMemory] = kMaxQuantity + 1; },
       kBad, "member.memory"},
      {"MembersTimesCpuOverflows",
       [](Request& r) {
         r.member.resources[kCpu] = int64_t{1} << 40;
         r.members = 65536;
       },
       kBad, "member.cpu"},
      {"MembersTimesGpuMemoryOverflows",
       [](Request& r) {
         r.member.resources[kGpuMemory] = kMaxQuantity;
         r.members = 2;
       },
       kBad, "member.gpu_memory"},
      {"GpuNotWhole", [](Request& r) { r.member.resources[kGpu] = 1500; }, kBad, "member.gpu"},
      {"GpuAndMigProfile", [](Request& r) { r.member.mig_profile = "1g.5gb"; }, kBad,
       "member.mig_profile"},
      {"GpuMemoryWithoutGpu",
       [](Request& r) {
         r.member.resources[kGpu] = 0;
         r.member.resources[kGpuMemory] = 1024;
       },
       kBad, "member.gpu_memory"},
      {"UnknownGpuModel",
       [](Request& r) {
         r.gpu_models = {"H100-80GB", "B300"};
       },
       kBad, "gpu_models[1]"},
      {"UnknownPool", [](Request& r) { r.pool = "nowhere"; }, kBad, "pool"},
      {"UnknownMigProfile",
       [](Request& r) {
         r.member.resources[kGpu] = 0;
         r.member.mig_profile = "9g.99gb";
       },
       kBad, "member.mig_profile"},
      {"ZeroMembers", [](Request& r) { r.members = 0; }, kBad, "members"},
      {"NegativeMembers", [](Request& r) { r.members = -3; }, kBad, "members"},
      {"HundredThousandMembers", [](Request& r) { r.members = 100000; }, kBad, "members"},
      {"NegativeTtl", [](Request& r) { r.ttl = -1; }, kBad, "ttl"},
      {"TtlOverTenYears", [](Request& r) { r.ttl = Seconds(int64_t{11} * 366 * 86400); }, kBad,
       "ttl"},
      {"NegativeEstimate", [](Request& r) { r.estimate = -Seconds(1); }, kBad, "estimate"},
      {"UnknownResourceIndex", [](Request& r) { r.member.resources[kRdma + 2] = 1; }, kBad,
       "member.resources[7]"},
      {"DuplicateSelectorKey",
       [](Request& r) {
         r.node_selector = {{"zone", "a"}, {"zone", "b"}};
       },
       kBad, "node_selector"},
      {"EmptySelectorKey",
       [](Request& r) {
         r.node_selector = {{"", "a"}};
       },
       kBad, "node_selector"},
      {"DuplicateLabelKey",
       [](Request& r) {
         r.labels = {{"team", "x"}, {"team", "y"}};
       },
       kBad, "labels"},
      {"LongIdempotencyKey", [](Request& r) { r.idempotency_key = std::string(300, 'k'); }, kBad,
       "idempotency_key"},
      // Well-formed, but no inventory could ever host them.
      {"CpuLargerThanAnyNode", [](Request& r) { r.member.resources[kCpu] = 65000; }, kNever,
       "member.cpu"},
      {"MemoryLargerThanAnyNode", [](Request& r) { r.member.resources[kMemory] = 300 * 1024; },
       kNever, "member.memory"},
      {"CustomLargerThanAnyNode", [](Request& r) { r.member.resources[kRdma] = 3; }, kNever,
       "member.rdma"},
      {"SixteenGpusOnEightGpuNodes", [](Request& r) { r.member.resources[kGpu] = 16000; }, kNever,
       "member.gpu"},
      {"GangLargerThanCluster",
       [](Request& r) {
         r.member.resources[kGpu] = 8000;
         r.members = 3;
         r.pool = "h100";
       },
       kNever, "members"},
      {"MigGangLargerThanCluster",
       [](Request& r) {
         r = MigRequest("1g.5gb");
         r.members = 15;  // 2 GPUs x 7 instances
       },
       kNever, "members"},
      {"SelectorMatchesNoNode",
       [](Request& r) {
         r.node_selector = {{"zone", "z"}};
       },
       kNever, "node_selector"},
      {"FractionInWholeOnlyPool",
       [](Request& r) {
         r.member.resources[kGpu] = 500;
         r.pool = "h100";
       },
       kNever, "pool"},
      {"FractionMemoryLargerThanDevice",
       [](Request& r) {
         r.member.resources[kGpu] = 500;
         r.member.resources[kGpuMemory] = 30000;  // L4 has 24576 MiB
       },
       kNever, "member.gpu"},
  };
}

class EngineValidationTest : public ::testing::TestWithParam<std::tuple<PlacementKind, Case>> {
 protected:
  void SetUp() override {
    engine_ = MakeEngine(ValidationInventory(), std::get<0>(GetParam()));
    ASSERT_NE(engine_, nullptr);
    // Some state to keep: a lease on each kind of device and a waiter.
    ASSERT_EQ(engine_->Submit(GpuRequest(8000), kNow).kind, DecisionKind::kGranted);
    ASSERT_EQ(engine_->Submit(GpuRequest(500), kNow).kind, DecisionKind::kGranted);
    ASSERT_EQ(engine_->Submit(MigRequest("3g.20gb"), kNow).kind, DecisionKind::kGranted);
    Request cpu = GpuRequest(0, 60000, 1024);
    cpu.pool = "cpu";
    ASSERT_EQ(engine_->Submit(cpu, kNow).kind, DecisionKind::kGranted);
    ASSERT_EQ(engine_->Submit(cpu, kNow).kind, DecisionKind::kQueued);
    engine_->TakeDecisions();
  }
  std::unique_ptr<Engine> engine_;
};

TEST_P(EngineValidationTest, RejectsNamingTheFieldAndChangesNothing) {
  const Case& test = std::get<1>(GetParam());
  Request request = Base();
  test.edit(request);
  EngineSnapshot before = engine_->Snapshot();
  Decision decision = engine_->Submit(request, kNow);
  ASSERT_EQ(decision.kind, DecisionKind::kRejected)
      << DescribeDecision(decision, engine_->inventory());
  EXPECT_EQ(decision.reject_code, test.code) << decision.message;
  EXPECT_EQ(decision.request.value, 0u);
  EXPECT_EQ(decision.lease.value, 0u);
  EXPECT_EQ(decision.at, kNow);
  EXPECT_NE(decision.message.find(test.field), std::string::npos)
      << "message '" << decision.message << "' does not name " << test.field;
  EngineSnapshot after = engine_->Snapshot();
  EXPECT_TRUE(after == before) << "snapshot changed:" << SnapshotDiff(before, after);
  EXPECT_TRUE(engine_->TakeDecisions().empty());
  // The same request again is rejected the same way (nothing was remembered).
  Decision again = engine_->Submit(request, kNow);
  EXPECT_EQ(again.kind, DecisionKind::kRejected);
  EXPECT_EQ(again.message, decision.message);
}

std::string CaseName(const ::testing::TestParamInfo<std::tuple<PlacementKind, Case>>& info) {
  return std::string(PlacementKindName(std::get<0>(info.param))) + "_" +
         std::get<1>(info.param).name;
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, EngineValidationTest,
                         ::testing::Combine(::testing::Values(PlacementKind::kFirstFit,
                                                              PlacementKind::kBestFit,
                                                              PlacementKind::kFragAware),
                                            ::testing::ValuesIn(Cases())),
                         CaseName);

// Messages reach users through the API: quantities in user units, never the
// engine's milli-GPUs, milli-cores or microseconds.
TEST(EngineValidation, MessagesUseUserUnits) {
  std::unique_ptr<Engine> engine = MakeEngine(ValidationInventory());
  auto message = [&](const std::function<void(Request&)>& edit) {
    Request request = Base();
    edit(request);
    return engine->Submit(request, kNow).message;
  };
  EXPECT_EQ(message([](Request& r) { r.member.resources[kGpu] = 1500; }),
            "member.gpu: above one GPU it must be whole GPUs, got 1.5 GPUs");
  EXPECT_EQ(message([](Request& r) { r.member.resources[kGpu] = -500; }),
            "member.gpu: must be >= 0, got -0.5 GPU");
  EXPECT_EQ(message([](Request& r) { r.member.resources[kCpu] = 65500; }),
            "member.cpu: 65.5 cores exceeds every matching node (largest has 64 cores)");
  EXPECT_EQ(message([](Request& r) { r.member.resources[kMemory] = 300 * 1024; }),
            "member.memory: 300 GiB exceeds every matching node (largest has 256 GiB)");
  EXPECT_EQ(message([](Request& r) { r.ttl = -1'500'000; }),
            "ttl: must be between 0 and ten years, got -1.5 s");
  EXPECT_EQ(message([](Request& r) {
              r.member.resources[kGpu] = 500;
              r.member.resources[kGpuMemory] = 30000;
            }),
            "member.gpu_memory: 29.29 GiB per device exceeds the devices of every matching pool "
            "(largest 24 GiB)");
}

// A rejected request with an idempotency key does not reserve the key.
TEST(EngineValidation, RejectionDoesNotRememberTheIdempotencyKey) {
  std::unique_ptr<Engine> engine = MakeEngine(ValidationInventory());
  Request bad = GpuRequest(-1);
  bad.idempotency_key = "retry-me";
  ASSERT_EQ(engine->Submit(bad, kNow).kind, DecisionKind::kRejected);
  Request good = GpuRequest(1000);
  good.idempotency_key = "retry-me";
  Decision decision = engine->Submit(good, kNow);
  EXPECT_EQ(decision.kind, DecisionKind::kGranted);
  EXPECT_FALSE(decision.replayed);
  EXPECT_EQ(decision.request.value, 1u);
}

// Regression (fixed in ec91fe4; Engine::Submit, MemberDemand::whole_devices):
// member.gpu was only bounded by kMaxQuantity, and whole_devices() narrows
// gpu / 1000 to int. 2^31 whole GPUs wrapped to a negative count; the policies
// then "found" zero devices and ClusterState::Take CHECK-failed on an empty
// member (2^32 GPUs divided by zero in FindWholeDevices). Run in a child
// process so the crash fails this test only.
TEST(EngineValidation, InfeasibleMessageNamesTheRequestsOwnConstraints) {
  // Both match no node (no pool has L4s, the cpu pool has no GPU), so their
  // allowed pools are the same; each message must still name its own
  // constraints, whatever was asked before (a restored engine, with an empty
  // memo, must answer the same).
  Inventory inventory = testing::GpuCluster(1, 8);
  inventory.gpu_models.push_back(GpuModel{"L4", 24 * 1024});
  testing::NodeSpec cpu_node;
  cpu_node.name = "c0";
  AddNode(inventory, AddPool(inventory, "cpu", ""), cpu_node);
  std::unique_ptr<Engine> engine = MakeEngine(inventory);
  Request in_cpu = GpuRequest(1000);
  in_cpu.pool = "cpu";
  Request l4 = GpuRequest(1000);
  l4.gpu_models = {"L4"};
  Decision first = engine->Submit(in_cpu, kNow);
  Decision second = engine->Submit(l4, kNow);
  ASSERT_EQ(first.reject_code, RejectCode::kInfeasible);
  ASSERT_EQ(second.reject_code, RejectCode::kInfeasible);
  EXPECT_NE(first.message.find("pool 'cpu', gpu_models []"), std::string::npos) << first.message;
  EXPECT_NE(second.message.find("pool '', gpu_models [L4]"), std::string::npos) << second.message;
}

TEST(EngineValidationDeathTest, AbsurdWholeGpuCountIsRejectedNotACrash) {
  for (PlacementKind kind :
       {PlacementKind::kFirstFit, PlacementKind::kBestFit, PlacementKind::kFragAware}) {
    for (int64_t gpus : {int64_t{1} << 31, int64_t{1} << 32}) {
      SCOPED_TRACE(std::string(PlacementKindName(kind)) + " gpus=" + std::to_string(gpus));
      auto submit = [&] {
        std::unique_ptr<Engine> engine = MakeEngine(ValidationInventory(), kind);
        Decision decision = engine->Submit(GpuRequest(gpus * 1000), kNow);
        bool named = decision.message.find("member.gpu") != std::string::npos;
        std::_Exit(decision.kind == DecisionKind::kRejected && named ? 0 : 1);
      };
      EXPECT_EXIT(submit(), ::testing::ExitedWithCode(0), "");
    }
  }
}

}  // namespace
}  // namespace allot
