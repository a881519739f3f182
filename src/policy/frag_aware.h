#pragma once

#include <map>
#include <unordered_map>
#include <vector>

#include "policy/placement_policy.h"

namespace allot {

// Fragmentation-aware placement after Weng et al., "Beware of Fragmentation:
// Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent"
// (USENIX ATC 2023), with three changes described in docs/placement.md:
// the workload model is the live one, the score is exact, and ties go to
// best fit instead of chance.
//
// Fragmentation of a node for a workload shape m, in milli-GPU (R = the
// node's idle milli-GPU on non-MIG devices):
//   CPU-only m:                          F(m) = R  (idle GPU is useless to m)
//   m fits the node's cpu/memory and GPUs: F(m) = idle milli-GPU on devices
//                                          that cannot take one unit of m
//   otherwise:                           F(m) = R
// and the node's expected fragmentation is F = sum_m w_m F(m), with w_m the
// members of shape m now running or waiting (the workload the cluster really
// sees; a restored engine has the same counts). A member goes to the node, and
// on it the device, that minimises the increase dF; ties go to the node left
// with the least idle GPU, then to the lowest index.
//
// Nodes with equal free capacity (same pool, free cpu, free memory and
// multiset of device frees) share a signature and a score, so a decision
// costs O(distinct node states x shapes), not O(nodes). MIG members fall back
// to best fit over MIG devices.
class FragAwarePolicy final : public PlacementPolicy {
 public:
  FragAwarePolicy(const ClusterState* cluster, int max_candidates);

  PlacementKind kind() const override { return PlacementKind::kFragAware; }
  bool PlaceMember(const MemberDemand& demand, Placement* out) override;
  void OnNodeChanged(NodeIndex node) override;
  void OnWorkloadChanged(const WorkloadShape& shape, int64_t delta) override;

  // Fragmentation of `node` as defined above, with the current weights (tests
  // and reports).
  int64_t NodeFragmentation(NodeIndex node);

 private:
  // pool, free cpu, free memory, then the device frees in ascending order
  // (whole-mode devices offset by 2000 so they never count as shareable).
  using Signature = std::vector<int64_t>;
  struct SignatureHash {
    size_t operator()(const Signature& signature) const;
  };
  struct Group {
    std::map<NodeIndex, char> nodes;  // ordered: lowest index first
  };
  struct Shape {
    WorkloadShape shape;
    int64_t weight = 0;
  };

  Signature SignatureOf(NodeIndex node) const;
  // F(m) of a signature for every known shape, memoised and extended lazily.
  const std::vector<int64_t>& FragmentsOf(const Signature& signature);
  int64_t FragmentOf(const Signature& signature, const WorkloadShape& shape) const;
  int64_t WeightedDelta(const Signature& before, const Signature& after);

  const ClusterState* cluster_;
  int max_candidates_;
  std::vector<Shape> shapes_;
  std::map<Signature, Group> groups_;
  std::vector<Signature> node_signature_;  // empty when the node is not filed
  std::unordered_map<Signature, std::vector<int64_t>, SignatureHash> fragments_;
};

}  // namespace allot
