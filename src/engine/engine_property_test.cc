// Property test: random command sequences over a mixed inventory. After every
// command the cluster's accounting must equal what the active leases add up
// to, stay within capacity and keep MIG layouts legal; the outbox must report
// every change of the lease and queue sets; two engines fed the same commands
// and an engine restored from a snapshot midway must decide identically.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::AddNode;
using testing::AddPool;

constexpr int kRdma = kBuiltinResources;
constexpr int kSteps = 3000;

void AddMixedNode(Inventory& inventory, PoolIndex pool, const std::string& name,
                  std::vector<DeviceMode> modes, Labels labels, int64_t cpu_milli, int64_t rdma) {
  testing::NodeSpec spec;
  spec.name = name;
  spec.gpus = static_cast<int>(modes.size());
  spec.labels = std::move(labels);
  spec.cpu_milli = cpu_milli;
  spec.memory_mib = 128 * 1024;
  AddNode(inventory, pool, spec);
  Node& node = inventory.nodes.back();
  for (size_t d = 0; d < modes.size(); ++d) node.devices[d].mode = modes[d];
  node.capacity[kRdma] = rdma;
}

// Whole, shared and MIG devices (some nodes mixing all three), four pools,
// zone labels and one custom resource.
Inventory PropertyInventory() {
  using M = DeviceMode;
  Inventory inventory;
  inventory.resources = ResourceCatalog::Create({"rdma"}).value();
  PoolIndex h100 = AddPool(inventory, "h100", "H100-80GB", 81920, Tier::kReserved);
  PoolIndex l4 = AddPool(inventory, "l4", "L4", 24576, Tier::kSpot);
  PoolIndex a100 = AddPool(inventory, "a100", "A100-40GB", 40960);
  PoolIndex cpu = AddPool(inventory, "cpu", "");
  AddMixedNode(inventory, h100, "h100-0", {M::kWhole, M::kWhole, M::kWhole, M::kWhole},
               {{"zone", "a"}}, 64000, 2);
  AddMixedNode(inventory, h100, "h100-1", {M::kWhole, M::kWhole, M::kWhole, M::kWhole},
               {{"zone", "b"}}, 64000, 0);
  AddMixedNode(inventory, h100, "h100-mixed", {M::kWhole, M::kShared, M::kMig, M::kMig},
               {{"zone", "a"}, {"fast", "yes"}}, 48000, 1);
  AddMixedNode(inventory, l4, "l4-0", {M::kShared, M::kShared, M::kShared, M::kShared},
               {{"zone", "a"}}, 32000, 0);
  AddMixedNode(inventory, l4, "l4-1", {M::kShared, M::kShared}, {{"zone", "b"}}, 32000, 0);
  AddMixedNode(inventory, l4, "l4-2", {M::kShared, M::kShared, M::kShared}, {{"zone", "c"}}, 16000,
               1);
  AddMixedNode(inventory, a100, "a100-0", {M::kMig, M::kMig, M::kMig}, {{"zone", "b"}}, 64000, 0);
  AddMixedNode(inventory, a100, "a100-1", {M::kMig, M::kShared, M::kWhole}, {{"zone", "c"}}, 64000,
               2);
  AddMixedNode(inventory, cpu, "cpu-0", {}, {{"zone", "a"}}, 32000, 0);
  AddMixedNode(inventory, cpu, "cpu-1", {}, {{"zone", "c"}}, 64000, 4);
  return inventory;
}

std::string Describe(const Decision& d) {
  std::ostringstream out;
  out << DecisionKindName(d.kind) << " r" << d.request.value << " l" << d.lease.value << " at "
      << d.at << " q" << static_cast<int>(d.queue_reason) << " p" << d.position << " rc"
      << static_cast<int>(d.reject_code) << " e" << static_cast<int>(d.end_reason)
      << (d.replayed ? " replayed" : "") << " '" << d.message << "'";
  for (const Assignment& a : d.placement) {
    out << " [" << a.member << " n" << a.node << " d" << a.device << " mig"
        << static_cast<int>(a.mig_profile) << "@" << static_cast<int>(a.mig_start) << " "
        << a.gpu_milli << "m " << a.gpu_memory_mib << "MiB]";
  }
  return out.str();
}

