// ServerMetrics against a real engine: the values of the exposed series, the
// cardinality caps, series removed when the configuration drops what they
// name, and the exposition checked by promtool (Prometheus's own linter).
#include "server/metrics.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::GpuCluster;
using testing::GpuRequest;
using testing::Tenant;

constexpr Duration kMinute = Seconds(60);
// 2026-11-21T00:00:00Z.
constexpr Time kDay0 = Seconds(int64_t{1'795'219'200});
constexpr int64_t kMib = 1024 * 1024;

// The value of the sample `series` (its name and labels exactly as exposed:
// labels sorted by name), or NaN when the text has no such sample.
double Sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
    }
  }
  return std::nan("");
}

// How many samples of the metric `name` (exactly; no _bucket/_sum suffixes).
int CountSamples(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  int count = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.compare(0, name.size() + 1, name + "{") == 0 ||
        line.compare(0, name.size() + 1, name + " ") == 0) {
      ++count;
    }
  }
  return count;
}

// The path of an executable `name` on PATH, or "" when there is none.
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path == nullptr ? "/usr/bin:/bin" : path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

struct ProcessResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `promtool check metrics` on `text` (given on stdin).
ProcessResult PromtoolCheck(const std::string& promtool, const std::string& text) {
  ProcessResult run;
  char input_path[] = "/tmp/allot_metrics_test_XXXXXX";
  int fd = mkstemp(input_path);
  if (fd < 0) return run;
  bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (written) {
    std::string command = "'" + promtool + "' check metrics < '" + input_path + "' 2>&1";
    if (FILE* pipe = popen(command.c_str(), "r"); pipe != nullptr) {
      char buffer[4096];
      for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) run.output.append(buffer, n);
      int status = pclose(pipe);
      run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
  }
  unlink(input_path);
  return run;
}

PriorityClass Class(const std::string& name, int64_t value) {
  PriorityClass c;
  c.name = name;
  c.value = value;
  return c;
}

class ServerMetricsTest : public ::testing::Test {
 protected:
  // 2 nodes x 4 H100s in pool "gpu"; a GPU-hour costs 2.00. Tenants
  // org/team/agent (depth 3) and other; a money budget on org and a
  // GPU-time budget (10 GPU-hours) on other.
  void SetUp() override {
    EngineOptions options;
    options.tenants = {Tenant("org"), Tenant("team", "org"), Tenant("agent", "team"),
                       Tenant("other")};
    options.classes = {Class("batch", 0), Class("urgent", 10)};
    PoolPriceSpec price;
    price.pool = "gpu";
    price.per_unit_hour[kGpu] = 2'000'000;
    options.budgets.prices.pools.push_back(price);
    BudgetSpec money;
    money.name = "org-money";
    money.tenant = "org";
    money.limit = 100'000'000;  // 100.00
    BudgetSpec gpu_time;
    gpu_time.name = "other-gpu";
    gpu_time.tenant = "other";
    gpu_time.meter = BudgetMeter::kResourceTime;
    gpu_time.resource = kGpu;
    gpu_time.limit = int64_t{10} * 3'600'000 * 1000;  // 10 GPU-hours in milli-GPU x ms
    options.budgets.budgets = {money, gpu_time};
    Result<std::unique_ptr<Engine>> engine = Engine::Create(GpuCluster(2, 4), std::move(options));
    ASSERT_TRUE(engine.ok()) << engine.status().message();
    engine_ = std::move(engine).value();
  }

  Request Gpu(const std::string& tenant, int64_t gpus, Duration ttl = 0) {
    Request request = GpuRequest(1000 * gpus, 0, 0);
    request.tenant = tenant;
    request.priority_class = "batch";
    request.estimate = Seconds(3600);
    request.ttl = ttl;
    return request;
  }

  Decision Submit(const Request& request, Time now) {
    Decision decision = engine_->Submit(request, now);
    metrics_.ObserveDecision(decision, *engine_);
    return decision;
  }

