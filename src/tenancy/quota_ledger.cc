#include "tenancy/quota_ledger.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/quantity_text.h"

namespace allot {

QuotaLedger::QuotaLedger(const Tenancy* tenancy, const ResourceCatalog* catalog,
                         const ResourceVector& capacity,
                         const std::vector<ResourceVector>& pool_capacity)
    : tenancy_(tenancy), catalog_(catalog) {
  capacity_.push_back(capacity);
  for (const ResourceVector& pool : pool_capacity) capacity_.push_back(pool);
  usage_.assign(capacity_.size(), std::vector<ResourceVector>(tenancy->tenant_count()));
  children_protected_ = usage_;
  for (size_t scope = 0; scope < capacity_.size(); ++scope) {
    for (size_t t = 1; t < tenancy->tenant_count(); ++t) {
      int parent = tenancy->tenant(static_cast<int>(t)).parent;
      for (int r = 0; r < kMaxResources; ++r) {
        children_protected_[scope][static_cast<size_t>(parent)][r] +=
            Protected(static_cast<int>(t), r, static_cast<int>(scope));
      }
    }
  }
}

const ResourceQuota* QuotaLedger::QuotaOf(int tenant, int scope, int resource) const {
  const Tenancy::Tenant& node = tenancy_->tenant(tenant);
  if (scope == 0) return &node.quota[static_cast<size_t>(resource)];
  size_t pool = static_cast<size_t>(scope - 1);
  if (pool >= node.has_pool_quota.size() || !node.has_pool_quota[pool]) return nullptr;
  return &node.pool_quota[pool][static_cast<size_t>(resource)];
}

int64_t QuotaLedger::Protected(int tenant, int resource, int scope) const {
  const ResourceQuota* quota = QuotaOf(tenant, scope, resource);
  if (quota == nullptr || quota->lending_limit == kUnlimited) return 0;
  int64_t unused =
      quota->guaranteed - usage_[static_cast<size_t>(scope)][static_cast<size_t>(tenant)][resource];
  return std::max<int64_t>(0, unused - quota->lending_limit);
}

void QuotaLedger::Apply(int tenant, const ResourceVector& amount, int sign, int scope) {
  auto& usage = usage_[static_cast<size_t>(scope)];
  auto& children_protected = children_protected_[static_cast<size_t>(scope)];
  for (int at = tenant; at >= 0; at = tenancy_->tenant(at).parent) {
    int parent = tenancy_->tenant(at).parent;
    for (int r = 0; r < kMaxResources; ++r) {
      if (amount[r] == 0) continue;
      int64_t before = parent >= 0 ? Protected(at, r, scope) : 0;
      usage[static_cast<size_t>(at)][r] += sign * amount[r];
      if (parent >= 0) {
        children_protected[static_cast<size_t>(parent)][r] += Protected(at, r, scope) - before;
      }
    }
  }
}

QuotaLedger::Verdict QuotaLedger::Check(int tenant, const ResourceVector& amount, bool may_borrow,
                                        int scope, std::string_view scope_name) const {
  // Messages reach users (queue and reject reasons): quantities in their
  // units ("24 GPUs"), never the ledger's milli-GPUs.
  auto Amount = [&](int r, int64_t value) { return QuantityText(r, catalog_->Name(r), value); };
  Verdict verdict;
  ResourceVector protected_elsewhere;
  const auto& usage = usage_[static_cast<size_t>(scope)];
  const auto& children_protected = children_protected_[static_cast<size_t>(scope)];
  std::string where;
  if (scope > 0) where = fmt::format(" in pool {}", scope_name);
  for (int at = tenant; at > 0; at = tenancy_->tenant(at).parent) {
    const Tenancy::Tenant& node = tenancy_->tenant(at);
    for (int r = 0; r < kMaxResources; ++r) {
      if (amount[r] == 0) continue;
      const ResourceQuota* found = QuotaOf(at, scope, r);
      if (found == nullptr) continue;
      const ResourceQuota& quota = *found;
      int64_t after = usage[static_cast<size_t>(at)][r] + amount[r];
      if (quota.limit != kUnlimited && after > quota.limit) {
        verdict.ok = false;
        verdict.limit = true;
        verdict.message =
            fmt::format("tenant {}: {}{} would reach {}, above its limit {}", node.path,
                        catalog_->Name(r), where, Amount(r, after), Amount(r, quota.limit));
        return verdict;
      }
      if (!may_borrow && after > quota.guaranteed) {
        verdict.ok = false;
        verdict.message = fmt::format(
            "tenant {}: {}{} would reach {}, above its guarantee {}, and the class may not borrow",
            node.path, catalog_->Name(r), where, Amount(r, after), Amount(r, quota.guaranteed));
        return verdict;
      }
      protected_elsewhere[r] +=
          children_protected[static_cast<size_t>(node.parent)][r] - Protected(at, r, scope);
    }
  }
  for (int r = 0; r < kMaxResources; ++r) {
    if (amount[r] == 0) continue;
    // More than the cluster has free is a wait for capacity, which placement
    // reports (and which blocks the pools); only capacity that is free but
    // kept for others is a quota reason.
    int64_t free_in_cluster = capacity_[static_cast<size_t>(scope)][r] - usage[0][r];
    if (amount[r] > free_in_cluster) continue;
    int64_t free = free_in_cluster - protected_elsewhere[r];
    if (amount[r] > free) {
      verdict.ok = false;
      verdict.message = fmt::format(
          "{}{}: needs {}, but only {} is free beyond what other tenants keep guaranteed ({} "
          "protected)",
          catalog_->Name(r), where, Amount(r, amount[r]), Amount(r, std::max<int64_t>(0, free)),
          Amount(r, protected_elsewhere[r]));
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
        has_guarantee || (capacity_[0][r] > 0 && node.quota[static_cast<size_t>(r)].guaranteed > 0);
  }
  double weight = static_cast<double>(node.weight_milli) / 1000.0;
  double share = -1e300;
  bool any = false;
  for (int r = 0; r < kMaxResources; ++r) {
    if (capacity_[0][r] <= 0) continue;
    int64_t guaranteed = node.quota[static_cast<size_t>(r)].guaranteed;
    int64_t used = usage_[0][static_cast<size_t>(tenant)][r];
    if (has_guarantee ? guaranteed == 0 : used == 0) continue;
    double above = static_cast<double>(used - guaranteed);
    share = std::max(share, above / (static_cast<double>(capacity_[0][r]) * weight));
    any = true;
  }
  return any ? share : 0.0;
}

}  // namespace allot
