// Idle cost per pool and its share-out; see rollup.h for the definitions.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "metering/rollup.h"

namespace allot {
namespace {

constexpr int64_t kMicrosPerHour = 3'600'000'000;

// round(num / den) for num >= 0, den > 0: halves round up.
__int128 RoundDiv(__int128 num, __int128 den) { return (num + den / 2) / den; }

bool FitsMoney(__int128 value) { return value >= 0 && value <= std::numeric_limits<Money>::max(); }

// The part of a record's cost that falls in [from, to), prorated by time.
Money ProratedCost(const UsageRecord& record, Time from, Time to) {
  Duration duration = record.end - record.start;
  if (duration == 0) return record.start >= from && record.start < to ? record.cost : 0;
  Time overlap = std::min(record.end, to) - std::max(record.start, from);
  if (overlap <= 0) return 0;
  // cost * overlap / duration <= cost, so the result fits.
  return static_cast<Money>(RoundDiv(static_cast<__int128>(record.cost) * overlap, duration));
}

}  // namespace

std::vector<Money> LargestRemainderSplit(Money total, const std::vector<Money>& weights) {
  ALLOT_CHECK(total >= 0);
  __int128 weight_sum = 0;
  for (Money w : weights) {
    ALLOT_CHECK(w >= 0);
    weight_sum += w;
  }
  ALLOT_CHECK(weight_sum > 0);
  std::vector<Money> shares(weights.size());
  std::vector<__int128> remainders(weights.size());
  Money given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    __int128 exact = static_cast<__int128>(total) * weights[i];  // share = exact / weight_sum
    shares[i] = static_cast<Money>(exact / weight_sum);
    remainders[i] = exact % weight_sum;
    given += shares[i];
  }
  // Fewer than weights.size() micro-units are left: one each to the largest
  // remainders, ties to the lower index.
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainders[a] > remainders[b]; });
  for (Money left = total - given, k = 0; left > 0; --left, ++k) {
    ++shares[order[static_cast<size_t>(k)]];
  }
  return shares;
}

Result<IdleReport> ComputeIdle(const std::vector<UsageRecord>& records,
                               const IdleOptions& options) {
  if (options.from >= options.to) {
    return InvalidArgument(fmt::format("idle: window [{}, {}) is empty", options.from, options.to));
  }
  IdleReport report;
  std::map<std::string, size_t, std::less<>> index;
  for (const PoolCapacityCost& pool : options.pools) {
    if (!index.emplace(pool.pool, report.pools.size()).second) {
      return InvalidArgument(fmt::format("idle: pool '{}' is listed twice", pool.pool));
    }
    if (pool.cost_per_hour < 0) {
      return InvalidArgument(fmt::format("idle: pool '{}': cost_per_hour {} is negative", pool.pool,
                                         FormatMoney(pool.cost_per_hour)));
    }
    // capacity = round(cost_per_hour * window / 1 h)
    __int128 window = static_cast<__int128>(options.to) - options.from;
    __int128 capacity = RoundDiv(window * pool.cost_per_hour, kMicrosPerHour);
    if (!FitsMoney(capacity)) {
      return InvalidArgument(fmt::format("idle: pool '{}': capacity cost overflows", pool.pool));
    }
    report.pools.push_back({.pool = pool.pool, .capacity_cost = static_cast<Money>(capacity)});
  }

  // Prorated allocated cost per pool and, for the share-out, per leaf tenant.
  std::vector<std::map<std::string, Money>> by_tenant(report.pools.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const UsageRecord& record = records[i];
    auto it = index.find(record.pool);
    if (it == index.end()) continue;
    if (record.cost < 0 || record.end < record.start) {
      return InvalidArgument(
          fmt::format("idle: records[{}]: negative cost or end before start", i));
    }
    Money prorated = ProratedCost(record, options.from, options.to);
    PoolIdle& pool = report.pools[it->second];
    Money& tenant = by_tenant[it->second][record.tenant_path];
    if (!CheckedAdd(pool.allocated_cost, prorated, &pool.allocated_cost) ||
        !CheckedAdd(tenant, prorated, &tenant)) {
      return InvalidArgument(fmt::format("idle: pool '{}': allocated cost overflows", pool.pool));
    }
  }

  for (size_t p = 0; p < report.pools.size(); ++p) {
    PoolIdle& pool = report.pools[p];
    pool.idle_cost = std::max<Money>(0, pool.capacity_cost - pool.allocated_cost);
    if (!CheckedAdd(report.total_idle, pool.idle_cost, &report.total_idle)) {
      return InvalidArgument("idle: total idle cost overflows");
    }
    if (!options.share_idle || pool.allocated_cost == 0) continue;
    std::vector<std::string> tenants;
    std::vector<Money> weights;
    for (const auto& [tenant, allocated] : by_tenant[p]) {
      if (allocated == 0) continue;
      tenants.push_back(tenant);
      weights.push_back(allocated);
    }
    std::vector<Money> shares = LargestRemainderSplit(pool.idle_cost, weights);
    for (size_t t = 0; t < tenants.size(); ++t) {
      report.shares.push_back({pool.pool, tenants[t], weights[t], shares[t]});
    }
    pool.shared_cost = pool.idle_cost;
  }
  // Pools were listed in option order; the shares read best by pool name.
  std::stable_sort(report.shares.begin(), report.shares.end(),
                   [](const IdleShare& a, const IdleShare& b) {
                     return std::tie(a.pool, a.tenant_path) < std::tie(b.pool, b.tenant_path);
                   });
  return report;
}

}  // namespace allot