  // Observes the outbox and the usage records, as the server does after each
  // command; grants out of the queue waited since `submitted`.
  void Drain(Time submitted) {
    for (const Decision& d : engine_->TakeDecisions()) {
      metrics_.ObserveDecision(d, *engine_, d.at - submitted);
    }
    for (const UsageRecord& record : engine_->TakeUsage()) metrics_.ObserveUsage(record);
  }

  std::string Scrape() {
    metrics_.Refresh(*engine_);
    return metrics_.Serialize();
  }

  // The scenario most tests look at: A (agent, 4 GPUs), B (other, 2 GPUs),
  // D (other, 1 GPU, TTL 1 min) granted; C (agent, 4 GPUs) queued; one
  // invalid and one infeasible request rejected. After 30 minutes D has
  // expired and A is released, so C is granted after waiting 1800 s.
  void RunScenario(std::string* before, std::string* after) {
    Decision a = Submit(Gpu("agent", 4), kDay0);
    ASSERT_EQ(a.kind, DecisionKind::kGranted);
    Request b_request = Gpu("other", 2);
    b_request.idempotency_key = "b";
    ASSERT_EQ(Submit(b_request, kDay0).kind, DecisionKind::kGranted);
    ASSERT_EQ(Submit(Gpu("other", 1, kMinute), kDay0).kind, DecisionKind::kGranted);
    ASSERT_EQ(Submit(Gpu("agent", 4), kDay0).kind, DecisionKind::kQueued);
    Request invalid = Gpu("agent", 1);
    invalid.priority_class = "no-such-class";
    ASSERT_EQ(Submit(invalid, kDay0).kind, DecisionKind::kRejected);
    ASSERT_EQ(Submit(Gpu("agent", 100), kDay0).reject_code, RejectCode::kInfeasible);
    // A retry answers with the same decision, replayed: not counted again.
    ASSERT_TRUE(Submit(b_request, kDay0).replayed);
    *before = Scrape();

    Time later = kDay0 + 30 * kMinute;
    engine_->Tick(later);  // D expires
    Drain(kDay0);
    ASSERT_TRUE(engine_->Release(a.lease, later).ok());  // C is granted
    Drain(kDay0);
    *after = Scrape();
  }

  std::unique_ptr<Engine> engine_;
  ServerMetrics metrics_{"1.2.3", "0123456789ab"};
};

TEST_F(ServerMetricsTest, GaugesFollowTheEngine) {
  std::string before, after;
  ASSERT_NO_FATAL_FAILURE(RunScenario(&before, &after));

  EXPECT_EQ(Sample(before, "allot_leases_active"), 3);
  EXPECT_EQ(Sample(before, "allot_queue_depth{class=\"batch\"}"), 1);
  EXPECT_EQ(Sample(before, "allot_queue_depth{class=\"urgent\"}"), 0);
  EXPECT_EQ(Sample(before, "allot_pool_allocated{pool=\"gpu\",resource=\"gpu\"}"), 7);

  EXPECT_EQ(Sample(after, "allot_leases_active"), 2);  // B and C
  EXPECT_EQ(Sample(after, "allot_queue_depth{class=\"batch\"}"), 0);
  EXPECT_EQ(Sample(after, "allot_pool_capacity{pool=\"gpu\",resource=\"gpu\"}"), 8);
  EXPECT_EQ(Sample(after, "allot_pool_allocated{pool=\"gpu\",resource=\"gpu\"}"), 6);
  EXPECT_EQ(Sample(after, "allot_pool_utilisation_ratio{pool=\"gpu\",resource=\"gpu\"}"), 0.75);
  // Base units: cores and bytes.
  EXPECT_EQ(Sample(after, "allot_pool_capacity{pool=\"gpu\",resource=\"cpu\"}"), 128);
  EXPECT_EQ(Sample(after, "allot_pool_capacity{pool=\"gpu\",resource=\"memory\"}"),
            2.0 * 256 * 1024 * kMib);
  EXPECT_EQ(Sample(after, "allot_pool_capacity{pool=\"gpu\",resource=\"gpu_memory\"}"),
            8.0 * 81920 * kMib);
  EXPECT_EQ(Sample(after, "allot_pool_allocated{pool=\"gpu\",resource=\"gpu_memory\"}"),
            6.0 * 81920 * kMib);
  // No slots in this pool: no series rather than 0 / 0.
  EXPECT_EQ(CountSamples(after, "allot_pool_utilisation_ratio"), 4);
  EXPECT_EQ(Sample(after, "allot_pool_nodes{pool=\"gpu\",state=\"up\"}"), 2);
  EXPECT_EQ(Sample(after, "allot_pool_nodes{pool=\"gpu\",state=\"down\"}"), 0);
}

