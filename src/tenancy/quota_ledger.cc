#include "tenancy/quota_ledger.h"

#include <fmt/format.h>

#include <algorithm>

namespace allot {

QuotaLedger::QuotaLedger(const Tenancy* tenancy, const ResourceCatalog* catalog,
                         const ResourceVector& capacity)
    : tenancy_(tenancy), catalog_(catalog), capacity_(capacity) {
  usage_.resize(tenancy->tenant_count());
  children_protected_.resize(tenancy->tenant_count());
  for (size_t t = 1; t < tenancy->tenant_count(); ++t) {
    int parent = tenancy->tenant(static_cast<int>(t)).parent;
    for (int r = 0; r < kMaxResources; ++r) {
      children_protected_[static_cast<size_t>(parent)][r] += Protected(static_cast<int>(t), r);
    }
  }
}

int64_t QuotaLedger::Protected(int tenant, int resource) const {
  const ResourceQuota& quota = tenancy_->tenant(tenant).quota[static_cast<size_t>(resource)];
  if (quota.lending_limit == kUnlimited) return 0;
  int64_t unused = quota.guaranteed - usage_[static_cast<size_t>(tenant)][resource];
  return std::max<int64_t>(0, unused - quota.lending_limit);
}

void QuotaLedger::Apply(int tenant, const ResourceVector& amount, int sign) {
  for (int at = tenant; at >= 0; at = tenancy_->tenant(at).parent) {
    int parent = tenancy_->tenant(at).parent;
    for (int r = 0; r < kMaxResources; ++r) {
      if (amount[r] == 0) continue;
      int64_t before = parent >= 0 ? Protected(at, r) : 0;
      usage_[static_cast<size_t>(at)][r] += sign * amount[r];
      if (parent >= 0)
        children_protected_[static_cast<size_t>(parent)][r] += Protected(at, r) - before;
    }
  }
}

QuotaLedger::Verdict QuotaLedger::Check(int tenant, const ResourceVector& amount,
                                        bool may_borrow) const {
  Verdict verdict;
  ResourceVector protected_elsewhere;
  for (int at = tenant; at > 0; at = tenancy_->tenant(at).parent) {
    const Tenancy::Tenant& node = tenancy_->tenant(at);
    for (int r = 0; r < kMaxResources; ++r) {
      if (amount[r] == 0) continue;
      const ResourceQuota& quota = node.quota[static_cast<size_t>(r)];
      int64_t after = usage_[static_cast<size_t>(at)][r] + amount[r];
      if (quota.limit != kUnlimited && after > quota.limit) {
        verdict.ok = false;
        verdict.limit = true;
        verdict.message = fmt::format("tenant {}: {} would reach {}, above its limit {}", node.path,
                                      catalog_->Name(r), after, quota.limit);
        return verdict;
      }
      if (!may_borrow && after > quota.guaranteed) {
        verdict.ok = false;
        verdict.message = fmt::format(
            "tenant {}: {} would reach {}, above its guarantee {}, and the class may not borrow",
            node.path, catalog_->Name(r), after, quota.guaranteed);
        return verdict;
      }
      protected_elsewhere[r] +=
          children_protected_[static_cast<size_t>(node.parent)][r] - Protected(at, r);
    }
  }
  for (int r = 0; r < kMaxResources; ++r) {
    if (amount[r] == 0) continue;
    // More than the cluster has free is a wait for capacity, which placement
    // reports (and which blocks the pools); only capacity that is free but
    // kept for others is a quota reason.
    int64_t free_in_cluster = capacity_[r] - usage_[0][r];
    if (amount[r] > free_in_cluster) continue;
    int64_t free = free_in_cluster - protected_elsewhere[r];
    if (amount[r] > free) {
      verdict.ok = false;
      verdict.message = fmt::format(
          "{}: needs {}, but only {} is free beyond what other tenants keep guaranteed ({} "
          "protected)",
          catalog_->Name(r), amount[r], std::max<int64_t>(0, free), protected_elsewhere[r]);
      return verdict;
    }
  }
  return verdict;
}

double QuotaLedger::Share(int tenant) const {
  // A tenant with guarantees is measured on the resources it is guaranteed
  // (its use of others does not rank it behind borrowers while it is below
  // its guarantee); a tenant without any, on the resources it uses (DRF).
  const Tenancy::Tenant& node = tenancy_->tenant(tenant);
  bool has_guarantee = false;
  for (int r = 0; r < kMaxResources; ++r) {
    has_guarantee =
        has_guarantee || (capacity_[r] > 0 && node.quota[static_cast<size_t>(r)].guaranteed > 0);
  }
  double weight = static_cast<double>(node.weight_milli) / 1000.0;
  double share = -1e300;
  bool any = false;
  for (int r = 0; r < kMaxResources; ++r) {
    if (capacity_[r] <= 0) continue;
    int64_t guaranteed = node.quota[static_cast<size_t>(r)].guaranteed;
    int64_t used = usage_[static_cast<size_t>(tenant)][r];
    if (has_guarantee ? guaranteed == 0 : used == 0) continue;
    double above = static_cast<double>(used - guaranteed);
    share = std::max(share, above / (static_cast<double>(capacity_[r]) * weight));
    any = true;
  }
  return any ? share : 0.0;
}

}  // namespace allot
