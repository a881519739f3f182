#include "policy/cluster_state.h"

#include "common/check.h"

namespace allot {

ClusterState::ClusterState(const Inventory* inventory) : inventory_(inventory) {
  nodes_.resize(inventory->nodes.size());
  size_t next_device = 0;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    const Node& node = inventory->nodes[n];
    NodeUsage& usage = nodes_[n];
    usage.state = node.state;
    usage.device_count = static_cast<int>(node.devices.size());
    for (const Device& device : node.devices) {
      if (device.mode != DeviceMode::kMig) ++usage.untouched_devices;
    }
    usage.first_device = next_device;
    const GpuModel* model = inventory->NodeGpuModel(static_cast<NodeIndex>(n));
    usage.device_memory_mib = model == nullptr ? 0 : model->memory_mib;
    next_device += node.devices.size();
    for (const Device& device : node.devices) {
      if (device.mode == DeviceMode::kMig) {
        mig_nodes_.push_back(static_cast<NodeIndex>(n));
        break;
      }
    }
  }
  devices_.resize(next_device);
}

bool ClusterState::PoolDevicesHoldWholeMember(PoolIndex pool, const MemberDemand& demand) const {
  int model = inventory_->pools[pool].gpu_model;
  if (model < 0) return false;
  int64_t wanted = demand.gpu_milli / 1000;
  if (wanted <= 0) return true;
  int64_t per_device_memory = (demand.gpu_memory_mib + wanted - 1) / wanted;
  return per_device_memory <= inventory_->gpu_models[static_cast<size_t>(model)].memory_mib;
}

bool ClusterState::HostFits(NodeIndex node, const MemberDemand& demand) const {
  const NodeUsage& usage = nodes_[node];
  if (usage.state != NodeState::kUp) return false;
  const Node& spec = inventory_->nodes[node];
  if (!demand.allowed_pools[spec.pool]) return false;
  for (int r = kCpu; r < kMaxResources; ++r) {
    if (demand.host[r] > spec.capacity[r] - usage.allocated[r]) return false;
  }
  if (!demand.node_selector.empty() && !LabelsMatch(spec.labels, demand.node_selector)) {
    return false;
  }
  return true;
}

int64_t ClusterState::FractionMemory(NodeIndex node, const MemberDemand& demand) const {
  if (demand.gpu_memory_mib > 0) return demand.gpu_memory_mib;
  return nodes_[node].device_memory_mib * demand.gpu_milli / 1000;
}

bool ClusterState::FindWholeDevices(NodeIndex node, const MemberDemand& demand,
                                    Placement* out) const {
  int wanted = demand.whole_devices();
  if (nodes_[node].untouched_devices < wanted) return false;
  // Each device must hold gpu_memory / k, rounded up.
  int64_t per_device_memory = (demand.gpu_memory_mib + wanted - 1) / wanted;
  if (per_device_memory > nodes_[node].device_memory_mib) return false;
  const Node& spec = inventory_->nodes[node];
  size_t start = out->size();
  for (int d = 0; d < nodes_[node].device_count && wanted > 0; ++d) {
    if (spec.devices[static_cast<size_t>(d)].mode == DeviceMode::kMig) continue;
    if (!device(node, d).Untouched()) continue;
    Assignment assignment;
    assignment.node = node;
    assignment.device = static_cast<int16_t>(d);
    assignment.gpu_milli = 1000;
    assignment.gpu_memory_mib = nodes_[node].device_memory_mib;
    out->push_back(assignment);
    --wanted;
  }
  if (wanted > 0) {
    out->resize(start);
    return false;
  }
  return true;
}

