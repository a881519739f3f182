#pragma once

#include <memory>
#include <string_view>

#include "common/result.h"
#include "policy/cluster_state.h"

namespace allot {

// The shape of one member as the fragmentation measure sees it: host cpu and
// memory, its GPU demand (milli per device for a fraction, 1000 * k for k
// whole devices) and the pools it may use (GPU-model and pool constraints).
// MIG members are not part of it (gpu_milli 0, is_mig true).
struct WorkloadShape {
  int64_t cpu = 0;
  int64_t memory = 0;
  int64_t gpu_milli = 0;
  bool is_mig = false;
  // Bit p set: pool p allowed. 0: every pool (also when the inventory has
  // more than 64 pools, where the mask cannot say which).
  uint64_t pools = 0;
  friend bool operator==(const WorkloadShape&, const WorkloadShape&) = default;
};

enum class PlacementKind : uint8_t { kFirstFit, kBestFit, kFragAware };

// The fragmentation measure of the fragmentation-aware policy (frag_aware.h).
enum class FragMeasure : uint8_t { kHostAware, kFgd, kHybrid };

std::string_view PlacementKindName(PlacementKind kind);
bool ParsePlacementKind(std::string_view text, PlacementKind* out);
std::string_view FragMeasureName(FragMeasure measure);
bool ParseFragMeasure(std::string_view text, FragMeasure* out);

// Chooses where one member of a request goes. The engine places a gang member
// by member, applying each choice to the ClusterState before asking for the
// next (and reverting them all when one fails), so a policy only ever answers
// for a single member. A policy observes the ClusterState it was made for
// (OnNodeChanged) to keep its own indexes. Not thread-safe.
class PlacementPolicy : public NodeObserver {
 public:
  ~PlacementPolicy() override = default;

  virtual PlacementKind kind() const = 0;
  // Appends the member's assignments (member index 0; the engine renumbers) and
  // returns true, or returns false when no node can host the member now.
  // Never mutates the cluster state.
  virtual bool PlaceMember(const MemberDemand& demand, Placement* out) = 0;
  // The engine reports every change of its workload model (arrival counts
  // per member shape, see engine/workload_model.h): `delta` more (or fewer)
  // members of this shape. The fragmentation-aware policy weighs its
  // fragmentation measure by these counts; the others ignore them.
  virtual void OnWorkloadChanged(const WorkloadShape& /*shape*/, int64_t /*delta*/) {}
};

struct PlacementOptions {
  PlacementKind kind = PlacementKind::kBestFit;
  FragMeasure frag_measure = FragMeasure::kHostAware;
  // Fragmentation-aware policy: distinct node states scored per decision,
  // 0 = all. Bounds the cost on very large clusters.
  int frag_max_candidates = 0;
};

// Makes a policy bound to `cluster` and registers it as the cluster's observer.
std::unique_ptr<PlacementPolicy> MakePlacementPolicy(const PlacementOptions& options,
                                                     ClusterState* cluster);

}  // namespace allot
