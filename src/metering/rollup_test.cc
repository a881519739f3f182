#include "metering/rollup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace allot {
namespace {

constexpr Time kDay = 86'400'000'000;
constexpr Time kHour = 3'600'000'000;
constexpr Time kNov21 = 1'795'305'600'000'000 - kDay;  // 2026-11-21T00:00:00Z

UsageRecord Record(uint64_t lease, std::string tenant, Money cost, Time start, Time end) {
  UsageRecord r;
  r.lease = LeaseId{lease};
  r.tenant_path = std::move(tenant);
  r.cost = cost;
  r.start = start;
  r.end = end;
  r.end_reason = "released";
  return r;
}

std::vector<UsageRecord> Records() {
  std::vector<UsageRecord> records = {
      Record(1, "acme/research/agent-7", 5'000'000, kNov21, kNov21 + kHour),
      Record(2, "acme/research", 2'000'000, kNov21, kNov21 + 2 * kHour),
      Record(3, "acme/ops", 1'000'000, kNov21 + kHour, kNov21 + 3 * kHour),
      Record(4, "globex", 700'000, kNov21, kNov21 + kDay + kHour),  // ends the next day
      Record(5, "", 300'000, kNov21, kNov21 + 1),                   // no tenant
  };
  const char* pools[] = {"a100", "a100", "h100", "a100", ""};
  const char* classes[] = {"batch", "interactive", "batch", "batch", "system"};
  for (size_t i = 0; i < records.size(); ++i) {
    records[i].pool = pools[i];
    records[i].priority_class = classes[i];
    records[i].tokens = {.input = int64_t(i) * 10, .cached_input = int64_t(i), .output = 1};
    records[i].resource_ms[kGpu] = int64_t(i + 1) * 1000;
    records[i].resource_ms[kCpu] = 7;
  }
  records[0].labels = {{"project", "llm"}, {"team", "ml"}};
  records[1].labels = {{"team", "ml"}};
  records[2].labels = {{"team", "infra"}};
  return records;
}

std::vector<RollupRow> Rows(const std::vector<RollupRow>& all, RollupDimension dimension) {
  std::vector<RollupRow> rows;
  std::copy_if(all.begin(), all.end(), std::back_inserter(rows),
               [&](const RollupRow& row) { return row.dimension == dimension; });
  return rows;
}

const RollupRow* Find(const std::vector<RollupRow>& rows, RollupDimension dimension,
                      std::string_view key, std::string_view value = "") {
  for (const RollupRow& row : rows) {
    if (row.dimension == dimension && row.key == key && row.value == value) return &row;
  }
  return nullptr;
}

// Sum of rows as one row (cost, tokens, resources, leases).
RollupRow Sum(const std::vector<RollupRow>& rows) {
  RollupRow sum;
  for (const RollupRow& row : rows) {
    sum.cost += row.cost;
    sum.tokens.input += row.tokens.input;
    sum.tokens.cached_input += row.tokens.cached_input;
    sum.tokens.output += row.tokens.output;
    sum.leases += row.leases;
    for (size_t i = 0; i < sum.resource_ms.size(); ++i) sum.resource_ms[i] += row.resource_ms[i];
  }
  return sum;
}

void ExpectSameSums(const RollupRow& a, const RollupRow& b) {
  EXPECT_EQ(a.cost, b.cost);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.resource_ms, b.resource_ms);
  EXPECT_EQ(a.leases, b.leases);
}

TEST(RollupTest, TenantAncestry) {
  EXPECT_EQ(TenantAncestry("acme/research/agent-7"),
            (std::vector<std::string>{"", "acme", "acme/research", "acme/research/agent-7"}));
  EXPECT_EQ(TenantAncestry(""), std::vector<std::string>{""});
  EXPECT_EQ(TenantAncestry("globex"), (std::vector<std::string>{"", "globex"}));
}

TEST(RollupTest, TenantLevelsSumToTheTotal) {
  std::vector<RollupRow> rows = *Rollup(Records());
  std::vector<RollupRow> tenants = Rows(rows, RollupDimension::kTenant);
  const RollupRow* root = Find(rows, RollupDimension::kTenant, "");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->level, 0);
  EXPECT_EQ(root->period_start, kAllTime);
  EXPECT_EQ(root->cost, 9'000'000);
  EXPECT_EQ(root->leases, 5);
  // Level 1 covers every record with a tenant; the untenanted one only the root.
  std::vector<RollupRow> level1;
  std::copy_if(tenants.begin(), tenants.end(), std::back_inserter(level1),
               [](const RollupRow& row) { return row.level == 1; });
  ASSERT_EQ(level1.size(), 2u);  // acme, globex
  std::vector<RollupRow> parts = level1;
  parts.push_back(Rollup({Records()[4]})->front());  // the untenanted record's root row
  ExpectSameSums(Sum(parts), *root);
  // Each ancestor holds its own records and its descendants'.
  EXPECT_EQ(Find(rows, RollupDimension::kTenant, "acme")->cost, 8'000'000);
  EXPECT_EQ(Find(rows, RollupDimension::kTenant, "acme/research")->cost, 7'000'000);
  EXPECT_EQ(Find(rows, RollupDimension::kTenant, "acme/research")->leases, 2);
  EXPECT_EQ(Find(rows, RollupDimension::kTenant, "acme/research")->level, 2);
  EXPECT_EQ(Find(rows, RollupDimension::kTenant, "acme/research/agent-7")->level, 3);
  EXPECT_EQ(Find(rows, RollupDimension::kTenant, "acme/research/agent-7")->resource_ms[kGpu], 1000);
}

TEST(RollupTest, LabelClassAndPoolRows) {
  std::vector<RollupRow> rows = *Rollup(Records());
  const RollupRow* ml = Find(rows, RollupDimension::kLabel, "team", "ml");
  ASSERT_NE(ml, nullptr);
  EXPECT_EQ(ml->cost, 7'000'000);
  EXPECT_EQ(ml->leases, 2);
  EXPECT_EQ(Find(rows, RollupDimension::kLabel, "team", "infra")->cost, 1'000'000);
  EXPECT_EQ(Find(rows, RollupDimension::kLabel, "project", "llm")->cost, 5'000'000);
  EXPECT_EQ(Rows(rows, RollupDimension::kLabel).size(), 3u);
  // Every record has one class and one pool, so each dimension sums to the total.
  const RollupRow& root = *Find(rows, RollupDimension::kTenant, "");
  ExpectSameSums(Sum(Rows(rows, RollupDimension::kPriorityClass)), root);
  ExpectSameSums(Sum(Rows(rows, RollupDimension::kPool)), root);
  EXPECT_EQ(Find(rows, RollupDimension::kPool, "a100")->cost, 7'700'000);
  EXPECT_EQ(Find(rows, RollupDimension::kPool, "")->cost, 300'000);
  EXPECT_EQ(Find(rows, RollupDimension::kPriorityClass, "batch")->leases, 3);
}

TEST(RollupTest, BucketsByPeriodOfTheEnd) {
  RollupOptions options;
  options.period_start = [](Time t) { return t - t % kDay; };  // UTC days
  std::vector<RollupRow> rows = *Rollup(Records(), options);
  std::vector<RollupRow> roots;
  for (const RollupRow& row : Rows(rows, RollupDimension::kTenant)) {
    if (row.key.empty()) roots.push_back(row);
  }
  ASSERT_EQ(roots.size(), 2u);
  EXPECT_EQ(roots[0].period_start, kNov21);
  EXPECT_EQ(roots[0].cost, 8'300'000);
  EXPECT_EQ(roots[1].period_start, kNov21 + kDay);  // globex's lease ended the next day
  EXPECT_EQ(roots[1].cost, 700'000);
  // Periods together hold what the all-time rollup holds.
  ExpectSameSums(Sum(roots), *Find(*Rollup(Records()), RollupDimension::kTenant, ""));
}

TEST(RollupTest, OrderIsDeterministic) {
  std::vector<UsageRecord> records = Records();
  std::vector<RollupRow> expected = *Rollup(records);
  std::reverse(records.begin(), records.end());
  EXPECT_EQ(*Rollup(records), expected);
  for (size_t i = 1; i < expected.size(); ++i) {
    const RollupRow& a = expected[i - 1];
    const RollupRow& b = expected[i];
    EXPECT_LT(std::tie(a.dimension, a.period_start, a.key, a.value),
              std::tie(b.dimension, b.period_start, b.key, b.value));
  }
}

TEST(RollupTest, OverflowIsAnError) {
  std::vector<UsageRecord> records = Records();
  records[0].cost = std::numeric_limits<Money>::max();
  Result<std::vector<RollupRow>> rows = Rollup(records);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().message(), "rollup: the sums of tenant '' overflow int64");
}

// ---- Idle ----

IdleOptions Window(bool share) {
  IdleOptions options;
  options.from = kNov21;
  options.to = kNov21 + 2 * kHour;
  options.pools = {{"a100", 10'000'000}, {"h100", 3'000'000}, {"empty", 1'000'000}};
  options.share_idle = share;
  return options;
}

TEST(RollupIdleTest, IdleIsCapacityLessProratedAllocation) {
  IdleReport report = *ComputeIdle(Records(), Window(false));
  ASSERT_EQ(report.pools.size(), 3u);
  const PoolIdle& a100 = report.pools[0];
  EXPECT_EQ(a100.capacity_cost, 20'000'000);  // 10/h for 2 h
  // Lease 1 (5.00, inside), lease 2 (2.00, inside), lease 4 (0.70 over 25 h,
  // 2 h inside: 0.70 * 2/25 = 0.056).
  EXPECT_EQ(a100.allocated_cost, 5'000'000 + 2'000'000 + 56'000);
  EXPECT_EQ(a100.idle_cost, 20'000'000 - 7'056'000);
  // Lease 3: 1.00 over 2 h, 1 h inside.
  EXPECT_EQ(report.pools[1].allocated_cost, 500'000);
  EXPECT_EQ(report.pools[1].idle_cost, 5'500'000);
  EXPECT_EQ(report.pools[2].idle_cost, 2'000'000);  // nothing ran there
  EXPECT_EQ(report.total_idle, 12'944'000 + 5'500'000 + 2'000'000);
  EXPECT_TRUE(report.shares.empty());
  EXPECT_EQ(a100.shared_cost, 0);
}

TEST(RollupIdleTest, NeverBelowZeroAndRoundsHalfUp) {
  IdleOptions options = Window(false);
  options.pools = {{"a100", 1'000'000}};  // 2.00 of capacity, 7.056 allocated
  EXPECT_EQ(ComputeIdle(Records(), options)->pools[0].idle_cost, 0);

  // 3 micro-units over 2 us, half of it in the window: 1.5 rounds to 2.
  UsageRecord r = Record(9, "t", 3, kNov21 - 1, kNov21 + 1);
  r.pool = "a100";
  options.pools = {{"a100", 0}};
  EXPECT_EQ(ComputeIdle({r}, options)->pools[0].allocated_cost, 2);
  // A zero-length record counts in full inside the window, not outside.
  r.start = r.end = kNov21;
  EXPECT_EQ(ComputeIdle({r}, options)->pools[0].allocated_cost, 3);
  r.start = r.end = options.to;
  EXPECT_EQ(ComputeIdle({r}, options)->pools[0].allocated_cost, 0);
}

TEST(RollupIdleTest, SharesSumExactlyToIdle) {
  IdleReport report = *ComputeIdle(Records(), Window(true));
  for (const PoolIdle& pool : report.pools) {
    SCOPED_TRACE(pool.pool);
    Money shared = 0;
    for (const IdleShare& share : report.shares) {
      if (share.pool == pool.pool) shared += share.idle_share;
    }
    EXPECT_EQ(shared, pool.shared_cost);
    EXPECT_EQ(pool.shared_cost, pool.allocated_cost > 0 ? pool.idle_cost : 0);
  }
  // a100: 12.944 idle over 5.00 : 2.00 : 0.056 by allocated cost.
  std::vector<IdleShare> expected = {
      {"a100", "acme/research", 2'000'000, 3'668'934},
      {"a100", "acme/research/agent-7", 5'000'000, 9'172'336},
      {"a100", "globex", 56'000, 102'730},
      {"h100", "acme/ops", 500'000, 5'500'000},
  };
  EXPECT_EQ(report.shares, expected);
  EXPECT_EQ(report.pools[2].shared_cost, 0);  // nobody to share "empty" with
}

TEST(RollupIdleTest, LargestRemainderSplit) {
  EXPECT_EQ(LargestRemainderSplit(10, {1, 1, 1}), (std::vector<Money>{4, 3, 3}));
  EXPECT_EQ(LargestRemainderSplit(10, {1, 2, 2}), (std::vector<Money>{2, 4, 4}));
  EXPECT_EQ(LargestRemainderSplit(0, {5, 0}), (std::vector<Money>{0, 0}));
  // Awkward weights and a large total still sum exactly.
  std::vector<Money> weights = {999'999'937, 3, 7, 1'000'000'007, 0, 123'456'789};
  for (Money total : {Money{1}, Money{97}, Money{999'999'999'999}, Money{1} << 60}) {
    std::vector<Money> shares = LargestRemainderSplit(total, weights);
    EXPECT_EQ(std::accumulate(shares.begin(), shares.end(), Money{0}), total);
    EXPECT_EQ(shares[4], 0);
  }
}

TEST(RollupIdleTest, RejectsBadOptions) {
  IdleOptions options = Window(false);
  options.to = options.from;
  EXPECT_FALSE(ComputeIdle({}, options).ok());
  options = Window(false);
  options.pools.push_back({"a100", 1});
  EXPECT_EQ(ComputeIdle({}, options).status().message(), "idle: pool 'a100' is listed twice");
  options = Window(false);
  options.pools[0].cost_per_hour = -1;
  EXPECT_EQ(ComputeIdle({}, options).status().message(),
            "idle: pool 'a100': cost_per_hour -0.000001 is negative");
}

}  // namespace
}  // namespace allot
