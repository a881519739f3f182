// Ledger invariants under random work: for every budget and period, the
// settled spend equals the sum of its subtree's usage records, and settled
// plus reserved never exceeds the hard limit.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::GpuCluster;
using testing::GpuRequest;
using testing::Tenant;

constexpr Duration kMinute = Seconds(60);
constexpr Time kStart = Seconds(int64_t{1'795'219'200});  // 2026-11-21T00:00:00Z

EngineOptions Options() {
  EngineOptions options;
  options.tenants = {Tenant("org"), Tenant("a", "org"), Tenant("b", "org"), Tenant("other")};
  PriorityClass wait;
  wait.name = "wait";
  wait.value = 0;
  wait.queue_over_budget = true;
  wait.throttle_percent = 80;
  wait.preempt_over_budget = true;
  PriorityClass reject;
  reject.name = "reject";
  reject.value = 10;
  reject.preempt_over_budget = true;
  options.classes = {wait, reject};
  PoolPriceSpec price;
  price.pool = "gpu";
  price.per_unit_hour[kGpu] = 2'000'000;
  price.per_unit_hour[kCpu] = 40'000;
  options.budgets.prices.pools.push_back(price);
  options.budgets.prices.models.push_back({"llm", 3'000'000, 300'000, 15'000'000});
  auto budget = [](std::string name, std::string tenant, BudgetMeter meter, int64_t limit,
                   PeriodKind period) {
    BudgetSpec spec;
    spec.name = std::move(name);
    spec.tenant = std::move(tenant);
    spec.meter = meter;
    spec.limit = limit;
    spec.period.kind = period;
    if (meter == BudgetMeter::kResourceTime) spec.resource = kGpu;
    return spec;
  };
  options.budgets.budgets = {
      budget("org-daily", "org", BudgetMeter::kMoney, 40'000'000, PeriodKind::kDaily),
      budget("a-tokens", "a", BudgetMeter::kTokens, 60'000, PeriodKind::kDaily),
      // 10 GPU-hours: 10 x 1000 milli-GPU x 3.6e6 ms.
      budget("b-gpu-hours", "b", BudgetMeter::kResourceTime, int64_t{36'000'000'000},
             PeriodKind::kDaily),
      budget("other-total", "other", BudgetMeter::kMoney, 150'000'000, PeriodKind::kNone),
      budget("everyone", "", BudgetMeter::kMoney, 400'000'000, PeriodKind::kWeekly),
  };
  options.budgets.default_estimate = 20 * kMinute;
  return options;
}

int64_t RecordAmount(const BudgetSpec& spec, const UsageRecord& record) {
  switch (spec.meter) {
    case BudgetMeter::kMoney:
      return record.cost;
    case BudgetMeter::kTokens:
      return record.tokens.total();
    case BudgetMeter::kResourceTime:
      return record.resource_ms[static_cast<size_t>(spec.resource)];
  }
  return 0;
}

bool InSubtree(const std::string& path, const std::string& owner) {
  if (owner.empty()) return true;
  return path == owner || path.rfind(owner + "/", 0) == 0;
}

// Runs random work and checks the invariants after every command; returns
// every usage record, for the determinism check.
struct Outcomes {
  int budget_rejections = 0;
  int budget_waits = 0;  // queued for a hard limit or a throttle
  int budget_stops = 0;  // leases stopped when their reservation ran out
};

std::vector<UsageRecord> RunRandomWork(uint64_t seed, int steps, Outcomes* outcomes = nullptr) {
  Outcomes ignored;
  if (outcomes == nullptr) outcomes = &ignored;
  std::unique_ptr<Engine> engine = std::move(Engine::Create(GpuCluster(4, 8), Options())).value();
  std::mt19937_64 random(seed);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(random);
  };
  const char* tenants[] = {"a", "b", "other"};
  std::vector<UsageRecord> records;
  std::vector<RequestId> requests;
  Time now = kStart;
  for (int step = 0; step < steps; ++step) {
    now += pick(0, 30) * kMinute;
    int64_t action = pick(0, 9);
    if (action <= 4) {
      Request request = GpuRequest(1000 * pick(1, 3), 1000 * pick(0, 4), 0);
      request.tenant = tenants[pick(0, 2)];
      request.priority_class = pick(0, 1) ? "wait" : "reject";
      request.estimate = pick(0, 1) ? pick(5, 180) * kMinute : 0;
      if (pick(0, 3) == 0) request.ttl = pick(10, 90) * kMinute;
      if (request.tenant == "a" && pick(0, 1)) {
        request.model = "llm";
        request.input_tokens = pick(100, 8000);
        request.max_output_tokens = pick(100, 4000);
      }
      Decision d = engine->Submit(request, now);
      outcomes->budget_rejections += d.reject_code == RejectCode::kBudgetExceeded;
      outcomes->budget_waits +=
          d.kind == DecisionKind::kQueued && (d.queue_reason == QueueReason::kBudget ||
                                              d.queue_reason == QueueReason::kBudgetThrottled);
      if (d.request.valid()) requests.push_back(d.request);
      // Releases and renewals pick among the latest requests.
      if (requests.size() > 24) requests.erase(requests.begin());
    } else if (action <= 6 && !requests.empty()) {
      RequestId id =
          requests[static_cast<size_t>(pick(0, static_cast<int64_t>(requests.size()) - 1))];
      const Lease* lease = engine->FindLease(LeaseId{id.value});
      if (lease != nullptr && lease->model >= 0) {
        // Reported usage within the call's estimates.
        UsageReport usage;
        usage.tokens.input = pick(0, lease->input_tokens);
        usage.tokens.cached_input = pick(0, usage.tokens.input);
        usage.tokens.output = pick(0, lease->max_output_tokens);
        (void)engine->Release(LeaseId{id.value}, now, &usage);
      } else if (lease != nullptr) {
        (void)engine->Release(LeaseId{id.value}, now);
      } else {
        (void)engine->Cancel(id, now);
      }
    } else if (action == 7 && !requests.empty()) {
      (void)engine->Renew(
          LeaseId{requests[static_cast<size_t>(pick(0, static_cast<int64_t>(requests.size()) - 1))]
                      .value},
          now);
    } else if (action == 8) {
      std::string node = "n" + std::to_string(pick(0, 3));
      (void)engine->SetNodeState(node, pick(0, 3) == 0 ? NodeState::kDown : NodeState::kUp, now);
    } else {
      engine->Tick(now);
    }
    for (const Decision& d : engine->TakeDecisions()) {
      outcomes->budget_stops +=
          d.kind == DecisionKind::kLeaseEnded && d.end_reason == EndReason::kBudgetExhausted;
    }
    for (UsageRecord& record : engine->TakeUsage()) records.push_back(std::move(record));
    const BudgetLedger& ledger = *engine->budgets();
    for (int b = 0; b < static_cast<int>(ledger.size()); ++b) {
      const BudgetSpec& spec = ledger.spec(b);
      const BudgetLedger::Entry& entry = ledger.entry(b);
      const std::string& owner = engine->tenancy().tenant(ledger.tenant_of(b)).path;
      int64_t from_records = 0;
      for (const UsageRecord& record : records) {
        if (record.end >= entry.period.start && record.end < entry.period.end &&
            InSubtree(record.tenant_path, owner)) {
          from_records += RecordAmount(spec, record);
        }
      }
      EXPECT_EQ(entry.settled, from_records) << spec.name << " step " << step;
      EXPECT_LE(entry.settled + ledger.reserved(b), entry.limit) << spec.name << " step " << step;
      EXPECT_GE(ledger.reserved(b), 0) << spec.name;
    }
    if (::testing::Test::HasFailure()) break;
  }
  return records;
}

TEST(EngineBudgetProperty, LedgerInvariantsHoldUnderRandomWork) {
  Outcomes outcomes;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::vector<UsageRecord> records = RunRandomWork(seed, 1500, &outcomes);
    EXPECT_GT(records.size(), 100u) << "seed " << seed;
    if (::testing::Test::HasFailure()) break;
  }
  // The work reached the budgets' limits in every way they act.
  EXPECT_GT(outcomes.budget_rejections, 50);
  EXPECT_GT(outcomes.budget_waits, 0);
  EXPECT_GT(outcomes.budget_stops, 10);
  std::printf("budget rejections %d, waits %d, stops %d\n", outcomes.budget_rejections,
              outcomes.budget_waits, outcomes.budget_stops);
}

TEST(EngineBudgetProperty, SameCommandsSameRecords) {
  EXPECT_EQ(RunRandomWork(42, 600), RunRandomWork(42, 600));
}

}  // namespace
}  // namespace allot
