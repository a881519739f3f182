// Budgets and metering: the cost rate and budget reservation of each lease,
// extensions as it outlives them, settlement and the usage record at its end.
#include <fmt/format.h>

#include <algorithm>

#include "engine/engine.h"
#include "metering/resource_time.h"

namespace allot {
namespace {

// Whole milliseconds, rounded up: resource-time is counted in unit x ms.
int64_t CeilMillis(Duration d) { return d <= 0 ? 0 : (d + 999) / 1000; }

}  // namespace

int64_t Engine::CostRate(const ResourceVector& charge, int64_t members,
                         const Placement& placement) const {
  if (!prices_.has_resource_prices()) return 0;
  // Each member holds an equal share of the charge on its own node.
  ResourceVector per_member;
  for (int r = 0; r < kMaxResources; ++r) per_member[r] = charge[r] / members;
  int64_t rate = 0;
  ForEachMember(placement, [&](std::span<const Assignment> member) {
    rate += prices_.RateOn(member.front().node, per_member);
  });
  return rate;
}

BudgetAmount Engine::AmountOf(const Lease& lease, Time until, const TokenCounts* tokens) const {
  BudgetAmount amount;
  Duration held = until - lease.granted_at;
  amount.money = PriceCatalog::Cost(lease.cost_rate, held);
  int64_t millis = CeilMillis(held);
  for (int r = 0; r < kMaxResources; ++r) {
    amount.resource_ms[static_cast<size_t>(r)] = ResourceMs(lease.charge[r], millis);
  }
  if (lease.model >= 0) {
    if (tokens != nullptr) {
      amount.money += prices_.TokenCost(lease.model, *tokens);
      amount.tokens = tokens->total();
    } else {
      amount.money +=
          prices_.TokenCeiling(lease.model, lease.input_tokens, lease.max_output_tokens);
      amount.tokens = lease.input_tokens + lease.max_output_tokens;
    }
  }
  return amount;
}

BudgetLedger::Verdict Engine::CheckBudget(Resolved& resolved, const Request& request,
                                          const Placement* placement) const {
  // The amount the grant would reserve: the estimate (or the default chunk)
  // at the placement's rate, or at the cheapest rate of the allowed pools.
  Lease probe;
  probe.granted_at = now_;
  probe.charge = resolved.charge;
  probe.model = resolved.model;
  probe.input_tokens = request.input_tokens;
  probe.max_output_tokens = request.max_output_tokens;
  resolved.placed_rate = -1;
  if (placement != nullptr) {
    probe.cost_rate = CostRate(resolved.charge, request.members, *placement);
    resolved.placed_rate = probe.cost_rate;
  } else if (prices_.has_resource_prices()) {
    for (int r = 0; r < kMaxResources; ++r) {
      if (resolved.charge[r] == 0) continue;
      int64_t cheapest = std::numeric_limits<int64_t>::max();
      for (size_t p = 0; p < pool_min_rates_.size(); ++p) {
        if (!resolved.demand.allowed_pools[p]) continue;
        cheapest = std::min(cheapest, pool_min_rates_[p][static_cast<size_t>(r)]);
      }
      if (cheapest != std::numeric_limits<int64_t>::max()) {
        probe.cost_rate += resolved.charge[r] * cheapest;
      }
    }
  }
  Duration chunk = request.estimate > 0 ? request.estimate : options_.budgets.default_estimate;
  const PriorityClass& priority_class = tenancy_->priority_class(resolved.priority_class);
  return budgets_->Check(resolved.tenant, AmountOf(probe, now_ + chunk, nullptr),
                         priority_class.throttle_percent);
}

void Engine::StartMetering(Lease& lease, const Request& request, const Resolved& resolved) {
  lease.model = resolved.model;
  lease.input_tokens = request.input_tokens;
  lease.max_output_tokens = request.max_output_tokens;
  // CheckBudget computed the rate of this placement already, when it ran.
  lease.cost_rate = resolved.placed_rate >= 0
                        ? resolved.placed_rate
                        : CostRate(lease.charge, lease.members, lease.placement);
  if (budgets_ == nullptr || !budgets_->HasBudgets(lease.tenant)) return;
  Duration chunk = lease.estimate > 0 ? lease.estimate : options_.budgets.default_estimate;
  lease.reserved_until = now_ + chunk;
  budgets_->Reserve(lease.tenant, AmountOf(lease, lease.reserved_until, nullptr), +1, &alerts_);
  budgets_->AddRunning(lease.tenant, lease.cost_rate, lease.charge, lease.granted_at, +1);
  PushReservationEnd(lease.reserved_until, lease.id);
  EmitAlerts();
}

bool Engine::ExtendReservation(LeaseId id, Time target) {
  Lease& lease = leases_.at(id);
  Duration chunk = lease.estimate > 0 ? lease.estimate : options_.budgets.default_estimate;
  // Whole chunks until the reservation reaches past `target`.
  int64_t chunks = (target - lease.reserved_until) / chunk + 1;
  Time until = lease.reserved_until + chunks * chunk;
  BudgetAmount held = AmountOf(lease, lease.reserved_until, nullptr);
  BudgetAmount wanted = AmountOf(lease, until, nullptr);
  BudgetAmount more;
  more.money = wanted.money - held.money;
  for (size_t r = 0; r < more.resource_ms.size(); ++r) {
    more.resource_ms[r] = wanted.resource_ms[r] - held.resource_ms[r];
  }
  BudgetLedger::Verdict verdict = budgets_->Check(lease.tenant, more, /*throttle_percent=*/0);
  if (verdict.outcome == BudgetLedger::Outcome::kOk) {
    budgets_->Reserve(lease.tenant, more, +1, &alerts_);
    lease.reserved_until = until;  // the old entry goes stale; this one replaces it
    reservation_ends_.emplace_back(until, id);
    std::push_heap(reservation_ends_.begin(), reservation_ends_.end(), std::greater<>());
    PruneReservationEnds();  // a renewal leaves the old entry behind
    EmitAlerts();
    return true;
  }
  NoteBudgetRefusal(verdict);
  const PriorityClass& priority_class = tenancy_->priority_class(lease.priority_class);
  if (priority_class.preempt_over_budget) {
    EndLease(id, EndReason::kBudgetExhausted,
             "ran past its budget reservation with no budget left: " + verdict.message,
             /*announce=*/true);
    return false;
  }
  // Let it finish: it runs on unreserved, and its settlement may pass the limit.
  DropReservationEnd();
  lease.overrun = true;
  PruneReservationEnds();
  budgets_->NoteOverrun(verdict.budget, id.value, tenancy_->tenant(lease.tenant).path, &alerts_);
  EmitAlerts();
  return true;
}

void Engine::PushReservationEnd(Time at, LeaseId id) {
  reservation_ends_.emplace_back(at, id);
  std::push_heap(reservation_ends_.begin(), reservation_ends_.end(), std::greater<>());
  ++live_reservation_ends_;
}

bool Engine::LiveReservationEnd(const std::pair<Time, LeaseId>& entry) const {
  auto it = leases_.find(entry.second);
  return it != leases_.end() && !it->second.overrun && it->second.reserved_until == entry.first;
}

void Engine::PruneReservationEnds() {
  while (!reservation_ends_.empty() && !LiveReservationEnd(reservation_ends_.front())) {
    std::pop_heap(reservation_ends_.begin(), reservation_ends_.end(), std::greater<>());
    reservation_ends_.pop_back();
  }
}

void Engine::DropReservationEnd() {
  --live_reservation_ends_;
  if (reservation_ends_.size() <= 3 * live_reservation_ends_ + 1024) return;
  // Rebuild from the leases once two thirds of the heap are stale: one pass
  // over the live leases per 2 x live drops (a scan of the heap would look
  // each entry's lease up, at a cache miss each).
  reservation_ends_.clear();
  for (const auto& [id, lease] : leases_) {
    if (lease.reserved_until > 0 && !lease.overrun) {
      reservation_ends_.emplace_back(lease.reserved_until, id);
    }
  }
  std::make_heap(reservation_ends_.begin(), reservation_ends_.end(), std::greater<>());
}

void Engine::FinishMetering(Lease& lease, EndReason reason, const UsageReport* usage) {
  TokenCounts tokens;
  bool estimated = false;
  if (lease.model >= 0) {
    if (usage != nullptr) {
      tokens = usage->tokens;
      estimated = usage->tokens_estimated;
    } else {
      // Never reported: count the most it could have used, and say so.
      tokens.input = lease.input_tokens;
      tokens.output = lease.max_output_tokens;
      estimated = true;
    }
  }
  UsageRecord record = MakeRecord(lease, now_, EndReasonName(reason), tokens, estimated);
  if (usage != nullptr) {
    record.latency = usage->latency;
    record.time_to_first_token = usage->time_to_first_token;
  }
  record.labels = std::move(lease.labels);  // the lease ends: its labels move to the record
  if (lease.reserved_until > 0) {
    BudgetAmount reserved = AmountOf(lease, lease.reserved_until, nullptr);
    // The record holds what it used: AmountOf(lease, now_, &tokens).
    BudgetAmount actual;
    actual.money = record.cost;
    actual.tokens = lease.model >= 0 ? tokens.total() : 0;
    actual.resource_ms = record.resource_ms;
    bool beyond = actual.money > reserved.money || actual.tokens > reserved.tokens;
    for (size_t r = 0; r < actual.resource_ms.size(); ++r) {
      beyond |= actual.resource_ms[r] > reserved.resource_ms[r];
    }
    record.overrun = lease.overrun || beyond;
    budgets_->AddRunning(lease.tenant, lease.cost_rate, lease.charge, lease.granted_at, -1);
    budgets_->Settle(lease.tenant, reserved, actual, &alerts_);
    EmitAlerts();
  }
  usage_.push_back(std::move(record));
}

UsageRecord Engine::MakeRecord(const Lease& lease, Time end, std::string_view end_reason,
                               const TokenCounts& tokens, bool estimated) const {
  UsageRecord record;
  record.lease = lease.id;
  record.tenant_path = tenancy_->tenant(lease.tenant).path;
  record.priority_class = tenancy_->priority_class(lease.priority_class).name;
  if (!lease.placement.empty()) {
    record.pool = inventory_.pools[inventory_.nodes[lease.placement.front().node].pool].name;
  }
  // "node[0,1];other[-]": each node once, with the devices used there.
  NodeIndex last = static_cast<NodeIndex>(-1);
  for (const Assignment& a : lease.placement) {
    if (a.node != last) {
      if (last != static_cast<NodeIndex>(-1)) record.location += "];";
      record.location += inventory_.nodes[a.node].name;
      record.location += '[';
      last = a.node;
    } else {
      record.location += ',';
    }
    if (a.device < 0) {
      record.location += '-';
    } else {
      record.location += std::to_string(a.device);
    }
  }
  if (last != static_cast<NodeIndex>(-1)) record.location += ']';
  if (lease.model >= 0) record.model = prices_.model(lease.model).model;
  record.start = lease.granted_at;
  record.end = end;
  int64_t millis = CeilMillis(end - lease.granted_at);
  for (int r = 0; r < kMaxResources; ++r) {
    record.resource_ms[static_cast<size_t>(r)] = ResourceMs(lease.charge[r], millis);
  }
  record.tokens = tokens;
  record.tokens_estimated = estimated;
  record.cost = PriceCatalog::Cost(lease.cost_rate, end - lease.granted_at);
  if (lease.model >= 0) record.cost += prices_.TokenCost(lease.model, tokens);
  record.end_reason = std::string(end_reason);
  record.overrun = lease.overrun;
  return record;
}

Status Engine::ValidateUsage(const Lease& lease, const UsageReport& usage) const {
  const TokenCounts& tokens = usage.tokens;
  for (auto [field, value] : {std::pair{"usage.tokens.input", tokens.input},
                              std::pair{"usage.tokens.cached_input", tokens.cached_input},
                              std::pair{"usage.tokens.output", tokens.output}}) {
    if (value < 0 || value > kMaxTokensPerCall) {
      return InvalidArgument(
          fmt::format("{}: must be between 0 and {}, got {}", field, kMaxTokensPerCall, value));
    }
  }
  if (tokens.cached_input > tokens.input) {
    return InvalidArgument(fmt::format(
        "usage.tokens.cached_input: {} cached tokens but only {} input tokens (cached tokens are "
        "part of the input)",
        tokens.cached_input, tokens.input));
  }
  if (lease.model < 0 && (tokens.input > 0 || tokens.output > 0)) {
    return InvalidArgument(fmt::format("usage.tokens: lease {} called no model", lease.id.value));
  }
  return Status::Ok();
}

void Engine::NoteBudgetRefusal(const BudgetLedger::Verdict& verdict) {
  if (verdict.outcome != BudgetLedger::Outcome::kHardLimit) return;
  budgets_->NoteRefused(verdict.budget, &alerts_);
  EmitAlerts();
}

void Engine::EmitAlerts() {
  for (BudgetAlert& alert : alerts_) outbox_.push_back(Decision::Alert(std::move(alert), now_));
  alerts_.clear();
}

std::vector<UsageRecord> Engine::TakeUsage() {
  std::vector<UsageRecord> out;
  out.swap(usage_);
  return out;
}

std::vector<UsageRecord> Engine::OpenUsage() const {
  std::vector<UsageRecord> open;
  open.reserve(leases_.size());
  for (const auto& [id, lease] : leases_) {
    TokenCounts tokens;
    if (lease.model >= 0) {
      tokens.input = lease.input_tokens;
      tokens.output = lease.max_output_tokens;
    }
    open.push_back(MakeRecord(lease, now_, "running", tokens, lease.model >= 0));
    open.back().labels = lease.labels;
  }
  std::sort(open.begin(), open.end(),
            [](const UsageRecord& a, const UsageRecord& b) { return a.lease < b.lease; });
  return open;
}

}  // namespace allot
