#include "budget/budget_ledger.h"

#include <fmt/format.h>

#include <algorithm>

#include "budget/civil_time.h"

namespace allot {
namespace {

constexpr int64_t kMaxLimit = int64_t{1} << 62;
constexpr int kBurnSteps = 12;           // forecast samples per window
constexpr int64_t kAnomalyHistory = 32;  // windows the anomaly baseline looks back
using calendar_internal::kMinTime;

// The first multiple of `step` strictly after `t`.
Time NextBoundary(Time t, Duration step) {
  return (calendar_internal::FloorDiv(t, step) + 1) * step;
}

std::string DurationText(Duration d) {
  if (d >= Seconds(2 * 86400)) return fmt::format("{:.1f} days", static_cast<double>(d) / 8.64e10);
  if (d >= Seconds(7200)) return fmt::format("{:.1f} hours", static_cast<double>(d) / 3.6e9);
  return fmt::format("{:.0f} minutes", static_cast<double>(d) / 6e7);
}

}  // namespace

std::string_view AlertKindName(AlertKind kind) {
  switch (kind) {
    case AlertKind::kThreshold:
      return "threshold";
    case AlertKind::kHardLimit:
      return "hard_limit";
    case AlertKind::kForecast:
      return "forecast";
    case AlertKind::kAnomaly:
      return "anomaly";
    case AlertKind::kOverrun:
      return "overrun";
  }
  return "unknown";
}

Result<BudgetLedger> BudgetLedger::Create(const BudgetOptions& options, const Tenancy& tenancy,
                                          const ResourceCatalog& resources) {
  BudgetLedger ledger;
  ledger.zone_ = options.time_zone;
  ledger.currency_ = options.prices.currency;
  for (int r = 0; r < resources.size(); ++r) ledger.resource_names_.emplace_back(resources.Name(r));
  ledger.path_budgets_.resize(tenancy.tenant_count());
  for (size_t i = 0; i < options.budgets.size(); ++i) {
    const BudgetSpec& spec = options.budgets[i];
    std::string field = fmt::format("budgets[{}] ({})", i, spec.name);
    if (spec.name.empty()) return InvalidArgument(field + ".name: must not be empty");
    if (ledger.Find(spec.name) >= 0) return InvalidArgument(field + ".name: used twice");
    int tenant = spec.tenant.empty() ? 0 : tenancy.FindTenant(spec.tenant);
    if (tenant < 0) {
      return InvalidArgument(fmt::format("{}.tenant: unknown tenant '{}'", field, spec.tenant));
    }
    if (spec.meter == BudgetMeter::kResourceTime &&
        (spec.resource < 0 || spec.resource >= resources.size())) {
      return InvalidArgument(field + ".resource: a resource-time budget needs a known resource");
    }
    if (spec.limit <= 0 || spec.limit > kMaxLimit) {
      return InvalidArgument(
          fmt::format("{}.limit: must be > 0 and at most 2^62, got {}", field, spec.limit));
    }
    if (spec.period.kind == PeriodKind::kEvery && spec.period.every <= 0) {
      return InvalidArgument(field + ".period: a custom period needs a positive length");
    }
    if (spec.period.kind == PeriodKind::kWeekly &&
        (spec.period.week_start < 0 || spec.period.week_start > 6)) {
      return InvalidArgument(field + ".week_start: must be a weekday");
    }
    if (spec.rollover_cap < 0 || (spec.rollover_cap > 0 && !spec.rollover)) {
      return InvalidArgument(field + ".rollover_cap: must be >= 0 and needs rollover");
    }
    if (spec.rollover && spec.period.kind == PeriodKind::kNone) {
      return InvalidArgument(field + ".rollover: needs a period to roll over");
    }
    if (spec.thresholds.size() > 32) return InvalidArgument(field + ".thresholds: at most 32");
    for (size_t t = 0; t < spec.thresholds.size(); ++t) {
      int pct = spec.thresholds[t];
      if (pct < 1 || pct > 100 || (t > 0 && pct <= spec.thresholds[t - 1])) {
        return InvalidArgument(
            fmt::format("{}.thresholds[{}]: percentages must increase, each within 1..100, got {}",
                        field, t, pct));
      }
    }
    const BudgetSignals& signals = spec.signals;
    if (signals.forecast_window < 0 || signals.forecast_horizon < 0 || signals.anomaly_window < 0) {
      return InvalidArgument(field + ": signal windows and horizons must be >= 0");
    }
    if (signals.forecast_window > 0 &&
        (signals.forecast_window < Seconds(kBurnSteps) || signals.forecast_horizon <= 0)) {
      return InvalidArgument(field +
                             ".forecast: window must be at least 12s and needs a horizon > 0");
    }
    if (signals.anomaly_window > 0 && signals.anomaly_window < Seconds(1)) {
      return InvalidArgument(field + ".anomaly.window: must be at least 1s");
    }
    if (!(signals.anomaly_threshold > 0) || !(signals.anomaly_min_ratio >= 1)) {
      return InvalidArgument(field + ".anomaly: threshold must be > 0 and min_ratio >= 1");
    }
    int index = static_cast<int>(ledger.specs_.size());
    ledger.specs_.push_back(spec);
    ledger.owner_.push_back(tenant);
    ledger.owner_path_.push_back(tenancy.tenant(tenant).path);
    State state;
    state.burn = BurnWindow(kBurnSteps);
    state.anomaly = SpendAnomalyDetector(kAnomalyHistory);
    state.entry.budget = spec.name;
    state.entry.limit = spec.limit;
    ledger.state_.push_back(std::move(state));
    ledger.RefreshNextThreshold(index);
    // Every tenant in the owner's subtree has this budget on its path.
    for (size_t t = 0; t < tenancy.tenant_count(); ++t) {
      for (int a = static_cast<int>(t); a >= 0; a = tenancy.tenant(a).parent) {
        if (a == tenant) {
          ledger.path_budgets_[t].push_back(index);
          break;
        }
      }
    }
  }
  // Own budgets first, then the ancestors': deepest owner first.
  for (std::vector<int>& budgets : ledger.path_budgets_) {
    std::stable_sort(budgets.begin(), budgets.end(), [&](int a, int b) {
      return tenancy.tenant(ledger.owner_[static_cast<size_t>(a)]).depth >
             tenancy.tenant(ledger.owner_[static_cast<size_t>(b)]).depth;
    });
  }
  return ledger;
}

void BudgetLedger::Start(Time now) {
  started_ = true;
  for (size_t b = 0; b < specs_.size(); ++b) {
    Entry first = FirstEntry(static_cast<int>(b), now);
    Entry& entry = state_[b].entry;
    entry.period = first.period;
    entry.next_sample = first.next_sample;
    entry.next_window = first.next_window;
    entry.window_start_spend = first.window_start_spend;
    RefreshNextThreshold(static_cast<int>(b));
  }
}

BudgetLedger::Entry BudgetLedger::FirstEntry(int budget, Time now) const {
  const BudgetSpec& spec = specs_[static_cast<size_t>(budget)];
  const BudgetSignals& signals = spec.signals;
  Entry entry;
  entry.budget = spec.name;
  entry.limit = spec.limit;
  entry.period = PeriodAt(spec.period, zone_, now);
  entry.next_sample = signals.forecast_window > 0
                          ? NextBoundary(now, signals.forecast_window / kBurnSteps)
                          : kForever;
  entry.next_window =
      signals.anomaly_window > 0 ? NextBoundary(now, signals.anomaly_window) : kForever;
  entry.window_start_spend = -1;  // the first boundary opens the first whole window
  return entry;
}

Result<std::vector<BudgetLedger::Entry>> BudgetLedger::CarryOver(const BudgetLedger* previous,
                                                                 const std::vector<Entry>& entries,
                                                                 Time now) const {
  std::vector<Entry> carried;
  if (previous == nullptr || entries.empty()) return carried;  // not started: the first Advance
  for (size_t b = 0; b < specs_.size(); ++b) {
    const BudgetSpec& spec = specs_[b];
    int old = previous->Find(spec.name);
    auto it = std::find_if(entries.begin(), entries.end(),
                           [&](const Entry& entry) { return entry.budget == spec.name; });
    if (old < 0 || it == entries.end()) {
      carried.push_back(FirstEntry(static_cast<int>(b), now));
      continue;
    }
    const BudgetSpec& before = previous->spec(old);
    if (before.meter != spec.meter || before.resource != spec.resource ||
        (spec.meter == BudgetMeter::kMoney && previous->currency_ != currency_)) {
      return FailedPrecondition(fmt::format(
          "budgets[{}] ({}): its meter, resource or currency cannot change while it runs (its "
          "spend is counted in the old unit); give the budget a new name instead",
          b, spec.name));
    }
    Entry entry = *it;
    // This period's limit = the configured limit + what rolled into it.
    int64_t rolled_in = spec.rollover ? std::max<int64_t>(0, entry.limit - before.limit) : 0;
    if (spec.rollover_cap > 0) rolled_in = std::min(rolled_in, spec.rollover_cap);
    entry.limit = std::min(kMaxLimit, spec.limit + rolled_in);
    if (entry.limit > it->limit) entry.hard_fired = false;  // room again: a refusal alerts anew
    if (spec.thresholds != before.thresholds) entry.thresholds_fired = 0;
    if (spec.period != before.period || !(zone_ == previous->zone_)) {
      entry.period = PeriodAt(spec.period, zone_, now);
    }
    if (spec.signals != before.signals) {
      Entry first = FirstEntry(static_cast<int>(b), now);
      entry.next_sample = first.next_sample;
      entry.next_window = first.next_window;
      entry.window_start_spend = -1;
      entry.burn_samples.clear();
      entry.anomaly_history.clear();
      entry.forecast_fired = false;
    }
    carried.push_back(std::move(entry));
  }
  return carried;
}

int BudgetLedger::Find(std::string_view name) const {
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int64_t BudgetLedger::AmountFor(int budget, const BudgetAmount& amount) const {
  const BudgetSpec& spec = specs_[static_cast<size_t>(budget)];
  switch (spec.meter) {
    case BudgetMeter::kMoney:
      return amount.money;
    case BudgetMeter::kTokens:
      return amount.tokens;
    case BudgetMeter::kResourceTime:
      return amount.resource_ms[static_cast<size_t>(spec.resource)];
  }
  return 0;
}

std::string_view BudgetLedger::OwnerName(int budget) const {
  const std::string& path = owner_path_[static_cast<size_t>(budget)];
  return path.empty() ? "(all)" : std::string_view(path);
}

std::string BudgetLedger::Figure(int budget, int64_t amount) const {
  const BudgetSpec& spec = specs_[static_cast<size_t>(budget)];
  switch (spec.meter) {
    case BudgetMeter::kMoney:
      return FormatMoney(amount) + " " + currency_;
    case BudgetMeter::kTokens:
      return fmt::format("{} tokens", amount);
    case BudgetMeter::kResourceTime:
      return fmt::format(
          "{:.3f} {}-hours",
          static_cast<double>(amount) / (static_cast<double>(UnitsPerWhole(spec.resource)) * 3.6e6),
          resource_names_[static_cast<size_t>(spec.resource)]);
  }
  return "";
}

BudgetLedger::Verdict BudgetLedger::Check(int tenant, const BudgetAmount& amount,
                                          int throttle_percent) const {
  Verdict throttled;
  for (int b : PathBudgets(tenant)) {
    int64_t want = AmountFor(b, amount);
    if (want == 0) continue;  // free for this meter: never refused, never throttled
    const State& state = state_[static_cast<size_t>(b)];
    __int128 committed = __int128{state.entry.settled} + state.reserved;
    if (committed + want > state.entry.limit) {
      Verdict verdict;
      verdict.outcome = Outcome::kHardLimit;
      verdict.budget = b;
      verdict.message = fmt::format(
          "budget {} (tenant {}): {} spent + {} reserved + {} for this request would exceed "
          "the limit of {} for the period from {}",
          specs_[static_cast<size_t>(b)].name, OwnerName(b), Figure(b, state.entry.settled),
          Figure(b, state.reserved), Figure(b, want), Figure(b, state.entry.limit),
          state.entry.period.start == kMinTime ? "the start" : FormatUtc(state.entry.period.start));
      return verdict;
    }
    if (throttle_percent > 0 && throttled.outcome == Outcome::kOk &&
        committed * 100 >= __int128{throttle_percent} * state.entry.limit) {
      throttled.outcome = Outcome::kThrottled;
      throttled.budget = b;
      throttled.message =
          fmt::format("budget {}: {}% committed ({} of {}); this class waits above {}%",
                      specs_[static_cast<size_t>(b)].name,
                      static_cast<int64_t>(committed * 100 / state.entry.limit),
                      Figure(b, static_cast<int64_t>(committed)), Figure(b, state.entry.limit),
                      throttle_percent);
    }
  }
  return throttled;
}

BudgetAlert BudgetLedger::MakeAlert(int budget, AlertKind kind) const {
  const State& state = state_[static_cast<size_t>(budget)];
  BudgetAlert alert;
  alert.kind = kind;
  alert.budget = specs_[static_cast<size_t>(budget)].name;
  alert.tenant = owner_path_[static_cast<size_t>(budget)];
  alert.period_start = state.entry.period.start;
  alert.limit = state.entry.limit;
  alert.settled = state.entry.settled;
  alert.reserved = state.reserved;
  return alert;
}

void BudgetLedger::NoteRefused(int budget, std::vector<BudgetAlert>* alerts) {
  State& state = state_[static_cast<size_t>(budget)];
  if (state.entry.hard_fired) return;
  state.entry.hard_fired = true;
  BudgetAlert alert = MakeAlert(budget, AlertKind::kHardLimit);
  alert.message = fmt::format(
      "Budget {} of tenant {} reached its hard limit of {}: new work that would go over it is "
      "refused until the period ends or reservations are returned.",
      alert.budget, OwnerName(budget), Figure(budget, alert.limit));
  alerts->push_back(std::move(alert));
}

void BudgetLedger::RefreshNextThreshold(int budget) {
  State& state = state_[static_cast<size_t>(budget)];
  const std::vector<int>& thresholds = specs_[static_cast<size_t>(budget)].thresholds;
  state.next_threshold = std::numeric_limits<int64_t>::max();
  for (size_t t = 0; t < thresholds.size(); ++t) {
    if ((state.entry.thresholds_fired & (uint32_t{1} << t)) != 0) continue;
    __int128 product = __int128{thresholds[t]} * state.entry.limit;
    state.next_threshold = static_cast<int64_t>((product + 99) / 100);
    return;
  }
}

void BudgetLedger::NoteOverrun(int budget, uint64_t lease, std::string_view lease_tenant,
                               std::vector<BudgetAlert>* alerts) const {
  BudgetAlert alert = MakeAlert(budget, AlertKind::kOverrun);
  alert.lease = lease;
  alert.message = fmt::format(
      "Lease {} of tenant {} ran past its budget reservation with no budget left in {}; its "
      "class lets it finish, so its spend will go over the limit.",
      lease, lease_tenant, alert.budget);
  alerts->push_back(std::move(alert));
}

void BudgetLedger::CheckThresholds(int budget, std::vector<BudgetAlert>* alerts) {
  State& state = state_[static_cast<size_t>(budget)];
  __int128 committed = __int128{state.entry.settled} + state.reserved;
  if (committed < state.next_threshold) return;  // the common case: one comparison
  const std::vector<int>& thresholds = specs_[static_cast<size_t>(budget)].thresholds;
  for (size_t t = 0; t < thresholds.size(); ++t) {
    uint32_t bit = uint32_t{1} << t;
    if ((state.entry.thresholds_fired & bit) != 0) continue;
    if (committed * 100 < __int128{thresholds[t]} * state.entry.limit) break;
    state.entry.thresholds_fired |= bit;
    BudgetAlert alert = MakeAlert(budget, AlertKind::kThreshold);
    alert.threshold = thresholds[t];
    alert.message = fmt::format(
        "Budget {} of tenant {} is {}% committed: {} spent and {} reserved of {} this period.",
        alert.budget, OwnerName(budget), thresholds[t], Figure(budget, alert.settled),
        Figure(budget, alert.reserved), Figure(budget, alert.limit));
    alerts->push_back(std::move(alert));
  }
  RefreshNextThreshold(budget);
}

void BudgetLedger::Reserve(int tenant, const BudgetAmount& amount, int sign,
                           std::vector<BudgetAlert>* alerts) {
  for (int b : PathBudgets(tenant)) {
    int64_t delta = AmountFor(b, amount);
    if (delta == 0) continue;
    state_[static_cast<size_t>(b)].reserved += sign * delta;
    if (sign > 0) CheckThresholds(b, alerts);
  }
}

void BudgetLedger::Settle(int tenant, const BudgetAmount& reserved, const BudgetAmount& actual,
                          std::vector<BudgetAlert>* alerts) {
  for (int b : PathBudgets(tenant)) {
    State& state = state_[static_cast<size_t>(b)];
    int64_t spent = AmountFor(b, actual);
    state.reserved -= AmountFor(b, reserved);
    state.entry.settled += spent;
    state.entry.cumulative += spent;
    if (spent > 0) CheckThresholds(b, alerts);
  }
}

void BudgetLedger::AddRunning(int tenant, int64_t money_rate, const ResourceVector& charge,
                              Time start, int sign) {
  for (int b : PathBudgets(tenant)) {
    const BudgetSpec& spec = specs_[static_cast<size_t>(b)];
    int64_t slope = 0;
    if (spec.meter == BudgetMeter::kMoney) slope = money_rate;
    if (spec.meter == BudgetMeter::kResourceTime) slope = charge[spec.resource];
    if (slope == 0) continue;
    State& state = state_[static_cast<size_t>(b)];
    state.slope += sign * __int128{slope};
    state.anchor += sign * __int128{slope} * start;
  }
}

int64_t BudgetLedger::Accrued(const State& state, int budget, Time t) const {
  if (state.slope == 0) return 0;
  // Money slopes are rate units (micro-units x kRateScale per hour); resource
  // slopes are fixed-point units, accrued per microsecond and counted in ms.
  __int128 denominator = specs_[static_cast<size_t>(budget)].meter == BudgetMeter::kMoney
                             ? __int128{PriceCatalog::kRateScale} * 3'600'000'000
                             : 1000;
  return static_cast<int64_t>((state.slope * t - state.anchor) / denominator);
}

int64_t BudgetLedger::SpentNow(int budget, Time now) const {
  const State& state = state_[static_cast<size_t>(budget)];
  return state.entry.settled + Accrued(state, budget, now);
}

void BudgetLedger::Rollover(int budget) {
  const BudgetSpec& spec = specs_[static_cast<size_t>(budget)];
  Entry& entry = state_[static_cast<size_t>(budget)].entry;
  int64_t limit = spec.limit;
  if (spec.rollover) {
    int64_t unused = std::max<int64_t>(0, entry.limit - entry.settled);
    if (spec.rollover_cap > 0) unused = std::min(unused, spec.rollover_cap);
    limit = std::min(kMaxLimit, limit + unused);
  }
  entry.period = PeriodAt(spec.period, zone_, entry.period.end);
  entry.limit = limit;
  entry.settled = 0;
  entry.thresholds_fired = 0;
  entry.hard_fired = false;
  entry.forecast_fired = false;
  RefreshNextThreshold(budget);
}

void BudgetLedger::Sample(int budget, Time at, std::vector<BudgetAlert>* alerts) {
  const BudgetSpec& spec = specs_[static_cast<size_t>(budget)];
  State& state = state_[static_cast<size_t>(budget)];
  int64_t accrued = Accrued(state, budget, at);
  state.burn.Add(state.entry.cumulative + accrued);
  if (!state.burn.full() || state.entry.forecast_fired) return;
  int64_t spent = state.burn.Spent();
  if (spent <= 0) return;
  // time left = (limit - spent this period) / (spent over window / window)
  double per_us = static_cast<double>(spent) / static_cast<double>(spec.signals.forecast_window);
  double left = static_cast<double>(state.entry.limit - state.entry.settled - accrued);
  Duration time_left = left <= 0 ? 0 : static_cast<Duration>(left / per_us);
  if (time_left > spec.signals.forecast_horizon) return;
  if (state.entry.period.end != kForever && at + time_left >= state.entry.period.end) return;
  state.entry.forecast_fired = true;
  BudgetAlert alert = MakeAlert(budget, AlertKind::kForecast);
  alert.settled = state.entry.settled + accrued;
  alert.burn_per_hour = per_us * 3.6e9;
  alert.time_left = time_left;
  alert.message = fmt::format(
      "Budget {} of tenant {} runs out in about {} at the current burn of {} per hour ({} of {} "
      "spent this period).",
      alert.budget, OwnerName(budget), DurationText(time_left),
      Figure(budget, static_cast<int64_t>(alert.burn_per_hour)), Figure(budget, alert.settled),
      Figure(budget, alert.limit));
  alerts->push_back(std::move(alert));
}

void BudgetLedger::CloseWindow(int budget, Time at, std::vector<BudgetAlert>* alerts) {
  const BudgetSpec& spec = specs_[static_cast<size_t>(budget)];
  State& state = state_[static_cast<size_t>(budget)];
  int64_t cumulative = state.entry.cumulative + Accrued(state, budget, at);
  int64_t previous = state.entry.window_start_spend;
  state.entry.window_start_spend = cumulative;
  if (previous < 0) return;  // the first boundary opens the first whole window
  int64_t spend = cumulative - previous;
  SpendAnomalyDetector::Verdict verdict =
      state.anomaly.Observe(spend, spec.signals.anomaly_threshold, spec.signals.anomaly_min_ratio);
  if (!verdict.anomalous) return;
  BudgetAlert alert = MakeAlert(budget, AlertKind::kAnomaly);
  alert.window_spend = spend;
  alert.baseline = verdict.median;
  alert.score = verdict.score;
  alert.burn_per_hour =
      static_cast<double>(spend) * 3.6e9 / static_cast<double>(spec.signals.anomaly_window);
  alert.message = fmt::format(
      "Budget {} of tenant {}: {} spent in the window ending {}, {:.1f}x the usual {} (robust "
      "z-score {:.1f}).",
      alert.budget, OwnerName(budget), Figure(budget, spend), FormatUtc(at),
      verdict.median > 0 ? static_cast<double>(spend) / static_cast<double>(verdict.median) : 0.0,
      Figure(budget, verdict.median), verdict.score);
  alerts->push_back(std::move(alert));
}

bool BudgetLedger::Advance(Time now, std::vector<BudgetAlert>* alerts) {
  if (now < next_event_) return false;
  if (!started_) Start(now);
  bool rolled = false;
  for (size_t b = 0; b < specs_.size(); ++b) {
    const BudgetSignals& signals = specs_[b].signals;
    Entry& entry = state_[b].entry;
    // After a long silence only the last samples and windows matter; the
    // spend between commands is linear, so skipped ones hold nothing new.
    if (signals.forecast_window > 0) {
      Duration step = signals.forecast_window / kBurnSteps;
      Time earliest = NextBoundary(now - (kBurnSteps + 1) * step, step);
      entry.next_sample = std::max(entry.next_sample, earliest);
    }
    if (signals.anomaly_window > 0) {
      Time earliest = NextBoundary(now - (kAnomalyHistory + 1) * signals.anomaly_window,
                                   signals.anomaly_window);
      entry.next_window = std::max(entry.next_window, earliest);
    }
    while (true) {
      Time at = std::min({entry.period.end, entry.next_sample, entry.next_window});
      if (at > now) break;
      if (at == entry.period.end) {
        Rollover(static_cast<int>(b));
        rolled = true;
      } else if (at == entry.next_sample) {
        Sample(static_cast<int>(b), at, alerts);
        entry.next_sample += signals.forecast_window / kBurnSteps;
      } else {
        CloseWindow(static_cast<int>(b), at, alerts);
        entry.next_window += signals.anomaly_window;
      }
    }
  }
  UpdateNextEvent();
  return rolled;
}

void BudgetLedger::UpdateNextEvent() {
  next_event_ = kForever;
  for (const State& state : state_) {
    next_event_ = std::min(
        {next_event_, state.entry.period.end, state.entry.next_sample, state.entry.next_window});
  }
}

std::vector<BudgetLedger::Entry> BudgetLedger::Entries() const {
  std::vector<Entry> entries;
  if (!started_) return entries;
  for (const State& state : state_) {
    Entry entry = state.entry;
    entry.burn_samples = state.burn.Samples();
    entry.anomaly_history = state.anomaly.History();
    entries.push_back(std::move(entry));
  }
  return entries;
}

Status BudgetLedger::SetEntries(const std::vector<Entry>& entries) {
  for (const Entry& entry : entries) {
    int b = Find(entry.budget);
    if (b < 0) return DataLoss("snapshot.budgets: unknown budget '" + entry.budget + "'");
    if (entry.limit <= 0 || entry.settled < 0 || entry.cumulative < entry.settled ||
        entry.period.start >= entry.period.end) {
      return DataLoss("snapshot.budgets (" + entry.budget + "): figures out of range");
    }
    State& state = state_[static_cast<size_t>(b)];
    state.entry = entry;
    state.burn.SetSamples(entry.burn_samples);
    state.anomaly.SetHistory(entry.anomaly_history);
    state.entry.burn_samples.clear();
    state.entry.anomaly_history.clear();
    RefreshNextThreshold(b);
  }
  if (entries.empty()) return Status::Ok();
  if (entries.size() != specs_.size()) {
    return DataLoss("snapshot.budgets: some configured budgets are missing");
  }
  started_ = true;
  UpdateNextEvent();
  return Status::Ok();
}

}  // namespace allot
