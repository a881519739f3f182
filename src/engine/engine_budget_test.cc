// Budgets in the engine: atomic reservation at admission, settlement at
// release, periods, hierarchy, thresholds, per-class behaviour, overruns.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::GpuCluster;
using testing::GpuRequest;
using testing::Tenant;

constexpr Duration kHour = Seconds(3600);
// 2026-11-21T00:00:00Z, a Saturday.
constexpr Time kDay0 = Seconds(int64_t{1'795'219'200});

PriorityClass Class(const std::string& name, int64_t value) {
  PriorityClass c;
  c.name = name;
  c.value = value;
  return c;
}

BudgetSpec MoneyBudget(const std::string& name, const std::string& tenant, Money limit,
                       PeriodKind period = PeriodKind::kNone) {
  BudgetSpec spec;
  spec.name = name;
  spec.tenant = tenant;
  spec.limit = limit;
  spec.period.kind = period;
  return spec;
}

class EngineBudgetTest : public ::testing::Test {
 protected:
  // One GPU-hour costs 2.00 on "gpu"; nothing else is priced.
  void Build(std::vector<BudgetSpec> budgets, std::vector<PriorityClass> classes = {},
             int nodes = 4, int gpus = 8) {
    EngineOptions options;
    options.tenants = {Tenant("org"), Tenant("a", "org"), Tenant("b", "org"), Tenant("other")};
    options.classes = std::move(classes);
    PoolPriceSpec price;
    price.pool = "gpu";
    price.per_unit_hour[kGpu] = 2'000'000;
    options.budgets.prices.pools.push_back(price);
    options.budgets.prices.models.push_back({"llm", 1'000'000, 500'000, 4'000'000});
    options.budgets.budgets = std::move(budgets);
    Result<std::unique_ptr<Engine>> engine =
        Engine::Create(GpuCluster(nodes, gpus), std::move(options));
    ASSERT_TRUE(engine.ok()) << engine.status().message();
    engine_ = std::move(engine).value();
  }

  Request Gpu(const std::string& tenant, int64_t gpus, Duration estimate,
              const std::string& priority_class = "") {
    Request request = GpuRequest(1000 * gpus, 0, 0);
    request.tenant = tenant;
    request.estimate = estimate;
    request.priority_class = priority_class;
    return request;
  }

  std::vector<Decision> Alerts() {
    std::vector<Decision> alerts;
    for (Decision& d : engine_->TakeDecisions()) {
      if (d.kind == DecisionKind::kAlert) alerts.push_back(std::move(d));
    }
    return alerts;
  }

  const BudgetLedger& budgets() { return *engine_->budgets(); }
  int Budget(const std::string& name) { return budgets().Find(name); }

  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineBudgetTest, ReservesAtAdmissionAndSettlesAtRelease) {
  Build({MoneyBudget("org", "org", 10'000'000)});
  Decision d = engine_->Submit(Gpu("a", 1, kHour), kDay0);
  ASSERT_EQ(d.kind, DecisionKind::kGranted);
  int org = Budget("org");
  EXPECT_EQ(budgets().reserved(org), 2'000'000);  // one GPU-hour reserved
  EXPECT_EQ(budgets().entry(org).settled, 0);
  ASSERT_TRUE(engine_->Release(d.lease, kDay0 + kHour / 4).ok());
  EXPECT_EQ(budgets().reserved(org), 0);
  EXPECT_EQ(budgets().entry(org).settled, 500'000);  // a quarter hour used
  std::vector<UsageRecord> usage = engine_->TakeUsage();
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].cost, 500'000);
  EXPECT_EQ(usage[0].tenant_path, "org/a");
  EXPECT_EQ(usage[0].end_reason, "released");
  EXPECT_EQ(usage[0].resource_ms[kGpu], int64_t{1000} * 900'000);  // 1 GPU x 900 s
  EXPECT_EQ(usage[0].location, "n0[0]");
}

TEST_F(EngineBudgetTest, OvershootIsImpossibleUnderAConcurrentBurst) {
  // 10,000 requests at the same instant against a budget worth exactly K of
  // them: at most K are granted, in any order, and the settled spend never
  // exceeds the limit.
  constexpr int kRequests = 10'000;
  constexpr int kWorth = 1'237;
  for (uint64_t seed : {1, 2, 3}) {
    // One GPU for 30 minutes costs 1.00; the budget is on the parent, the
    // burst comes from both children.
    Build({MoneyBudget("org", "org", Money{kWorth} * 1'000'000)}, {}, /*nodes=*/1300, /*gpus=*/8);
    std::vector<Request> burst;
    for (int i = 0; i < kRequests; ++i) burst.push_back(Gpu(i % 2 ? "a" : "b", 1, kHour / 2));
    std::shuffle(burst.begin(), burst.end(), std::mt19937_64(seed));
    std::vector<LeaseId> granted;
    int rejected = 0;
    for (const Request& request : burst) {
      Decision d = engine_->Submit(request, kDay0);
      if (d.kind == DecisionKind::kGranted) granted.push_back(d.lease);
      if (d.kind == DecisionKind::kRejected) {
        EXPECT_EQ(d.reject_code, RejectCode::kBudgetExceeded);
        ++rejected;
      }
    }
    EXPECT_EQ(granted.size(), static_cast<size_t>(kWorth)) << "seed " << seed;
    EXPECT_EQ(rejected, kRequests - kWorth);
    int org = Budget("org");
    EXPECT_LE(budgets().reserved(org) + budgets().entry(org).settled, budgets().entry(org).limit);
    for (LeaseId lease : granted) ASSERT_TRUE(engine_->Release(lease, kDay0 + kHour / 2).ok());
    EXPECT_EQ(budgets().entry(org).settled, Money{kWorth} * 1'000'000);
    EXPECT_EQ(budgets().reserved(org), 0);
  }
}

TEST_F(EngineBudgetTest, TokenCallsReserveTheirCeilingAndSettleReportedUsage) {
  BudgetSpec tokens;
  tokens.name = "tokens";
  tokens.tenant = "a";
  tokens.meter = BudgetMeter::kTokens;
  tokens.limit = 14'000;
  Build({tokens, MoneyBudget("money", "org", 1'000'000)});
  Request call = GpuRequest(0, 100, 0);
  call.tenant = "a";
  call.model = "llm";
  call.input_tokens = 3000;
  call.max_output_tokens = 1000;
  std::vector<LeaseId> leases;
  for (int i = 0; i < 3; ++i) {
    Decision d = engine_->Submit(call, kDay0);
    ASSERT_EQ(d.kind, DecisionKind::kGranted) << d.message;
    leases.push_back(d.lease);
  }
  // A fourth would reserve 16,000 tokens of the 14,000.
  Decision refused = engine_->Submit(call, kDay0);
  ASSERT_EQ(refused.kind, DecisionKind::kRejected);
  EXPECT_NE(refused.message.find("budget tokens"), std::string::npos) << refused.message;
  // Bad usage reports change nothing.
  UsageReport bad;
  bad.tokens = {100, 200, 5};
  Status status = engine_->Release(leases[0], kDay0 + Seconds(2), &bad);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("usage.tokens.cached_input"), std::string::npos);
  bad.tokens = {-1, 0, 0};
  EXPECT_FALSE(engine_->Release(leases[0], kDay0 + Seconds(2), &bad).ok());
  ASSERT_NE(engine_->FindLease(leases[0]), nullptr);
  UsageReport used;
  used.tokens = {1000, 500, 200};  // 500 fresh input, 500 cached, 200 output
  ASSERT_TRUE(engine_->Release(leases[0], kDay0 + Seconds(2), &used).ok());
  std::vector<UsageRecord> usage = engine_->TakeUsage();
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].tokens, used.tokens);
  EXPECT_FALSE(usage[0].tokens_estimated);
  EXPECT_EQ(usage[0].model, "llm");
  // 500 x 1.00 + 500 x 0.50 + 200 x 4.00 per million = 1550 micro-units.
  EXPECT_EQ(usage[0].cost, 1550);
  EXPECT_EQ(budgets().entry(Budget("tokens")).settled, 1200);
  // Room for another call now.
  EXPECT_EQ(engine_->Submit(call, kDay0 + Seconds(3)).kind, DecisionKind::kGranted);
  // Released without a report: the ceiling is counted, marked as estimated.
  ASSERT_TRUE(engine_->Release(leases[1], kDay0 + Seconds(4)).ok());
  usage = engine_->TakeUsage();
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_TRUE(usage[0].tokens_estimated);
  EXPECT_EQ(usage[0].tokens.total(), 4000);
}

TEST_F(EngineBudgetTest, ChildSpendCountsAgainstEveryAncestor) {
  Build({MoneyBudget("org", "org", 6'000'000), MoneyBudget("a", "a", 4'000'000)});
  // a: two 1-GPU-hours (2.00 each) fill its own budget.
  EXPECT_EQ(engine_->Submit(Gpu("a", 1, kHour), kDay0).kind, DecisionKind::kGranted);
  EXPECT_EQ(engine_->Submit(Gpu("a", 1, kHour), kDay0).kind, DecisionKind::kGranted);
  Decision over = engine_->Submit(Gpu("a", 1, kHour), kDay0);
  ASSERT_EQ(over.kind, DecisionKind::kRejected);
  EXPECT_NE(over.message.find("budget a (tenant org/a)"), std::string::npos) << over.message;
  // b has no budget of its own, but the parent has 2.00 left: one more hour.
  EXPECT_EQ(engine_->Submit(Gpu("b", 1, kHour), kDay0).kind, DecisionKind::kGranted);
  Decision parent = engine_->Submit(Gpu("b", 1, kHour), kDay0);
  ASSERT_EQ(parent.kind, DecisionKind::kRejected);
  EXPECT_NE(parent.message.find("budget org"), std::string::npos);
  // Another top-level tenant is not under either budget.
  EXPECT_EQ(engine_->Submit(Gpu("other", 1, kHour), kDay0).kind, DecisionKind::kGranted);
}

TEST_F(EngineBudgetTest, WaitingClassesStartWhenTheNextPeriodBegins) {
  PriorityClass wait = Class("batch", 0);
  wait.queue_over_budget = true;
  Build({MoneyBudget("daily", "a", 2'000'000, PeriodKind::kDaily)}, {Class("default", 10), wait});
  Time noon = kDay0 + 12 * kHour;
  Decision first = engine_->Submit(Gpu("a", 1, kHour, "batch"), noon);
  ASSERT_EQ(first.kind, DecisionKind::kGranted);
  ASSERT_TRUE(engine_->Release(first.lease, noon + kHour).ok());
  // The day's 2.00 is spent: batch waits, default is rejected.
  Decision waiting = engine_->Submit(Gpu("a", 1, kHour, "batch"), noon + 2 * kHour);
  ASSERT_EQ(waiting.kind, DecisionKind::kQueued);
  EXPECT_EQ(waiting.queue_reason, QueueReason::kBudget);
  Decision rejected = engine_->Submit(Gpu("a", 1, kHour, "default"), noon + 2 * kHour);
  EXPECT_EQ(rejected.kind, DecisionKind::kRejected);
  EXPECT_EQ(rejected.reject_code, RejectCode::kBudgetExceeded);
  engine_->TakeDecisions();
  engine_->Tick(kDay0 + 24 * kHour - 1);
  EXPECT_EQ(engine_->queue_length(), 1u);
  engine_->Tick(kDay0 + 24 * kHour);  // midnight UTC: a new day, a new budget
  EXPECT_EQ(engine_->queue_length(), 0u);
  bool granted = false;
  for (const Decision& d : engine_->TakeDecisions()) {
    granted |= d.kind == DecisionKind::kGranted && d.request == waiting.request;
  }
  EXPECT_TRUE(granted);
  EXPECT_EQ(budgets().entry(Budget("daily")).settled, 0);
  EXPECT_EQ(budgets().reserved(Budget("daily")), 2'000'000);
}

TEST_F(EngineBudgetTest, RolloverCarriesWhatAPeriodLeftUnspent) {
  BudgetSpec daily = MoneyBudget("daily", "a", 10'000'000, PeriodKind::kDaily);
  daily.rollover = true;
  daily.rollover_cap = 5'000'000;
  Build({daily});
  Decision d = engine_->Submit(Gpu("a", 1, kHour), kDay0 + kHour);
  ASSERT_TRUE(engine_->Release(d.lease, kDay0 + 2 * kHour).ok());  // 2.00 of 10.00 spent
  engine_->Tick(kDay0 + 25 * kHour);
  // 8.00 unspent, capped at 5.00: tomorrow's limit is 15.00.
  EXPECT_EQ(budgets().entry(Budget("daily")).limit, 15'000'000);
  engine_->Tick(kDay0 + 49 * kHour);
  // Day 2 spent nothing: 15.00 unspent, capped at 5.00 again.
  EXPECT_EQ(budgets().entry(Budget("daily")).limit, 15'000'000);
}

TEST_F(EngineBudgetTest, DailyPeriodsFollowTheConfiguredTimeZone) {
  Result<TimeZone> berlin = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  EngineOptions options;
  options.tenants = {Tenant("a")};
  PoolPriceSpec price;
  price.pool = "gpu";
  price.per_unit_hour[kGpu] = 2'000'000;
  options.budgets.prices.pools.push_back(price);
  options.budgets.budgets.push_back(MoneyBudget("daily", "a", 2'000'000, PeriodKind::kDaily));
  options.budgets.time_zone = *berlin;
  engine_ = std::move(Engine::Create(GpuCluster(1, 8), std::move(options))).value();
  // In November Berlin is UTC+1: its day ends at 23:00 UTC.
  Decision d = engine_->Submit(Gpu("a", 1, kHour), kDay0 + 12 * kHour);
  ASSERT_TRUE(engine_->Release(d.lease, kDay0 + 13 * kHour).ok());
  EXPECT_EQ(budgets().entry(0).period.start, kDay0 - kHour);
  engine_->Tick(kDay0 + 23 * kHour - 1);
  EXPECT_EQ(budgets().entry(0).settled, 2'000'000);
  engine_->Tick(kDay0 + 23 * kHour);
  EXPECT_EQ(budgets().entry(0).settled, 0);
  EXPECT_EQ(budgets().entry(0).period.start, kDay0 + 23 * kHour);
}

TEST_F(EngineBudgetTest, ThresholdAlertsFireOncePerPeriodAndThrottleMarkedClasses) {
  PriorityClass batch = Class("batch", 0);
  batch.throttle_percent = 50;
  batch.queue_over_budget = true;
  Build({MoneyBudget("org", "org", 10'000'000, PeriodKind::kDaily)},
        {Class("interactive", 100), batch});
  // 2.00 of 10.00 per GPU-hour.
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(engine_->Submit(Gpu("a", 1, kHour, "batch"), kDay0).kind, DecisionKind::kGranted);
  }
  EXPECT_TRUE(Alerts().empty());  // 40%
  ASSERT_EQ(engine_->Submit(Gpu("a", 1, kHour, "batch"), kDay0).kind, DecisionKind::kGranted);
  std::vector<Decision> alerts = Alerts();  // 60%: the 50% threshold
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].alert->kind, AlertKind::kThreshold);
  EXPECT_EQ(alerts[0].alert->threshold, 50);
  EXPECT_EQ(alerts[0].alert->budget, "org");
  EXPECT_EQ(alerts[0].alert->tenant, "org");
  EXPECT_NE(alerts[0].alert->message.find("50% committed"), std::string::npos);
  // Past 50%, batch waits while interactive goes on to the hard limit.
  Decision throttled = engine_->Submit(Gpu("b", 1, kHour, "batch"), kDay0);
  ASSERT_EQ(throttled.kind, DecisionKind::kQueued);
  EXPECT_EQ(throttled.queue_reason, QueueReason::kBudgetThrottled);
  EXPECT_EQ(engine_->Submit(Gpu("b", 1, kHour, "interactive"), kDay0).kind, DecisionKind::kGranted);
  alerts = Alerts();  // 80%
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].alert->threshold, 80);
  EXPECT_EQ(engine_->Submit(Gpu("b", 1, kHour, "interactive"), kDay0).kind, DecisionKind::kGranted);
  alerts = Alerts();  // 100%: the 90% threshold, once
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].alert->threshold, 90);
  Decision hard = engine_->Submit(Gpu("b", 1, kHour, "interactive"), kDay0);
  EXPECT_EQ(hard.kind, DecisionKind::kRejected);
  alerts = Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].alert->kind, AlertKind::kHardLimit);
  // Once per period: a second refusal raises nothing new.
  EXPECT_EQ(engine_->Submit(Gpu("b", 1, kHour, "interactive"), kDay0).kind,
            DecisionKind::kRejected);
  EXPECT_TRUE(Alerts().empty());
}

