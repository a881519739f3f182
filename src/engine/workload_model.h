#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "policy/cluster_state.h"
#include "policy/placement_policy.h"

namespace allot {

// The workload shape of a request's member.
WorkloadShape WorkloadShapeOf(const MemberDemand& demand);

// How often each member shape has arrived: the engine's estimate of the
// workload to come, which the fragmentation-aware policy weighs its
// fragmentation measure by (Weng et al.'s p_m is the share of arriving tasks
// of type m). Counts are halved, deterministically, whenever their total
// passes kDecayThreshold, so recent arrivals weigh more. At most kMaxShapes
// shapes are tracked; later new shapes are not counted. Value type.
class WorkloadModel {
 public:
  static constexpr int64_t kDecayThreshold = int64_t{1} << 20;
  static constexpr size_t kMaxShapes = 256;

  struct Entry {
    WorkloadShape shape;
    int64_t count = 0;
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  // Counts `members` arrivals of `shape`; reports every weight change to
  // `policy` (may be null).
  void Add(const WorkloadShape& shape, int64_t members, PlacementPolicy* policy);
  // Replays the counts into a policy (after a restore).
  void Announce(PlacementPolicy* policy) const;

  const std::vector<Entry>& entries() const { return entries_; }
  void set_entries(std::vector<Entry> entries);

 private:
  std::vector<Entry> entries_;  // in order of first arrival
  int64_t total_ = 0;
};

}  // namespace allot