struct Command {
  enum class Kind { kSubmit, kRelease, kRenew, kCancel, kTick, kSetNodeState } kind;
  Time now = 0;
  Request request;
  uint64_t id = 0;
  std::string node;
  NodeState state = NodeState::kUp;
};

struct Outcome {
  Decision decision;  // kSubmit
  Status status;      // the other commands
  std::vector<Decision> follows;
  std::string text;
};

Outcome Apply(Engine& engine, const Command& command) {
  Outcome outcome;
  switch (command.kind) {
    case Command::Kind::kSubmit:
      outcome.decision = engine.Submit(command.request, command.now);
      outcome.text = Describe(outcome.decision);
      break;
    case Command::Kind::kRelease:
      outcome.status = engine.Release(LeaseId{command.id}, command.now);
      break;
    case Command::Kind::kRenew:
      outcome.status = engine.Renew(LeaseId{command.id}, command.now);
      break;
    case Command::Kind::kCancel:
      outcome.status = engine.Cancel(RequestId{command.id}, command.now);
      break;
    case Command::Kind::kTick:
      engine.Tick(command.now);
      break;
    case Command::Kind::kSetNodeState:
      outcome.status = engine.SetNodeState(command.node, command.state, command.now);
      break;
  }
  if (command.kind != Command::Kind::kSubmit) outcome.text = outcome.status.ToString();
  outcome.follows = engine.TakeDecisions();
  for (const Decision& d : outcome.follows) outcome.text += "\n  " + Describe(d);
  return outcome;
}