TEST_F(EngineBudgetTest, LeasesPastTheirReservationExtendOrFollowTheirClass) {
  PriorityClass strict = Class("strict", 0);
  strict.preempt_over_budget = true;
  PriorityClass lenient = Class("lenient", 0);
  Build({MoneyBudget("a", "a", 3'000'000), MoneyBudget("b", "b", 3'000'000)}, {strict, lenient});
  // Each reserves one GPU-hour (2.00) of 3.00 at a time.
  Decision s = engine_->Submit(Gpu("a", 1, kHour, "strict"), kDay0);
  Decision l = engine_->Submit(Gpu("b", 1, kHour, "lenient"), kDay0);
  ASSERT_EQ(s.kind, DecisionKind::kGranted);
  ASSERT_EQ(l.kind, DecisionKind::kGranted);
  engine_->TakeDecisions();
  // At the estimate both try to extend by another hour: 4.00 > 3.00.
  engine_->Tick(kDay0 + kHour);
  std::vector<Decision> decisions = engine_->TakeDecisions();
  bool strict_ended = false;
  bool overrun_alert = false;
  for (const Decision& d : decisions) {
    if (d.kind == DecisionKind::kLeaseEnded && d.lease == s.lease) {
      strict_ended = d.end_reason == EndReason::kBudgetExhausted;
    }
    if (d.kind == DecisionKind::kAlert && d.alert->kind == AlertKind::kOverrun) {
      overrun_alert = d.alert->lease == l.lease.value;
    }
  }
  EXPECT_TRUE(strict_ended);
  EXPECT_TRUE(overrun_alert);
  ASSERT_NE(engine_->FindLease(l.lease), nullptr);
  EXPECT_TRUE(engine_->FindLease(l.lease)->overrun);
  ASSERT_TRUE(engine_->Release(l.lease, kDay0 + 2 * kHour).ok());
  std::vector<UsageRecord> usage = engine_->TakeUsage();
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[0].end_reason, "budget_exhausted");
  EXPECT_EQ(usage[0].cost, 2'000'000);
  EXPECT_FALSE(usage[0].overrun);
  EXPECT_TRUE(usage[1].overrun);
  EXPECT_EQ(usage[1].cost, 4'000'000);  // let finish: over its 3.00, and flagged
  EXPECT_EQ(budgets().entry(Budget("b")).settled, 4'000'000);
}

