#pragma once

#include <algorithm>
#include <span>
#include <vector>

#include "common/ids.h"
#include "common/resources.h"
#include "model/inventory.h"
#include "model/request.h"

namespace allot {

// One member's demand, resolved against the inventory by the engine's
// validation: what placement policies consume.
struct MemberDemand {
  // cpu, memory, slots and custom resources taken on the member's node.
  ResourceVector host;
  int64_t gpu_milli = 0;       // 0, 1..999 (fraction), or 1000 * k (k whole devices)
  int64_t gpu_memory_mib = 0;  // see MemberShape
  // Per pool: 1 when the request's pool, GPU model and MIG constraints allow it.
  std::vector<uint8_t> allowed_pools;
  // Per GPU model index: the MIG profile index, or -1. Empty when no MIG.
  std::vector<int8_t> mig_profile_by_model;
  Labels node_selector;  // sorted

  bool wants_mig() const { return !mig_profile_by_model.empty(); }
  // Whole devices asked for (0 for fractions), clamped so absurd requests
  // (rejected as infeasible before placement) cannot overflow an int.
  int whole_devices() const {
    if (gpu_milli < 1000) return 0;
    return static_cast<int>(std::min<int64_t>(gpu_milli / 1000, int64_t{1} << 30));
  }
};

// Usage of one GPU device.
struct DeviceUsage {
  int32_t used_milli = 0;
  int64_t used_memory_mib = 0;
  MigOccupancy mig;
  bool Untouched() const { return used_milli == 0 && used_memory_mib == 0 && mig.Empty(); }
};

// Receives a call after every change of a node's usage or state, so that
// policies can keep their capacity indexes current.
class NodeObserver {
 public:
  virtual ~NodeObserver() = default;
  virtual void OnNodeChanged(NodeIndex node) = 0;
};

// The mutable usage of every node and device of an inventory: what is
// allocated, what is free, and the node states. Owned by the engine; policies
// read it. It enforces capacity: Take() CHECKs that nothing is oversubscribed.
// Not thread-safe.
class ClusterState {
 public:
  explicit ClusterState(const Inventory* inventory);

  const Inventory& inventory() const { return *inventory_; }
  size_t node_count() const { return nodes_.size(); }
  NodeState state(NodeIndex node) const { return nodes_[node].state; }
  // Allocated amounts of every resource, gpu and gpu_memory included.
  const ResourceVector& allocated(NodeIndex node) const { return nodes_[node].allocated; }
  int device_count(NodeIndex node) const { return nodes_[node].device_count; }
  const DeviceUsage& device(NodeIndex node, int index) const {
    return devices_[nodes_[node].first_device + static_cast<size_t>(index)];
  }
  int64_t device_memory_mib(NodeIndex node) const { return nodes_[node].device_memory_mib; }
  // Whole or shared devices with nothing on them (MIG devices never count).
  int untouched_devices(NodeIndex node) const { return nodes_[node].untouched_devices; }
  int64_t free_host(NodeIndex node, int resource) const {
    return inventory_->nodes[node].capacity[resource] - nodes_[node].allocated[resource];
  }

  // True when each of a whole-GPU member's k devices in `pool` would have the
  // memory it needs (gpu_memory / k, rounded up). Devices of a pool are alike.
  bool PoolDevicesHoldWholeMember(PoolIndex pool, const MemberDemand& demand) const;

  // True when the node is up, its pool is allowed, it carries the selector's
  // labels and its free host resources cover the member's.
  bool HostFits(NodeIndex node, const MemberDemand& demand) const;

  // Device choices within one node; each returns false when nothing fits.
  // k untouched whole-or-shared devices with enough memory, lowest index first.
  bool FindWholeDevices(NodeIndex node, const MemberDemand& demand, Placement* out) const;
  // A shared device for a fraction: the one with the least free milli-GPU that
  // still fits (best fit), or the lowest index when `best_fit` is false.
  bool FindSharedDevice(NodeIndex node, const MemberDemand& demand, bool best_fit,
                        Placement* out) const;
  // A MIG instance: the fullest MIG device that can still take the profile,
  // at the lowest allowed start index.
  bool FindMigSlot(NodeIndex node, const MemberDemand& demand, Placement* out) const;
  // A MIG instance on the fullest fitting MIG device of any node that passes
  // HostFits (MIG nodes are few: a scan of them).
  bool PlaceMigFullestFirst(const MemberDemand& demand, Placement* out) const;
  // Any of the three above, according to the demand; for a member without
  // GPU, one assignment with device -1.
  bool FindDevices(NodeIndex node, const MemberDemand& demand, bool best_fit, Placement* out) const;

  // The device memory a fraction reserves: gpu_memory, or the proportional
  // share gpu_milli / 1000 of the device's memory when gpu_memory is 0.
  int64_t FractionMemory(NodeIndex node, const MemberDemand& demand) const;

  // Applies / reverts one member's assignments (all on one node); `host` is the
  // member's host resources (MemberDemand::host).
  void Take(const ResourceVector& host, std::span<const Assignment> member);
  void Give(const ResourceVector& host, std::span<const Assignment> member);
  void SetState(NodeIndex node, NodeState state);
  // True when Take(host, member) would succeed: indexes in range, one node,
  // MIG slots free and allowed, nothing oversubscribed. For restoring state
  // from outside (snapshots), where a bad record is data loss, not a crash.
  bool CanTake(const ResourceVector& host, std::span<const Assignment> member) const;

  void set_observer(NodeObserver* observer) { observer_ = observer; }

 private:
  struct NodeUsage {
    ResourceVector allocated;
    NodeState state = NodeState::kUp;
    int device_count = 0;
    int untouched_devices = 0;
    size_t first_device = 0;
    int64_t device_memory_mib = 0;
  };

  DeviceUsage& mutable_device(NodeIndex node, int index) {
    return devices_[nodes_[node].first_device + static_cast<size_t>(index)];
  }
  void Notify(NodeIndex node) {
    if (observer_ != nullptr) observer_->OnNodeChanged(node);
  }

  const Inventory* inventory_;
  std::vector<NodeUsage> nodes_;
  std::vector<DeviceUsage> devices_;
  std::vector<NodeIndex> mig_nodes_;  // nodes with at least one MIG device
  NodeObserver* observer_ = nullptr;
};

}  // namespace allot