TEST_F(ServerMetricsTest, CountsDecisionsByOutcomeAndClass) {
  std::string before, after;
  ASSERT_NO_FATAL_FAILURE(RunScenario(&before, &after));

  // A, B, D at submission and C from the queue; the replay of B not again.
  EXPECT_EQ(Sample(after, "allot_decisions_total{class=\"batch\",outcome=\"granted\"}"), 4);
  EXPECT_EQ(Sample(after, "allot_decisions_total{class=\"batch\",outcome=\"queued\"}"), 1);
  EXPECT_EQ(Sample(after, "allot_decisions_total{class=\"batch\",outcome=\"rejected\"}"), 1);
  // The invalid request has no class it could be counted in.
  EXPECT_EQ(Sample(after, "allot_decisions_total{class=\"\",outcome=\"rejected\"}"), 1);
  // D's expiry is the engine's decision; A's release is not.
  EXPECT_EQ(Sample(after, "allot_decisions_total{class=\"batch\",outcome=\"lease_ended\"}"), 1);
  // Configured classes read 0 before their first decision.
  EXPECT_EQ(Sample(after, "allot_decisions_total{class=\"urgent\",outcome=\"granted\"}"), 0);

  EXPECT_EQ(Sample(after, "allot_rejections_total{code=\"invalid_argument\"}"), 1);
  EXPECT_EQ(Sample(after, "allot_rejections_total{code=\"infeasible\"}"), 1);
  EXPECT_EQ(Sample(after, "allot_rejections_total{code=\"budget_exceeded\"}"), 0);
  EXPECT_EQ(Sample(after, "allot_lease_ends_total{reason=\"expired\"}"), 1);
  EXPECT_EQ(Sample(after, "allot_lease_ends_total{reason=\"released\"}"), 1);
  EXPECT_EQ(Sample(after, "allot_lease_ends_total{reason=\"preempted\"}"), 0);

  // Three grants at once and one after 1800 s.
  EXPECT_EQ(Sample(after, "allot_queue_wait_seconds_count{class=\"batch\"}"), 4);
  EXPECT_EQ(Sample(after, "allot_queue_wait_seconds_sum{class=\"batch\"}"), 1800);
  EXPECT_EQ(Sample(after, "allot_queue_wait_seconds_bucket{class=\"batch\",le=\"0.001\"}"), 3);
  EXPECT_EQ(Sample(after, "allot_queue_wait_seconds_bucket{class=\"batch\",le=\"1200\"}"), 3);
  EXPECT_EQ(Sample(after, "allot_queue_wait_seconds_bucket{class=\"batch\",le=\"1800\"}"), 4);
}

TEST_F(ServerMetricsTest, SpendRollsUpToDepthTwoAndBudgetsAreInMeterUnits) {
  std::string before, after;
  ASSERT_NO_FATAL_FAILURE(RunScenario(&before, &after));

  // A: 4 GPUs for half an hour at 2.00 per GPU-hour, spent by org/team/agent
  // and counted at org/team; no per-agent series.
  EXPECT_EQ(Sample(after, "allot_tenant_spend_total{tenant=\"org/team\"}"), 4);
  EXPECT_EQ(after.find("tenant=\"org/team/agent\""), std::string::npos);
  EXPECT_GT(Sample(after, "allot_tenant_spend_total{tenant=\"other\"}"), 0);  // D

  const std::string org = "{budget=\"org-money\",meter=\"money\",tenant=\"org\"}";
  EXPECT_EQ(Sample(after, "allot_budget_limit" + org), 100);
  EXPECT_EQ(Sample(after, "allot_budget_spent" + org), 4);
  EXPECT_EQ(Sample(after, "allot_budget_reserved" + org), 8);  // C: 4 GPUs x its 1 h estimate
  EXPECT_EQ(Sample(after, "allot_budget_remaining" + org), 88);
  const std::string other = "{budget=\"other-gpu\",meter=\"gpu_hours\",tenant=\"other\"}";
  EXPECT_EQ(Sample(after, "allot_budget_limit" + other), 10);
  EXPECT_EQ(Sample(after, "allot_budget_series_omitted"), 0);
}