TEST_F(EngineBudgetTest, RenewalExtendsTheReservation) {
  Build({MoneyBudget("a", "a", 10'000'000)});
  Request request = Gpu("a", 1, kHour / 2);
  request.ttl = kHour;
  Decision d = engine_->Submit(request, kDay0);
  ASSERT_EQ(d.kind, DecisionKind::kGranted);
  EXPECT_EQ(budgets().reserved(0), 1'000'000);
  ASSERT_TRUE(engine_->Renew(d.lease, kDay0 + kHour / 4).ok());
  // The TTL reaches 1h15 past the grant: three half-hour chunks.
  EXPECT_EQ(engine_->FindLease(d.lease)->reserved_until, kDay0 + 3 * kHour / 2);
  EXPECT_EQ(budgets().reserved(0), 3'000'000);
}

TEST_F(EngineBudgetTest, ForecastsExhaustionOfALinearBurnWithinFivePercent) {
  BudgetSpec monthly = MoneyBudget("org", "org", 1'000'000'000);  // 1000.00
  monthly.signals.forecast_window = 6 * kHour;
  monthly.signals.forecast_horizon = 72 * kHour;
  Build({monthly}, {}, /*nodes=*/2, /*gpus=*/8);
  // 5 GPUs burn 10.00 per hour: 1000.00 lasts 100 hours; the alert comes
  // when 72 hours are left, at hour 28.
  Decision d = engine_->Submit(Gpu("a", 5, 90 * kHour), kDay0);
  ASSERT_EQ(d.kind, DecisionKind::kGranted);
  engine_->TakeDecisions();
  std::shared_ptr<const BudgetAlert> forecast;
  for (Time t = kDay0; t <= kDay0 + 40 * kHour && forecast == nullptr; t += Seconds(600)) {
    engine_->Tick(t);
    for (const Decision& decision : engine_->TakeDecisions()) {
      if (decision.kind == DecisionKind::kAlert && decision.alert->kind == AlertKind::kForecast) {
        forecast = decision.alert;
      }
    }
  }
  ASSERT_NE(forecast, nullptr);
  EXPECT_NEAR(forecast->burn_per_hour, 10'000'000.0, 10'000'000.0 * 0.05);
  // True time left at the alert: (1000 - spent) / 10 per hour.
  double spent = static_cast<double>(forecast->settled);
  double true_left = (1'000'000'000.0 - spent) / 10'000'000.0 * 3.6e9;
  EXPECT_NEAR(static_cast<double>(forecast->time_left), true_left, true_left * 0.05);
  EXPECT_LE(forecast->time_left, 72 * kHour);
  EXPECT_NE(forecast->message.find("runs out in about"), std::string::npos);
}

TEST_F(EngineBudgetTest, FlagsASpendSpikeWithinOneWindow) {
  BudgetSpec budget = MoneyBudget("org", "org", Money{1} << 50);
  budget.signals.anomaly_window = kHour;
  Build({budget}, {}, /*nodes=*/8, /*gpus=*/8);
  // Each hour, one GPU for 30 minutes (1.00) with a little noise; then a
  // 5x hour.
  std::mt19937_64 random(11);
  std::uniform_int_distribution<int> jitter(-120, 120);
  int anomalies = 0;
  Time spike_hour = kDay0 + 48 * kHour;
  Time flagged_at = 0;
  for (Time hour = kDay0; hour < kDay0 + 50 * kHour; hour += kHour) {
    int gpus = hour == spike_hour ? 5 : 1;
    Decision d = engine_->Submit(Gpu("a", gpus, kHour), hour + Seconds(60));
    ASSERT_EQ(d.kind, DecisionKind::kGranted);
    ASSERT_TRUE(engine_->Release(d.lease, hour + Seconds(60 + 1800 + jitter(random))).ok());
    engine_->Tick(hour + kHour);
    for (const Decision& decision : engine_->TakeDecisions()) {
      if (decision.kind == DecisionKind::kAlert && decision.alert->kind == AlertKind::kAnomaly) {
        ++anomalies;
        flagged_at = hour + kHour;
      }
    }
  }
  EXPECT_EQ(anomalies, 1);
  EXPECT_EQ(flagged_at, spike_hour + kHour);  // at the end of the spike's own window
}

TEST_F(EngineBudgetTest, SnapshotKeepsReservationsAndPeriods) {
  BudgetSpec daily = MoneyBudget("daily", "a", 10'000'000, PeriodKind::kDaily);
  Build({daily, MoneyBudget("org", "org", 20'000'000)});
  Decision d1 = engine_->Submit(Gpu("a", 1, kHour), kDay0);
  Decision d2 = engine_->Submit(Gpu("b", 2, kHour), kDay0);
  ASSERT_TRUE(engine_->Release(d1.lease, kDay0 + kHour / 2).ok());
  EngineSnapshot snapshot = engine_->Snapshot();
  EngineOptions options;
  options.tenants = {Tenant("org"), Tenant("a", "org"), Tenant("b", "org"), Tenant("other")};
  PoolPriceSpec price;
  price.pool = "gpu";
  price.per_unit_hour[kGpu] = 2'000'000;
  options.budgets.prices.pools.push_back(price);
  options.budgets.prices.models.push_back({"llm", 1'000'000, 500'000, 4'000'000});
  options.budgets.budgets = {daily, MoneyBudget("org", "org", 20'000'000)};
  Result<std::unique_ptr<Engine>> restored = Engine::Restore(GpuCluster(4, 8), options, snapshot);
  ASSERT_TRUE(restored.ok()) << restored.status().message();
  EXPECT_EQ((*restored)->Snapshot(), snapshot);
  const BudgetLedger& copy = *(*restored)->budgets();
  for (int b = 0; b < 2; ++b) {
    EXPECT_EQ(copy.reserved(b), budgets().reserved(b));
    EXPECT_EQ(copy.entry(b).settled, budgets().entry(b).settled);
  }
  // Both continue alike.
  EXPECT_TRUE(engine_->Release(d2.lease, kDay0 + kHour).ok());
  EXPECT_TRUE((*restored)->Release(d2.lease, kDay0 + kHour).ok());
  EXPECT_EQ(engine_->Snapshot(), (*restored)->Snapshot());
}

TEST_F(EngineBudgetTest, BadBudgetsNameTheField) {
  auto error = [](std::vector<BudgetSpec> budgets) {
    EngineOptions options;
    options.tenants = {Tenant("a")};
    options.budgets.budgets = std::move(budgets);
    Result<std::unique_ptr<Engine>> engine = Engine::Create(GpuCluster(1, 8), std::move(options));
    return engine.ok() ? std::string() : engine.status().message();
  };
  EXPECT_NE(error({MoneyBudget("x", "nobody", 1)}).find("budgets[0] (x).tenant: unknown tenant"),
            std::string::npos);
  EXPECT_NE(error({MoneyBudget("x", "a", 0)}).find("budgets[0] (x).limit"), std::string::npos);
  EXPECT_NE(error({MoneyBudget("x", "a", -5)}).find("limit: must be > 0"), std::string::npos);
  EXPECT_NE(error({MoneyBudget("x", "a", 1), MoneyBudget("x", "a", 1)})
                .find("budgets[1] (x).name: used twice"),
            std::string::npos);
  BudgetSpec every = MoneyBudget("x", "a", 1);
  every.period.kind = PeriodKind::kEvery;
  EXPECT_NE(error({every}).find("period"), std::string::npos);
  BudgetSpec thresholds = MoneyBudget("x", "a", 1);
  thresholds.thresholds = {80, 50};
  EXPECT_NE(error({thresholds}).find("thresholds[1]"), std::string::npos);
  BudgetSpec resource = MoneyBudget("x", "a", 1);
  resource.meter = BudgetMeter::kResourceTime;
  EXPECT_NE(error({resource}).find(".resource"), std::string::npos);
}

}  // namespace
}  // namespace allot
