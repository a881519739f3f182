// Engine snapshots as JSON: exact round trips of snapshots a real engine
// produced under random work (tenants, classes, MIG, shared devices,
// budgets, a custom resource), decoding under a reordered tenancy, and
// DataLoss naming the entry for names the configuration does not know.
#include <gtest/gtest.h>

#include <random>

#include "engine/engine.h"
#include "store/codec.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using nlohmann::json;
using testing::AddNode;
using testing::AddPool;
using testing::Tenant;

constexpr int kRdma = kBuiltinResources;
constexpr Time kStart = Seconds(int64_t{1'795'219'200});  // 2026-11-21T00:00:00Z

void AddMixedNode(Inventory& inventory, PoolIndex pool, const std::string& name,
                  std::vector<DeviceMode> modes) {
  testing::NodeSpec spec;
  spec.name = name;
  spec.gpus = static_cast<int>(modes.size());
  AddNode(inventory, pool, spec);
  Node& node = inventory.nodes.back();
  for (size_t d = 0; d < modes.size(); ++d) node.devices[d].mode = modes[d];
  node.capacity[kRdma] = 2;
}

Inventory MixedInventory() {
  using M = DeviceMode;
  Inventory inventory;
  inventory.resources = ResourceCatalog::Create({"rdma"}).value();
  PoolIndex h100 = AddPool(inventory, "h100", "H100-80GB", 81920);
  PoolIndex l4 = AddPool(inventory, "l4", "L4", 24576);
  PoolIndex a100 = AddPool(inventory, "a100", "A100-40GB", 40960);
  PoolIndex cpu = AddPool(inventory, "cpu", "");
  AddMixedNode(inventory, h100, "h100-0", {M::kWhole, M::kWhole, M::kWhole, M::kWhole});
  AddMixedNode(inventory, h100, "h100-mixed", {M::kWhole, M::kShared, M::kMig});
  AddMixedNode(inventory, l4, "l4-0", {M::kShared, M::kShared});
  AddMixedNode(inventory, a100, "a100-0", {M::kMig, M::kMig});
  AddMixedNode(inventory, cpu, "cpu-0", {});
  return inventory;
}

// `reversed`: the same tenants and classes listed in the opposite order, so
// their indexes differ while their paths and names do not.
EngineOptions Options(bool reversed) {
  EngineOptions options;
  options.tenants = {Tenant("org"), Tenant("a", "org"), Tenant("b", "org"), Tenant("other")};
  PriorityClass batch;
  batch.name = "batch";
  batch.preemption_grace = Seconds(300);  // victims run on, being preempted, in snapshots
  PriorityClass prod;
  prod.name = "prod";
  prod.value = 10;
  prod.may_preempt = true;
  prod.preemptible = false;
  options.classes = {batch, prod};
  if (reversed) {
    std::reverse(options.tenants.begin(), options.tenants.end());
    std::reverse(options.classes.begin(), options.classes.end());
  }
  for (const char* pool : {"h100", "l4", "a100", "cpu"}) {
    PoolPriceSpec price;
    price.pool = pool;
    price.per_unit_hour[kGpu] = 2'000'000;
    price.per_unit_hour[kCpu] = 40'000;
    options.budgets.prices.pools.push_back(price);
  }
  options.budgets.prices.models.push_back({"llm", 3'000'000, 300'000, 15'000'000});
  BudgetSpec money;
  money.name = "org-daily";
  money.tenant = "org";
  money.limit = 400'000'000;
  money.period.kind = PeriodKind::kDaily;
  BudgetSpec tokens;
  tokens.name = "a-tokens";
  tokens.tenant = "a";
  tokens.meter = BudgetMeter::kTokens;
  tokens.limit = 200'000;
  tokens.period.kind = PeriodKind::kDaily;
  options.budgets.budgets = {money, tokens};
  return options;
}

// Drives an engine with random commands and keeps a snapshot every 25 steps.
std::vector<EngineSnapshot> RandomSnapshots(Engine& engine, uint64_t seed, int steps) {
  std::mt19937_64 random(seed);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(random);
  };
  const char* tenants[] = {"a", "b", "other"};
  const char* nodes[] = {"h100-0", "h100-mixed", "l4-0", "a100-0", "cpu-0"};
  std::vector<EngineSnapshot> snapshots;
  Time now = kStart;
  for (int step = 0; step < steps; ++step) {
    now += pick(0, 10) * Seconds(60) + pick(0, 999'999);
    int64_t action = pick(0, 19);
    uint64_t known = engine.Snapshot().next_request_id;
    if (action < 10) {
      Request request;
      switch (pick(0, 3)) {
        case 0:
          request.member.resources[kGpu] = 1000 * pick(1, 2);
          break;
        case 1:
          request.member.resources[kGpu] = pick(1, 9) * 100;
          request.member.resources[kGpuMemory] = pick(0, 1) * 4096;
          break;
        case 2:
          request.member.mig_profile = pick(0, 1) ? "1g.10gb" : "3g.20gb";
          break;
        default:
          request.member.resources[kRdma] = 1;
      }
      request.member.resources[kCpu] = pick(0, 8) * 500;
      request.member.resources[kMemory] = pick(1, 8) * 1024;
      request.members = pick(0, 4) == 0 ? 2 : 1;
      request.tenant = tenants[pick(0, 2)];
      request.priority_class = pick(0, 3) == 0 ? "prod" : "batch";
      request.estimate = pick(0, 1) ? Seconds(pick(60, 7200)) + pick(0, 999) : 0;
      request.ttl = pick(0, 2) == 0 ? Seconds(pick(60, 3600)) : 0;
      if (pick(0, 1)) request.labels = {{"job", "j" + std::to_string(step)}, {"team", "ml"}};
      if (pick(0, 2) == 0) request.idempotency_key = "key-" + std::to_string(step);
      if (request.tenant == std::string("a") && pick(0, 1)) {
        request.model = "llm";
        request.input_tokens = pick(100, 8000);
        request.max_output_tokens = pick(100, 4000);
      }
      (void)engine.Submit(request, now);
    } else if (action < 14 && known > 1) {
      uint64_t id = static_cast<uint64_t>(pick(1, static_cast<int64_t>(known) - 1));
      const Lease* lease = engine.FindLease(LeaseId{id});
      if (lease != nullptr && lease->model >= 0 && pick(0, 1)) {
        UsageReport usage;
        usage.tokens.input = pick(0, lease->input_tokens);
        usage.tokens.output = pick(0, lease->max_output_tokens);
        (void)engine.Release(LeaseId{id}, now, &usage);
      } else if (lease != nullptr && pick(0, 1)) {
        (void)engine.Release(LeaseId{id}, now);
      } else {
        (void)engine.Cancel(RequestId{id}, now);
      }
    } else if (action < 16 && known > 1) {
      (void)engine.Renew(LeaseId{static_cast<uint64_t>(pick(1, static_cast<int64_t>(known) - 1))},
                         now);
    } else if (action == 16) {
      NodeState state =
          pick(0, 2) == 0 ? NodeState::kDown : (pick(0, 1) ? NodeState::kDraining : NodeState::kUp);
      (void)engine.SetNodeState(nodes[pick(0, 4)], state, now);
    } else {
      engine.Tick(now);
    }
    engine.DiscardDecisions();
    engine.DiscardUsage();
    if (step % 25 == 24) snapshots.push_back(engine.Snapshot());
  }
  return snapshots;
}

class SnapshotJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = std::move(Engine::Create(MixedInventory(), Options(false))).value();
    snapshots_ = RandomSnapshots(*engine_, 11, 600);
  }
  json Encode(const EngineSnapshot& snapshot) const {
    return SnapshotToJson(snapshot, engine_->inventory(), engine_->tenancy());
  }
  // Decoding must fail with DataLoss whose message contains `needle`.
  void ExpectDataLoss(const json& value, const std::string& needle) const {
    Result<EngineSnapshot> decoded =
        SnapshotFromJson(value, engine_->inventory(), engine_->tenancy());
    ASSERT_FALSE(decoded.ok()) << "a damaged snapshot was accepted";
    EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(decoded.status().message().find(needle), std::string::npos)
        << decoded.status().message();
  }
  // The last snapshot with a MIG lease and a queue (there is one: checked).
  const EngineSnapshot& Rich() const {
    for (auto it = snapshots_.rbegin(); it != snapshots_.rend(); ++it) {
      bool mig = false;
      for (const Lease& lease : it->leases) {
        for (const Assignment& a : lease.placement) mig = mig || a.mig_profile >= 0;
      }
      if (mig && !it->queue.empty()) return *it;
    }
    ADD_FAILURE() << "no snapshot with a MIG lease and a queue";
    return snapshots_.back();
  }

  std::unique_ptr<Engine> engine_;
  std::vector<EngineSnapshot> snapshots_;
};

TEST_F(SnapshotJsonTest, RandomWorkRoundTripsExactly) {
  int with_mig = 0, with_queue = 0, with_budgets = 0, with_node_states = 0, preempting = 0;
  for (const EngineSnapshot& snapshot : snapshots_) {
    std::string text = Encode(snapshot).dump();
    Result<EngineSnapshot> decoded =
        SnapshotFromJson(json::parse(text), engine_->inventory(), engine_->tenancy());
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    ASSERT_TRUE(*decoded == snapshot) << text;
    with_queue += !snapshot.queue.empty();
    with_budgets += !snapshot.budgets.empty();
    with_node_states += !snapshot.node_states.empty();
    for (const Lease& lease : snapshot.leases) {
      preempting += lease.preempt_at > 0;
      for (const Assignment& a : lease.placement) with_mig += a.mig_profile >= 0;
    }
  }
  // The work reached every part of the snapshot, so the equality means something.
  EXPECT_GT(with_mig, 0);
  EXPECT_GT(with_queue, 0);
  EXPECT_GT(with_budgets, 0);
  EXPECT_GT(with_node_states, 0);
  EXPECT_GT(preempting, 0);
  EXPECT_FALSE(snapshots_.back().workload.empty());
}

// A constrained shape's pool mask (GPU-model constraints, which the
// fragmentation measure honours) is part of the snapshot; an unconstrained
// one writes no "pools" key, so older snapshots read the same.
TEST_F(SnapshotJsonTest, WorkloadPoolMasksRoundTrip) {
  EngineSnapshot snapshot = snapshots_.back();
  WorkloadModel::Entry constrained;
  constrained.shape = {2000, 4096, 1000, false, uint64_t{1} << 1};
  constrained.count = 3;
  snapshot.workload.push_back(constrained);
  json encoded = Encode(snapshot);
  EXPECT_EQ(encoded["workload"].back()["pools"], 2u);
  EXPECT_FALSE(encoded["workload"].front().contains("pools"));
  Result<EngineSnapshot> decoded =
      SnapshotFromJson(encoded, engine_->inventory(), engine_->tenancy());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == snapshot);
  EXPECT_EQ(decoded->workload.back().shape.pools, 2u);
}

TEST_F(SnapshotJsonTest, DecodesUnderAReorderedTenancy) {
  const EngineSnapshot& snapshot = Rich();
  json encoded = Encode(snapshot);
  std::unique_ptr<Engine> other =
      std::move(Engine::Create(MixedInventory(), Options(true))).value();
  Result<EngineSnapshot> decoded = SnapshotFromJson(encoded, other->inventory(), other->tenancy());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->leases.size(), snapshot.leases.size());
  int moved = 0;
  for (size_t i = 0; i < snapshot.leases.size(); ++i) {
    const Lease& before = snapshot.leases[i];
    const Lease& after = decoded->leases[i];
    EXPECT_EQ(other->tenancy().tenant(after.tenant).path,
              engine_->tenancy().tenant(before.tenant).path);
    EXPECT_EQ(other->tenancy().priority_class(after.priority_class).name,
              engine_->tenancy().priority_class(before.priority_class).name);
    moved += after.tenant != before.tenant;
  }
  EXPECT_GT(moved, 0) << "the reordering changed no index: the test proves nothing";
  // An engine under the reordered configuration takes it and writes it back
  // the same, by name.
  Result<std::unique_ptr<Engine>> restored =
      Engine::Restore(MixedInventory(), Options(true), *decoded);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(
      SnapshotToJson((*restored)->Snapshot(), (*restored)->inventory(), (*restored)->tenancy()),
      encoded);
}