// Recomputes every node's and device's usage from the leases and compares it
// with the ClusterState; checks capacity and MIG legality on the way.
::testing::AssertionResult AccountingMatches(const Engine& engine) {
  const Inventory& inventory = engine.inventory();
  const ClusterState& cluster = engine.cluster();
  size_t nodes = inventory.nodes.size();
  std::vector<ResourceVector> allocated(nodes);
  std::vector<std::vector<DeviceUsage>> devices(nodes);
  for (size_t n = 0; n < nodes; ++n) devices[n].resize(inventory.nodes[n].devices.size());
  for (const Lease& lease : engine.Snapshot().leases) {
    auto fail = [&] { return ::testing::AssertionFailure() << "lease " << lease.id.value << ": "; };
    const Lease* live = engine.FindLease(lease.id);
    if (live == nullptr || !(*live == lease)) return fail() << "FindLease disagrees";
    int64_t members = 0;
    for (size_t first = 0, last = 0; first < lease.placement.size(); first = last) {
      uint32_t member = lease.placement[first].member;
      NodeIndex node = lease.placement[first].node;
      if (member != members++) return fail() << "members out of order";
      if (node >= nodes) return fail() << "node out of range";
      if (cluster.state(node) == NodeState::kDown) return fail() << "lease on a down node";
      allocated[node].Add(lease.member_host);
      for (last = first; last < lease.placement.size() && lease.placement[last].member == member;
           ++last) {
        const Assignment& a = lease.placement[last];
        if (a.node != node) return fail() << "member split across nodes";
        if (a.device < 0) continue;
        if (a.device >= static_cast<int>(devices[node].size())) return fail() << "bad device";
        DeviceMode mode = inventory.nodes[node].devices[static_cast<size_t>(a.device)].mode;
        DeviceUsage& usage = devices[node][static_cast<size_t>(a.device)];
        if (a.mig_profile >= 0) {
          const MigGpuTable* table = inventory.NodeMigTable(node);
          if (mode != DeviceMode::kMig || table == nullptr) return fail() << "MIG on non-MIG";
          if (!usage.mig.CanPlace(*table, a.mig_profile, a.mig_start)) {
            return fail() << "illegal MIG layout on node " << node << " device " << a.device;
          }
          usage.mig.Place(*table, a.mig_profile, a.mig_start);
          const MigProfile& profile = table->profiles[static_cast<size_t>(a.mig_profile)];
          if (a.gpu_milli != MigInstanceMilliGpu(profile)) return fail() << "MIG milli-GPU";
        } else if (mode == DeviceMode::kMig) {
          return fail() << "non-MIG member on a MIG device";
        } else if (a.gpu_milli >= 1000) {
          if (!usage.Untouched()) return fail() << "whole device shared";
        } else if (mode != DeviceMode::kShared || a.gpu_milli <= 0) {
          return fail() << "fraction on a whole-mode device";
        }
        usage.used_milli += a.gpu_milli;
        usage.used_memory_mib += a.gpu_memory_mib;
        allocated[node][kGpu] += a.gpu_milli;
        allocated[node][kGpuMemory] += a.gpu_memory_mib;
      }
    }
    if (members != lease.members) return fail() << "placement covers " << members << " members";
  }
  for (NodeIndex n = 0; n < nodes; ++n) {
    auto fail = [&] { return ::testing::AssertionFailure() << inventory.nodes[n].name << ": "; };
    for (int r = 0; r < kMaxResources; ++r) {
      if (cluster.allocated(n)[r] != allocated[n][r]) {
        return fail() << "resource " << r << " allocated " << cluster.allocated(n)[r]
                      << " but leases add up to " << allocated[n][r];
      }
    }
    if (!allocated[n].FitsWithin(inventory.nodes[n].capacity)) return fail() << "over capacity";
    int untouched = 0;
    for (int d = 0; d < cluster.device_count(n); ++d) {
      const DeviceUsage& have = cluster.device(n, d);
      const DeviceUsage& want = devices[n][static_cast<size_t>(d)];
      if (have.used_milli != want.used_milli || have.used_memory_mib != want.used_memory_mib ||
          have.mig.memory_mask != want.mig.memory_mask ||
          have.mig.compute_used != want.mig.compute_used ||
          !std::equal(std::begin(have.mig.counts), std::end(have.mig.counts),
                      std::begin(want.mig.counts))) {
        return fail() << "device " << d << " usage differs from its leases";
      }
      if (want.used_milli > 1000 || want.used_memory_mib > cluster.device_memory_mib(n)) {
        return fail() << "device " << d << " oversubscribed";
      }
      DeviceMode mode = inventory.nodes[n].devices[static_cast<size_t>(d)].mode;
      if (mode != DeviceMode::kMig && want.Untouched()) ++untouched;
    }
    if (untouched != cluster.untouched_devices(n)) return fail() << "untouched count";
  }
  return ::testing::AssertionSuccess();
}

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Command Next(const EngineSnapshot& state) {
    Command command;
    now_ += Pick(0, 4000) * 1000;                                // up to 4 s between commands
    command.now = Pick(0, 49) == 0 ? now_ - Seconds(30) : now_;  // sometimes in the past
    int roll = Pick(0, 99);
    if (roll < 40) {
      command.kind = Command::Kind::kSubmit;
      command.request = RandomRequest();
    } else if (roll < 62) {
      command.kind = Command::Kind::kRelease;
      command.id = SomeLease(state);
    } else if (roll < 67) {
      command.kind = Command::Kind::kRenew;
      command.id = SomeLease(state);
    } else if (roll < 80) {
      command.kind = Command::Kind::kCancel;
      bool queued = !state.queue.empty() && Pick(0, 4) < 3;
      command.id = queued ? state.queue[Index(state.queue.size())].id.value : SomeLease(state);
    } else if (roll < 94) {
      command.kind = Command::Kind::kTick;
      now_ += Pick(0, 20) * kMicrosPerSecond;
      command.now = now_;
    } else {
      static const char* const kNodes[] = {"h100-0", "h100-1", "h100-mixed", "l4-0",  "l4-1",
                                           "l4-2",   "a100-0", "a100-1",     "cpu-0", "cpu-1"};
      command.kind = Command::Kind::kSetNodeState;
      command.node = Pick(0, 40) == 0 ? "no-such-node" : kNodes[Index(std::size(kNodes))];
      int state_roll = Pick(0, 9);
      command.state = state_roll < 6   ? NodeState::kUp
                      : state_roll < 8 ? NodeState::kDraining
                                       : NodeState::kDown;
    }
    return command;
  }

 private:
  int64_t Pick(int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(rng_);
  }
  size_t Index(size_t size) { return static_cast<size_t>(Pick(0, static_cast<int64_t>(size) - 1)); }

  uint64_t SomeLease(const EngineSnapshot& state) {
    if (state.leases.empty() || Pick(0, 19) == 0) return static_cast<uint64_t>(Pick(1, 5000));
    return state.leases[Index(state.leases.size())].id.value;
  }

  Request RandomRequest() {
    static const char* const kProfiles[] = {"1g.5gb",  "1g.5gb+me", "1g.10gb", "2g.10gb",
                                            "3g.20gb", "4g.20gb",   "7g.40gb", "1g.20gb",
                                            "2g.20gb", "3g.40gb",   "7g.80gb"};
    static const char* const kPools[] = {"h100", "l4", "a100", "cpu"};
    static const char* const kModels[] = {"H100-80GB", "L4", "A100-40GB"};
    static const int64_t kFractions[] = {100, 200, 250, 300, 333, 500, 700, 900};
    Request request;
    MemberShape& member = request.member;
    int kind = Pick(0, 99);
    if (kind < 25) {
      member.resources[kGpu] = 1000 * Pick(1, 4);
      if (Pick(0, 3) == 0) member.resources[kGpuMemory] = Pick(1, 4) * 30000;
    } else if (kind < 55) {
      member.resources[kGpu] = kFractions[Index(std::size(kFractions))];
      if (Pick(0, 2) == 0) member.resources[kGpuMemory] = Pick(1, 12) * 2048;
    } else if (kind < 75) {
      member.mig_profile = kProfiles[Index(std::size(kProfiles))];
    }
    member.resources[kCpu] = 500 * Pick(0, 24);
    member.resources[kMemory] = 1024 * Pick(0, 40);
    if (Pick(0, 9) == 0) member.resources[kRdma] = Pick(1, 2);
    if (kind >= 75 && member.resources[kCpu] == 0) member.resources[kCpu] = 250;
    request.members = Pick(0, 4) == 0 ? Pick(2, 3) : 1;
    if (Pick(0, 6) == 0) request.pool = kPools[Index(std::size(kPools))];
    if (Pick(0, 9) == 0) request.gpu_models = {kModels[Index(std::size(kModels))]};
    if (Pick(0, 7) == 0) request.node_selector = {{"zone", std::string(1, 'a' + Pick(0, 2))}};
    if (Pick(0, 3) == 0) request.ttl = Seconds(Pick(5, 120));
    request.estimate = Seconds(Pick(0, 3600));
    if (Pick(0, 9) == 0) request.idempotency_key = "key-" + std::to_string(Pick(0, 5));
    if (Pick(0, 4) == 0) request.labels = {{"team", Pick(0, 1) ? "x" : "y"}};
    int odd = Pick(0, 49);
    if (odd == 0) member.resources[kGpu] = -1000;  // invalid
    if (odd == 1) member.resources[kGpu] = 16000;  // infeasible
    return request;
  }

  std::mt19937_64 rng_;
  Time now_ = Seconds(1'700'000'000);
};

