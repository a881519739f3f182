// The engine's read-only views (engine.h): lookups and listings for the
// server's API. None changes the state, so they may run between journaled
// commands without breaking replay.
#include <algorithm>

#include "engine/engine.h"

namespace allot {

Time Engine::NextWakeup() const {
  Time next = kNever;
  for (const auto* deadlines : {&wait_deadlines_, &aging_deadlines_}) {
    if (!deadlines->empty()) next = std::min(next, deadlines->begin()->first);
  }
  for (const auto* deadlines : {&preemptions_, &expiries_}) {
    if (!deadlines->empty()) next = std::min(next, deadlines->begin()->first);
  }
  if (!reservation_ends_.empty()) next = std::min(next, reservation_ends_.front().first);
  if (budgets_ != nullptr) next = std::min(next, budgets_->next_event());
  return next;
}

const Lease* Engine::FindLease(LeaseId lease) const {
  auto it = leases_.find(lease);
  return it == leases_.end() ? nullptr : &it->second;
}

std::vector<const Lease*> Engine::Leases() const {
  std::vector<const Lease*> leases;
  leases.reserve(leases_.size());
  for (const auto& [id, lease] : leases_) leases.push_back(&lease);
  std::sort(leases.begin(), leases.end(),
            [](const Lease* a, const Lease* b) { return a->id < b->id; });
  return leases;
}

std::optional<Engine::QueuedView> Engine::FindQueued(RequestId id) const {
  auto it = queue_.find(id);
  if (it == queue_.end()) return std::nullopt;
  const Pending& pending = it->second;
  return QueuedView{id,
                    &pending.request,
                    pending.resolved.tenant,
                    pending.resolved.priority_class,
                    pending.enqueued_at,
                    pending.reason};
}

std::vector<Engine::QueuedView> Engine::QueuedRequests() const {
  std::vector<QueuedView> views;
  views.reserve(queue_.size());
  for (const auto& [id, pending] : queue_) {
    views.push_back(QueuedView{id, &pending.request, pending.resolved.tenant,
                               pending.resolved.priority_class, pending.enqueued_at,
                               pending.reason});
  }
  std::sort(views.begin(), views.end(),
            [](const QueuedView& a, const QueuedView& b) { return a.id < b.id; });
  return views;
}

Time Engine::EstimatedStart(RequestId id) {
  auto it = queue_.find(id);
  if (it == queue_.end()) return kNever;
  return ShadowTime(it->second);
}

int64_t Engine::QueuePosition(RequestId id) const {
  auto it = queue_.find(id);
  if (it == queue_.end()) return -1;
  const Resolved& resolved = it->second.resolved;
  return fair_->WaitingAbove(resolved.priority_class) +
         fair_->AheadInTenant(id, resolved.tenant, resolved.priority_class);
}

}  // namespace allot