TEST_F(SnapshotJsonTest, UnknownNamesAreDataLossNamingTheEntry) {
  const EngineSnapshot& snapshot = Rich();
  json encoded = Encode(snapshot);
  std::string lease = "snapshot.leases[id " + std::to_string(snapshot.leases[0].id.value) + "]";
  {
    json damaged = encoded;
    damaged["leases"][0]["placement"][0]["node"] = "ghost-7";
    ExpectDataLoss(damaged, lease + ".placement[0].node: unknown node 'ghost-7'");
  }
  {
    json damaged = encoded;
    damaged["leases"][0]["tenant"] = "org/nobody";
    ExpectDataLoss(damaged, lease + ".tenant: unknown tenant 'org/nobody'");
  }
  {
    json damaged = encoded;
    damaged["leases"][0]["class"] = "gold";
    ExpectDataLoss(damaged, lease + ".class: unknown class 'gold'");
  }
  {
    json damaged = encoded;
    bool found = false;
    for (json& entry : damaged["leases"]) {
      for (json& a : entry["placement"]) {
        if (!found && a.contains("mig_profile")) {
          a["mig_profile"] = "9g.99gb";
          found = true;
        }
      }
    }
    ASSERT_TRUE(found);
    ExpectDataLoss(damaged, "has no MIG profile '9g.99gb'");
  }
  {
    json damaged = encoded;
    damaged["node_states"] = json::array({{{"node", "ghost-8"}, {"state", "down"}}});
    ExpectDataLoss(damaged, "snapshot.node_states[0].node: unknown node 'ghost-8'");
  }
  {
    json damaged = encoded;
    damaged["queue"][0]["request"]["resources"]["gpu"] = -1;
    ExpectDataLoss(damaged, "snapshot.queue[id " + std::to_string(snapshot.queue[0].id.value) +
                                "].request.resources.gpu: must be >= 0");
  }
  // A reloaded inventory that renamed a node: the leases on it are lost.
  Inventory renamed = MixedInventory();
  renamed.nodes[3].name = "a100-renamed";  // a100-0, where the MIG leases run
  Result<EngineSnapshot> decoded = SnapshotFromJson(encoded, renamed, engine_->tenancy());
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(decoded.status().message().find("unknown node 'a100-0'"), std::string::npos)
      << decoded.status().message();
}

TEST_F(SnapshotJsonTest, DamagedShapeIsDataLoss) {
  json encoded = Encode(Rich());
  ExpectDataLoss(json::array(), "snapshot: must be a JSON object");
  json damaged = encoded;
  damaged["version"] = 2;
  ExpectDataLoss(damaged, "snapshot.version: must be <= 1");
  damaged = encoded;
  damaged.erase("leases");
  ExpectDataLoss(damaged, "snapshot.leases: required");
  damaged = encoded;
  damaged["extra"] = 1;
  ExpectDataLoss(damaged, "snapshot.extra: unknown field");
  damaged = encoded;
  damaged["leases"][0]["placement"][0]["device"] = "0";
  ExpectDataLoss(damaged, ".placement[0].device: must be an integer");
  damaged = encoded;
  damaged["budgets"][0]["burn_samples"] = json::array({1, "x"});
  ExpectDataLoss(damaged, "snapshot.budgets[0].burn_samples[1]: must be an integer");
  damaged = encoded;
  damaged["queue"][0]["reason"] = "bored";
  ExpectDataLoss(damaged, ".reason: unknown reason 'bored'");
}

}  // namespace
}  // namespace allot