// The sets of running leases and waiting requests, as the decisions tell them.
struct Ledger {
  std::set<uint64_t> leases;
  std::set<uint64_t> queued;

  // Returns an empty string when the outcome is consistent with the ledger.
  std::string Record(const Command& command, const Outcome& outcome) {
    if (command.kind == Command::Kind::kSubmit) {
      const Decision& d = outcome.decision;
      if (d.replayed) {
        if (!leases.count(d.request.value) && !queued.count(d.request.value)) return "bad replay";
      } else if (d.kind == DecisionKind::kGranted) {
        leases.insert(d.lease.value);
      } else if (d.kind == DecisionKind::kQueued) {
        queued.insert(d.request.value);
      }
    } else if (outcome.status.ok() && command.kind == Command::Kind::kRelease) {
      if (leases.erase(command.id) != 1) return "released an unknown lease";
    } else if (outcome.status.ok() && command.kind == Command::Kind::kCancel) {
      if (leases.erase(command.id) + queued.erase(command.id) != 1) return "cancelled unknown";
    }
    for (const Decision& d : outcome.follows) {
      if (d.kind == DecisionKind::kGranted) {
        if (queued.erase(d.request.value) != 1) return "granted a request that was not queued";
        leases.insert(d.lease.value);
      } else if (d.kind == DecisionKind::kLeaseEnded) {
        if (leases.erase(d.lease.value) != 1) return "ended a lease that was not running";
      } else {
        return "unexpected decision in the outbox";
      }
    }
    return "";
  }

