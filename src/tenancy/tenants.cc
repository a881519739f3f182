#include "tenancy/tenants.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/quantity_text.h"

namespace allot {
namespace {

std::string TenantField(size_t index, const std::string& name, std::string_view field) {
  return fmt::format("tenants[{}] ({}).{}", index, name, field);
}

}  // namespace

namespace {

Status CheckQuota(const ResourceQuota& q, const std::string& field) {
  if (q.guaranteed < 0 || q.guaranteed > kMaxQuantity) {
    return InvalidArgument(field + ".guaranteed: must be >= 0");
  }
  if (q.limit < q.guaranteed) return InvalidArgument(field + ".limit: must be >= guaranteed");
  if (q.lending_limit < 0) return InvalidArgument(field + ".lending_limit: must be >= 0");
  if (q.lending_limit != kUnlimited && q.lending_limit > q.guaranteed) {
    return InvalidArgument(field + ".lending_limit: must be <= guaranteed");
  }
  return Status::Ok();
}

}  // namespace

Result<Tenancy> Tenancy::Create(const std::vector<TenantSpec>& specs,
                                const std::vector<PriorityClass>& classes,
                                const ResourceVector& capacity, const ResourceCatalog& catalog,
                                const std::vector<std::pair<std::string, ResourceVector>>& pools) {
  Tenancy tenancy;
  tenancy.pool_count_ = pools.size();
  // Classes first: tenant caps refer to them.
  std::vector<PriorityClass> class_list = classes;
  if (class_list.empty()) {
    PriorityClass only;
    only.name = "default";
    class_list.push_back(only);
  }
  std::map<std::string, int> class_index;
  for (size_t i = 0; i < class_list.size(); ++i) {
    const PriorityClass& c = class_list[i];
    std::string field = fmt::format("classes[{}] ({})", i, c.name);
    if (c.name.empty())
      return InvalidArgument(fmt::format("classes[{}].name: must not be empty", i));
    if (!class_index.emplace(c.name, static_cast<int>(i)).second) {
      return InvalidArgument(field + ".name: duplicate class");
    }
    if (c.max_wait < 0) return InvalidArgument(field + ".max_wait: must be >= 0");
    if (c.aging < 0) return InvalidArgument(field + ".aging: must be >= 0");
    if (c.preemption_grace < 0) return InvalidArgument(field + ".grace: must be >= 0");
  }
  tenancy.classes_ = class_list;
  auto default_class = class_index.find("default");
  tenancy.default_class_ = default_class != class_index.end() ? default_class->second : 0;

  std::vector<TenantSpec> list = specs;
  if (list.empty()) {
    TenantSpec only;
    only.name = "default";
    list.push_back(only);
  }
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < list.size(); ++i) {
    const TenantSpec& spec = list[i];
    if (spec.name.empty() || spec.name.find('/') != std::string::npos) {
      return InvalidArgument(fmt::format("tenants[{}].name: must be non-empty, without '/'", i));
    }
    if (!by_name.emplace(spec.name, i).second) {
      return InvalidArgument(TenantField(i, spec.name, "name") + ": duplicate tenant");
    }
    if (spec.weight_milli <= 0 || spec.weight_milli > kMaxQuantity) {
      return InvalidArgument(TenantField(i, spec.name, "weight") + ": must be > 0");
    }
    for (int r = 0; r < kMaxResources; ++r) {
      const ResourceQuota& q = spec.quota[static_cast<size_t>(r)];
      if (r >= catalog.size()) {
        if (!(q == ResourceQuota{})) {
          return InvalidArgument(TenantField(i, spec.name, "quota") + ": unknown resource");
        }
        continue;
      }
      std::string field = TenantField(i, spec.name, "quota." + std::string(catalog.Name(r)));
      ALLOT_RETURN_IF_ERROR(CheckQuota(q, field));
    }
    for (const auto& [pool, quota] : spec.pool_quota) {
      std::string field = TenantField(i, spec.name, "pool_quota." + pool);
      bool known = false;
      for (const auto& entry : pools) known = known || entry.first == pool;
      if (!known) return InvalidArgument(field + ": unknown pool");
      for (int r = 0; r < catalog.size(); ++r) {
        ALLOT_RETURN_IF_ERROR(
            CheckQuota(quota[static_cast<size_t>(r)], field + "." + std::string(catalog.Name(r))));
      }
    }
    for (const auto* caps : {&spec.max_running, &spec.max_queued}) {
      for (const auto& [name, cap] : *caps) {
        std::string field = TenantField(
            i, spec.name, (caps == &spec.max_running ? "max_running." : "max_queued.") + name);
        if (class_index.count(name) == 0) return InvalidArgument(field + ": unknown class");
        if (cap < 0) return InvalidArgument(field + ": must be >= 0");
      }
    }
  }
  // Parents: known, and no cycles (follow each chain; a chain longer than the
  // tenant count revisits someone).
  for (size_t i = 0; i < list.size(); ++i) {
    const TenantSpec& spec = list[i];
    if (spec.parent.empty()) continue;
    if (by_name.count(spec.parent) == 0) {
      return InvalidArgument(TenantField(i, spec.name, "parent") + ": unknown tenant '" +
                             spec.parent + "'");
    }
    std::vector<std::string> chain = {spec.name};
    std::string at = spec.parent;
    while (!at.empty()) {
      chain.push_back(at);
      if (at == spec.name) {
        std::string cycle;
        for (const std::string& name : chain) cycle += (cycle.empty() ? "" : " -> ") + name;
        return InvalidArgument(TenantField(i, spec.name, "parent") + ": cycle " + cycle);
      }
      if (chain.size() > list.size() + 1) break;  // a cycle not through this tenant
      at = list[by_name[at]].parent;
    }
  }
  // Build: root, then tenants in an order where parents come first.
  Tenant root;
  root.name = "";
  for (int r = 0; r < kMaxResources; ++r) {
    root.quota[static_cast<size_t>(r)].guaranteed = capacity[r];
  }
  root.pool_quota.resize(pools.size());
  root.has_pool_quota.assign(pools.size(), 1);
  for (size_t p = 0; p < pools.size(); ++p) {
    for (int r = 0; r < kMaxResources; ++r) {
      root.pool_quota[p][static_cast<size_t>(r)].guaranteed = pools[p].second[r];
    }
  }
  tenancy.tenants_.push_back(root);
  std::vector<int> index_of(list.size(), -1);
  for (size_t placed = 0; placed < list.size();) {
    size_t before = placed;
    for (size_t i = 0; i < list.size(); ++i) {
      if (index_of[i] >= 0) continue;
      int parent = list[i].parent.empty() ? 0 : index_of[by_name[list[i].parent]];
      if (parent < 0) continue;
      Tenant tenant;
      tenant.name = list[i].name;
      tenant.parent = parent;
      const Tenant& up = tenancy.tenants_[static_cast<size_t>(parent)];
      tenant.path = up.path.empty() ? tenant.name : up.path + "/" + tenant.name;
      tenant.depth = up.depth + 1;
      tenant.weight_milli = list[i].weight_milli;
      tenant.quota = list[i].quota;
      tenant.pool_quota.resize(pools.size());
      tenant.has_pool_quota.assign(pools.size(), 0);
      for (const auto& [pool, quota] : list[i].pool_quota) {
        for (size_t p = 0; p < pools.size(); ++p) {
          if (pools[p].first != pool) continue;
          tenant.pool_quota[p] = quota;
          tenant.has_pool_quota[p] = 1;
          tenancy.any_pool_quota_ = true;
        }
      }
      tenant.max_running.assign(class_list.size(), kUnlimited);
      tenant.max_queued.assign(class_list.size(), kUnlimited);
      for (const auto& [name, cap] : list[i].max_running) {
        tenant.max_running[static_cast<size_t>(class_index[name])] = cap;
      }
      for (const auto& [name, cap] : list[i].max_queued) {
        tenant.max_queued[static_cast<size_t>(class_index[name])] = cap;
      }
      index_of[i] = static_cast<int>(tenancy.tenants_.size());
      tenancy.tenants_[static_cast<size_t>(parent)].children.push_back(index_of[i]);
      tenancy.tenants_.push_back(std::move(tenant));
      ++placed;
    }
    if (placed == before) return InvalidArgument("tenants: parents form a cycle");
  }
  // Guarantees, bottom-up (children come after their parent): a tenant with
  // no guarantee of its own guarantees what its children do (a Kueue cohort is
  // the sum of its members); one with its own must cover its children's, and
  // the root's is the cluster's capacity.
  for (size_t t = tenancy.tenants_.size(); t-- > 0;) {
    Tenant& tenant = tenancy.tenants_[t];
    if (tenant.children.empty()) continue;
    for (int r = 0; r < catalog.size(); ++r) {
      int64_t sum = 0;
      for (int child : tenant.children) {
        sum +=
            tenancy.tenants_[static_cast<size_t>(child)].quota[static_cast<size_t>(r)].guaranteed;
      }
      int64_t& own = tenant.quota[static_cast<size_t>(r)].guaranteed;
      if (own == 0 && t != 0) {
        own = sum;
        if (tenant.quota[static_cast<size_t>(r)].limit < own) {
          return InvalidArgument(fmt::format(
              "tenant {}: quota.{}.limit {} is below the {} its children guarantee", tenant.path,
              catalog.Name(r),
              QuantityText(r, catalog.Name(r), tenant.quota[static_cast<size_t>(r)].limit),
              QuantityText(r, catalog.Name(r), sum)));
        }
      } else if (sum > own) {
        return InvalidArgument(
            fmt::format("tenants under {}: quota.{}.guaranteed adds up to {}, more than {} ({})",
                        t == 0 ? "the root" : tenant.path, catalog.Name(r),
                        QuantityText(r, catalog.Name(r), sum),
                        t == 0 ? "the cluster's capacity" : "the parent guarantees",
                        QuantityText(r, catalog.Name(r), own)));
      }
    }
  }
  // Pool guarantees: those of a parent's children with a pool quota add up to
  // at most the parent's own pool guarantee (the root's: the pool's capacity).
  for (size_t t = 0; t < tenancy.tenants_.size(); ++t) {
    const Tenant& tenant = tenancy.tenants_[t];
    for (size_t p = 0; p < pools.size(); ++p) {
      if (!tenant.has_pool_quota[p]) continue;
      for (int r = 0; r < catalog.size(); ++r) {
        int64_t sum = 0;
        for (int child : tenant.children) {
          const Tenant& c = tenancy.tenants_[static_cast<size_t>(child)];
          if (c.has_pool_quota[p]) sum += c.pool_quota[p][static_cast<size_t>(r)].guaranteed;
        }
        int64_t own = tenant.pool_quota[p][static_cast<size_t>(r)].guaranteed;
        if (sum > own) {
          return InvalidArgument(fmt::format(
              "tenants under {}: pool_quota.{}.{}.guaranteed adds up to {}, more than {} ({})",
              t == 0 ? "the root" : tenant.path, pools[p].first, catalog.Name(r),
              QuantityText(r, catalog.Name(r), sum),
              t == 0 ? "the pool's capacity" : "the parent guarantees in the pool",
              QuantityText(r, catalog.Name(r), own)));
        }
      }
    }
  }
  // Names are unique (checked above), so a name and a path never clash
  // unless a path equals another tenant's name, where the path wins.
  for (size_t t = 1; t < tenancy.tenants_.size(); ++t) {
    tenancy.by_path_.emplace(tenancy.tenants_[t].name, static_cast<int>(t));
  }
  for (size_t t = 1; t < tenancy.tenants_.size(); ++t) {
    tenancy.by_path_[tenancy.tenants_[t].path] = static_cast<int>(t);
  }
  int leaves = 0;
  for (size_t t = 1; t < tenancy.tenants_.size(); ++t) {
    if (tenancy.tenants_[t].children.empty()) {
      ++leaves;
      tenancy.sole_leaf_ = static_cast<int>(t);
    }
  }
  if (leaves != 1) tenancy.sole_leaf_ = -1;
  return tenancy;
}

int Tenancy::FindTenant(std::string_view name_or_path) const {
  auto it = by_path_.find(std::string(name_or_path));
  return it == by_path_.end() ? -1 : it->second;
}

int Tenancy::FindClass(std::string_view name) const {
  for (size_t c = 0; c < classes_.size(); ++c) {
    if (classes_[c].name == name) return static_cast<int>(c);
  }
  return -1;
}

bool ParseQueueOrdering(std::string_view text, QueueOrdering* out) {
  if (text == "fair_share") {
    *out = QueueOrdering::kFairShare;
  } else if (text == "priority") {
    *out = QueueOrdering::kPriority;
  } else if (text == "fifo") {
    *out = QueueOrdering::kFifo;
  } else {
    return false;
  }
  return true;
}

std::string_view QueueOrderingName(QueueOrdering ordering) {
  switch (ordering) {
    case QueueOrdering::kFairShare:
      return "fair_share";
    case QueueOrdering::kPriority:
      return "priority";
    case QueueOrdering::kFifo:
      return "fifo";
  }
  return "unknown";
}

}  // namespace allot
