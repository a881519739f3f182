#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/resources.h"
#include "common/result.h"
#include "common/time.h"

namespace allot {

inline constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();

// The order in which waiting requests are served (tenancy/fair_queue.h):
//   fair_share  class value, then hierarchical weighted fair share, then FIFO
//   priority    class value, then FIFO across all tenants (no fair share)
//   fifo        submission order only: classes and tenants are ignored for
//               ordering (quotas, caps and budgets still apply)
enum class QueueOrdering : uint8_t { kFairShare, kPriority, kFifo };
bool ParseQueueOrdering(std::string_view text, QueueOrdering* out);
std::string_view QueueOrderingName(QueueOrdering ordering);

// Quota of one tenant for one resource, in the resource's fixed-point unit.
//   guaranteed     capacity the tenant is entitled to (Kueue: nominalQuota)
//   limit          the most its subtree may use, borrowing included
//                  (Kueue: nominalQuota + borrowingLimit)
//   lending_limit  how much of its unused guarantee others may borrow
//                  (Kueue: lendingLimit); the rest stays protected for it
struct ResourceQuota {
  int64_t guaranteed = 0;
  int64_t limit = kUnlimited;
  int64_t lending_limit = kUnlimited;
  friend bool operator==(const ResourceQuota&, const ResourceQuota&) = default;
};

// A priority class. Requests of higher `value` are ordered first.
struct PriorityClass {
  std::string name;
  int64_t value = 0;
  bool may_preempt = false;       // may preempt lower classes (with preemption)
  bool preemptible = true;        // may be preempted
  bool may_borrow = true;         // may run beyond its tenant's guarantee
  bool spot_only = false;         // may run only on pools of the spot tier
  bool reject_when_busy = false;  // reject at once instead of queueing
  Duration max_wait = 0;          // queued longer than this: rejected (0 = no limit)
  Duration preemption_grace = 0;  // a preempted lease of this class may run this long
  Duration aging = 0;             // waited this long: served before newer requests (0 = off)
  // The wait its requests should start within (0 = none). The engine does
  // not act on it; reports (allot sim) measure how often it is met.
  Duration wait_objective = 0;
  // The latency the class's model calls need (gateway routing); 0: none.
  Duration latency_objective = 0;
  // Budgets (budget/budget.h). Over a hard limit a request is rejected, or
  // when `queue_over_budget` waits for the next period. With
  // `throttle_percent` > 0 it waits once a budget on its path is that full,
  // while classes without it go on to the hard limit. A lease past its
  // reservation with no budget left is preempted when `preempt_over_budget`,
  // else finishes and is flagged as an overrun.
  bool queue_over_budget = false;
  int throttle_percent = 0;
  bool preempt_over_budget = false;
};

// One tenant as configured: `parent` names its parent ("" for top level).
struct TenantSpec {
  std::string name;
  std::string parent;
  int64_t weight_milli = 1000;  // fair-share weight, 1000 = 1.0
  std::array<ResourceQuota, kMaxResources> quota{};
  // Per pool name: quotas that apply to what the tenant runs in that pool
  // ("8 H100s"), in addition to the cluster-wide `quota`.
  std::vector<std::pair<std::string, std::array<ResourceQuota, kMaxResources>>> pool_quota;
  // Per class name: the most running / queued requests (absent = no cap).
  std::vector<std::pair<std::string, int64_t>> max_running;
  std::vector<std::pair<std::string, int64_t>> max_queued;
};

// The tenant tree (org -> team -> agent, any depth) under an implicit root
// (index 0, path "") that owns the whole cluster, and the priority classes.
// Built and validated once; immutable; thread-compatible.
class Tenancy {
 public:
  struct Tenant {
    std::string name;
    std::string path;  // "acme/research/agent-7"
    int parent = -1;   // -1 only for the root
    std::vector<int> children;
    int depth = 0;  // root 0
    int64_t weight_milli = 1000;
    std::array<ResourceQuota, kMaxResources> quota{};
    // Per pool index: the pool quota, when has_pool_quota[pool].
    std::vector<std::array<ResourceQuota, kMaxResources>> pool_quota;
    std::vector<uint8_t> has_pool_quota;
    std::vector<int64_t> max_running;  // per class index; kUnlimited when uncapped
    std::vector<int64_t> max_queued;
  };

  // Validates tenants and classes against the cluster `capacity`: unknown or
  // cyclic parents, duplicate names, non-positive weights, limit below
  // guarantee, lending limit above guarantee, children guaranteeing more than
  // their parent (or the cluster), caps for unknown classes. Errors name the
  // tenant and field: "tenants[2] (b).parent: cycle b -> a -> b".
  // No tenants: one tenant "default". No classes: one class "default".
  // `pools` names the inventory's pools and their capacity, for pool quotas.
  static Result<Tenancy> Create(
      const std::vector<TenantSpec>& tenants, const std::vector<PriorityClass>& classes,
      const ResourceVector& capacity, const ResourceCatalog& catalog,
      const std::vector<std::pair<std::string, ResourceVector>>& pools = {});

  size_t tenant_count() const { return tenants_.size(); }
  const Tenant& tenant(int index) const { return tenants_[static_cast<size_t>(index)]; }
  // A tenant by path ("acme/research") or, when unique, by name; -1 if unknown.
  int FindTenant(std::string_view name_or_path) const;
  bool IsLeaf(int index) const { return tenant(index).children.empty(); }

  size_t class_count() const { return classes_.size(); }
  const PriorityClass& priority_class(int index) const {
    return classes_[static_cast<size_t>(index)];
  }
  int FindClass(std::string_view name) const;
  int default_class() const { return default_class_; }
  // The only leaf when there is exactly one (requests may omit the tenant).
  int sole_leaf() const { return sole_leaf_; }
  size_t pool_count() const { return pool_count_; }
  bool any_pool_quota() const { return any_pool_quota_; }

 private:
  std::vector<Tenant> tenants_;
  std::unordered_map<std::string, int> by_path_;  // names are unique too: both keys
  std::vector<PriorityClass> classes_;
  int default_class_ = 0;
  int sole_leaf_ = -1;
  size_t pool_count_ = 0;
  bool any_pool_quota_ = false;
};

}  // namespace allot