  std::string Matches(const EngineSnapshot& snapshot) const {
    std::set<uint64_t> have_leases, have_queued;
    for (const Lease& lease : snapshot.leases) have_leases.insert(lease.id.value);
    for (const auto& entry : snapshot.queue) have_queued.insert(entry.id.value);
    if (have_leases != leases) return "leases differ from what the decisions reported";
    if (have_queued != queued) return "queue differs from what the decisions reported";
    return "";
  }
};

// Liveness: the head of the queue waits behind nobody, so it must not fit
// now. Asks an engine restored into the same state, minus the queue, whether
// it would grant the head's request; returns what went wrong, or "". For a
// single member the copy uses first fit, an exhaustive scan: a policy may only
// answer "no node can host the member" when none can (PlacementPolicy). Gangs
// are placed greedily, so for them the copy keeps the engine's policy.
std::string HeadOfQueueCannotFit(const Engine& engine, EngineOptions options) {
  EngineSnapshot snapshot = engine.Snapshot();
  if (snapshot.queue.empty()) return "";
  uint64_t id = snapshot.queue.front().id.value;
  Request head = snapshot.queue.front().request;
  head.idempotency_key.clear();
  snapshot.queue.clear();
  if (head.members == 1) options.placement.kind = PlacementKind::kFirstFit;
  Result<std::unique_ptr<Engine>> copy = Engine::Restore(PropertyInventory(), options, snapshot);
  if (!copy.ok()) return "restore without the queue failed: " + copy.status().ToString();
  Decision decision = (*copy)->Submit(head, snapshot.now);
  if (decision.kind != DecisionKind::kGranted) return "";
  return "request " + std::to_string(id) + " heads the queue but fits now: " + Describe(decision);
}

// The three placement kinds; frag_aware with each fragmentation measure.
struct PolicyUnderTest {
  const char* name;
  PlacementKind kind;
  FragMeasure measure;
};
constexpr PolicyUnderTest kPolicies[] = {
    {"first_fit", PlacementKind::kFirstFit, FragMeasure::kHostAware},
    {"best_fit", PlacementKind::kBestFit, FragMeasure::kHostAware},
    {"frag_aware", PlacementKind::kFragAware, FragMeasure::kHostAware},
    {"frag_aware_fgd", PlacementKind::kFragAware, FragMeasure::kFgd},
    {"frag_aware_hybrid", PlacementKind::kFragAware, FragMeasure::kHybrid},
};

class EnginePropertyTest : public ::testing::TestWithParam<std::tuple<size_t, uint64_t>> {
 protected:
  EngineOptions Options() const {
    EngineOptions options;
    options.placement.kind = kPolicies[std::get<0>(GetParam())].kind;
    options.placement.frag_measure = kPolicies[std::get<0>(GetParam())].measure;
    return options;
  }
  uint64_t seed() const { return std::get<1>(GetParam()); }
};

