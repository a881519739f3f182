#pragma once

#include <string>
#include <vector>

#include "budget/budget.h"
#include "budget/spend_signals.h"
#include "common/result.h"
#include "tenancy/tenants.h"

namespace allot {

// The budgets' running state: per budget and period what is settled (spent by
// ended leases) and reserved (held by running leases), and the spend-rate
// signals. Pure: time comes in as arguments, alerts go out into a vector.
//
// Invariants, per budget and period, barring flagged overruns:
//   settled + reserved <= limit
//   settled = sum of the costs of the usage records of the budget's subtree
//             that ended in the period (spend counts in the period of its
//             settlement; reservations carry over a period boundary).
// Not thread-safe.
class BudgetLedger {
 public:
  // The part of a budget's state a snapshot keeps; reservations and running
  // rates are rebuilt from the leases.
  struct Entry {
    std::string budget;
    PeriodBounds period;
    int64_t limit = 0;  // this period's, rollover included
    int64_t settled = 0;
    uint32_t thresholds_fired = 0;  // bit i: thresholds[i]
    bool hard_fired = false;
    bool forecast_fired = false;
    int64_t cumulative = 0;  // settled since the budget began (all periods)
    Time next_sample = 0;    // forecast sampling boundary
    Time next_window = 0;    // anomaly window boundary
    int64_t window_start_spend = 0;
    std::vector<int64_t> burn_samples;
    std::vector<int64_t> anomaly_history;
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  enum class Outcome : uint8_t { kOk, kThrottled, kHardLimit };
  struct Verdict {
    Outcome outcome = Outcome::kOk;
    int budget = -1;
    std::string message;
  };

  // Validates the budgets against the tenant tree: unknown tenants, duplicate
  // names, non-positive limits, kEvery periods without an anchor, thresholds
  // out of order, negative windows. Errors name "budgets[i] (name).field".
  // Periods start at the first Advance (or come from SetEntries).
  static Result<BudgetLedger> Create(const BudgetOptions& options, const Tenancy& tenancy,
                                     const ResourceCatalog& resources);

  bool empty() const { return specs_.empty(); }
  size_t size() const { return specs_.size(); }
  const BudgetSpec& spec(int budget) const { return specs_[static_cast<size_t>(budget)]; }
  int tenant_of(int budget) const { return owner_[static_cast<size_t>(budget)]; }
  int64_t reserved(int budget) const { return state_[static_cast<size_t>(budget)].reserved; }
  const Entry& entry(int budget) const { return state_[static_cast<size_t>(budget)].entry; }
  int Find(std::string_view name) const;
  // Budgets on the path of `tenant` (its own first, then its ancestors').
  const std::vector<int>& PathBudgets(int tenant) const {
    return path_budgets_[static_cast<size_t>(tenant)];
  }
  bool HasBudgets(int tenant) const { return !PathBudgets(tenant).empty(); }

  // May `amount` be reserved for `tenant`? kHardLimit when some budget would
  // go over its limit; kThrottled when `throttle_percent` > 0 and some budget
  // is already that full (settled + reserved).
  Verdict Check(int tenant, const BudgetAmount& amount, int throttle_percent) const;
  // Records that a request was refused by `budget`'s hard limit: an alert,
  // once per period.
  void NoteRefused(int budget, std::vector<BudgetAlert>* alerts);
  // Records that `lease` (of leaf tenant `lease_tenant`) outlived its
  // reservation with no room left in `budget` and goes on: an overrun alert.
  void NoteOverrun(int budget, uint64_t lease, std::string_view lease_tenant,
                   std::vector<BudgetAlert>* alerts) const;
  // Adds (sign +1) or returns (-1) a reservation along the path.
  void Reserve(int tenant, const BudgetAmount& amount, int sign, std::vector<BudgetAlert>* alerts);
  // Ends a reservation: `reserved` is returned and `actual` settled.
  void Settle(int tenant, const BudgetAmount& reserved, const BudgetAmount& actual,
              std::vector<BudgetAlert>* alerts);
  // A running lease accrues spend at `money_rate` (price_catalog.h rate
  // units) and holds `charge` from `start` on: the forecast and anomaly
  // signals see it before it settles. sign -1 when it ends.
  void AddRunning(int tenant, int64_t money_rate, const ResourceVector& charge, Time start,
                  int sign);
  // Rolls periods over and evaluates signals up to `now`. Returns true when
  // some period rolled over (limits were refreshed).
  bool Advance(Time now, std::vector<BudgetAlert>* alerts);
  // The earliest time Advance has work to do.
  Time next_event() const { return next_event_; }

  // Settled plus what running leases have accrued so far, this period.
  int64_t SpentNow(int budget, Time now) const;

  std::vector<Entry> Entries() const;
  // Restores entries by budget name; DataLoss for unknown budgets.
  Status SetEntries(const std::vector<Entry>& entries);

  // The entries this ledger (a new configuration's) takes over from
  // `previous` (the running one, nullptr when it had no budgets) whose
  // entries are `entries`, when the new configuration comes into force at
  // `now` (a reload). Every change takes effect at once, mid-period:
  //   kept budget:    limit = new limit + what rolled over into this period
  //                   (kept only with rollover, capped by the new cap);
  //                   settled spend and fired alerts stay; a changed period
  //                   or time zone moves it to the new period holding `now`.
  //   added budget:   its first period opens at `now`, settled from zero;
  //                   running leases' reservations count (rebuilt from them).
  //   removed budget: dropped.
  // Empty when budgets have not started (they start at the first Advance).
  // FailedPrecondition naming the budget when its meter, resource or
  // currency would change (the settled figures would change their unit).
  Result<std::vector<Entry>> CarryOver(const BudgetLedger* previous,
                                       const std::vector<Entry>& entries, Time now) const;

 private:
  struct State {
    Entry entry;
    int64_t reserved = 0;
    // Running accrual: sum over running leases of slope and slope * start,
    // accrued(t) = (slope * t - anchor) / denominator (see AddRunning).
    __int128 slope = 0;
    __int128 anchor = 0;
    BurnWindow burn;
    SpendAnomalyDetector anomaly;
    // Committed (settled + reserved) at which the next unfired threshold
    // fires: ceil(percent x limit / 100); max when all have fired.
    int64_t next_threshold = 0;
  };

  BudgetLedger() = default;
  int64_t AmountFor(int budget, const BudgetAmount& amount) const;
  int64_t Accrued(const State& state, int budget, Time t) const;
  void CheckThresholds(int budget, std::vector<BudgetAlert>* alerts);
  void RefreshNextThreshold(int budget);
  void Rollover(int budget);
  void Sample(int budget, Time at, std::vector<BudgetAlert>* alerts);
  void CloseWindow(int budget, Time at, std::vector<BudgetAlert>* alerts);
  BudgetAlert MakeAlert(int budget, AlertKind kind) const;
  std::string Figure(int budget, int64_t amount) const;
  std::string_view OwnerName(int budget) const;  // the owner's path, "(all)" for the root
  void UpdateNextEvent();
  void Start(Time now);                          // opens every budget's first period at `now`
  Entry FirstEntry(int budget, Time now) const;  // a budget's first period from `now`

  std::vector<BudgetSpec> specs_;
  std::vector<int> owner_;  // tenant index per budget
  std::vector<std::string> owner_path_;
  std::vector<std::vector<int>> path_budgets_;
  std::vector<State> state_;
  TimeZone zone_;
  std::string currency_;
  std::vector<std::string> resource_names_;
  bool started_ = false;
  Time next_event_ = std::numeric_limits<Time>::min();  // the first Advance starts periods
};

}  // namespace allot
