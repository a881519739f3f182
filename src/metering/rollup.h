#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "budget/money.h"
#include "common/resources.h"
#include "common/result.h"
#include "common/time.h"
#include "metering/usage_record.h"

namespace allot {

// Sums of usage records along one dimension, per period: the chargeback
// views. Allocated cost only; idle capacity is reported apart (ComputeIdle).

enum class RollupDimension : uint8_t {
  // Each record counts for its leaf tenant and every ancestor:
  // "acme/research/agent-7" adds to "acme/research/agent-7",
  // "acme/research", "acme" and the root "" (the total over all records).
  kTenant,
  kLabel,          // one row per label key=value the records carry
  kPriorityClass,  // key: the class name
  kPool,           // key: the pool name ("" for records with no pool)
};
std::string_view RollupDimensionName(RollupDimension dimension);  // "tenant", ...

struct RollupRow {
  RollupDimension dimension = RollupDimension::kTenant;
  std::string key;    // tenant path, label key, class or pool
  std::string value;  // label value (label rows only)
  int level = 0;      // tenant rows: path segments, 0 for the root ""
  Time period_start = 0;
  Money cost = 0;
  TokenCounts tokens;
  std::array<int64_t, kMaxResources> resource_ms{};
  int64_t leases = 0;  // records summed

  friend bool operator==(const RollupRow&, const RollupRow&) = default;
};

// The one period of a rollup without period_start: all time.
inline constexpr Time kAllTime = std::numeric_limits<Time>::min();

struct RollupOptions {
  // Maps an instant to the start of its period (say, local midnight of its
  // day); records are bucketed by period_start(record.end). Empty: one
  // period, reported as kAllTime.
  std::function<Time(Time)> period_start;
};

// Rows ordered by dimension (enum order), period_start, key, value: the same
// input gives the same output. InvalidArgument when a sum overflows int64.
Result<std::vector<RollupRow>> Rollup(const std::vector<UsageRecord>& records,
                                      const RollupOptions& options = {});

// The tenant paths a record counts for, root first: "", "acme",
// "acme/research", "acme/research/agent-7". Empty path: the root only.
std::vector<std::string> TenantAncestry(const std::string& tenant_path);

// ---- Idle cost ----
//
// As the OpenCost specification defines it (opencost/opencost,
// spec/opencost-specv01.md, "Idle Costs"): Cluster Idle Cost = Cluster Asset
// Costs - Workload Costs, i.e. the capacity paid for but allocated to no
// workload; idle may be shared out to tenants "proportionate to a tenant's
// consumption" ("Shared Costs"; the OpenCost API's shareIdle). Here per pool
// and window [from, to):
//
//   capacity(pool)  = round(cost_per_hour * (to - from) / 3.6e9 us)
//   allocated(pool) = sum over the pool's records r of
//                     round(cost_r * overlap(r, window) / duration(r))
//   idle(pool)      = max(0, capacity - allocated)
//
// round() is half away from zero in __int128 arithmetic (half up: every
// term is >= 0), applied per record so each record's share is reproducible
// on its own. A zero-length record (start == end) counts in full when its
// instant lies in [from, to). Records of pools not listed are ignored.

struct PoolCapacityCost {
  std::string pool;
  Money cost_per_hour = 0;  // what the pool's whole capacity costs per hour
};

struct IdleOptions {
  Time from = 0;
  Time to = 0;
  std::vector<PoolCapacityCost> pools;
  // Distribute each pool's idle cost to leaf tenants in proportion to their
  // allocated cost in that pool, by largest remainder so the shares sum to
  // the idle amount exactly. A pool with no allocated cost keeps its idle
  // unshared.
  bool share_idle = false;
};

struct PoolIdle {
  std::string pool;
  Money capacity_cost = 0;
  Money allocated_cost = 0;
  Money idle_cost = 0;
  Money shared_cost = 0;  // idle_cost given out to tenants: 0 or idle_cost
};

struct IdleShare {
  std::string pool;
  std::string tenant_path;   // leaf tenant
  Money allocated_cost = 0;  // its prorated cost in the window
  Money idle_share = 0;

  friend bool operator==(const IdleShare&, const IdleShare&) = default;
};

struct IdleReport {
  std::vector<PoolIdle> pools;    // in the order of IdleOptions::pools
  std::vector<IdleShare> shares;  // share_idle only; by pool, then tenant
  Money total_idle = 0;
};

// InvalidArgument when from >= to, a pool is listed twice or has a negative
// price, or an amount overflows int64.
Result<IdleReport> ComputeIdle(const std::vector<UsageRecord>& records, const IdleOptions& options);

// Splits `total` (>= 0) over `weights` (>= 0, not all 0) in proportion,
// exactly: each gets floor(total * w / W), then the micro-units left go one
// each to the largest remainders (ties to the lower index). The result sums
// to `total`.
std::vector<Money> LargestRemainderSplit(Money total, const std::vector<Money>& weights);

}  // namespace allot
