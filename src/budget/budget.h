#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "budget/calendar.h"
#include "budget/money.h"
#include "budget/price_catalog.h"
#include "common/resources.h"
#include "common/time.h"

namespace allot {

// What a budget counts: money (micro-units), tokens (input + output), or the
// time a resource is held (resource-time, like Slurm's GrpTRESMins), in the
// resource's fixed-point unit x milliseconds (3.6e9 = one GPU-hour).
enum class BudgetMeter : uint8_t { kMoney, kTokens, kResourceTime };

// Spend-rate alerts of one budget. Both are evaluated on window boundaries
// (multiples of the window since the epoch) as commands move the clock.
struct BudgetSignals {
  // Forecast: burn rate over the trailing `forecast_window`; an alert when
  // the time left, (limit - spent) / burn, falls within `forecast_horizon`
  // and before the period ends. 0 window: off.
  Duration forecast_window = 0;
  Duration forecast_horizon = 0;
  // Anomaly: spend per `anomaly_window` against the median and median
  // absolute deviation (MAD) of the last windows (spend_signals.h). 0: off.
  Duration anomaly_window = 0;
  double anomaly_threshold = 6.0;  // robust z-score above which a window is anomalous
  double anomaly_min_ratio = 2.0;  // ... and at least this many times the median
  friend bool operator==(const BudgetSignals&, const BudgetSignals&) = default;
};

// A budget on one tenant node (or the root, tenant ""): spend of the node's
// whole subtree counts against it. A tenant may have several.
struct BudgetSpec {
  std::string name;    // unique: "acme-monthly"
  std::string tenant;  // path or unique name; "" = the whole organisation
  BudgetMeter meter = BudgetMeter::kMoney;
  int resource = -1;  // kResourceTime: the resource's index
  int64_t limit = 0;  // hard limit per period, in the meter's unit
  PeriodSpec period;
  // Rollover: what a period leaves unspent is added to the next period's
  // limit, up to `rollover_cap` (0 = no cap).
  bool rollover = false;
  int64_t rollover_cap = 0;
  // Percentages (1..100, increasing) at which a threshold alert fires, once
  // per period each.
  std::vector<int> thresholds = {50, 80, 90};
  BudgetSignals signals;
  friend bool operator==(const BudgetSpec&, const BudgetSpec&) = default;
};

// Prices and budgets, as the engine takes them.
struct BudgetOptions {
  PriceSpec prices;
  std::vector<BudgetSpec> budgets;
  TimeZone time_zone = TimeZone::Utc();  // calendar periods are aligned in this zone
  // Reservation chunk for a lease without an estimate, and what each renewal
  // past the reservation adds: the lease's estimate, or this when it has none.
  Duration default_estimate = Seconds(3600);
};

// One amount per meter: what a lease reserves or used.
struct BudgetAmount {
  Money money = 0;
  int64_t tokens = 0;
  std::array<int64_t, kMaxResources> resource_ms{};
  friend bool operator==(const BudgetAmount&, const BudgetAmount&) = default;
};

enum class AlertKind : uint8_t {
  kThreshold,  // spend (settled + reserved) crossed a threshold
  kHardLimit,  // a request was refused by the hard limit
  kForecast,   // at the current burn rate the budget runs out within the horizon
  kAnomaly,    // spend in a window far above its robust baseline
  kOverrun,    // a lease ran past its reservation with no budget left and went on
};
std::string_view AlertKindName(AlertKind kind);

// An alert, as an engine decision carries it. Figures are in the budget's
// meter unit; `message` is a sentence for humans.
struct BudgetAlert {
  AlertKind kind = AlertKind::kThreshold;
  std::string budget;
  std::string tenant;  // the budget's tenant path ("" for the root)
  Time period_start = 0;
  int64_t limit = 0;         // this period's, rollover included
  int64_t settled = 0;       // spent and settled this period
  int64_t reserved = 0;      // held by running leases
  int threshold = 0;         // kThreshold: the percentage crossed
  double burn_per_hour = 0;  // kForecast, kAnomaly
  Duration time_left = 0;    // kForecast
  int64_t window_spend = 0;  // kAnomaly
  int64_t baseline = 0;      // kAnomaly: median window spend
  double score = 0;          // kAnomaly: robust z-score
  uint64_t lease = 0;        // kOverrun
  std::string message;
  friend bool operator==(const BudgetAlert&, const BudgetAlert&) = default;
};

}  // namespace allot
