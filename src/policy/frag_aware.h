#pragma once

#include <map>
#include <unordered_map>
#include <vector>

#include "policy/placement_policy.h"

namespace allot {

// Fragmentation-aware placement after Weng et al., "Beware of Fragmentation:
// Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent"
// (USENIX ATC 2023). docs/placement.md explains the choices and the figures.
//
// Fragmentation of a node for a workload shape m, in milli-GPU, with R the
// node's idle milli-GPU on non-MIG devices:
//   CPU-only m, or one unit of m does not fit the node's free cpu, memory
//   or devices:                   F(m) = R
//   otherwise, measure kFgd:       F(m) = R - idle milli-GPU on devices that
//                                  can take one unit of m (FGD's definition)
//   otherwise, measure kHostAware: F(m) = R - g_m * min(units of m the
//                                  devices can take, units the free cpu can)
//   measure kHybrid:               kFgd's F(m) while less than 90% of the
//                                  cluster's GPU is allocated, kHostAware's
//                                  from 90%, and every shape's weight
//                                  scaled by its scarcity s_m (below)
// Under the hybrid measure a shape constrained to some pools (GPU models) has
// F(m) = R on the nodes of other pools; fgd and host_aware ignore the pools. The host-aware measure
// also counts GPU stranded because the node's cpu runs out before its GPUs, which FGD sees only
// once not even one unit fits: it gains at the end (95.32% at 100% arrived on the Alibaba trace,
// FGD's 94.94%) but, used from the start, commits the few CPU-rich nodes to CPU-heavy pods early,
// and the shapes only they hold fail (88.9% at 90% arrived). The hybrid measure takes each where it
// wins. Its scarcity factor s_m = total GPUs / GPUs of the nodes that could hold one unit of m when
// empty makes the fragmentation of a shape with few homes (a G3-only 8-GPU pod, a T4-constrained
// pod) weigh more, so scarce nodes and models are kept for the work that needs them.
// docs/placement.md has the figures.
//
// A node's expected fragmentation is F = sum_m s_m w_m F(m), w_m the arrival
// count of shape m (engine/workload_model.h: FGD's p_m up to a constant
// factor; s_m = 1 but for the hybrid measure). A
// member goes to the node, and on it the device, that minimises the increase
// dF, exactly (FGD rounds a sigmoid of dF to an integer score and breaks ties
// at random); ties go to the node left with the least idle GPU, then to the
// lowest index, which places CPU-only work where it strands no GPU.
//
// Nodes with equal free capacity (same pool, free cpu, free memory and
// multiset of device frees) share a signature and a score, so a decision
// costs O(distinct node states x shapes), not O(nodes); `max_candidates` > 0
// bounds the distinct states scored. MIG members go to the fullest MIG device.
class FragAwarePolicy final : public PlacementPolicy {
 public:
  FragAwarePolicy(const ClusterState* cluster, FragMeasure measure, int max_candidates);

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
  // F(m) of a signature for every known shape (extended lazily as shapes
  // arrive), and the weighted sum sum_m w_m s_m F(m) as of entry
  // `log_position` of the weight log: catching up costs one multiply-add per
  // weight change since, so a signature scored every decision pays O(1) for
  // the weights instead of O(shapes).
  struct Memo {
    std::vector<int64_t> values;
    int64_t weighted = 0;
    uint64_t log_position = 0;
    uint64_t log_epoch = ~uint64_t{0};
  };
  // The result of placing one member of a demand on a signature: the free
  // milli-GPU of the device used (fractions; -1 otherwise) and the idle GPU
  // left.
  struct Outcome {
    int device_free = -1;
    int64_t idle_after = 0;
  };
  struct Group {
    std::map<NodeIndex, char> nodes;  // ordered: lowest index first
    Memo* memo = nullptr;             // of the group's signature
    uint64_t memo_generation = ~uint64_t{0};
    // Outcomes per recent demand (cpu, memory, gpu) on this signature; a
    // signature never changes, so these stay valid while the group lives.
    struct Cached {
      WorkloadShape demand;
      std::vector<Outcome> outcomes;
      std::vector<Signature> afters;
      std::vector<Memo*> memos;  // of `afters`, valid in `memo_generation`
      uint64_t memo_generation = ~uint64_t{0};
    };
    std::vector<Cached> cache;
  };
  struct Shape {
    WorkloadShape shape;
    int64_t weight = 0;
    int64_t scale = 1;
  };

  Signature SignatureOf(NodeIndex node) const;
  // The factor s_m of a new shape's weight (1 but for the hybrid measure).
  int64_t ScaleOf(const WorkloadShape& shape) const;
  // Hybrid measure: the phase of the current GPU allocation (late, host-aware,
  // from 90%).
  void SetLatePhase();
  // The memo of a signature, created when new; valid until the next
  // PlaceMember (which may drop all memos when they grow too many).
  Memo& MemoOf(const Signature& signature);
  // The memo's weighted sum, brought up to date.
  int64_t Weighted(Memo& memo, const Signature& signature);
  int64_t FragmentOf(const Signature& signature, const WorkloadShape& shape) const;
  // The lowest-index shared device of `node` with exactly `free_milli` free
  // and room for the demand's device memory, or -1.
  int SharedDeviceWith(NodeIndex node, int free_milli, const MemberDemand& demand) const;
  // The outcomes of `demand` on the group's signature, with their after
  // signatures' memos current.
  Group::Cached& OutcomesFor(const Signature& signature, Group& group, const MemberDemand& demand);

  const ClusterState* cluster_;
  FragMeasure measure_;
  int max_candidates_;
  // Hybrid measure: GPU allocated (per node and in all) and the phase.
  std::vector<int64_t> node_gpu_;
  int64_t allocated_gpu_ = 0;
  int64_t gpu_capacity_ = 0;
  bool late_phase_ = false;
  std::vector<Shape> shapes_;
  std::map<Signature, Group> groups_;
  std::vector<Signature> node_signature_;  // empty when the node is not filed
  // Per phase of the hybrid measure (early, late; other measures use [0]).
  std::unordered_map<Signature, Memo, SignatureHash> memos_[2];
  uint64_t memo_generation_ = 0;  // bumped when memos_ is cleared or the phase changes
  // Weight changes (shape index, delta) in order; cleared, with a new epoch,
  // when long (memos from an older epoch recompute their sums).
  std::vector<std::pair<uint32_t, int64_t>> weight_log_;
  uint64_t log_epoch_ = 0;
};

}  // namespace allot
