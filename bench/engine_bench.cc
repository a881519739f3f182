// Engine throughput and memory: submit + release churn with many active leases.
//
//   engine_bench --benchmark_filter='Churn'
//
// Cluster: N nodes x 8 shared-mode GPUs (80 GiB), 128 cores, 1 TiB. Leases are
// a mix of whole GPUs (30%), halves (30%), quarters (30%) and CPU-only (10%),
// about 0.53 GPU each, so L leases keep about 66% of the GPUs busy when
// L = 10 N. Each iteration releases the oldest lease and submits a new one:
// two decisions. bytes_per_lease is the heap the engine holds per active lease
// (allocator bytes after filling minus before, divided by L).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <random>
#include <vector>

#include "bench_cluster.h"
#include "engine/engine.h"

namespace allot {
namespace {

std::vector<Request> Shapes(const std::string& tenant = "") {
  auto make = [&](int64_t gpu, int64_t cpu, int64_t memory) {
    Request request;
    request.tenant = tenant;
    request.member.resources[kGpu] = gpu;
    request.member.resources[kCpu] = cpu;
    request.member.resources[kMemory] = memory;
    return request;
  };
  return {make(1000, 8000, 64 * 1024), make(500, 4000, 32 * 1024), make(250, 2000, 16 * 1024),
          make(0, 4000, 16 * 1024)};
}

// Shape index stream: 30% / 30% / 30% / 10%.
std::vector<uint8_t> ShapeStream(size_t length) {
  std::mt19937_64 generator(7);
  std::vector<uint8_t> stream(length);
  for (uint8_t& shape : stream) {
    uint64_t draw = generator() % 10;
    shape = draw < 3 ? 0 : draw < 6 ? 1 : draw < 9 ? 2 : 3;
  }
  return stream;
}

size_t HeapBytes() { return mallinfo2().uordblks; }

// Releases the oldest lease of `ring` and submits a new one per iteration;
// reports decisions per second.
void RunChurn(benchmark::State& state, Engine& engine, std::vector<LeaseId>& ring, Time now,
              const std::vector<Request>& shapes) {
  std::vector<uint8_t> stream = ShapeStream(1 << 20);
  size_t next_shape = 0;
  size_t slot = 0;
  int64_t decisions = 0;
  for (auto _ : state) {
    if (!engine.Release(ring[slot], ++now).ok()) {
      state.SkipWithError("release failed");
      break;
    }
    Decision decision = engine.Submit(shapes[stream[next_shape++ % stream.size()]], now);
    if (decision.kind != DecisionKind::kGranted) {
      state.SkipWithError("churn: a lease was not granted");
      break;
    }
    ring[slot] = decision.lease;
    slot = slot + 1 == ring.size() ? 0 : slot + 1;
    decisions += 2;
    engine.DiscardDecisions();
    engine.DiscardUsage();
  }
  state.counters["decisions_per_second"] =
      benchmark::Counter(static_cast<double>(decisions), benchmark::Counter::kIsRate);
  state.SetLabel(std::string(PlacementKindName(engine.placement_kind())) +
                 (engine.budgets() != nullptr ? "+budgets" : ""));
}

// Arg 3 = 1 adds prices and three budgets on every request's tenant path (a
// daily money budget on the team, a monthly one and a weekly GPU-hours one on
// the org), with limits far above the churn's spend: the cost of checking,
// reserving and settling, next to the same churn without budgets (arg 3 = 0,
// same tenant tree).
EngineOptions ChurnOptions(PlacementKind kind, bool budgets) {
  EngineOptions options;
  options.placement.kind = kind;
  TenantSpec org;
  org.name = "org";
  TenantSpec team;
  team.name = "team";
  team.parent = "org";
  options.tenants = {org, team};
  if (!budgets) return options;
  PoolPriceSpec price;
  price.pool = "h100";
  price.node_hour = 98'000'000;
  price.split_ppm[kGpu] = 900'000;
  price.split_ppm[kCpu] = 60'000;
  price.split_ppm[kMemory] = 40'000;
  options.budgets.prices.pools.push_back(price);
  auto budget = [](const char* name, const char* tenant, BudgetMeter meter, PeriodKind period) {
    BudgetSpec spec;
    spec.name = name;
    spec.tenant = tenant;
    spec.meter = meter;
    spec.limit = int64_t{1} << 60;
    spec.period.kind = period;
    if (meter == BudgetMeter::kResourceTime) spec.resource = kGpu;
    return spec;
  };
  options.budgets.budgets = {
      budget("team-daily", "team", BudgetMeter::kMoney, PeriodKind::kDaily),
      budget("org-monthly", "org", BudgetMeter::kMoney, PeriodKind::kMonthly),
      budget("org-gpu-hours", "org", BudgetMeter::kResourceTime, PeriodKind::kWeekly),
  };
  return options;
}

void BM_Churn(benchmark::State& state) {
  int nodes = static_cast<int>(state.range(0));
  int64_t leases = state.range(1);
  bool budgets = state.range(3) != 0;
  EngineOptions options = ChurnOptions(static_cast<PlacementKind>(state.range(2)), budgets);
  Inventory inventory = BenchCluster(nodes, DeviceMode::kShared);
  auto created = Engine::Create(std::move(inventory), options);
  if (!created.ok()) {
    state.SkipWithError(created.status().ToString().c_str());
    return;
  }
  Engine& engine = **created;
  std::vector<Request> shapes = Shapes("team");
  std::vector<uint8_t> stream = ShapeStream(1 << 20);
  size_t next_shape = 0;
  Time now = 1;

  size_t heap_before = HeapBytes();
  std::vector<LeaseId> ring(static_cast<size_t>(leases));
  for (LeaseId& lease : ring) {
    Decision decision = engine.Submit(shapes[stream[next_shape++ % stream.size()]], now);
    if (decision.kind != DecisionKind::kGranted) {
      state.SkipWithError("fill: a lease was not granted");
      return;
    }
    lease = decision.lease;
  }
  size_t heap_after = HeapBytes();

  RunChurn(state, engine, ring, now, shapes);
  state.counters["active_leases"] = static_cast<double>(engine.lease_count());
  state.counters["bytes_per_lease"] =
      static_cast<double>(heap_after - heap_before) / static_cast<double>(leases);
}

// The fragmentation-aware policy's cost grows with the number of distinct
// node states. Churn above keeps few (the policy packs, so most nodes stay
// empty); here the leases start scattered at random over every device of every
// node (a snapshot restored into the engine), which gives thousands of
// distinct states. Arg 3 bounds the states scored per decision (0 = all).
void BM_ChurnScattered(benchmark::State& state) {
  int nodes = static_cast<int>(state.range(0));
  int64_t leases = state.range(1);
  EngineOptions options;
  options.placement.kind = static_cast<PlacementKind>(state.range(2));
  options.placement.frag_max_candidates = static_cast<int>(state.range(3));
  Inventory inventory = BenchCluster(nodes, DeviceMode::kShared);
  EngineSnapshot snapshot;
  std::mt19937_64 generator(11);
  std::vector<int32_t> used(static_cast<size_t>(nodes) * 8, 0);
  std::vector<int64_t> cpu_used(static_cast<size_t>(nodes), 0);
  for (int64_t i = 0; i < leases; ++i) {
    Lease lease;
    lease.id = LeaseId{static_cast<uint64_t>(i + 1)};
    int32_t milli = (generator() % 2 == 0) ? 250 : 500;
    size_t slot;
    do {
      slot = generator() % used.size();
    } while (used[slot] + milli > 1000);
    used[slot] += milli;
    lease.member_host[kCpu] = 2000;
    lease.member_host[kMemory] = 8192;
    lease.tenant = 1;  // the default tenancy's only leaf ("default"; 0 is the root)
    lease.charge = lease.member_host;
    lease.charge[kGpu] = milli;
    Assignment assignment;
    assignment.node = static_cast<NodeIndex>(slot / 8);
    assignment.device = static_cast<int16_t>(slot % 8);
    assignment.gpu_milli = milli;
    assignment.gpu_memory_mib = 80 * 1024 * milli / 1000;
    lease.placement.push_back(assignment);
    snapshot.leases.push_back(std::move(lease));
  }
  snapshot.next_request_id = static_cast<uint64_t>(leases + 1);
  auto restored = Engine::Restore(std::move(inventory), options, snapshot);
  if (!restored.ok()) {
    state.SkipWithError(restored.status().ToString().c_str());
    return;
  }
  Engine& engine = **restored;
  // Churn over the restored leases in id order, then over the new ones.
  std::vector<LeaseId> ring(static_cast<size_t>(leases));
  for (int64_t i = 0; i < leases; ++i) {
    ring[static_cast<size_t>(i)] = LeaseId{static_cast<uint64_t>(i + 1)};
  }
  RunChurn(state, engine, ring, 1, Shapes());
}

BENCHMARK(BM_ChurnScattered)
    ->ArgNames({"nodes", "leases", "policy", "max_states"})
    ->Args({1000, 10000, static_cast<int>(PlacementKind::kBestFit), 0})
    ->Args({1000, 10000, static_cast<int>(PlacementKind::kFragAware), 0})
    ->Args({10000, 100000, static_cast<int>(PlacementKind::kBestFit), 0})
    ->Args({10000, 100000, static_cast<int>(PlacementKind::kFragAware), 0})
    ->Args({10000, 100000, static_cast<int>(PlacementKind::kFragAware), 256})
    ->Args({10000, 100000, static_cast<int>(PlacementKind::kFragAware), 64})
    ->Unit(benchmark::kMicrosecond);

BENCHMARK(BM_Churn)
    ->ArgNames({"nodes", "leases", "policy", "budgets"})
    ->Args({1000, 10000, static_cast<int>(PlacementKind::kBestFit), 0})
    ->Args({1000, 10000, static_cast<int>(PlacementKind::kBestFit), 1})
    ->Args({1000, 10000, static_cast<int>(PlacementKind::kFragAware), 0})
    ->Args({1000, 10000, static_cast<int>(PlacementKind::kFragAware), 1})
    ->Args({1000, 10000, static_cast<int>(PlacementKind::kFirstFit), 0})
    ->Args({10000, 100000, static_cast<int>(PlacementKind::kBestFit), 0})
    ->Args({10000, 100000, static_cast<int>(PlacementKind::kBestFit), 1})
    ->Args({10000, 100000, static_cast<int>(PlacementKind::kFragAware), 0})
    ->Args({10000, 100000, static_cast<int>(PlacementKind::kFragAware), 1})
    ->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace allot

BENCHMARK_MAIN();
