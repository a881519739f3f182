#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/resources.h"
#include "tenancy/tenants.h"

namespace allot {

// What each tenant's subtree uses, and whether a request fits its tenant's
// quota. A request of `amount` for tenant t is admissible when, for every
// tenant a on t's path to the root and every resource r:
//   usage(a) + amount <= limit(a)                                 (limit)
//   usage(a) + amount <= guaranteed(a)   if the class may not borrow  (quota)
// and, when the cluster has the capacity free at all (amount <= capacity -
// usage(root); otherwise the wait is for capacity, not quota), the capacity
// it takes is not protected for someone else:
//   amount <= capacity - usage(root) - sum over off-path tenants s of
//             protected(s),  protected(s) = max(0, guaranteed(s) - usage(s)
//                                                - lending_limit(s))   (quota)
// where the off-path tenants are the siblings of each tenant on the path
// (their subtrees' guarantees are theirs). With no lending limit nothing is
// protected, and idle guarantees are lent freely (Kueue's default).
//
// Shares for fair ordering (see fair_queue.h): the weighted dominant share of
// what a tenant uses above its guarantee,
//   share(a) = max over r with capacity(r) > 0 of
//              (usage(a, r) - guaranteed(a, r)) / (capacity(r) * weight(a))
// over the resources a is guaranteed (or, when it has no guarantee at all,
// the resources it uses),
// negative while the tenant is below its guarantee. With no guarantees this
// is Dominant Resource Fairness (Ghodsi et al., NSDI 2011); with guarantees
// and weights, equalising it splits the surplus beyond guarantees in
// proportion to the weights, as KAI's fair share does.
//
// The same rules hold per pool for tenants with a pool quota ("8 H100s"),
// against what runs in that pool: scope 0 is the whole cluster, scope 1 + p
// pool p, where only tenants with a quota for the pool are checked.
// Not thread-safe.
class QuotaLedger {
 public:
  QuotaLedger(const Tenancy* tenancy, const ResourceCatalog* catalog,
              const ResourceVector& capacity,
              const std::vector<ResourceVector>& pool_capacity = {});

  const ResourceVector& usage(int tenant, int scope = 0) const {
    return usage_[static_cast<size_t>(scope)][static_cast<size_t>(tenant)];
  }
  // Adds (or with `sign` -1 removes) `amount` along the path of `tenant`.
  void Apply(int tenant, const ResourceVector& amount, int sign, int scope = 0);

  struct Verdict {
    bool ok = true;
    bool limit = false;  // true: a limit; false: a guarantee or protected capacity
    std::string message;
  };
  // `scope_name` names a pool scope in messages ("tenant t: gpu in pool h100 ...").
  Verdict Check(int tenant, const ResourceVector& amount, bool may_borrow, int scope = 0,
                std::string_view scope_name = "") const;

  double Share(int tenant) const;

 private:
  // The tenant's quota in a scope, or nullptr when it has none there.
  const ResourceQuota* QuotaOf(int tenant, int scope, int resource) const;
  int64_t Protected(int tenant, int resource, int scope) const;

  const Tenancy* tenancy_;
  const ResourceCatalog* catalog_;
  std::vector<ResourceVector> capacity_;            // per scope
  std::vector<std::vector<ResourceVector>> usage_;  // per scope, per tenant
  // Per scope and tenant: the sum of its children's protected amounts.
  std::vector<std::vector<ResourceVector>> children_protected_;
};

}  // namespace allot
