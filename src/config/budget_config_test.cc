// Prices and budgets in YAML: a full example, and errors that name the line,
// column and field.
#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"

namespace allot {
namespace {

// Lines 1-17 describe the cluster and tenants; the budget sections follow.
constexpr std::string_view kCluster = R"(gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: h100
    gpu_model: H100-80GB
    nodes:
      - {name_prefix: n, count: 2, cpu: 64, memory: 512Gi, gpus: 8}
  - name: cpu
    nodes:
      - {name: c0, cpu: 32, memory: 128Gi}
tenants:
  - {name: acme}
  - {name: research, parent: acme}
  - {name: agents, parent: acme}
classes:
  - {name: batch, value: 0, throttle_at: 80, over_budget: wait, over_reservation: preempt}
  - {name: default, value: 10}
)";

constexpr std::string_view kBudgets = R"(currency: EUR
time_zone: Europe/Berlin
default_estimate: 30m
prices:
  pools:
    h100: {node_hour: "24.00", split: {gpu: 0.9, cpu: 0.05, memory: 0.05}}
    cpu: {cpu: "0.02", memory: "0.001"}
  models:
    llama: {input: "0.60", cached_input: "0.15", output: "0.80"}
budgets:
  - {name: acme-monthly, tenant: acme, money: "20000", period: monthly, rollover: true,
     rollover_cap: "1000", thresholds: [50, 75, 95],
     forecast: {window: 6h, horizon: 3d}, anomaly: {window: 1h, threshold: 8, min_ratio: 3}}
  - {name: research-gpu, tenant: research, resource_hours: {gpu: 1500.5}, period: weekly,
     week_start: sunday}
  - {name: agents-tokens, tenant: agents, tokens: 50000000, period: daily}
  - {name: sprint, tenant: acme/research, money: "800", period: 14d, anchor: "2026-11-02"}
)";

Result<Config> Parse(std::string_view budgets) {
  return ParseConfig(std::string(kCluster) + std::string(budgets), "test.yaml");
}

std::string Error(std::string_view budgets) {
  Result<Config> config = Parse(budgets);
  return config.ok() ? std::string("(parsed)") : config.status().message();
}

