#include "tenancy/fair_queue.h"

#include <algorithm>
#include <iterator>

#include "common/check.h"

namespace allot {

FairQueue::FairQueue(const Tenancy* tenancy, const QuotaLedger* ledger, QueueOrdering ordering)
    : tenancy_(tenancy), ledger_(ledger), ordering_(ordering) {
  size_t tenants = tenancy->tenant_count();
  classes_.resize(tenancy->class_count());
  for (PerClass& per_class : classes_) {
    per_class.pending.assign(tenants, 0);
    per_class.children.resize(tenants);
    per_class.fifo.resize(tenants);
  }
  for (size_t c = 0; c < tenancy->class_count(); ++c) class_order_.push_back(static_cast<int>(c));
  std::stable_sort(class_order_.begin(), class_order_.end(), [&](int a, int b) {
    return tenancy->priority_class(a).value > tenancy->priority_class(b).value;
  });
  share_.resize(tenants);
  for (size_t t = 0; t < tenants; ++t) share_[t] = ledger->Share(static_cast<int>(t));
}

void FairQueue::Add(RequestId id, int tenant, int priority_class, bool aged) {
  tenant = TenantSlot(tenant);
  aged = aged && ordering_ != QueueOrdering::kFifo;
  PerClass& per_class = classes_[static_cast<size_t>(ClassSlot(priority_class))];
  if (aged) {
    ALLOT_CHECK(per_class.aged.insert(id).second);
    ++size_;
    return;
  }
  std::set<RequestId>& fifo = per_class.fifo[static_cast<size_t>(tenant)];
  // New requests carry the largest id: appending with a hint is O(1).
  size_t before = fifo.size();
  if (fifo.empty() || *fifo.rbegin() < id) {
    fifo.emplace_hint(fifo.end(), id);
  } else {
    fifo.insert(id);
  }
  ALLOT_CHECK(fifo.size() == before + 1);
  for (int at = tenant; at >= 0; at = tenancy_->tenant(at).parent) {
    if (per_class.pending[static_cast<size_t>(at)]++ == 0 && at != 0) {
      per_class.children[static_cast<size_t>(tenancy_->tenant(at).parent)].emplace(
          share_[static_cast<size_t>(at)], at);
    }
  }
  ++size_;
}

void FairQueue::Remove(RequestId id, int tenant, int priority_class, bool aged) {
  tenant = TenantSlot(tenant);
  aged = aged && ordering_ != QueueOrdering::kFifo;
  PerClass& per_class = classes_[static_cast<size_t>(ClassSlot(priority_class))];
  if (aged) {
    ALLOT_CHECK(per_class.aged.erase(id) == 1);
    --size_;
    return;
  }
  ALLOT_CHECK(per_class.fifo[static_cast<size_t>(tenant)].erase(id) == 1);
  for (int at = tenant; at >= 0; at = tenancy_->tenant(at).parent) {
    if (--per_class.pending[static_cast<size_t>(at)] == 0 && at != 0) {
      per_class.children[static_cast<size_t>(tenancy_->tenant(at).parent)].erase(
          {share_[static_cast<size_t>(at)], at});
    }
  }
  --size_;
}

std::optional<RequestId> FairQueue::Next() const {
  for (int c : class_order_) {
    const PerClass& per_class = classes_[static_cast<size_t>(c)];
    if (!per_class.aged.empty()) return *per_class.aged.begin();
    if (per_class.pending[0] == 0) continue;
    int at = 0;
    while (!per_class.children[static_cast<size_t>(at)].empty()) {
      at = per_class.children[static_cast<size_t>(at)].begin()->second;
    }
    const std::set<RequestId>& fifo = per_class.fifo[static_cast<size_t>(at)];
    ALLOT_CHECK(!fifo.empty());
    return *fifo.begin();
  }
  return std::nullopt;
}

void FairQueue::OnUsageChanged(int tenant) {
  if (ordering_ != QueueOrdering::kFairShare) return;  // shares order nothing
  for (int at = tenant; at > 0; at = tenancy_->tenant(at).parent) {
    double share = ledger_->Share(at);
    double& filed = share_[static_cast<size_t>(at)];
    if (share == filed) continue;
    int parent = tenancy_->tenant(at).parent;
    for (PerClass& per_class : classes_) {
      if (per_class.pending[static_cast<size_t>(at)] == 0) continue;
      auto& siblings = per_class.children[static_cast<size_t>(parent)];
      siblings.erase({filed, at});
      siblings.emplace(share, at);
    }
    filed = share;
  }
}

int64_t FairQueue::WaitingAbove(int priority_class) const {
  if (ordering_ == QueueOrdering::kFifo) return 0;  // one queue: position counts it all
  int64_t value = tenancy_->priority_class(priority_class).value;
  int64_t waiting = 0;
  for (size_t c = 0; c < classes_.size(); ++c) {
    if (tenancy_->priority_class(static_cast<int>(c)).value > value) {
      waiting += classes_[c].pending[0] + static_cast<int64_t>(classes_[c].aged.size());
    }
  }
  return waiting;
}

int64_t FairQueue::AheadInTenant(RequestId id, int tenant, int priority_class) const {
  const std::set<RequestId>& fifo = classes_[static_cast<size_t>(ClassSlot(priority_class))]
                                        .fifo[static_cast<size_t>(TenantSlot(tenant))];
  return std::distance(fifo.begin(), fifo.lower_bound(id));
}

}  // namespace allot
