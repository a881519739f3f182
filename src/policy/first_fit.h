#pragma once

#include "policy/placement_policy.h"

namespace allot {

// First fit: the lowest-numbered node that can host the member, and on it the
// lowest-numbered device. The baseline: O(nodes) per decision, no index.
class FirstFitPolicy final : public PlacementPolicy {
 public:
  explicit FirstFitPolicy(const ClusterState* cluster) : cluster_(cluster) {}

  PlacementKind kind() const override { return PlacementKind::kFirstFit; }
  bool PlaceMember(const MemberDemand& demand, Placement* out) override;
  void OnNodeChanged(NodeIndex /*node*/) override {}

 private:
  const ClusterState* cluster_;
};

}  // namespace allot
