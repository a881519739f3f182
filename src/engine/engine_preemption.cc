// Preemption: victims for a waiting request that its quota admits but that
// does not fit. Two rules, both loop-free:
//   class preemption  its class may preempt; victims are preemptible leases
//                     of strictly lower class value (they can never preempt back);
//   reclaim           the request keeps every tenant on its path within its
//                     guarantee (WithinGuarantee); victims are preemptible leases
//                     of other subtrees that borrow, and that stay at or above
//                     their guarantee once the victims are taken (Reclaimable).
// Reclaim, for a preemptor P (leaf p, charge c) and a lease L (charge l) of a
// subtree D, where D is the tenant at which L's path leaves P's (D's parent is
// on P's path, D is not), with u = usage, g = guaranteed, T = the charge of
// the victims already chosen in D:
//   (a) D borrows what P needs:  exists r: c[r] > 0, g_p[r] > 0, l[r] > 0 and
//                                u_D[r] - T[r] > g_D[r]
//   (b) D keeps its guarantee:   for all r with l[r] > 0:
//                                u_D[r] - T[r] - l[r] >= g_D[r]
//   (c) P stays within its own:  for all a on P's path, r with g_a[r] > 0:
//                                u_a[r] + c[r] <= g_a[r]
// (b) is what stops a ping-pong: a tenant guaranteed GPUs and one guaranteed
// CPUs, each using the other's resource, never take each other's leases,
// since taking one puts its owner below a guarantee and would entitle it to
// reclaim in turn. It is KAI's rule that a queue is never reclaimed below its
// deserved quota, and Kueue's reclaimWithinCohort, which preempts only
// workloads of ClusterQueues that borrow, with Kueue's check that a victim's
// ClusterQueue is still borrowing, at the resource level. A lumpy lease (a
// gang that is all of D's borrowing and some of its guarantee) is therefore
// not reclaimable; the preemptor waits for capacity instead.
// Victims are chosen greedily, cheapest first (lower class, then the least work
// lost: the most recently started), until the request fits, then pruned of any
// the request does not need (most expensive first). A gang is always a whole
// lease. A victim with no grace ends at once; otherwise it gets a Preempt
// decision and ends on the Tick after its grace, unless the request it makes
// room for no longer waits by then (granted, cancelled, timed out, rejected):
// then its preemption is withdrawn (PreemptWithdrawn) and it keeps running.
#include <fmt/format.h>

#include <algorithm>

#include "common/check.h"
#include "engine/engine.h"