TEST_F(ServerMetricsTest, ServerSideSeries) {
  metrics_.ObserveHttp("/v1/leases/{id}", "GET", 404, 0.002);
  metrics_.ObserveHttp("/v1/leases/{id}", "GET", 200, 0.001);
  metrics_.ObserveHttp("/v1/leases/{id}", "BREW", 200, 0.001);
  metrics_.ObserveJournalCommit(0.002, 5);
  metrics_.SetConnections(7);
  metrics_.ObserveWebhook("slack", "delivered", 3);
  std::string text = Scrape();
  EXPECT_EQ(Sample(text,
                   "allot_http_request_duration_seconds_count{code=\"4xx\",method=\"GET\","
                   "route=\"/v1/leases/{id}\"}"),
            1);
  EXPECT_EQ(Sample(text,
                   "allot_http_request_duration_seconds_count{code=\"2xx\",method=\"other\","
                   "route=\"/v1/leases/{id}\"}"),
            1);
  EXPECT_EQ(Sample(text, "allot_journal_commit_seconds_count"), 1);
  EXPECT_EQ(Sample(text, "allot_journal_batch_size_sum"), 5);
  EXPECT_EQ(Sample(text, "allot_http_connections"), 7);
  EXPECT_EQ(Sample(text, "allot_webhook_deliveries_total{result=\"delivered\",webhook=\"slack\"}"),
            3);
  EXPECT_EQ(Sample(text, "allot_build_info{commit=\"0123456789ab\",version=\"1.2.3\"}"), 1);
}

TEST_F(ServerMetricsTest, RoutesAndWebhooksAreCapped) {
  // Raw paths passed by mistake: the series stop growing at the cap.
  for (int i = 0; i < 100; ++i) {
    metrics_.ObserveHttp("/v1/leases/" + std::to_string(i), "GET", 200, 0.001);
  }
  for (int i = 0; i < 200; ++i) {
    metrics_.ObserveWebhook("hook-" + std::to_string(i), "failed", 1);
    metrics_.ObserveWebhook("hook-" + std::to_string(i), "delivered", 1);
  }
  std::string text = metrics_.Serialize();
  EXPECT_EQ(CountSamples(text, "allot_http_request_duration_seconds_count"),
            static_cast<int>(ServerMetrics::kMaxRoutes) + 1);
  EXPECT_EQ(Sample(text,
                   "allot_http_request_duration_seconds_count{code=\"2xx\",method=\"GET\","
                   "route=\"other\"}"),
            100 - static_cast<double>(ServerMetrics::kMaxRoutes));
  EXPECT_EQ(CountSamples(text, "allot_webhook_deliveries_total"),
            static_cast<int>(ServerMetrics::kMaxWebhookSeries) + 1);
  EXPECT_EQ(Sample(text, "allot_webhook_deliveries_total{result=\"other\",webhook=\"other\"}"),
            400 - static_cast<double>(ServerMetrics::kMaxWebhookSeries));
}

TEST(ServerMetricsBudgetCapTest, ExportsAtMostTheFirst500Budgets) {
  EngineOptions options;
  for (size_t i = 0; i <= ServerMetrics::kMaxBudgets; ++i) {
    BudgetSpec spec;
    spec.name = "budget-" + std::to_string(i);
    spec.meter = BudgetMeter::kTokens;
    spec.limit = 1000;
    options.budgets.budgets.push_back(spec);
  }
  Result<std::unique_ptr<Engine>> engine = Engine::Create(GpuCluster(1, 1), std::move(options));
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  ServerMetrics metrics("test", "unknown");
  metrics.Refresh(**engine);
  std::string text = metrics.Serialize();
  EXPECT_EQ(CountSamples(text, "allot_budget_limit"), static_cast<int>(ServerMetrics::kMaxBudgets));
  EXPECT_EQ(Sample(text, "allot_budget_series_omitted"), 1);
  EXPECT_EQ(Sample(text, "allot_budget_limit{budget=\"budget-0\",meter=\"tokens\",tenant=\"\"}"),
            1000);
  EXPECT_EQ(text.find("budget=\"budget-500\""), std::string::npos);
}