bool ClusterState::FindSharedDevice(NodeIndex node, const MemberDemand& demand, bool best_fit,
                                    Placement* out) const {
  const Node& spec = inventory_->nodes[node];
  int64_t memory = FractionMemory(node, demand);
  int best = -1;
  int64_t best_free = 0;
  for (int d = 0; d < nodes_[node].device_count; ++d) {
    if (spec.devices[static_cast<size_t>(d)].mode != DeviceMode::kShared) continue;
    const DeviceUsage& usage = device(node, d);
    int64_t free_milli = 1000 - usage.used_milli;
    if (free_milli < demand.gpu_milli) continue;
    if (nodes_[node].device_memory_mib - usage.used_memory_mib < memory) continue;
    if (!best_fit) {
      best = d;
      break;
    }
    if (best < 0 || free_milli < best_free) {
      best = d;
      best_free = free_milli;
    }
  }
  if (best < 0) return false;
  Assignment assignment;
  assignment.node = node;
  assignment.device = static_cast<int16_t>(best);
  assignment.gpu_milli = static_cast<int32_t>(demand.gpu_milli);
  assignment.gpu_memory_mib = memory;
  out->push_back(assignment);
  return true;
}

bool ClusterState::FindMigSlot(NodeIndex node, const MemberDemand& demand, Placement* out) const {
  int model = inventory_->pools[inventory_->nodes[node].pool].gpu_model;
  if (model < 0) return false;
  int profile = demand.mig_profile_by_model[static_cast<size_t>(model)];
  const MigGpuTable* table = inventory_->NodeMigTable(node);
  if (profile < 0 || table == nullptr) return false;
  const Node& spec = inventory_->nodes[node];
  int best = -1;
  int best_start = -1;
  int best_used = -1;
  for (int d = 0; d < nodes_[node].device_count; ++d) {
    if (spec.devices[static_cast<size_t>(d)].mode != DeviceMode::kMig) continue;
    const MigOccupancy& mig = device(node, d).mig;
    int start = mig.FindStart(*table, profile);
    if (start < 0) continue;
    if (mig.compute_used > best_used) {  // fullest device first: keeps empty GPUs whole
      best = d;
      best_start = start;
      best_used = mig.compute_used;
    }
  }
  if (best < 0) return false;
  const MigProfile& p = table->profiles[static_cast<size_t>(profile)];
  Assignment assignment;
  assignment.node = node;
  assignment.device = static_cast<int16_t>(best);
  assignment.mig_profile = static_cast<int8_t>(profile);
  assignment.mig_start = static_cast<int8_t>(best_start);
  assignment.gpu_milli = static_cast<int32_t>(MigInstanceMilliGpu(p));
  // Memory accounted as the instance's share of memory slices, so that the
  // device total never exceeds the configured device memory.
  assignment.gpu_memory_mib = nodes_[node].device_memory_mib * p.memory_slices / kMigMemorySlices;
  out->push_back(assignment);
  return true;
}

bool ClusterState::PlaceMigFullestFirst(const MemberDemand& demand, Placement* out) const {
  int best_used = -1;
  Placement best;
  for (NodeIndex node : mig_nodes_) {
    if (!HostFits(node, demand)) continue;
    Placement probe;
    if (!FindMigSlot(node, demand, &probe)) continue;
    int used = device(node, probe.front().device).mig.compute_used;
    if (used > best_used) {
      best_used = used;
      best = std::move(probe);
    }
  }
  if (best_used < 0) return false;
  out->insert(out->end(), best.begin(), best.end());
  return true;
}

bool ClusterState::FindDevices(NodeIndex node, const MemberDemand& demand, bool best_fit,
                               Placement* out) const {
  if (demand.wants_mig()) return FindMigSlot(node, demand, out);
  if (demand.gpu_milli >= 1000) return FindWholeDevices(node, demand, out);
  if (demand.gpu_milli > 0) return FindSharedDevice(node, demand, best_fit, out);
  Assignment assignment;
  assignment.node = node;
  out->push_back(assignment);
  return true;
}

void ClusterState::Take(const ResourceVector& host, std::span<const Assignment> member) {
  ALLOT_CHECK(!member.empty());
  NodeIndex node = member.front().node;
  NodeUsage& usage = nodes_[node];
  const Node& spec = inventory_->nodes[node];
  usage.allocated.Add(host);
  for (const Assignment& a : member) {
    ALLOT_CHECK(a.node == node);
    if (a.device < 0) continue;
    DeviceUsage& device = mutable_device(node, a.device);
    if (a.mig_profile < 0 && device.Untouched()) --usage.untouched_devices;
    if (a.mig_profile >= 0) {
      device.mig.Place(*inventory_->NodeMigTable(node), a.mig_profile, a.mig_start);
    }
    device.used_milli += a.gpu_milli;
    device.used_memory_mib += a.gpu_memory_mib;
    ALLOT_CHECK(device.used_milli <= 1000 && device.used_memory_mib <= usage.device_memory_mib);
    usage.allocated[kGpu] += a.gpu_milli;
    usage.allocated[kGpuMemory] += a.gpu_memory_mib;
  }
  ALLOT_CHECK(usage.allocated.FitsWithin(spec.capacity));
  Notify(node);
}

