#include "policy/best_fit.h"

#include <limits>

namespace allot {

BestFitPolicy::BestFitPolicy(const ClusterState* cluster) : cluster_(cluster) {
  const Inventory& inventory = cluster->inventory();
  pools_.resize(inventory.pools.size());
  keys_.resize(cluster->node_count());
  for (NodeIndex node = 0; node < cluster->node_count(); ++node) {
    File(node);
  }
}

void BestFitPolicy::OnNodeChanged(NodeIndex node) {
  // Re-file only the keys that changed: a lease touches one or a few devices.
  NodeKeys& keys = keys_[node];
  bool up = cluster_->state(node) == NodeState::kUp;
  if (!up || !keys.indexed) {
    Unfile(node);
    File(node);
    return;
  }
  const Node& spec = cluster_->inventory().nodes[node];
  PoolTrees& pool = pools_[spec.pool];
  int32_t untouched = cluster_->untouched_devices(node);
  if (untouched != keys.untouched) {
    if (keys.untouched > 0) pool.by_untouched_devices.erase({keys.untouched, node});
    if (untouched > 0) pool.by_untouched_devices.emplace(untouched, node);
    keys.untouched = untouched;
  }
  int64_t free_cpu = cluster_->free_host(node, kCpu);
  int64_t idle_milli = spec.capacity[kGpu] - cluster_->allocated(node)[kGpu];
  int idle_gpus = static_cast<int>((idle_milli + 999) / 1000);
  if (free_cpu != keys.free_cpu || idle_gpus != keys.idle_gpus) {
    pool.cpu_by_idle_gpus[static_cast<size_t>(keys.idle_gpus)].erase({keys.free_cpu, node});
    if (pool.cpu_by_idle_gpus.size() <= static_cast<size_t>(idle_gpus)) {
      pool.cpu_by_idle_gpus.resize(static_cast<size_t>(idle_gpus) + 1);
    }
    pool.cpu_by_idle_gpus[static_cast<size_t>(idle_gpus)].emplace(free_cpu, node);
    keys.free_cpu = free_cpu;
    keys.idle_gpus = idle_gpus;
  }
  for (size_t d = 0; d < keys.free_milli.size(); ++d) {
    if (keys.free_milli[d] < 0) continue;  // not a shared device
    int32_t free_milli = 1000 - cluster_->device(node, static_cast<int>(d)).used_milli;
    if (free_milli == keys.free_milli[d]) continue;
    auto device = static_cast<int16_t>(d);
    if (keys.free_milli[d] > 0) pool.by_free_milli.erase({keys.free_milli[d], node, device});
    if (free_milli > 0) pool.by_free_milli.emplace(free_milli, node, device);
    keys.free_milli[d] = free_milli;
  }
}

void BestFitPolicy::File(NodeIndex node) {
  NodeKeys& keys = keys_[node];
  if (cluster_->state(node) != NodeState::kUp) return;
  const Node& spec = cluster_->inventory().nodes[node];
  PoolTrees& pool = pools_[spec.pool];
  keys.indexed = true;
  keys.untouched = cluster_->untouched_devices(node);
  keys.free_cpu = cluster_->free_host(node, kCpu);
  int64_t idle_milli =
      cluster_->inventory().nodes[node].capacity[kGpu] - cluster_->allocated(node)[kGpu];
  keys.idle_gpus = static_cast<int>((idle_milli + 999) / 1000);
  if (pool.cpu_by_idle_gpus.size() <= static_cast<size_t>(keys.idle_gpus)) {
    pool.cpu_by_idle_gpus.resize(static_cast<size_t>(keys.idle_gpus) + 1);
  }
  pool.cpu_by_idle_gpus[static_cast<size_t>(keys.idle_gpus)].emplace(keys.free_cpu, node);
  if (keys.untouched > 0) pool.by_untouched_devices.emplace(keys.untouched, node);
  keys.free_milli.resize(spec.devices.size());
  for (size_t d = 0; d < spec.devices.size(); ++d) {
    if (spec.devices[d].mode != DeviceMode::kShared) {
      keys.free_milli[d] = -1;
      continue;
    }
    int32_t free_milli = 1000 - cluster_->device(node, static_cast<int>(d)).used_milli;
    keys.free_milli[d] = free_milli;
    if (free_milli > 0) pool.by_free_milli.emplace(free_milli, node, static_cast<int16_t>(d));
  }
}

void BestFitPolicy::Unfile(NodeIndex node) {
  NodeKeys& keys = keys_[node];
  if (!keys.indexed) return;
  PoolTrees& pool = pools_[cluster_->inventory().nodes[node].pool];
  pool.cpu_by_idle_gpus[static_cast<size_t>(keys.idle_gpus)].erase({keys.free_cpu, node});
  if (keys.untouched > 0) pool.by_untouched_devices.erase({keys.untouched, node});
  for (size_t d = 0; d < keys.free_milli.size(); ++d) {
    if (keys.free_milli[d] > 0) {
      pool.by_free_milli.erase({keys.free_milli[d], node, static_cast<int16_t>(d)});
    }
  }
  keys.indexed = false;
}

bool BestFitPolicy::PlaceMember(const MemberDemand& demand, Placement* out) {
  if (demand.wants_mig()) return cluster_->PlaceMigFullestFirst(demand, out);
  if (demand.gpu_milli >= 1000) return PlaceWhole(demand, out);
  if (demand.gpu_milli > 0) return PlaceFraction(demand, out);
  return PlaceCpuOnly(demand, out);
}

// Each Place* keeps, across the allowed pools, the candidate with the smallest
// key; within a pool the first fitting entry from lower_bound is that pool's best.
bool BestFitPolicy::PlaceWhole(const MemberDemand& demand, Placement* out) {
  std::pair<int32_t, NodeIndex> best{std::numeric_limits<int32_t>::max(), 0};
  bool found = false;
  for (size_t p = 0; p < pools_.size(); ++p) {
    if (!demand.allowed_pools[p]) continue;
    if (!cluster_->PoolDevicesHoldWholeMember(static_cast<PoolIndex>(p), demand)) continue;
    const auto& index = pools_[p].by_untouched_devices;
    for (auto it = index.lower_bound({demand.whole_devices(), 0}); it != index.end(); ++it) {
      if (found && *it >= best) break;
      // Untouched count >= k was the index key; device memory was checked per pool.
      if (!cluster_->HostFits(it->second, demand)) continue;
      best = *it;
      found = true;
      break;
    }
  }
  return found && cluster_->FindWholeDevices(best.second, demand, out);
}

bool BestFitPolicy::PlaceFraction(const MemberDemand& demand, Placement* out) {
  std::tuple<int32_t, NodeIndex, int16_t> best{std::numeric_limits<int32_t>::max(), 0, 0};
  bool found = false;
  for (size_t p = 0; p < pools_.size(); ++p) {
    if (!demand.allowed_pools[p]) continue;
    const auto& index = pools_[p].by_free_milli;
    auto first = index.lower_bound({static_cast<int32_t>(demand.gpu_milli), 0, 0});
    for (auto it = first; it != index.end(); ++it) {
      if (found && *it >= best) break;
      auto [free_milli, node, device] = *it;
      if (!cluster_->HostFits(node, demand)) continue;
      const DeviceUsage& usage = cluster_->device(node, device);
      if (cluster_->device_memory_mib(node) - usage.used_memory_mib <
          cluster_->FractionMemory(node, demand)) {
        continue;
      }
      best = *it;
      found = true;
      break;
    }
  }
  if (!found) return false;
  auto [free_milli, node, device] = best;
  Assignment assignment;
  assignment.node = node;
  assignment.device = device;
  assignment.gpu_milli = static_cast<int32_t>(demand.gpu_milli);
  assignment.gpu_memory_mib = cluster_->FractionMemory(node, demand);
  out->push_back(assignment);
  return true;
}

bool BestFitPolicy::PlaceCpuOnly(const MemberDemand& demand, Placement* out) {
  // Smallest (idle GPUs, free cpu, node) over the allowed pools.
  std::tuple<size_t, int64_t, NodeIndex> best{SIZE_MAX, 0, 0};
  bool found = false;
  for (size_t p = 0; p < pools_.size(); ++p) {
    if (!demand.allowed_pools[p]) continue;
    const auto& buckets = pools_[p].cpu_by_idle_gpus;
    for (size_t idle = 0; idle < buckets.size() && (!found || idle <= std::get<0>(best)); ++idle) {
      bool hit = false;
      for (auto it = buckets[idle].lower_bound({demand.host[kCpu], 0}); it != buckets[idle].end();
           ++it) {
        std::tuple<size_t, int64_t, NodeIndex> key{idle, it->first, it->second};
        if (found && key >= best) break;
        if (!cluster_->HostFits(it->second, demand)) continue;
        best = key;
        found = hit = true;
        break;
      }
      if (hit) break;
    }
  }
  return found && cluster_->FindDevices(std::get<2>(best), demand, /*best_fit=*/true, out);
}

}  // namespace allot