namespace allot {
namespace {

Decision OfClassWithdrawn(const Lease& lease, RequestId for_request, Time now) {
  Decision withdrawn =
      Decision::PreemptWithdrawn(lease.request(), lease.id, for_request,
                                 fmt::format("request {} no longer waits: lease {} keeps running",
                                             for_request.value, lease.id.value),
                                 now);
  withdrawn.priority_class = lease.priority_class;
  return withdrawn;
}

}  // namespace

bool Engine::WithinGuarantee(const Resolved& resolved) const {
  // Within guarantee: on every tenant of the path, every charged resource
  // that tenant is guaranteed stays within it (resources it has no guarantee
  // for are not quota-managed there), and the leaf is guaranteed at least one
  // charged resource, so a tenant without guarantees never reclaims.
  bool guaranteed_somewhere = false;
  for (int t = resolved.tenant; t > 0; t = tenancy_->tenant(t).parent) {
    const Tenancy::Tenant& tenant = tenancy_->tenant(t);
    for (int r = 0; r < kMaxResources; ++r) {
      int64_t guaranteed = tenant.quota[static_cast<size_t>(r)].guaranteed;
      if (resolved.charge[r] == 0 || guaranteed == 0) continue;
      if (t == resolved.tenant) guaranteed_somewhere = true;
      if (ledger_->usage(t)[r] + resolved.charge[r] > guaranteed) return false;
    }
  }
  return guaranteed_somewhere;
}

bool Engine::MayPreempt(const Resolved& resolved) const {
  return tenancy_->priority_class(resolved.priority_class).may_preempt || WithinGuarantee(resolved);
}

bool Engine::Reclaimable(const Lease& lease, const Resolved& preemptor,
                         const std::vector<uint8_t>& on_path,
                         const std::vector<ResourceVector>& taken) const {
  // Where the victim's path leaves the preemptor's.
  int diverging = -1;
  for (int t = lease.tenant; t > 0 && !on_path[static_cast<size_t>(t)];
       t = tenancy_->tenant(t).parent) {
    diverging = t;
  }
  if (diverging < 0) return false;  // same subtree as the preemptor
  const Tenancy::Tenant& subtree = tenancy_->tenant(diverging);
  const Tenancy::Tenant& leaf = tenancy_->tenant(preemptor.tenant);
  const ResourceVector& used = ledger_->usage(diverging);
  const ResourceVector& chosen = taken[static_cast<size_t>(diverging)];
  bool borrows = false;
  for (int r = 0; r < kMaxResources; ++r) {
    if (lease.charge[r] == 0) continue;
    int64_t guaranteed = subtree.quota[static_cast<size_t>(r)].guaranteed;
    int64_t left = used[r] - chosen[r];
    // (b): taking it must not put the subtree below its guarantee.
    if (left - lease.charge[r] < guaranteed) return false;
    // (a): borrowing, in a resource the preemptor asks for and is guaranteed.
    if (preemptor.charge[r] > 0 && leaf.quota[static_cast<size_t>(r)].guaranteed > 0 &&
        left > guaranteed) {
      borrows = true;
    }
  }
  return borrows;
}

void Engine::WithdrawPreemptions(RequestId id) {
  auto waiting = preempting_for_.find(id);
  if (waiting == preempting_for_.end()) return;
  preempting_for_.erase(waiting);
  // Its victims, in deadline order (deterministic announcements).
  std::vector<LeaseId> pardoned;
  for (const auto& [deadline, lease_id] : preemptions_) {
    if (leases_.at(lease_id).preempted_for == id) pardoned.push_back(lease_id);
  }
  for (LeaseId lease_id : pardoned) {
    Lease& lease = leases_.at(lease_id);
    preemptions_.erase({lease.preempt_at, lease_id});
    lease.preempt_at = 0;
    lease.preempted_for = RequestId{};
    outbox_.push_back(OfClassWithdrawn(lease, id, now_));
  }
}

void Engine::SetAside(const Lease& lease, int sign) {
  ForEachMember(lease.placement, [&](std::span<const Assignment> member) {
    if (sign < 0) {
      cluster_->Give(lease.member_host, member);
    } else {
      cluster_->Take(lease.member_host, member);
    }
  });
}

bool Engine::TryPreempt(RequestId id, const Pending& pending) {
  const PriorityClass& wanted = tenancy_->priority_class(pending.resolved.priority_class);
  bool reclaim = WithinGuarantee(pending.resolved);
  if (!wanted.may_preempt && !reclaim) return false;
  if (preempting_for_.count(id) > 0) return false;  // victims already in their grace

  std::vector<uint8_t> on_path(tenancy_->tenant_count(), 0);
  for (int t = pending.resolved.tenant; t >= 0; t = tenancy_->tenant(t).parent) {
    on_path[static_cast<size_t>(t)] = 1;
  }
  struct Candidate {
    Lease* lease;
    bool lower_class;
  };
  std::vector<Candidate> candidates;
  // Per tenant: the charge of the reclaim victims chosen so far in its subtree.
  // Leases in their grace for other requests count as taken already.
  std::vector<ResourceVector> taken(tenancy_->tenant_count());
  auto take = [&](const Lease& lease) {
    for (int t = lease.tenant; t >= 0; t = tenancy_->tenant(t).parent) {
      taken[static_cast<size_t>(t)].Add(lease.charge);
    }
  };
  for (const auto& [deadline, lease_id] : preemptions_) take(leases_.at(lease_id));
  for (auto& [lease_id, lease] : leases_) {
    if (lease.preempt_at > 0) continue;
    const PriorityClass& victim = tenancy_->priority_class(lease.priority_class);
    if (!victim.preemptible) continue;
    bool lower = wanted.may_preempt && victim.value < wanted.value;
    if (lower || (reclaim && Reclaimable(lease, pending.resolved, on_path, taken))) {
      candidates.push_back({&lease, lower});
    }
  }
  if (candidates.empty()) return false;
  std::sort(candidates.begin(), candidates.end(), [&](const Candidate& a, const Candidate& b) {
    int64_t class_a = tenancy_->priority_class(a.lease->priority_class).value;
    int64_t class_b = tenancy_->priority_class(b.lease->priority_class).value;
    if (class_a != class_b) return class_a < class_b;
    if (a.lease->granted_at != b.lease->granted_at) {
      return a.lease->granted_at > b.lease->granted_at;  // least work lost first
    }
    return a.lease->id > b.lease->id;
  });

  // Greedy: set victims aside until the request fits.
  const MemberDemand& demand = pending.resolved.demand;
  Placement probe;
  auto fits = [&] {
    if (!TryPlace(demand, pending.request.members, &probe)) return false;
    GiveBack(demand.host, probe);  // a probe only
    return true;
  };
  std::vector<Candidate> chosen;
  bool enough = false;
  for (const Candidate& candidate : candidates) {
    // A reclaim victim is judged with the victims before it taken: together
    // they must leave its subtree at its guarantee, (b) above.
    if (!candidate.lower_class) {
      if (!Reclaimable(*candidate.lease, pending.resolved, on_path, taken)) continue;
      take(*candidate.lease);
    }
    SetAside(*candidate.lease, -1);
    chosen.push_back(candidate);
    if (fits()) {
      enough = true;
      break;
    }
  }
  if (!enough) {
    for (const Candidate& candidate : chosen) SetAside(*candidate.lease, +1);
    return false;
  }
  // Prune, most expensive first: keep a victim running if the request fits without preempting it.
  for (size_t i = chosen.size(); i-- > 0;) {
    SetAside(*chosen[i].lease, +1);
    if (fits()) {
      chosen.erase(chosen.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      SetAside(*chosen[i].lease, -1);
    }
  }
  for (const Candidate& candidate : chosen) SetAside(*candidate.lease, +1);

  bool freed = false;
  for (const Candidate& candidate : chosen) {
    Lease& lease = *candidate.lease;
    std::string reason = candidate.lower_class
                             ? fmt::format("preempted for request {} of class {} (value {})",
                                           id.value, wanted.name, wanted.value)
                             : fmt::format("capacity borrowed by {} reclaimed for request {} of {}",
                                           tenancy_->tenant(lease.tenant).path, id.value,
                                           tenancy_->tenant(pending.resolved.tenant).path);
    Duration grace = tenancy_->priority_class(lease.priority_class).preemption_grace;
    if (grace == 0) {
      EndLease(lease.id, EndReason::kPreempted, std::move(reason), /*announce=*/true);
      freed = true;
      continue;
    }
    lease.preempt_at = now_ + grace;
    lease.preempted_for = id;
    preemptions_.emplace(lease.preempt_at, lease.id);
    ++preempting_for_[id];
    Decision preempt =
        Decision::Preempt(lease.request(), lease.id, id, grace, std::move(reason), now_);
    preempt.priority_class = lease.priority_class;
    outbox_.push_back(std::move(preempt));
  }
  return freed;
}

void Engine::EndPreemptions() {
  while (!preemptions_.empty() && preemptions_.begin()->first <= now_) {
    LeaseId id = preemptions_.begin()->second;
    EndLease(id, EndReason::kPreempted, "its preemption grace period ended", /*announce=*/true);
  }
}

}  // namespace allot
