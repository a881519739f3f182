// The simulator's replay: waits, completions, restarts after preemption,
// utilisation and budget series, summaries, and determinism of result.json.
#include "sim/replay.h"

#include <gtest/gtest.h>

#include <tuple>

#include "config/config_loader.h"
#include "sim/replay_summary.h"
#include "sim/simulation.h"

namespace allot {
namespace {

using Json = nlohmann::ordered_json;

constexpr Time kEpoch = Seconds(1'700'000'000);

// One node with two whole GPUs, classes high (may preempt) and low, tenants
// a and b, a GPU price and a small daily budget on b.
constexpr const char* kCluster = R"(
pools:
  - name: gpu
    gpu_model: H100-80GB
    nodes: [{name: n0, cpu: 8, memory: 64Gi, gpus: 2, gpu_mode: whole}]
gpu_models: [{name: H100-80GB, memory: 80Gi}]
classes:
  - {name: high, value: 100, preempt: true, wait_objective: 5}
  - {name: low, value: 0}
tenants:
  - {name: a}
  - {name: b}
currency: USD
prices:
  pools:
    gpu: {gpu: "3.60"}
budgets:
  - {name: b-daily, tenant: b, money: "100", period: daily}
)";

Config Cluster() {
  Result<Config> config = ParseConfig(kCluster, "test.yaml");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return std::move(config).value();
}

SimJob Job(const std::string& name, int64_t submit_s, int64_t duration_s, int64_t gpus,
           const std::string& tenant, const std::string& priority_class) {
  SimJob job;
  job.name = name;
  job.submit = kEpoch + Seconds(submit_s);
  job.duration = Seconds(duration_s);
  job.request.member.resources[kGpu] = 1000 * gpus;
  job.request.member.resources[kCpu] = 1000;
  job.request.member.resources[kMemory] = 1024;
  job.request.tenant = tenant;
  job.request.priority_class = priority_class;
  return job;
}

ReplayTrace Replay(const Workload& workload, const std::string& policy = "config",
                   Duration step = Seconds(10)) {
  Config config = Cluster();
  ReplayOptions options;
  options.step = step;
  Result<ReplayTrace> trace =
      RunReplay(config.inventory, config.engine, ParseSimPolicy(policy).value(), workload, options);
  EXPECT_TRUE(trace.ok()) << trace.status().ToString();
  return std::move(trace).value();
}

TEST(ReplayTest, JobsWaitForCapacityAndFinishAfterTheirDuration) {
  Workload workload;
  workload.jobs = {Job("j0", 0, 10, 2, "a", "low"), Job("j1", 1, 5, 1, "b", "low")};
  ReplayTrace trace = Replay(workload);
  ASSERT_EQ(trace.jobs.size(), 2u);
  EXPECT_EQ(trace.jobs[0].first_start, kEpoch);
  EXPECT_EQ(trace.jobs[0].end, kEpoch + Seconds(10));
  EXPECT_EQ(trace.jobs[1].first_start, kEpoch + Seconds(10));  // waited 9 s
  EXPECT_EQ(trace.jobs[1].end, kEpoch + Seconds(15));
  EXPECT_EQ(trace.jobs[1].state, JobOutcome::State::kFinished);
  EXPECT_EQ(trace.end, kEpoch + Seconds(15));

  // Two GPUs busy for 10 s, then one for 5 s, in steps of 10 s: the first
  // step is full, the second (5 s long) half full.
  ASSERT_EQ(trace.gpu_allocated.values.size(), 2u);
  EXPECT_DOUBLE_EQ(trace.gpu_allocated.values[0], 2.0);
  EXPECT_DOUBLE_EQ(trace.gpu_allocated.values[1], 1.0);
  // j1 waited from t = 1 to 10 with 1 GPU asked: queue length 0.9 in step 0.
  EXPECT_NEAR(trace.queue_length[1].values[0], 0.9, 1e-9);
  EXPECT_EQ(trace.utilization[0].name, "gpu/gpu");
  EXPECT_DOUBLE_EQ(trace.utilization[0].values[0], 1.0);
  EXPECT_DOUBLE_EQ(trace.gpu_arrived.values[0], 2.0 + 0.9);

  Json run = SummarizeReplay(trace, "config", "as configured");
  EXPECT_EQ(run["summary"]["finished"], 2);
  EXPECT_EQ(run["summary"]["wait_s"]["max"], 9.0);
  EXPECT_EQ(run["summary"]["jct_s"]["max"], 14.0);
  // Utilisation over the 15 s: (2 x 10 + 1 x 5) / 15 / 2 GPUs.
  EXPECT_NEAR(run["summary"]["gpu_utilization_mean"].get<double>(), 25.0 / 30.0, 1e-6);
  // Cost: 3.60 per GPU-hour; j1 (tenant b) ran 1 GPU for 5 s = 0.005.
  EXPECT_NEAR(run["tenants"][1]["cost"].get<double>(), 0.005, 1e-6);
}

TEST(ReplayTest, PreemptedJobsQueueAgainAndCountTheirLostWork) {
  Workload workload;
  workload.jobs = {Job("low", 0, 100, 2, "a", "low"), Job("high", 10, 20, 1, "b", "high")};
  ReplayTrace trace = Replay(workload);
  EXPECT_EQ(trace.jobs[1].first_start, kEpoch + Seconds(10));
  EXPECT_EQ(trace.jobs[0].restarts, 1);
  EXPECT_EQ(trace.lost_work_us, Seconds(10));
  // It restarts when the high job is done, and runs its full 100 s again.
  EXPECT_EQ(trace.jobs[0].end, kEpoch + Seconds(130));
  Json run = SummarizeReplay(trace, "config", "");
  EXPECT_EQ(run["summary"]["preemptions"], 1);
  EXPECT_EQ(run["classes"][0]["name"], "high");
  EXPECT_EQ(run["classes"][0]["slo_attainment"], 1.0);  // started at once, objective 5 s
}

TEST(ReplayTest, FifoPolicyNeitherPreemptsNorReorders) {
  Workload workload;
  workload.jobs = {Job("low", 0, 100, 2, "a", "low"), Job("high", 10, 20, 1, "b", "high")};
  ReplayTrace trace = Replay(workload, "fifo");
  EXPECT_EQ(trace.jobs[0].restarts, 0);
  EXPECT_EQ(trace.jobs[1].first_start, kEpoch + Seconds(100));
  Json run = SummarizeReplay(trace, "fifo", "");
  EXPECT_EQ(run["classes"][0]["slo_attainment"], 0.0);  // waited 90 s against 5 s
}

TEST(ReplayTest, FairShareReferenceIsWeightedDrf) {
  // The DRF paper's cluster: 9 CPUs, 18 GB; a runs tasks of <1 CPU, 4 GB>,
  // b of <3 CPUs, 1 GB>, each with more than fit. Per resource, both are due
  // a dominant share of 2/3 (3 tasks and 2), not half of one pooled share.
  Result<Config> config = ParseConfig(R"(
pools:
  - name: cpu
    nodes: [{name: c0, cpu: 9, memory: 18Gi}]
classes: [{name: low, value: 0}]
tenants: [{name: a}, {name: b}]
)",
                                      "drf.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  Workload workload;
  for (int i = 0; i < 10; ++i) {
    for (const auto& [tenant, cpu, gib] : {std::tuple{"a", 1, 4}, std::tuple{"b", 3, 1}}) {
      SimJob job = Job(std::string(tenant) + std::to_string(i), 0, 100, 0, tenant, "low");
      job.request.member.resources[kCpu] = 1000 * cpu;
      job.request.member.resources[kMemory] = 1024 * gib;
      workload.jobs.push_back(job);
    }
  }
  ReplayOptions options;
  options.step = Seconds(10);
  Result<ReplayTrace> trace = RunReplay(config->inventory, config->engine,
                                        ParseSimPolicy("config").value(), workload, options);
  ASSERT_TRUE(trace.ok()) << trace.status().ToString();
  ASSERT_EQ(trace->fair_share.size(), 2u);
  EXPECT_NEAR(trace->fair_share[0].values[0], 2.0 / 3.0, 1e-9);
  EXPECT_NEAR(trace->fair_share[1].values[0], 2.0 / 3.0, 1e-9);
}

TEST(ReplayTest, UnknownTenantOrClassNamesTheJob) {
  Config config = Cluster();
  Workload workload;
  workload.jobs = {Job("j7", 0, 10, 1, "ghost", "low")};
  Result<ReplayTrace> trace =
      RunReplay(config.inventory, config.engine, ParseSimPolicy("config").value(), workload);
  ASSERT_FALSE(trace.ok());
  EXPECT_NE(trace.status().message().find("job j7: tenant 'ghost'"), std::string::npos);
  workload.jobs = {Job("j8", 0, 10, 1, "a", "urgent")};
  trace = RunReplay(config.inventory, config.engine, ParseSimPolicy("config").value(), workload);
  ASSERT_FALSE(trace.ok());
  EXPECT_NE(trace.status().message().find("job j8: priority class 'urgent'"), std::string::npos);
}

TEST(ReplayTest, BudgetSpendIsSampledAndAlertsAreEvents) {
  // Tenant b burns 1 GPU at 3.60/h for 20 h: 72 of its 100 daily budget,
  // crossing the 50% threshold (reservations count).
  Workload workload;
  workload.jobs = {Job("long", 0, 20 * 3600, 1, "b", "low")};
  workload.jobs[0].request.estimate = Seconds(20 * 3600);
  ReplayTrace trace = Replay(workload, "config", Seconds(3600));
  ASSERT_EQ(trace.spend.size(), 1u);
  EXPECT_EQ(trace.spend[0].unit, "USD");
  EXPECT_DOUBLE_EQ(trace.spend[0].limit.front(), 100.0);
  EXPECT_NEAR(trace.spend[0].spent[0], 3.6, 1e-6);  // one hour in
  EXPECT_FALSE(trace.budget_events.empty());
  EXPECT_EQ(trace.budget_events[0].budget, "b-daily");
  EXPECT_EQ(trace.budget_events[0].kind, "threshold");
}

TEST(ReplayTest, SimulationIsDeterministicAndComparesPolicies) {
  Config config = Cluster();
  Workload workload;
  for (int i = 0; i < 200; ++i) {
    workload.jobs.push_back(Job("j" + std::to_string(i), i * 7, 30 + (i * 37) % 200, 1 + i % 2,
                                i % 3 == 0 ? "a" : "b", i % 4 == 0 ? "high" : "low"));
  }
  SimulationOptions options;
  options.policies = ParseSimPolicies("fifo,priority,fair_share").value();
  Result<Json> first = RunSimulation(config.inventory, config.engine, workload, options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  Result<Json> second = RunSimulation(config.inventory, config.engine, workload, options);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->dump(), second->dump());
  ASSERT_EQ((*first)["runs"].size(), 3u);
  EXPECT_EQ((*first)["runs"][0]["policy"], "fifo");
  // The high class waits less under priority than under FIFO.
  double fifo_high = (*first)["runs"][0]["classes"][0]["wait_s"]["mean"].get<double>();
  double priority_high = (*first)["runs"][1]["classes"][0]["wait_s"]["mean"].get<double>();
  EXPECT_LT(priority_high, fifo_high);
  for (const Json& run : (*first)["runs"]) {
    EXPECT_EQ(run["summary"]["finished"], 200) << run["policy"];
    EXPECT_EQ(run["series"]["t_s"].size(), run["series"]["gpu_allocated"].size());
    EXPECT_EQ(run["wait_cdf"][0]["wait_s"].size(), 101u);
  }
}

TEST(ReplayTest, FillModeReportsTheCurveForEachPolicy) {
  Config config = Cluster();
  Workload workload;
  for (int i = 0; i < 10; ++i) workload.jobs.push_back(Job("j", i, 10, 1, "a", "low"));
  SimulationOptions options;
  options.mode = SimulationOptions::Mode::kFill;
  options.seeds = 3;
  options.threads = 2;
  options.policies = ParseSimPolicies("best_fit,first_fit").value();
  Result<Json> result = RunSimulation(config.inventory, config.engine, workload, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Json& fill = (*result)["runs"][0]["fill"];
  EXPECT_EQ(fill["seeds"], Json({42, 43, 44}));
  // Whole GPUs on whole devices: everything that arrives up to 100% fits.
  EXPECT_EQ(fill["allocated_at_100"], 100.0);
  EXPECT_EQ(fill["curve"]["arrived_pct"].size(), 131u);
  options.threads = 1;
  Result<Json> serial = RunSimulation(config.inventory, config.engine, workload, options);
  EXPECT_EQ(result->dump(), serial->dump());
}

TEST(SimPolicyTest, ParsesOrderingsAndPlacements) {
  EXPECT_TRUE(ParseSimPolicies("fifo,priority+best_fit,frag_aware/fgd,config").ok());
  Result<std::vector<SimPolicy>> bad = ParseSimPolicies("fifo,lottery");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--policy: unknown policy 'lottery'"), std::string::npos);
  EXPECT_FALSE(ParseSimPolicies("fifo,fifo").ok());
  EXPECT_FALSE(ParseSimPolicies("fifo+worst_fit").ok());
  EXPECT_FALSE(ParseSimPolicies("best_fit/fgd").ok());
}

TEST(ReplaySummaryTest, PercentileAndJain) {
  EXPECT_DOUBLE_EQ(Percentile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(Percentile({1, 2, 3, 4}, 1.0), 4);
  EXPECT_DOUBLE_EQ(Percentile({7}, 0.99), 7);
  EXPECT_DOUBLE_EQ(JainIndex({1, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(JainIndex({1, 0, 0, 0}), 0.25);
}

}  // namespace
}  // namespace allot
