#pragma once

#include <cstdint>
#include <set>
#include <tuple>
#include <vector>

#include "policy/placement_policy.h"

namespace allot {

// Best fit: the node (and device) left with the least free capacity of the
// member's dominant kind after placement, ties to the lowest index:
//   k whole GPUs   node with the fewest untouched devices >= k
//   a fraction     shared device with the least free milli-GPU >= the fraction
//   a MIG instance fullest MIG device that can take the profile
//   CPU only       node with the least idle GPU (whole GPUs, rounded up),
//                  then the least free cpu >= the member's cpu: CPU-only work
//                  goes where it strands no GPU (as measured on the Alibaba
//                  trace, taking the CPU of GPU-rich nodes strands their GPUs)
// Ordered indexes per pool make a decision O(log n) when the first candidate
// fits; candidates that fail host resources or label selectors are skipped,
// so a selector that matches few nodes degrades towards a scan.
class BestFitPolicy final : public PlacementPolicy {
 public:
  explicit BestFitPolicy(const ClusterState* cluster);

  PlacementKind kind() const override { return PlacementKind::kBestFit; }
  bool PlaceMember(const MemberDemand& demand, Placement* out) override;
  void OnNodeChanged(NodeIndex node) override;

 private:
  // Per pool, ordered (free amount, node[, device]) keys of up nodes.
  struct PoolTrees {
    std::set<std::pair<int32_t, NodeIndex>> by_untouched_devices;
    std::set<std::tuple<int32_t, NodeIndex, int16_t>> by_free_milli;  // shared devices
    // by idle whole GPUs (rounded up), then free cpu
    std::vector<std::set<std::pair<int64_t, NodeIndex>>> cpu_by_idle_gpus;
  };
  // The keys under which a node is currently filed, to remove them.
  struct NodeKeys {
    bool indexed = false;
    int32_t untouched = 0;
    int64_t free_cpu = 0;
    int idle_gpus = 0;
    std::vector<int32_t> free_milli;  // per device; -1 for non-shared devices
  };

  void Unfile(NodeIndex node);
  void File(NodeIndex node);
  bool PlaceWhole(const MemberDemand& demand, Placement* out);
  bool PlaceFraction(const MemberDemand& demand, Placement* out);
  bool PlaceCpuOnly(const MemberDemand& demand, Placement* out);

  const ClusterState* cluster_;
  std::vector<PoolTrees> pools_;
  std::vector<NodeKeys> keys_;
};

}  // namespace allot