void ClusterState::Give(const ResourceVector& host, std::span<const Assignment> member) {
  ALLOT_CHECK(!member.empty());
  NodeIndex node = member.front().node;
  NodeUsage& usage = nodes_[node];
  usage.allocated.Subtract(host);
  for (const Assignment& a : member) {
    if (a.device < 0) continue;
    DeviceUsage& device = mutable_device(node, a.device);
    if (a.mig_profile >= 0) {
      device.mig.Remove(*inventory_->NodeMigTable(node), a.mig_profile, a.mig_start);
    }
    device.used_milli -= a.gpu_milli;
    device.used_memory_mib -= a.gpu_memory_mib;
    ALLOT_CHECK(device.used_milli >= 0 && device.used_memory_mib >= 0);
    if (a.mig_profile < 0 && device.Untouched()) ++usage.untouched_devices;
    usage.allocated[kGpu] -= a.gpu_milli;
    usage.allocated[kGpuMemory] -= a.gpu_memory_mib;
  }
  for (int64_t amount : usage.allocated.amounts) ALLOT_CHECK(amount >= 0);
  Notify(node);
}

bool ClusterState::CanTake(const ResourceVector& host, std::span<const Assignment> member) const {
  if (member.empty() || member.front().node >= nodes_.size()) return false;
  NodeIndex node = member.front().node;
  const NodeUsage& usage = nodes_[node];
  ResourceVector after = usage.allocated;
  for (int64_t amount : host.amounts) {
    if (amount < 0 || amount > kMaxQuantity) return false;
  }
  after.Add(host);
  const Node& spec = inventory_->nodes[node];
  const MigGpuTable* table = inventory_->NodeMigTable(node);
  for (size_t i = 0; i < member.size(); ++i) {
    const Assignment& a = member[i];
    if (a.node != node) return false;
    if (a.device == -1) {
      // No device: no GPU fields either.
      if (a.gpu_milli != 0 || a.gpu_memory_mib != 0 || a.mig_profile != -1) return false;
      continue;
    }
    if (a.device < 0 || a.device >= usage.device_count || a.gpu_memory_mib < 0) return false;
    if (a.mig_profile < 0 && (a.gpu_milli < 1 || a.gpu_milli > 1000)) return false;
    for (size_t j = 0; j < i; ++j) {
      if (member[j].device == a.device) return false;  // one slice per device per member
    }
    DeviceMode mode = spec.devices[static_cast<size_t>(a.device)].mode;
    const DeviceUsage& current = device(node, a.device);
    if ((a.mig_profile >= 0) != (mode == DeviceMode::kMig)) return false;
    if (a.mig_profile >= 0) {
      if (table == nullptr || static_cast<size_t>(a.mig_profile) >= table->profiles.size() ||
          !current.mig.CanPlace(*table, a.mig_profile, a.mig_start)) {
        return false;
      }
    } else if (mode == DeviceMode::kWhole && (a.gpu_milli != 1000 || !current.Untouched())) {
      return false;
    }
    // Compared as "more than what is left" so huge values cannot overflow.
    if (a.gpu_milli > 1000 - current.used_milli ||
        a.gpu_memory_mib > usage.device_memory_mib - current.used_memory_mib) {
      return false;
    }
    after[kGpu] += a.gpu_milli;
    after[kGpuMemory] += a.gpu_memory_mib;
  }
  return after.FitsWithin(spec.capacity);
}

void ClusterState::SetState(NodeIndex node, NodeState state) {
  nodes_[node].state = state;
  Notify(node);
}

}  // namespace allot