TEST(ServerMetricsReloadTest, SeriesOfARemovedPoolOrClassGo) {
  ServerMetrics metrics("test", "unknown");
  std::unique_ptr<Engine> first = testing::MakeEngine(GpuCluster(1, 2));
  ASSERT_NE(first, nullptr);
  metrics.Refresh(*first);
  std::string text = metrics.Serialize();
  EXPECT_EQ(Sample(text, "allot_pool_capacity{pool=\"gpu\",resource=\"gpu\"}"), 2);
  EXPECT_EQ(Sample(text, "allot_queue_depth{class=\"default\"}"), 0);

  // As after a reload: another inventory and classes.
  Inventory inventory;
  PoolIndex pool = testing::AddPool(inventory, "cpu-only", "");
  testing::AddNode(inventory, pool,
                   {.name = "c0",
                    .gpus = 0,
                    .mode = DeviceMode::kWhole,
                    .cpu_milli = 16000,
                    .memory_mib = 1024,
                    .labels = {}});
  EngineOptions options;
  options.classes = {Class("interactive", 1)};
  Result<std::unique_ptr<Engine>> second = Engine::Create(std::move(inventory), options);
  ASSERT_TRUE(second.ok()) << second.status().message();
  metrics.Refresh(**second);
  text = metrics.Serialize();
  EXPECT_EQ(text.find("pool=\"gpu\""), std::string::npos);
  EXPECT_EQ(text.find("allot_queue_depth{class=\"default\"}"), std::string::npos);
  EXPECT_EQ(Sample(text, "allot_pool_capacity{pool=\"cpu-only\",resource=\"cpu\"}"), 16);
  EXPECT_EQ(Sample(text, "allot_queue_depth{class=\"interactive\"}"), 0);
}

TEST_F(ServerMetricsTest, SerializeRunsBesideTheStrand) {
  // Serialize on another thread while the strand observes and refreshes
  // (a data race here shows under the sanitizer build).
  std::thread scraper([&] {
    for (int i = 0; i < 200; ++i) EXPECT_FALSE(metrics_.Serialize().empty());
  });
  for (int i = 0; i < 200; ++i) {
    metrics_.ObserveHttp("/v1/leases", "POST", 201, 0.001);
    Decision d = Submit(Gpu(i % 2 ? "agent" : "other", 1, kMinute), kDay0 + i * kMinute);
    if (d.kind == DecisionKind::kGranted) {
      ASSERT_TRUE(engine_->Release(d.lease, kDay0 + i * kMinute + 1).ok());
    }
    Drain(kDay0);
    metrics_.Refresh(*engine_);
  }
  scraper.join();
}

TEST_F(ServerMetricsTest, PromtoolAcceptsTheExposition) {
  std::string promtool = FindOnPath("promtool");
  ASSERT_FALSE(promtool.empty())
      << "promtool (Debian package prometheus) is not installed: run scripts/install-deps.sh";
  std::string before, after;
  ASSERT_NO_FATAL_FAILURE(RunScenario(&before, &after));
  metrics_.ObserveHttp("/v1/leases/{id}", "GET", 200, 0.001);
  metrics_.ObserveJournalCommit(0.0004, 3);
  metrics_.ObserveWebhook("slack", "delivered", 1);
  std::string text = Scrape();
  ProcessResult run = PromtoolCheck(promtool, text);
  EXPECT_EQ(run.exit_code, 0) << run.output << "\n--- exposition ---\n" << text;
  EXPECT_EQ(run.output, "") << run.output;
}

}  // namespace
}  // namespace allot
