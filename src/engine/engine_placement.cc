// Placing a request's members: the placement policy, or for the replicas of
// an inference endpoint (Pool::spread) the least loaded node.
#include "engine/engine.h"

namespace allot {

void Engine::GiveBack(const ResourceVector& host, const Placement& placement) {
  ForEachMember(placement,
                [&](std::span<const Assignment> member) { cluster_->Give(host, member); });
}

bool Engine::TryPlace(const MemberDemand& demand, int64_t members, Placement* placement) {
  placement->clear();
  for (int64_t member = 0; member < members; ++member) {
    size_t before = placement->size();
    if (!PlaceSpread(demand, placement) && !policy_->PlaceMember(demand, placement)) {
      // All or nothing: give back the members placed so far.
      placement->resize(before);
      GiveBack(demand.host, *placement);
      placement->clear();
      return false;
    }
    for (size_t i = before; i < placement->size(); ++i) {
      (*placement)[i].member = static_cast<uint32_t>(member);
    }
    cluster_->Take(demand.host, std::span(placement->data() + before, placement->size() - before));
  }
  return true;
}

bool Engine::PlaceSpread(const MemberDemand& demand, Placement* placement) {
  if (spread_nodes_.empty() || demand.gpu_milli > 0 || demand.wants_mig()) return false;
  // Only when every allowed pool spreads (an endpoint's replicas): the node
  // with the most free slots, the lowest index among equals.
  bool any = false;
  for (size_t p = 0; p < demand.allowed_pools.size(); ++p) {
    if (!demand.allowed_pools[p]) continue;
    if (!inventory_.pools[p].spread) return false;
    any = true;
  }
  if (!any) return false;
  NodeIndex best = 0;
  int64_t best_free = -1;
  for (NodeIndex node : spread_nodes_) {
    if (!demand.allowed_pools[inventory_.nodes[node].pool]) continue;
    int64_t free_slots = cluster_->free_host(node, kSlots);
    if (free_slots > best_free && cluster_->HostFits(node, demand)) {
      best = node;
      best_free = free_slots;
    }
  }
  // No fit: the policy answers (it will find none either).
  return best_free >= 0 && cluster_->FindDevices(best, demand, /*best_fit=*/true, placement);
}

}  // namespace allot