TEST_P(EnginePropertyTest, AccountingDeterminismAndRestore) {
  EngineOptions options = Options();
  std::unique_ptr<Engine> engine = Engine::Create(PropertyInventory(), options).value();
  std::unique_ptr<Engine> twin = Engine::Create(PropertyInventory(), options).value();
  std::unique_ptr<Engine> restored;
  Generator generator(seed());
  std::mt19937_64 pick(seed() ^ 0x9e3779b97f4a7c15ull);
  int restore_at = std::uniform_int_distribution<int>(kSteps / 4, 3 * kSteps / 4)(pick);
  Ledger ledger;
  int64_t grants = 0, queued = 0, ended = 0;
  for (int step = 0; step < kSteps; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    if (step == restore_at) {
      Result<std::unique_ptr<Engine>> copy =
          Engine::Restore(PropertyInventory(), options, engine->Snapshot());
      ASSERT_TRUE(copy.ok()) << copy.status().ToString();
      restored = std::move(copy).value();
      ASSERT_TRUE(restored->Snapshot() == engine->Snapshot());
      ASSERT_TRUE(AccountingMatches(*restored));
    }
    Command command = generator.Next(engine->Snapshot());
    Outcome outcome = Apply(*engine, command);
    ASSERT_EQ(Apply(*twin, command).text, outcome.text) << "twin engines diverged";
    if (restored) {
      ASSERT_EQ(Apply(*restored, command).text, outcome.text) << "restored diverged";
    }
    ASSERT_TRUE(AccountingMatches(*engine));
    std::string error = ledger.Record(command, outcome);
    ASSERT_EQ(error, "") << outcome.text;
    ASSERT_EQ(ledger.Matches(engine->Snapshot()), "");
    grants +=
        outcome.decision.kind == DecisionKind::kGranted && command.kind == Command::Kind::kSubmit;
    queued += outcome.decision.kind == DecisionKind::kQueued;
    for (const Decision& d : outcome.follows) {
      grants += d.kind == DecisionKind::kGranted;
      ended += d.kind == DecisionKind::kLeaseEnded;
    }
  }
  ASSERT_NE(restored, nullptr);
  EXPECT_TRUE(engine->Snapshot() == twin->Snapshot());
  EXPECT_TRUE(engine->Snapshot() == restored->Snapshot());
  EXPECT_TRUE(AccountingMatches(*restored));
  // The sequence exercised what it should.
  EXPECT_GE(grants, 100);
  EXPECT_GE(queued, 50);
  EXPECT_GE(ended, 5);

  // Withdraw and release everything: exactly zero allocation remains.
  Time end = engine->now();
  while (engine->queue_length() > 0) {
    ASSERT_TRUE(engine->Cancel(engine->Snapshot().queue.front().id, end).ok());
  }
  while (engine->lease_count() > 0) {
    ASSERT_TRUE(engine->Release(engine->Snapshot().leases.front().id, end).ok());
  }
  engine->TakeDecisions();
  EXPECT_EQ(engine->queue_length(), 0u);
  ASSERT_TRUE(AccountingMatches(*engine));
  const ClusterState& cluster = engine->cluster();
  for (NodeIndex n = 0; n < cluster.node_count(); ++n) {
    EXPECT_TRUE(cluster.allocated(n).IsZero()) << engine->inventory().nodes[n].name;
    int non_mig = 0;
    for (int d = 0; d < cluster.device_count(n); ++d) {
      EXPECT_TRUE(cluster.device(n, d).Untouched()) << "node " << n << " device " << d;
      non_mig +=
          engine->inventory().nodes[n].devices[static_cast<size_t>(d)].mode != DeviceMode::kMig;
    }
    EXPECT_EQ(cluster.untouched_devices(n), non_mig);
  }
}

// Regression (fixed in ec91fe4): best_fit and frag_aware chose the node before
// checking device memory (whole GPUs with gpu_memory, and for frag_aware a
// fraction's device), so a request waited although another node could host
// it; placement_test.cc has the minimal cases.
TEST_P(EnginePropertyTest, HeadOfQueueNeverFitsNow) {
  EngineOptions options = Options();
  std::unique_ptr<Engine> engine = Engine::Create(PropertyInventory(), options).value();
  Generator generator(seed());
  for (int step = 0; step < kSteps; ++step) {
    Apply(*engine, generator.Next(engine->Snapshot()));
    std::string stuck = HeadOfQueueCannotFit(*engine, options);
    ASSERT_EQ(stuck, "") << "step " << step;
  }
}

std::string PropertyName(const ::testing::TestParamInfo<std::tuple<size_t, uint64_t>>& info) {
  return std::string(kPolicies[std::get<0>(info.param)].name) + "_seed" +
         std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Random, EnginePropertyTest,
                         ::testing::Combine(::testing::Range<size_t>(0, std::size(kPolicies)),
                                            ::testing::Values(1u, 7u, 42u, 2024u)),
                         PropertyName);

}  // namespace
}  // namespace allot
