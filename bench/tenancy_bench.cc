// Fair-share queue under churn: 1,000 tenants (10 orgs x 100 agents), a full
// cluster, and Q requests waiting. Each iteration releases the oldest lease
// (the queue's next request takes the freed GPU) and submits a new request
// (it waits): three decisions. The cost should grow with log Q, not Q.
//
//   tenancy_bench --benchmark_filter=Churn
#include <benchmark/benchmark.h>

#include <deque>
#include <random>

#include "bench_cluster.h"
#include "engine/engine.h"

namespace allot {
namespace {

constexpr int kOrgs = 10;
constexpr int kAgentsPerOrg = 100;

std::vector<TenantSpec> MakeTenants() {
  std::vector<TenantSpec> tenants;
  for (int o = 0; o < kOrgs; ++o) {
    TenantSpec org;
    org.name = "org-" + std::to_string(o);
    tenants.push_back(org);
    for (int a = 0; a < kAgentsPerOrg; ++a) {
      TenantSpec agent;
      agent.name = org.name + "-agent-" + std::to_string(a);
      agent.parent = org.name;
      agent.weight_milli = 1000 + 250 * (a % 4);
      tenants.push_back(agent);
    }
  }
  return tenants;
}

void BM_FairQueueChurn(benchmark::State& state) {
  int64_t queued = state.range(0);
  const int kNodes = 1000;  // 8,000 GPUs, all leased
  EngineOptions options;
  options.tenants = MakeTenants();
  auto created = Engine::Create(BenchCluster(kNodes, DeviceMode::kWhole), options);
  if (!created.ok()) {
    state.SkipWithError(created.status().ToString().c_str());
    return;
  }
  Engine& engine = **created;
  std::vector<Request> asks(kOrgs * kAgentsPerOrg);
  for (size_t t = 0; t < asks.size(); ++t) {
    asks[t].member.resources[kGpu] = 1000;
    asks[t].member.resources[kCpu] = 4000;
    asks[t].member.resources[kMemory] = 16 * 1024;
    asks[t].tenant =
        "org-" + std::to_string(t / kAgentsPerOrg) + "-agent-" + std::to_string(t % kAgentsPerOrg);
  }
  std::mt19937_64 random(3);
  Time now = 1;
  std::deque<LeaseId> running;
  for (int i = 0; i < kNodes * 8; ++i) {
    Decision decision = engine.Submit(asks[random() % asks.size()], now);
    if (decision.kind != DecisionKind::kGranted) {
      state.SkipWithError("fill: not granted");
      return;
    }
    running.push_back(decision.lease);
  }
  for (int64_t i = 0; i < queued; ++i) {
    if (engine.Submit(asks[random() % asks.size()], now).kind != DecisionKind::kQueued) {
      state.SkipWithError("fill: not queued");
      return;
    }
  }
  int64_t decisions = 0;
  std::vector<Decision> follows;
  for (auto _ : state) {
    if (!engine.Release(running.front(), ++now).ok()) {
      state.SkipWithError("release failed");
      break;
    }
    running.pop_front();
    follows = engine.TakeDecisions();
    if (follows.size() != 1 || follows[0].kind != DecisionKind::kGranted) {
      state.SkipWithError("the release did not grant exactly one waiting request");
      break;
    }
    running.push_back(follows[0].lease);
    if (engine.Submit(asks[random() % asks.size()], now).kind != DecisionKind::kQueued) {
      state.SkipWithError("churn: a new request did not wait");
      break;
    }
    decisions += 3;
  }
  state.counters["decisions_per_second"] =
      benchmark::Counter(static_cast<double>(decisions), benchmark::Counter::kIsRate);
  state.counters["queued"] = static_cast<double>(engine.queue_length());
}

BENCHMARK(BM_FairQueueChurn)
    ->ArgNames({"queued"})
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace allot

BENCHMARK_MAIN();
