#include "engine/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "common/check.h"

namespace allot {
namespace {

Decision OfClass(Decision decision, int priority_class) {
  decision.priority_class = priority_class;
  return decision;
}

}  // namespace

Engine::Engine(Inventory inventory, EngineOptions options, Tenancy tenancy, PriceCatalog prices,
               std::unique_ptr<BudgetLedger> budgets)
    : inventory_(std::move(inventory)),
      options_(std::move(options)),
      prices_(std::move(prices)),
      budgets_(std::move(budgets)) {
  tenancy_ = std::make_unique<Tenancy>(std::move(tenancy));
  ResourceVector capacity;
  std::vector<ResourceVector> pool_capacity(inventory_.pools.size());
  for (const Node& node : inventory_.nodes) {
    capacity.Add(node.capacity);
    pool_capacity[node.pool].Add(node.capacity);
  }
  ledger_ =
      std::make_unique<QuotaLedger>(tenancy_.get(), &inventory_.resources, capacity, pool_capacity);
  fair_ = std::make_unique<FairQueue>(tenancy_.get(), ledger_.get(), options_.ordering);
  running_.assign(tenancy_->tenant_count() * tenancy_->class_count(), 0);
  queued_.assign(tenancy_->tenant_count() * tenancy_->class_count(), 0);
  cluster_ = std::make_unique<ClusterState>(&inventory_);
  policy_ = MakePlacementPolicy(options_.placement, cluster_.get());
  node_leases_.resize(inventory_.nodes.size());
  for (NodeIndex node = 0; node < inventory_.nodes.size(); ++node) {
    if (inventory_.pools[inventory_.nodes[node].pool].spread) spread_nodes_.push_back(node);
  }
  waiting_in_pool_.assign(tenancy_->class_count() * inventory_.pools.size(), 0);
  any_waiting_in_pool_.assign(inventory_.pools.size(), 0);
  pool_device_modes_.assign(inventory_.pools.size(), 0);
  for (const Node& node : inventory_.nodes) {
    for (const Device& device : node.devices) {
      pool_device_modes_[node.pool] |= static_cast<uint8_t>(1u << static_cast<int>(device.mode));
    }
  }
  for (size_t n = 0; n < inventory_.nodes.size(); ++n) {
    node_by_name_.emplace(inventory_.nodes[n].name, static_cast<NodeIndex>(n));
  }
  // The cheapest rate per pool and resource: budget checks before placement
  // use it, so they never refuse what some placement could afford.
  pool_min_rates_.assign(inventory_.pools.size(), {});
  std::vector<uint8_t> seen(inventory_.pools.size(), 0);
  for (size_t n = 0; n < inventory_.nodes.size(); ++n) {
    PoolIndex pool = inventory_.nodes[n].pool;
    for (int r = 0; r < kMaxResources; ++r) {
      ResourceVector unit;
      unit[r] = 1;
      int64_t rate = prices_.RateOn(static_cast<NodeIndex>(n), unit);
      int64_t& low = pool_min_rates_[pool][static_cast<size_t>(r)];
      low = seen[pool] ? std::min(low, rate) : rate;
    }
    seen[pool] = 1;
  }
}

Result<std::unique_ptr<Engine>> Engine::Create(Inventory inventory, EngineOptions options) {
  ALLOT_RETURN_IF_ERROR(inventory.Validate());
  if (options.placement.frag_max_candidates < 0) {
    return InvalidArgument("placement.frag_max_candidates: must be >= 0");
  }
  ResourceVector capacity;
  std::vector<std::pair<std::string, ResourceVector>> pools;
  for (const Pool& pool : inventory.pools) pools.emplace_back(pool.name, ResourceVector());
  for (const Node& node : inventory.nodes) {
    capacity.Add(node.capacity);
    pools[node.pool].second.Add(node.capacity);
  }
  Result<Tenancy> tenancy =
      Tenancy::Create(options.tenants, options.classes, capacity, inventory.resources, pools);
  if (!tenancy.ok()) return tenancy.status();
  for (size_t c = 0; c < tenancy->class_count(); ++c) {
    const PriorityClass& priority_class = tenancy->priority_class(static_cast<int>(c));
    if (priority_class.throttle_percent < 0 || priority_class.throttle_percent > 100) {
      return InvalidArgument(
          fmt::format("classes[{}] ({}).throttle_percent: must be 0..100", c, priority_class.name));
    }
  }
  Result<PriceCatalog> prices = PriceCatalog::Create(options.budgets.prices, inventory);
  if (!prices.ok()) return prices.status();
  if (options.budgets.default_estimate <= 0) {
    return InvalidArgument("budgets.default_estimate: must be > 0");
  }
  std::unique_ptr<BudgetLedger> budgets;
  if (!options.budgets.budgets.empty()) {
    Result<BudgetLedger> ledger =
        BudgetLedger::Create(options.budgets, *tenancy, inventory.resources);
    if (!ledger.ok()) return ledger.status();
    budgets = std::make_unique<BudgetLedger>(std::move(ledger).value());
  }
  return std::unique_ptr<Engine>(new Engine(std::move(inventory), std::move(options),
                                            std::move(tenancy).value(), std::move(prices).value(),
                                            std::move(budgets)));
}

void Engine::Advance(Time now) {
  Time target = std::max(now_, now);
  bool freed = false;  // budget-held requests may go, or capacity was freed
  if (budgets_ != nullptr) {
    // Reservations that ran out before `target` are extended (or their
    // leases stopped) at the instant they ran out, in time order with the
    // budgets' period boundaries: exactly what a Tick at that instant would
    // have done, so no lease spends past its reservation between commands.
    while (!reservation_ends_.empty() && reservation_ends_.front().first <= target) {
      std::pop_heap(reservation_ends_.begin(), reservation_ends_.end(), std::greater<>());
      std::pair<Time, LeaseId> entry = reservation_ends_.back();
      reservation_ends_.pop_back();
      if (!LiveReservationEnd(entry)) continue;
      now_ = std::max(now_, entry.first);
      freed |= AdvanceBudgets();
      // The popped entry is replaced by the extension's (or dropped below).
      freed |= !ExtendReservation(entry.second, now_);
    }
  }
  now_ = target;
  freed |= AdvanceBudgets();
  while (!aging_deadlines_.empty() && aging_deadlines_.begin()->first <= now_) {
    RequestId id = aging_deadlines_.begin()->second;
    aging_deadlines_.erase(aging_deadlines_.begin());
    Pending& pending = queue_.at(id);
    fair_->Remove(id, pending.resolved.tenant, pending.resolved.priority_class);
    fair_->Add(id, pending.resolved.tenant, pending.resolved.priority_class, /*aged=*/true);
    pending.aged = true;
  }
  // Served within the command that moved the clock, whichever it is: a
  // "drain at the next Tick" flag would be state outside the snapshot, and
  // a restored engine would not grant what the original then granted.
  if (freed) DrainQueue();
}

bool Engine::AdvanceBudgets() {
  if (budgets_ == nullptr || budgets_->next_event() > now_) return false;
  bool rolled = budgets_->Advance(now_, &alerts_);  // a new period: budget-held requests may go
  EmitAlerts();
  return rolled;
}

bool Engine::BudgetWorkDue(Time at) const {
  return budgets_ != nullptr &&
         (budgets_->next_event() <= at ||
          (!reservation_ends_.empty() && reservation_ends_.front().first <= at));
}

Decision Engine::Submit(const Request& request, Time now) {
  // Replays and rejections change nothing, the clock included: it advances
  // only once the request is granted or queued.
  Time at = std::max(now_, now);
  if (!request.idempotency_key.empty()) {
    // Keys are per leaf tenant: another tenant's key is another key.
    int tenant =
        request.tenant.empty() ? tenancy_->sole_leaf() : tenancy_->FindTenant(request.tenant);
    auto it = idempotency_.find({tenant, request.idempotency_key});
    if (tenant >= 0 && it != idempotency_.end()) {
      Decision replay = Replay(it->second, request);
      replay.at = at;
      return replay;
    }
  }
  // A budget period that ended before `at` rolls over first, so the request
  // is judged against the budget of its own period (this moves the clock
  // even when the request is then rejected).
  if (BudgetWorkDue(at)) Advance(at);
  Result<Resolved> resolved = Resolve(request);
  if (!resolved.ok()) {
    return Decision::Rejected(RequestId{}, RejectCode::kInvalidArgument,
                              resolved.status().message(), at);
  }
  const MemberDemand& demand = resolved->demand;
  const PriorityClass& priority_class = tenancy_->priority_class(resolved->priority_class);
  RequestId id{next_request_id_};
  bool contested = Contested(*resolved);
  // No node has more than 64 devices: larger whole-GPU members go straight to
  // the infeasibility report.
  bool placeable = demand.gpu_milli <= 1000 * kMaxDevicesPerNode;
  QueueReason reason = QueueReason::kNoCapacity;
  std::string why;
  BudgetLedger::Verdict budget;
  if (contested) {
    reason = fair_->WaitingAbove(resolved->priority_class) > 0 ? QueueReason::kBehindHigherClass
                                                               : QueueReason::kBehindQueue;
  } else if (placeable) {
    MemberDemand restricted;
    bool use_restricted = false;
    QuotaLedger::Verdict verdict = Admissible(*resolved, &restricted, &use_restricted);
    if (!verdict.ok) {
      reason = verdict.limit ? QueueReason::kLimit : QueueReason::kQuota;
      why = verdict.message;
    } else {
      // Budgets: checked exactly once placed (the placement sets the rate),
      // or at the cheapest rate of its pools when it does not fit now.
      bool budgeted = budgets_ != nullptr && budgets_->HasBudgets(resolved->tenant);
      Placement placement;
      if (TryPlace(use_restricted ? restricted : demand, request.members, &placement)) {
        if (budgeted) {
          budget = CheckBudget(*resolved, request, &placement);
          if (budget.outcome != BudgetLedger::Outcome::kOk) GiveBack(demand.host, placement);
        }
        if (budget.outcome == BudgetLedger::Outcome::kOk) {
          Advance(at);
          ++next_request_id_;
          // Granted and queued requests (not rejected ones) tell what the workload is like.
          workload_.Add(WorkloadShapeOf(demand), request.members, policy_.get());
          Lease& lease = AddLease(id, request, *resolved, std::move(placement));
          return OfClass(Decision::Granted(id, lease.id, lease.placement, now_),
                         lease.priority_class);
        }
      } else if (budgeted) {
        budget = CheckBudget(*resolved, request, nullptr);
      }
      if (budget.outcome != BudgetLedger::Outcome::kOk) {
        reason = budget.outcome == BudgetLedger::Outcome::kHardLimit
                     ? QueueReason::kBudget
                     : QueueReason::kBudgetThrottled;
        why = budget.message;
      }
    }
  }
  const std::string& infeasible = CachedInfeasibility(request, demand);
  if (!infeasible.empty()) {
    return OfClass(Decision::Rejected(RequestId{}, RejectCode::kInfeasible, infeasible, at),
                   resolved->priority_class);
  }
  if (budget.outcome == BudgetLedger::Outcome::kHardLimit) {
    NoteBudgetRefusal(budget);
    if (!priority_class.queue_over_budget) {
      return OfClass(
          Decision::Rejected(RequestId{}, RejectCode::kBudgetExceeded, budget.message, at),
          resolved->priority_class);
    }
  }
  if (priority_class.reject_when_busy) {
    return OfClass(
        Decision::Rejected(
            RequestId{}, RejectCode::kWouldWait,
            fmt::format("priority_class {}: rejects instead of waiting ({}{}{})",
                        priority_class.name, QueueReasonName(reason), why.empty() ? "" : ": ", why),
            at),
        resolved->priority_class);
  }
  for (int t = resolved->tenant; t > 0; t = tenancy_->tenant(t).parent) {
    int64_t cap = tenancy_->tenant(t).max_queued[static_cast<size_t>(resolved->priority_class)];
    size_t slot = static_cast<size_t>(t) * tenancy_->class_count() +
                  static_cast<size_t>(resolved->priority_class);
    if (cap != kUnlimited && queued_[slot] >= cap) {
      return OfClass(
          Decision::Rejected(
              RequestId{}, RejectCode::kLimitExceeded,
              fmt::format("tenant {}: already {} requests of class {} waiting (max_queued {})",
                          tenancy_->tenant(t).path, queued_[slot], priority_class.name, cap),
              at),
          resolved->priority_class);
    }
  }
  Advance(at);
  ++next_request_id_;
  workload_.Add(WorkloadShapeOf(demand), request.members, policy_.get());
  int64_t position = fair_->WaitingAbove(resolved->priority_class) +
                     fair_->TenantWaiting(resolved->tenant, resolved->priority_class);
  int class_index = resolved->priority_class;
  const Pending& waiting = Enqueue(id, request, std::move(resolved).value(), reason, now_);
  bool may_preempt = MayPreempt(waiting.resolved);
  bool drain = contested || (reason == QueueReason::kNoCapacity && may_preempt);
  if (drain) {
    // Fair share may rank it ahead of those waiting, or it may preempt: let
    // the queue decide.
    size_t before = outbox_.size();
    DrainQueue();
    for (size_t i = before; i < outbox_.size(); ++i) {
      if (outbox_[i].kind == DecisionKind::kGranted && outbox_[i].request == id) {
        Decision granted = std::move(outbox_[i]);
        outbox_.erase(outbox_.begin() + static_cast<std::ptrdiff_t>(i));
        return granted;
      }
    }
  }
  Decision queued = Decision::Queued(id, reason, position, now_);
  queued.message = why;
  queued.priority_class = class_index;  // `waiting` may be gone after the drain
  return queued;
}

Engine::Pending& Engine::Enqueue(RequestId id, const Request& request, Resolved resolved,
                                 QueueReason reason, Time enqueued_at) {
  Pending& pending = queue_[id];
  pending.request = request;
  pending.resolved = std::move(resolved);
  pending.enqueued_at = enqueued_at;
  pending.reason = reason;
  CountWaiting(pending.resolved, +1);
  CountTenant(pending.resolved, queued_, +1);
  if (request.estimate > 0) ++waiting_with_estimate_;
  fair_->Add(id, pending.resolved.tenant, pending.resolved.priority_class);
  const PriorityClass& priority_class = tenancy_->priority_class(pending.resolved.priority_class);
  if (priority_class.max_wait > 0)
    wait_deadlines_.emplace(enqueued_at + priority_class.max_wait, id);
  if (priority_class.aging > 0) aging_deadlines_.emplace(enqueued_at + priority_class.aging, id);
  if (!request.idempotency_key.empty()) {
    idempotency_[{pending.resolved.tenant, request.idempotency_key}] = id;
  }
  return pending;
}

void Engine::Unindex(RequestId id, const Pending& pending, bool in_fair) {
  WithdrawPreemptions(id);  // granted, withdrawn or rejected: its victims may stay
  CountWaiting(pending.resolved, -1);
  CountTenant(pending.resolved, queued_, -1);
  if (pending.request.estimate > 0) --waiting_with_estimate_;
  if (in_fair) {
    fair_->Remove(id, pending.resolved.tenant, pending.resolved.priority_class, pending.aged);
  }
  const PriorityClass& priority_class = tenancy_->priority_class(pending.resolved.priority_class);
  if (priority_class.max_wait > 0) {
    wait_deadlines_.erase({pending.enqueued_at + priority_class.max_wait, id});
  }
  if (priority_class.aging > 0)
    aging_deadlines_.erase({pending.enqueued_at + priority_class.aging, id});
}

void Engine::Dequeue(std::unordered_map<RequestId, Pending>::iterator it) {
  // Withdrawn or rejected: a retry with its key is a new request.
  if (!it->second.request.idempotency_key.empty()) {
    idempotency_.erase({it->second.resolved.tenant, it->second.request.idempotency_key});
  }
  Unindex(it->first, it->second, /*in_fair=*/true);
  queue_.erase(it);
}

void Engine::RejectWaiting(std::unordered_map<RequestId, Pending>::iterator it, RejectCode code,
                           std::string message) {
  RequestId id = it->first;
  int priority_class = it->second.resolved.priority_class;
  Dequeue(it);
  outbox_.push_back(
      OfClass(Decision::Rejected(id, code, std::move(message), now_), priority_class));
}

void Engine::ApplyPoolCharges(const Lease& lease, int sign) {
  if (!tenancy_->any_pool_quota()) return;
  // Each member's share of the charge (charge = members x per member) goes
  // to the pool of the node it runs on.
  ResourceVector per_member;
  for (int r = 0; r < kMaxResources; ++r) per_member[r] = lease.charge[r] / lease.members;
  int64_t last_member = -1;
  for (const Assignment& a : lease.placement) {
    if (static_cast<int64_t>(a.member) == last_member) continue;
    last_member = a.member;
    ledger_->Apply(lease.tenant, per_member, sign,
                   1 + static_cast<int>(inventory_.nodes[a.node].pool));
  }
}

void Engine::CountTenant(const Resolved& resolved, std::vector<int64_t>& counts, int64_t delta) {
  for (int t = resolved.tenant; t >= 0; t = tenancy_->tenant(t).parent) {
    counts[static_cast<size_t>(t) * tenancy_->class_count() +
           static_cast<size_t>(resolved.priority_class)] += delta;
  }
}

QuotaLedger::Verdict Engine::Admissible(const Resolved& resolved, MemberDemand* restricted,
                                        bool* use_restricted) const {
  if (use_restricted != nullptr) *use_restricted = false;
  const PriorityClass& priority_class = tenancy_->priority_class(resolved.priority_class);
  for (int t = resolved.tenant; t > 0; t = tenancy_->tenant(t).parent) {
    int64_t cap = tenancy_->tenant(t).max_running[static_cast<size_t>(resolved.priority_class)];
    size_t slot = static_cast<size_t>(t) * tenancy_->class_count() +
                  static_cast<size_t>(resolved.priority_class);
    if (cap != kUnlimited && running_[slot] >= cap) {
      QuotaLedger::Verdict verdict;
      verdict.ok = false;
      verdict.limit = true;
      verdict.message =
          fmt::format("tenant {}: {} leases of class {} running (max_running {})",
                      tenancy_->tenant(t).path, running_[slot], priority_class.name, cap);
      return verdict;
    }
  }
  QuotaLedger::Verdict verdict =
      ledger_->Check(resolved.tenant, resolved.charge, priority_class.may_borrow);
  if (!verdict.ok || !tenancy_->any_pool_quota()) return verdict;
  // Pool quotas: the whole charge is checked against each allowed pool (a
  // gang split across pools is counted as if all in each: conservative).
  QuotaLedger::Verdict refused;
  bool any_left = false;
  bool any_refused = false;
  std::vector<uint8_t> allowed = resolved.demand.allowed_pools;
  for (size_t p = 0; p < allowed.size(); ++p) {
    if (!allowed[p]) continue;
    QuotaLedger::Verdict in_pool =
        ledger_->Check(resolved.tenant, resolved.charge, priority_class.may_borrow,
                       1 + static_cast<int>(p), inventory_.pools[p].name);
    if (in_pool.ok) {
      any_left = true;
      continue;
    }
    allowed[p] = 0;
    any_refused = true;
    refused = in_pool;
  }
  if (!any_left) return refused;
  if (any_refused && restricted != nullptr && use_restricted != nullptr) {
    *restricted = resolved.demand;
    restricted->allowed_pools = std::move(allowed);
    *use_restricted = true;
  }
  return verdict;
}

bool Engine::Contested(const Resolved& resolved) const {
  // Waiting requests of the same or a higher class (any class, in FIFO
  // order) on a pool this one may use.
  if (contested_pools_ == 0) return false;
  int64_t value = options_.ordering == QueueOrdering::kFifo
                      ? std::numeric_limits<int64_t>::min()
                      : tenancy_->priority_class(resolved.priority_class).value;
  size_t pools = inventory_.pools.size();
  for (size_t c = 0; c < tenancy_->class_count(); ++c) {
    if (tenancy_->priority_class(static_cast<int>(c)).value < value) continue;
    for (size_t p = 0; p < pools; ++p) {
      if (resolved.demand.allowed_pools[p] && waiting_in_pool_[c * pools + p] > 0) return true;
    }
  }
  return false;
}

void Engine::CountWaiting(const Resolved& resolved, int64_t delta) {
  size_t pools = inventory_.pools.size();
  size_t base = static_cast<size_t>(resolved.priority_class) * pools;
  for (size_t p = 0; p < pools; ++p) {
    if (!resolved.demand.allowed_pools[p]) continue;
    waiting_in_pool_[base + p] += delta;
    bool was = any_waiting_in_pool_[p] > 0;
    any_waiting_in_pool_[p] += delta;
    bool is = any_waiting_in_pool_[p] > 0;
    if (was != is) contested_pools_ = is ? contested_pools_ + 1 : contested_pools_ - 1;
  }
}

Lease& Engine::AddLease(RequestId id, const Request& request, const Resolved& resolved,
                        Placement placement) {
  const MemberDemand& demand = resolved.demand;
  LeaseId lease_id{id.value};
  Lease& lease = leases_[lease_id];
  lease.id = lease_id;
  lease.granted_at = now_;
  lease.ttl = request.ttl;
  lease.expires_at = request.ttl > 0 ? now_ + request.ttl : 0;
  lease.estimate = request.estimate;
  lease.member_host = demand.host;
  lease.members = request.members;
  lease.placement = std::move(placement);
  lease.labels = request.labels;
  lease.idempotency_key = request.idempotency_key;
  // Only a keyed lease is ever compared with a retry.
  if (!request.idempotency_key.empty()) lease.fingerprint = RequestFingerprint(request);
  lease.owner = request.owner;
  if (lease.expires_at > 0) expiries_.emplace(lease.expires_at, lease_id);
  if (lease.estimate > 0) estimated_ends_.emplace(lease.granted_at + lease.estimate, lease_id);
  NodeIndex last_node = static_cast<NodeIndex>(-1);
  for (const Assignment& a : lease.placement) {
    if (a.node == last_node) continue;
    last_node = a.node;
    std::vector<LeaseId>& on_node = node_leases_[a.node];
    if (on_node.empty() || on_node.back() != lease_id) on_node.push_back(lease_id);
  }
  if (!lease.idempotency_key.empty()) idempotency_[{resolved.tenant, lease.idempotency_key}] = id;
  lease.tenant = resolved.tenant;
  lease.priority_class = resolved.priority_class;
  lease.charge = resolved.charge;
  ledger_->Apply(lease.tenant, lease.charge, +1);
  ApplyPoolCharges(lease, +1);
  fair_->OnUsageChanged(lease.tenant);
  CountTenant(resolved, running_, +1);
  StartMetering(lease, request, resolved);
  return lease;
}

void Engine::EndLease(LeaseId id, EndReason reason, std::string message, bool announce,
                      const UsageReport* usage) {
  auto it = leases_.find(id);
  ALLOT_CHECK(it != leases_.end());
  Lease& lease = it->second;
  FinishMetering(lease, reason, usage);
  ForEachMember(lease.placement, [&](std::span<const Assignment> member) {
    cluster_->Give(lease.member_host, member);
    std::vector<LeaseId>& on_node = node_leases_[member.front().node];
    auto found = std::find(on_node.begin(), on_node.end(), id);
    if (found != on_node.end()) {
      *found = on_node.back();
      on_node.pop_back();
    }
  });
  if (lease.expires_at > 0) expiries_.erase({lease.expires_at, id});
  if (lease.estimate > 0) estimated_ends_.erase({lease.granted_at + lease.estimate, id});
  if (lease.preempt_at > 0) {
    preemptions_.erase({lease.preempt_at, id});
    auto waiting = preempting_for_.find(lease.preempted_for);
    if (waiting != preempting_for_.end() && --waiting->second == 0) preempting_for_.erase(waiting);
  }
  if (!lease.idempotency_key.empty()) idempotency_.erase({lease.tenant, lease.idempotency_key});
  if (lease.reserved_until > 0 && !lease.overrun) DropReservationEnd();
  ledger_->Apply(lease.tenant, lease.charge, -1);
  ApplyPoolCharges(lease, -1);
  fair_->OnUsageChanged(lease.tenant);
  Resolved owner;
  owner.tenant = lease.tenant;
  owner.priority_class = lease.priority_class;
  CountTenant(owner, running_, -1);
  if (announce) {
    outbox_.push_back(
        OfClass(Decision::LeaseEnded(lease.request(), id, reason, std::move(message), now_),
                lease.priority_class));
  }
  leases_.erase(it);
  PruneReservationEnds();
}

Status Engine::Release(LeaseId lease, Time now, const UsageReport* usage) {
  auto it = leases_.find(lease);
  if (it == leases_.end()) {
    return NotFound("lease " + std::to_string(lease.value) + ": no such active lease");
  }
  if (usage != nullptr) ALLOT_RETURN_IF_ERROR(ValidateUsage(it->second, *usage));
  Advance(now);
  if (leases_.find(lease) == leases_.end()) {
    // Stopped while the clock advanced: its reservation ran out, no budget was left.
    return NotFound("lease " + std::to_string(lease.value) +
                    ": ended when its budget reservation ran out");
  }
  EndLease(lease, EndReason::kReleased, "", /*announce=*/false, usage);
  DrainQueue();
  return Status::Ok();
}

Status Engine::Renew(LeaseId id, Time now) {
  Advance(now);
  auto it = leases_.find(id);
  if (it == leases_.end()) {
    return NotFound("lease " + std::to_string(id.value) + ": no such active lease");
  }
  Lease& lease = it->second;
  if (lease.ttl == 0) return Status::Ok();
  if (lease.reserved_until > 0 && !lease.overrun && now_ + lease.ttl > lease.reserved_until) {
    // Its reservation must cover the TTL it asks for.
    if (!ExtendReservation(id, now_ + lease.ttl)) {
      DrainQueue();
      return Status(StatusCode::kResourceExhausted,
                    "lease " + std::to_string(id.value) +
                        ": no budget left to extend its reservation; its class preempts it");
    }
  }
  expiries_.erase({lease.expires_at, id});
  lease.expires_at = now_ + lease.ttl;
  expiries_.emplace(lease.expires_at, id);
  return Status::Ok();
}

Status Engine::Cancel(RequestId request, Time now) {
  Advance(now);
  auto queued = queue_.find(request);
  if (queued != queue_.end()) {
    Dequeue(queued);
    DrainQueue();  // requests behind it may now go
    return Status::Ok();
  }
  LeaseId lease{request.value};
  if (leases_.find(lease) != leases_.end()) {
    EndLease(lease, EndReason::kCancelled, "", /*announce=*/false);
    DrainQueue();
    return Status::Ok();
  }
  return NotFound("request " + std::to_string(request.value) + ": not queued and not running");
}

void Engine::Tick(Time now) {
  Advance(now);
  bool freed = false;  // Advance served the queue for budget periods and stopped leases
  while (!expiries_.empty() && expiries_.begin()->first <= now_) {
    LeaseId id = expiries_.begin()->second;
    EndLease(id, EndReason::kExpired, "not renewed within its ttl", /*announce=*/true);
    freed = true;
  }
  if (!preemptions_.empty() && preemptions_.begin()->first <= now_) {
    EndPreemptions();
    freed = true;
  }
  while (!wait_deadlines_.empty() && wait_deadlines_.begin()->first <= now_) {
    RequestId id = wait_deadlines_.begin()->second;
    auto it = queue_.find(id);
    ALLOT_CHECK(it != queue_.end());
    RejectWaiting(it, RejectCode::kTimedOut,
                  fmt::format("waited longer than priority_class {}'s max_wait",
                              tenancy_->priority_class(it->second.resolved.priority_class).name));
    freed = true;  // requests behind it may now go
  }
  if (freed) DrainQueue();
}

Status Engine::SetNodeState(std::string_view node, NodeState state, Time now) {
  Advance(now);
  auto it = node_by_name_.find(std::string(node));
  if (it == node_by_name_.end()) {
    return NotFound("node: unknown node '" + std::string(node) + "'");
  }
  NodeIndex index = it->second;
  if (state == NodeState::kDown) {
    // Ending a lease edits node_leases_[index]; work on a sorted copy so the
    // order of the announcements is deterministic.
    std::vector<LeaseId> victims = node_leases_[index];
    std::sort(victims.begin(), victims.end());
    for (LeaseId lease : victims) {
      EndLease(lease, EndReason::kNodeDown, "node " + std::string(node) + " went down",
               /*announce=*/true);
    }
  }
  cluster_->SetState(index, state);
  DrainQueue();
  return Status::Ok();
}

void Engine::DrainQueue() {
  if (queue_.empty()) return;
  // Consider waiting requests in fair order. One that does not fit blocks
  // its pools for the requests after it; one held only by its own tenant's
  // quota blocks nothing; one that would borrow beyond its tenant's guarantee
  // blocks only other borrowers, so it never holds back a request within
  // guarantee (those rank first anyway: their tenants' shares are negative).
  // A blocked pool keeps the earliest reservation (shadow time) of the
  // requests blocking it; a request behind it may still start if it fits now
  // and its estimate ends before that reservation (backfill, engine_backfill.cc).
  // Stop once every pool with waiters is blocked for everyone, or blocked
  // for borrowers when the scan has reached tenants at or above guarantee;
  // with requests that could backfill, look at most kBackfillWindow further.
  // Requests passed over leave the order while the scan runs and go back after.
  constexpr int kBackfillWindow = 64;
  blocked_scratch_.assign(any_waiting_in_pool_.size(), 0);  // bit 1: all, bit 2: borrowers
  reservation_scratch_.assign(any_waiting_in_pool_.size(), kNever);
  size_t blocked_all = 0;
  size_t blocked_any = 0;
  int backfill_budget = waiting_with_estimate_ > 0 ? kBackfillWindow : 0;
  std::vector<std::pair<RequestId, const Pending*>> passed;
  std::vector<std::pair<RequestId, std::string>> budget_rejected;
  while (true) {
    bool saturated = blocked_all >= contested_pools_;
    if (saturated && backfill_budget-- <= 0) break;
    std::optional<RequestId> next = fair_->Next();
    if (!next) break;
    auto it = queue_.find(*next);
    Pending& pending = it->second;
    const std::vector<uint8_t>& pools = pending.resolved.demand.allowed_pools;
    bool within = WithinGuarantee(pending.resolved);
    uint8_t blocking_bits = within ? 1 : 3;
    bool behind = false;
    Time reservation = kNever;
    for (size_t p = 0; p < pools.size(); ++p) {
      if (!pools[p] || !(blocked_scratch_[p] & blocking_bits)) continue;
      behind = true;
      reservation = std::min(reservation, reservation_scratch_[p]);
    }
    // Backfill: behind a reservation, but done before it by its own estimate.
    bool backfill = behind && pending.request.estimate > 0 && reservation != kNever &&
                    now_ + pending.request.estimate <= reservation;
    bool considered = !behind || backfill;
    MemberDemand restricted;
    bool use_restricted = false;
    bool admissible = considered && Admissible(pending.resolved, &restricted, &use_restricted).ok;
    // Budgets: a request its budgets refuse waits without blocking anyone,
    // like one held by its own quota.
    bool budgeted =
        admissible && budgets_ != nullptr && budgets_->HasBudgets(pending.resolved.tenant);
    BudgetLedger::Verdict budget;
    if (budgeted) {
      budget = CheckBudget(pending.resolved, pending.request, nullptr);
      admissible = budget.outcome == BudgetLedger::Outcome::kOk;
    }
    const MemberDemand& target = use_restricted ? restricted : pending.resolved.demand;
    bool placed = admissible && TryPlace(target, pending.request.members, &scratch_);
    if (admissible && !placed && !behind && TryPreempt(*next, pending)) {
      placed = TryPlace(target, pending.request.members, &scratch_);
    }
    if (placed && budgeted) {
      budget = CheckBudget(pending.resolved, pending.request, &scratch_);
      if (budget.outcome != BudgetLedger::Outcome::kOk) {
        GiveBack(target.host, scratch_);
        placed = admissible = false;
      }
    }
    if (budget.outcome == BudgetLedger::Outcome::kHardLimit) {
      NoteBudgetRefusal(budget);
      if (!tenancy_->priority_class(pending.resolved.priority_class).queue_over_budget) {
        budget_rejected.emplace_back(*next, budget.message);
      }
    }
    if (!placed) {
      if (!behind && admissible) {
        Time shadow = waiting_with_estimate_ > 0 ? ShadowTime(pending) : kNever;
        uint8_t mark = within ? 1 : 2;
        for (size_t p = 0; p < pools.size(); ++p) {
          if (!pools[p]) continue;
          if ((mark & 1) && !(blocked_scratch_[p] & 1)) ++blocked_all;
          if (blocked_scratch_[p] == 0) ++blocked_any;
          blocked_scratch_[p] |= mark;
          reservation_scratch_[p] = std::min(reservation_scratch_[p], shadow);
        }
      }
      bool no_guarantee_left = ledger_->Share(pending.resolved.tenant) >= 0;
      if (backfill_budget == 0 && (blocked_all >= contested_pools_ ||
                                   (blocked_any >= contested_pools_ && no_guarantee_left))) {
        break;  // it stays where it is
      }
      fair_->Remove(*next, pending.resolved.tenant, pending.resolved.priority_class, pending.aged);
      passed.emplace_back(*next, &pending);
      continue;
    }
    RequestId id = it->first;
    Unindex(id, pending, /*in_fair=*/true);
    auto node = queue_.extract(it);
    Lease& lease = AddLease(id, node.mapped().request, node.mapped().resolved, std::move(scratch_));
    scratch_ = Placement();
    outbox_.push_back(
        OfClass(Decision::Granted(id, lease.id, lease.placement, now_), lease.priority_class));
  }
  for (const auto& [id, waiting] : passed) {
    fair_->Add(id, waiting->resolved.tenant, waiting->resolved.priority_class, waiting->aged);
  }
  for (auto& [id, message] : budget_rejected) {
    // Over a hard limit, and its class does not wait for the next period.
    RejectWaiting(queue_.find(id), RejectCode::kBudgetExceeded, std::move(message));
  }
}

std::vector<Decision> Engine::TakeDecisions() {
  std::vector<Decision> out;
  out.swap(outbox_);
  return out;
}

Decision Engine::Replay(RequestId id, const Request& retry) const {
  // The stored request's fingerprint: kept by a lease (0: unknown, from an
  // older snapshot), derived from the request itself while it waits.
  const Lease* lease = FindLease(LeaseId{id.value});
  auto queued = queue_.find(id);
  ALLOT_CHECK(lease != nullptr || queued != queue_.end());
  uint64_t stored =
      lease != nullptr ? lease->fingerprint : RequestFingerprint(queued->second.request);
  int priority_class =
      lease != nullptr ? lease->priority_class : queued->second.resolved.priority_class;
  if (stored != 0 && stored != RequestFingerprint(retry)) {
    // Class -1: the retry was not resolved (metrics count it like an invalid one).
    return Decision::Rejected(
        RequestId{}, RejectCode::kIdempotencyConflict,
        fmt::format("idempotency_key '{}': already used by request {} for a different request; "
                    "a retry must repeat the request exactly, a new request needs a new key",
                    retry.idempotency_key, id.value),
        now_);
  }
  Decision decision =
      lease != nullptr
          ? OfClass(Decision::Granted(id, lease->id, lease->placement, now_), priority_class)
          : OfClass(Decision::Queued(id, queued->second.reason, QueuePosition(id), now_),
                    priority_class);
  decision.replayed = true;
  return decision;
}

}  // namespace allot
