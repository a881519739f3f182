#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "common/ids.h"
#include "tenancy/quota_ledger.h"
#include "tenancy/tenants.h"

namespace allot {

// The order in which waiting requests are considered:
//   1. priority class value, highest first;
//   2. hierarchical fair share: from the root down, the child with the
//      lowest share (QuotaLedger::Share; ties to the lower tenant index) whose
//      subtree has requests of that class waiting;
//   3. FIFO within a tenant (request ids grow with submission).
// Aging: a request its class says has waited too long is "aged": within its
// class, aged requests come before all others, oldest first, so no tenant's
// request starves behind ever-lower shares.
// Per class and tenant it keeps the children with waiting work ordered by
// share, so the next request costs O(depth x log children), and a usage
// change re-keys only the tenant's path. Requests belong to leaf tenants.
//
// Other orderings (QueueOrdering) reuse the same structure: `priority` files
// every request under the root (no fair share: FIFO within a class), `fifo`
// also files every class under the first one and ignores aging (pure
// submission order). Not thread-safe.
class FairQueue {
 public:
  FairQueue(const Tenancy* tenancy, const QuotaLedger* ledger,
            QueueOrdering ordering = QueueOrdering::kFairShare);

  void Add(RequestId id, int tenant, int priority_class, bool aged = false);
  void Remove(RequestId id, int tenant, int priority_class, bool aged = false);
  // The next request to consider, or nullopt when none waits.
  std::optional<RequestId> Next() const;
  // Re-keys the shares on `tenant`'s path after its usage changed.
  void OnUsageChanged(int tenant);

  size_t size() const { return size_; }
  // Requests waiting in classes of higher value than `priority_class`.
  int64_t WaitingAbove(int priority_class) const;
  // Requests of `tenant` and `priority_class` ahead of `id` (O(n) in the tenant's queue).
  int64_t AheadInTenant(RequestId id, int tenant, int priority_class) const;
  int64_t TenantWaiting(int tenant, int priority_class) const {
    return static_cast<int64_t>(classes_[static_cast<size_t>(ClassSlot(priority_class))]
                                    .fifo[static_cast<size_t>(TenantSlot(tenant))]
                                    .size());
  }
  QueueOrdering ordering() const { return ordering_; }

 private:
  struct PerClass {
    std::vector<int64_t> pending;                            // per tenant subtree
    std::vector<std::set<std::pair<double, int>>> children;  // per tenant: waiting children
    std::vector<std::set<RequestId>> fifo;                   // per leaf tenant
    std::set<RequestId> aged;  // requests past their class's aging, oldest first
  };

  // Where a request of `tenant` / `priority_class` is filed under the ordering.
  int TenantSlot(int tenant) const { return ordering_ == QueueOrdering::kFairShare ? tenant : 0; }
  int ClassSlot(int priority_class) const {
    return ordering_ == QueueOrdering::kFifo ? 0 : priority_class;
  }

  const Tenancy* tenancy_;
  const QuotaLedger* ledger_;
  QueueOrdering ordering_;
  std::vector<PerClass> classes_;
  std::vector<int> class_order_;  // class indexes, highest value first
  std::vector<double> share_;     // the key each tenant is filed under
  size_t size_ = 0;
};

}  // namespace allot