TEST(BudgetConfigTest, ReadsPricesAndBudgets) {
  Result<Config> config = Parse(kBudgets);
  ASSERT_TRUE(config.ok()) << config.status().message();
  const BudgetOptions& options = config->engine.budgets;
  EXPECT_EQ(options.prices.currency, "EUR");
  EXPECT_EQ(options.time_zone.name(), "Europe/Berlin");
  EXPECT_EQ(options.default_estimate, Seconds(1800));
  ASSERT_EQ(options.prices.pools.size(), 2u);
  EXPECT_EQ(options.prices.pools[0].node_hour, 24'000'000);
  EXPECT_EQ(options.prices.pools[0].split_ppm[kGpu], 900'000);
  EXPECT_EQ(options.prices.pools[1].per_unit_hour[kCpu], 20'000);
  ASSERT_EQ(options.prices.models.size(), 1u);
  EXPECT_EQ(options.prices.models[0].cached_input_per_million, 150'000);
  ASSERT_EQ(options.budgets.size(), 4u);
  const BudgetSpec& monthly = options.budgets[0];
  EXPECT_EQ(monthly.limit, 20'000'000'000);
  EXPECT_EQ(monthly.period.kind, PeriodKind::kMonthly);
  EXPECT_TRUE(monthly.rollover);
  EXPECT_EQ(monthly.rollover_cap, 1'000'000'000);
  EXPECT_EQ(monthly.thresholds, (std::vector<int>{50, 75, 95}));
  EXPECT_EQ(monthly.signals.forecast_window, Seconds(6 * 3600));
  EXPECT_EQ(monthly.signals.forecast_horizon, Seconds(3 * 86400));
  EXPECT_EQ(monthly.signals.anomaly_threshold, 8.0);
  const BudgetSpec& gpu = options.budgets[1];
  EXPECT_EQ(gpu.meter, BudgetMeter::kResourceTime);
  EXPECT_EQ(gpu.resource, kGpu);
  EXPECT_EQ(gpu.limit, int64_t{1'500'500} * 3600 * 1000);  // milli-hours x ms x milli-GPU
  EXPECT_EQ(gpu.period.week_start, 0);
  EXPECT_EQ(options.budgets[2].meter, BudgetMeter::kTokens);
  EXPECT_EQ(options.budgets[2].limit, 50'000'000);
  const BudgetSpec& sprint = options.budgets[3];
  EXPECT_EQ(sprint.period.kind, PeriodKind::kEvery);
  EXPECT_EQ(sprint.period.every, Seconds(14 * 86400));
  // 2026-11-02 at midnight in Berlin (UTC+1): 19 days before 2026-11-21T00:00Z, less an hour.
  EXPECT_EQ(sprint.period.anchor, Seconds(int64_t{1'795'219'200} - 19 * 86400 - 3600));
  const PriorityClass& batch = config->engine.classes[0];
  EXPECT_EQ(batch.throttle_percent, 80);
  EXPECT_TRUE(batch.queue_over_budget);
  EXPECT_TRUE(batch.preempt_over_budget);
  EXPECT_TRUE(Engine::Create(config->inventory, config->engine).ok());
}

TEST(BudgetConfigTest, DefaultConfigurationHasPricesAndBudgets) {
  Result<Config> config = ParseConfig(DefaultConfigYaml(), "<default>");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_FALSE(config->engine.budgets.budgets.empty());
  EXPECT_FALSE(config->engine.budgets.prices.pools.empty());
}

TEST(BudgetConfigTest, BadInputNamesLineAndField) {
  EXPECT_EQ(Error("currency: XYZ\n"),
            "test.yaml:18:11: currency: 'XYZ' is not an ISO 4217 currency code (such as USD, EUR)");
  EXPECT_EQ(Error("prices:\n  pools:\n    h100: {gpu: \"-2.50\"}\n"),
            "test.yaml:20:17: prices.pools.h100.gpu: '-2.50' is negative; amounts must be >= 0");
  EXPECT_EQ(Error("prices:\n  pools:\n    nope: {gpu: \"2\"}\n"),
            "test.yaml:20:11: prices.pools[0] (nope): unknown pool");
  EXPECT_EQ(Error("prices:\n  pools:\n    h100: {node_hour: \"10\", split: {gpu: 0.5}}\n"),
            "test.yaml:20:11: prices.pools[0] (h100).split: sums to 0.5, must be 1");
  EXPECT_EQ(Error("budgets:\n  - {name: s, tenant: acme, money: \"5\", period: 14d}\n"),
            "test.yaml:19:5: budgets[0].anchor: is required for a period given as a duration: "
            "the start of one period, such as 2026-01-05");
  EXPECT_EQ(Error("budgets:\n  - {name: s, tenant: nobody, money: \"5\"}\n"),
            "test.yaml:19:5: budgets[0] (s).tenant: unknown tenant 'nobody'");
  EXPECT_EQ(Error("budgets:\n  - {name: s, tenant: acme}\n"),
            "test.yaml:19:5: budgets[0]: needs exactly one of money, tokens or resource_hours");
  EXPECT_EQ(Error("budgets:\n  - {name: s, money: \"5\", period: fortnightly}\n"),
            "test.yaml:19:35: budgets[0].period: must be none, daily, weekly, monthly or a "
            "duration such as 14d");
  EXPECT_EQ(Error("time_zone: Mars/Olympus\n"),
            "test.yaml:18:12: time_zone: unknown time zone 'Mars/Olympus' (IANA names such as "
            "Europe/Berlin)");
  EXPECT_EQ(Error("budgets:\n  - {name: s, money: \"5\", anchor: \"2026-01-01\"}\n"),
            "test.yaml:19:35: budgets[0].anchor: only a period given as a duration has one");
  EXPECT_EQ(Error("budgets:\n  - {name: s, money: \"5\", thresholds: [90, 50]}\n"),
            "test.yaml:19:5: budgets[0] (s).thresholds[1]: percentages must increase, each within "
            "1..100, got 50");
  EXPECT_EQ(Error("budgets:\n  - {name: s, money: \"5\", colour: red}\n"),
            "test.yaml:19:27: budgets[0].colour: unknown key");
  EXPECT_EQ(Error("prices:\n  models:\n    llama: {input: \"1e3\"}\n"),
            "test.yaml:20:20: prices.models.llama.input: '1e3' is not a plain decimal amount "
            "such as 2.50");
}

}  // namespace
}  // namespace allot
