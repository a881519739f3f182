// Snapshot and restore: the engine's state as plain data, and back. Restore
// re-applies every lease's recorded placement (it never re-places), so the
// restored cluster state, indexes and workload counts equal the original's.
#include <fmt/format.h>

#include <algorithm>

#include "engine/engine.h"

namespace allot {

EngineSnapshot Engine::Snapshot() const {
  EngineSnapshot snapshot;
  snapshot.now = now_;
  snapshot.next_request_id = next_request_id_;
  for (NodeIndex n = 0; n < inventory_.nodes.size(); ++n) {
    if (cluster_->state(n) != inventory_.nodes[n].state) {
      snapshot.node_states.push_back({inventory_.nodes[n].name, cluster_->state(n)});
    }
  }
  snapshot.leases.reserve(leases_.size());
  for (const auto& [id, lease] : leases_) snapshot.leases.push_back(lease);
  std::sort(snapshot.leases.begin(), snapshot.leases.end(),
            [](const Lease& a, const Lease& b) { return a.id < b.id; });
  for (const auto& [id, pending] : queue_) {
    snapshot.queue.push_back({id, pending.enqueued_at, pending.reason, pending.request});
  }
  std::sort(snapshot.queue.begin(), snapshot.queue.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  snapshot.workload = workload_.entries();
  if (budgets_ != nullptr) snapshot.budgets = budgets_->Entries();
  return snapshot;
}

Result<std::unique_ptr<Engine>> Engine::Restore(Inventory inventory, EngineOptions options,
                                                const EngineSnapshot& snapshot) {
  Result<std::unique_ptr<Engine>> created = Create(std::move(inventory), options);
  if (!created.ok()) return created.status();
  Engine& engine = **created;
  engine.now_ = snapshot.now;
  engine.next_request_id_ = snapshot.next_request_id;
  for (const auto& entry : snapshot.node_states) {
    auto it = engine.node_by_name_.find(entry.node);
    if (it == engine.node_by_name_.end()) {
      return DataLoss("snapshot.node_states: unknown node '" + entry.node + "'");
    }
    if (entry.state != NodeState::kUp && entry.state != NodeState::kDraining &&
        entry.state != NodeState::kDown) {
      return DataLoss("snapshot.node_states: node '" + entry.node + "' has no valid state");
    }
    engine.cluster_->SetState(it->second, entry.state);
  }
  uint64_t last_id = 0;
  for (const Lease& lease : snapshot.leases) {
    std::string field = fmt::format("snapshot.leases[id {}]", lease.id.value);
    if (lease.id.value <= last_id || lease.id.value >= snapshot.next_request_id) {
      return DataLoss(field + ": ids must grow and stay below next_request_id");
    }
    last_id = lease.id.value;
    if (lease.placement.empty() || lease.members < 1 ||
        lease.placement.back().member + 1 != static_cast<uint64_t>(lease.members)) {
      return DataLoss(field + ".placement: does not cover its members");
    }
    const Placement& placement = lease.placement;
    uint32_t expected_member = 0;
    for (size_t first = 0; first < placement.size(); ++expected_member) {
      if (placement[first].member != expected_member) {
        return DataLoss(field + ".placement: members must be numbered 0, 1, ... in order");
      }
      size_t last = first;
      while (last < placement.size() && placement[last].member == placement[first].member) ++last;
      std::span<const Assignment> member(placement.data() + first, last - first);
      if (!engine.cluster_->CanTake(lease.member_host, member)) {
        return DataLoss(field + ".placement: does not fit the inventory's free capacity");
      }
      engine.cluster_->Take(lease.member_host, member);
      first = last;
    }
    if (lease.tenant <= 0 || static_cast<size_t>(lease.tenant) >= engine.tenancy_->tenant_count() ||
        !engine.tenancy_->IsLeaf(lease.tenant) || lease.priority_class < 0 ||
        static_cast<size_t>(lease.priority_class) >= engine.tenancy_->class_count()) {
      return DataLoss(field + ": tenant or priority_class out of range");
    }
    for (int64_t amount : lease.charge.amounts) {
      if (amount < 0 || amount > kMaxQuantity) return DataLoss(field + ".charge: out of range");
    }
    if (lease.preempt_at < 0 || (lease.preempt_at > 0 && !lease.preempted_for.valid())) {
      return DataLoss(field + ".preempt_at: inconsistent with preempted_for");
    }
    Lease& restored = engine.leases_[lease.id] = lease;
    if (restored.estimate > 0) {
      engine.estimated_ends_.emplace(restored.granted_at + restored.estimate, restored.id);
    }
    if (restored.preempt_at > 0) {
      engine.preemptions_.emplace(restored.preempt_at, restored.id);
      ++engine.preempting_for_[restored.preempted_for];
    }
    engine.ledger_->Apply(restored.tenant, restored.charge, +1);
    engine.ApplyPoolCharges(restored, +1);
    engine.fair_->OnUsageChanged(restored.tenant);
    Resolved owner;
    owner.tenant = restored.tenant;
    owner.priority_class = restored.priority_class;
    engine.CountTenant(owner, engine.running_, +1);
    if (restored.expires_at > 0) engine.expiries_.emplace(restored.expires_at, restored.id);
    for (const Assignment& a : restored.placement) {
      std::vector<LeaseId>& on_node = engine.node_leases_[a.node];
      if (on_node.empty() || on_node.back() != restored.id) on_node.push_back(restored.id);
    }
    if (!restored.idempotency_key.empty()) {
      engine.idempotency_[{restored.tenant, restored.idempotency_key}] = restored.request();
    }
    if (restored.model < -1 || restored.model >= static_cast<int>(engine.prices_.model_count()) ||
        restored.input_tokens < 0 || restored.max_output_tokens < 0 || restored.cost_rate < 0) {
      return DataLoss(field + ": model, tokens or cost rate out of range");
    }
    bool budgeted = engine.budgets_ != nullptr && engine.budgets_->HasBudgets(restored.tenant);
    if (budgeted != (restored.reserved_until > 0) ||
        (budgeted && restored.reserved_until < restored.granted_at)) {
      return DataLoss(field + ".reserved_until: does not match the budgets on its path");
    }
    if (budgeted) {
      // Reservations and running rates are rebuilt from the leases; the
      // snapshot's budget entries restore the rest (their fired alerts too,
      // so these reservations raise none).
      std::vector<BudgetAlert> replayed;
      engine.budgets_->Reserve(restored.tenant,
                               engine.AmountOf(restored, restored.reserved_until, nullptr), +1,
                               &replayed);
      engine.budgets_->AddRunning(restored.tenant, restored.cost_rate, restored.charge,
                                  restored.granted_at, +1);
      if (!restored.overrun) {
        engine.PushReservationEnd(restored.reserved_until, restored.id);
      }
    }
  }
  if (!snapshot.budgets.empty() && engine.budgets_ == nullptr) {
    return DataLoss("snapshot.budgets: the configuration has no budgets");
  }
  if (engine.budgets_ != nullptr)
    ALLOT_RETURN_IF_ERROR(engine.budgets_->SetEntries(snapshot.budgets));
  for (const auto& entry : snapshot.queue) {
    std::string field = fmt::format("snapshot.queue[id {}]", entry.id.value);
    if (entry.id.value == 0 || entry.id.value >= snapshot.next_request_id ||
        engine.queue_.count(entry.id) > 0 || engine.leases_.count(LeaseId{entry.id.value}) > 0) {
      return DataLoss(field + ": id reused or not below next_request_id");
    }
    Result<Resolved> resolved = engine.Resolve(entry.request);
    if (!resolved.ok()) return DataLoss(field + ": " + resolved.status().message());
    std::string infeasible = engine.Infeasibility(entry.request, resolved->demand);
    if (!infeasible.empty()) return DataLoss(field + ": " + infeasible);
    engine.Enqueue(entry.id, entry.request, std::move(resolved).value(), entry.reason,
                   entry.enqueued_at);
  }
  // Ages what had aged. An engine whose clock never moved (now 0) has
  // nothing to age, and advancing would start budgets it had not started.
  if (snapshot.now > 0) engine.Advance(snapshot.now);
  for (const WorkloadModel::Entry& entry : snapshot.workload) {
    if (entry.count < 0 || entry.shape.gpu_milli < 0) {
      return DataLoss("snapshot.workload: negative count or shape");
    }
  }
  engine.workload_.set_entries(snapshot.workload);
  engine.workload_.Announce(engine.policy_.get());
  return created;
}

}  // namespace allot
