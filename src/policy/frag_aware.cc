#include "policy/frag_aware.h"

#include <algorithm>
#include <limits>

namespace allot {
namespace {

constexpr int64_t kWholeOffset = 2000;
constexpr size_t kMaxShapes = 256;
constexpr size_t kMaxMemoisedSignatures = 1 << 16;
constexpr size_t kCachedDemandsPerGroup = 8;
constexpr int64_t kScaleOne = 16;  // s_m = 1 in ScaleOf's fixed point
// The hybrid measure's late phase: from this percent of GPU capacity allocated.
constexpr int64_t kLatePercent = 90;
constexpr size_t kMaxWeightLog = 1 << 20;
constexpr size_t kHeader = 4;  // pool, idle milli-GPU, free cpu, free memory
constexpr size_t kIdle = 1;
constexpr size_t kCpuSlot = 2;
constexpr size_t kMemorySlot = 3;

}  // namespace

size_t FragAwarePolicy::SignatureHash::operator()(const Signature& signature) const {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a over the values
  for (int64_t value : signature) {
    hash ^= static_cast<uint64_t>(value);
    hash *= 1099511628211ull;
  }
  return static_cast<size_t>(hash);
}

FragAwarePolicy::FragAwarePolicy(const ClusterState* cluster, FragMeasure measure,
                                 int max_candidates)
    : cluster_(cluster), measure_(measure), max_candidates_(max_candidates) {
  node_signature_.resize(cluster->node_count());
  node_gpu_.resize(cluster->node_count());
  for (NodeIndex node = 0; node < cluster->node_count(); ++node) {
    gpu_capacity_ += cluster->inventory().nodes[node].capacity[kGpu];
  }
  for (NodeIndex node = 0; node < cluster->node_count(); ++node) {
    OnNodeChanged(node);
  }
}

FragAwarePolicy::Signature FragAwarePolicy::SignatureOf(NodeIndex node) const {
  const Node& spec = cluster_->inventory().nodes[node];
  Signature signature;
  signature.reserve(kHeader + spec.devices.size());
  signature.push_back(spec.pool);
  signature.push_back(0);  // idle milli-GPU, summed below
  signature.push_back(cluster_->free_host(node, kCpu));
  signature.push_back(cluster_->free_host(node, kMemory));
  for (size_t d = 0; d < spec.devices.size(); ++d) {
    DeviceMode mode = spec.devices[d].mode;
    if (mode == DeviceMode::kMig) continue;
    int64_t free_milli = 1000 - cluster_->device(node, static_cast<int>(d)).used_milli;
    signature.push_back(mode == DeviceMode::kWhole ? free_milli + kWholeOffset : free_milli);
    signature[kIdle] += free_milli;
  }
  std::sort(signature.begin() + kHeader, signature.end());
  return signature;
}

void FragAwarePolicy::OnNodeChanged(NodeIndex node) {
  int64_t gpu = cluster_->allocated(node)[kGpu];
  allocated_gpu_ += gpu - node_gpu_[node];
  node_gpu_[node] = gpu;
  Signature& current = node_signature_[node];
  bool up = cluster_->state(node) == NodeState::kUp;
  Signature next = up ? SignatureOf(node) : Signature();
  if (next == current) return;
  if (!current.empty()) {
    auto it = groups_.find(current);
    it->second.nodes.erase(node);
    if (it->second.nodes.empty()) groups_.erase(it);
  }
  if (!next.empty()) groups_[next].nodes.emplace(node, 0);
  current = std::move(next);
}

void FragAwarePolicy::OnWorkloadChanged(const WorkloadShape& shape, int64_t delta) {
  if (shape.is_mig) return;
  size_t index = 0;
  while (index < shapes_.size() && !(shapes_[index].shape == shape)) ++index;
  if (index == shapes_.size()) {
    // New shapes append, so memoised fragment vectors only ever grow.
    if (shapes_.size() >= kMaxShapes || delta <= 0) return;
    shapes_.push_back({shape, 0, ScaleOf(shape)});
  }
  shapes_[index].weight += delta;
  if (weight_log_.size() >= kMaxWeightLog) {
    weight_log_.clear();
    ++log_epoch_;
  }
  weight_log_.emplace_back(static_cast<uint32_t>(index), delta);
}

int64_t FragAwarePolicy::FragmentOf(const Signature& signature, const WorkloadShape& shape) const {
  // A shape constrained away from the signature's pool can use none of it
  // (hybrid measure; fgd and host_aware stay as measured before shapes
  // carried their pools).
  uint64_t pool = static_cast<uint64_t>(signature[0]);
  if (measure_ == FragMeasure::kHybrid && shape.pools != 0 &&
      (pool >= 64 || ((shape.pools >> pool) & 1) == 0)) {
    return signature[kIdle];
  }
  int64_t idle = 0;
  int64_t usable = 0;     // idle milli-GPU on shared devices that fit one unit (fractions)
  int64_t gpu_units = 0;  // units of the shape the devices could take
  int64_t untouched = 0;
  for (size_t i = kHeader; i < signature.size(); ++i) {
    bool whole_mode = signature[i] >= kWholeOffset;
    int64_t free_milli = whole_mode ? signature[i] - kWholeOffset : signature[i];
    idle += free_milli;
    if (free_milli == 1000) ++untouched;
    if (!whole_mode && shape.gpu_milli > 0 && shape.gpu_milli < 1000 &&
        free_milli >= shape.gpu_milli) {
      usable += free_milli;
      gpu_units += free_milli / shape.gpu_milli;
    }
  }
  if (shape.gpu_milli == 0) return idle;
  bool one_unit_fits_host =
      shape.cpu <= signature[kCpuSlot] && shape.memory <= signature[kMemorySlot];
  if (!one_unit_fits_host) return idle;
  int64_t wanted = shape.gpu_milli >= 1000 ? shape.gpu_milli / 1000 : 0;
  if (wanted > 0) gpu_units = untouched / wanted;
  int64_t fgd = wanted == 0 ? (usable > 0 ? idle - usable : idle)
                            : (gpu_units > 0 ? idle - 1000 * untouched : idle);
  if (measure_ == FragMeasure::kFgd) return fgd;
  // Host-aware: the idle GPU a stream of units of the shape could take, the
  // units bounded by the devices and by the node's free cpu.
  int64_t cpu_units = shape.cpu > 0 ? signature[kCpuSlot] / shape.cpu : gpu_units;
  int64_t host = idle - std::min(gpu_units, cpu_units) * shape.gpu_milli;
  if (measure_ == FragMeasure::kHostAware) return host;
  // Hybrid: FGD's measure while the cluster fills, the host-aware one once
  // it is nearly full (see SetLatePhase).
  return late_phase_ ? host : fgd;
}

int64_t FragAwarePolicy::ScaleOf(const WorkloadShape& shape) const {
  if (measure_ != FragMeasure::kHybrid) return 1;
  // s_m = total GPUs / GPUs of m's home (the nodes that could hold one unit
  // of m when empty: its pools, enough cpu, memory and devices), in 1/16ths.
  // The fewer places a shape can run, the more its fragmentation weighs: a
  // G3-only 8-GPU pod (312 of 6,212 GPUs) counts 20 times, a T4-constrained
  // one 7 times, an unconstrained one once.
  const Inventory& inventory = cluster_->inventory();
  int64_t total = 0, home = 0;
  for (const Node& node : inventory.nodes) {
    int64_t shared = 0, devices = 0;
    for (const Device& device : node.devices) {
      if (device.mode == DeviceMode::kMig) continue;
      ++devices;
      if (device.mode == DeviceMode::kShared) ++shared;
    }
    total += devices;
    uint64_t pool = static_cast<uint64_t>(node.pool);
    if (shape.pools != 0 && (pool >= 64 || ((shape.pools >> pool) & 1) == 0)) continue;
    if (node.capacity[kCpu] < shape.cpu || node.capacity[kMemory] < shape.memory) continue;
    if (shape.gpu_milli >= 1000 && devices < shape.gpu_milli / 1000) continue;
    if (shape.gpu_milli > 0 && shape.gpu_milli < 1000 && shared == 0) continue;
    home += devices;
  }
  if (home == 0 || shape.gpu_milli == 0) return kScaleOne;
  return (kScaleOne * total + home / 2) / home;
}

void FragAwarePolicy::SetLatePhase() {
  // A function of the cluster state alone (no hysteresis), so an engine
  // restored from a snapshot decides as the live one did. Each phase has its
  // own memos, so a cluster hovering at the threshold only re-finds them.
  bool late = 100 * allocated_gpu_ >= kLatePercent * gpu_capacity_;
  if (late == late_phase_) return;
  late_phase_ = late;
  ++memo_generation_;
}

FragAwarePolicy::Memo& FragAwarePolicy::MemoOf(const Signature& signature) {
  return memos_[late_phase_ ? 1 : 0][signature];
}

int64_t FragAwarePolicy::Weighted(Memo& memo, const Signature& signature) {
  while (memo.values.size() < shapes_.size()) {
    memo.values.push_back(FragmentOf(signature, shapes_[memo.values.size()].shape));
  }
  // weighted = sum_m w_m s_m F(m); each logged change (m, dw) adds
  // dw s_m F(m). Recomputed when the log moved on by more than a full sum.
  uint64_t lag = weight_log_.size() - memo.log_position;
  if (memo.log_epoch != log_epoch_ || memo.log_position > weight_log_.size() ||
      lag > shapes_.size()) {
    memo.weighted = 0;
    for (size_t m = 0; m < shapes_.size(); ++m) {
      memo.weighted += shapes_[m].weight * shapes_[m].scale * memo.values[m];
    }
  } else {
    for (size_t i = memo.log_position; i < weight_log_.size(); ++i) {
      const auto& [m, change] = weight_log_[i];
      memo.weighted += change * shapes_[m].scale * memo.values[m];
    }
  }
  memo.log_position = weight_log_.size();
  memo.log_epoch = log_epoch_;
  return memo.weighted;
}

FragAwarePolicy::Group::Cached& FragAwarePolicy::OutcomesFor(const Signature& signature,
                                                             Group& group,
                                                             const MemberDemand& demand) {
  WorkloadShape key;
  key.cpu = demand.host[kCpu];
  key.memory = demand.host[kMemory];
  key.gpu_milli = demand.gpu_milli;
  Group::Cached* cached = nullptr;
  for (Group::Cached& entry : group.cache) {
    if (entry.demand == key) cached = &entry;
  }
  if (cached == nullptr) {
    if (group.cache.size() >= kCachedDemandsPerGroup) group.cache.erase(group.cache.begin());
    group.cache.push_back({key, {}, {}, {}, ~uint64_t{0}});
    cached = &group.cache.back();
    // The GPU choices this signature offers; equal frees give equal outcomes.
    int64_t untouched = 0;
    for (size_t i = kHeader; i < signature.size(); ++i) {
      int64_t free_milli =
          signature[i] >= kWholeOffset ? signature[i] - kWholeOffset : signature[i];
      if (free_milli == 1000) ++untouched;
    }
    auto add = [&](Signature after, int device_free) {
      after[kIdle] -= demand.gpu_milli;
      after[kCpuSlot] -= demand.host[kCpu];
      after[kMemorySlot] -= demand.host[kMemory];
      std::sort(after.begin() + kHeader, after.end());
      cached->outcomes.push_back({device_free, after[kIdle]});
      cached->afters.push_back(std::move(after));
    };
    if (demand.gpu_milli >= 1000) {
      if (untouched >= demand.whole_devices()) {
        Signature after = signature;
        int wanted = demand.whole_devices();
        for (size_t i = after.size(); i-- > kHeader && wanted > 0;) {
          if (after[i] == 1000 || after[i] == 1000 + kWholeOffset) {
            after[i] -= 1000;
            --wanted;
          }
        }
        add(std::move(after), -1);
      }
    } else if (demand.gpu_milli > 0) {
      for (size_t i = kHeader; i < signature.size(); ++i) {
        if (signature[i] >= kWholeOffset || signature[i] < demand.gpu_milli) continue;
        if (i > kHeader && signature[i - 1] == signature[i]) continue;
        Signature after = signature;
        after[i] -= demand.gpu_milli;
        add(std::move(after), static_cast<int>(signature[i]));
      }
    } else {
      add(signature, -1);
    }
  }
  if (cached->memo_generation != memo_generation_) {
    cached->memos.clear();
    for (const Signature& after : cached->afters) cached->memos.push_back(&MemoOf(after));
    cached->memo_generation = memo_generation_;
  }
  return *cached;
}

int FragAwarePolicy::SharedDeviceWith(NodeIndex node, int free_milli,
                                      const MemberDemand& demand) const {
  const Node& spec = cluster_->inventory().nodes[node];
  int64_t memory = cluster_->FractionMemory(node, demand);
  for (size_t d = 0; d < spec.devices.size(); ++d) {
    if (spec.devices[d].mode != DeviceMode::kShared) continue;
    const DeviceUsage& usage = cluster_->device(node, static_cast<int>(d));
    if (1000 - usage.used_milli != free_milli) continue;
    if (cluster_->device_memory_mib(node) - usage.used_memory_mib < memory) continue;
    return static_cast<int>(d);
  }
  return -1;
}

int64_t FragAwarePolicy::NodeFragmentation(NodeIndex node) {
  if (measure_ == FragMeasure::kHybrid) SetLatePhase();
  Signature signature = SignatureOf(node);
  return Weighted(MemoOf(signature), signature);
}

bool FragAwarePolicy::PlaceMember(const MemberDemand& demand, Placement* out) {
  if (demand.wants_mig()) return cluster_->PlaceMigFullestFirst(demand, out);
  if (measure_ == FragMeasure::kHybrid) SetLatePhase();
  // Memos are only dropped here, so pointers to them hold for the decision.
  if (memos_[0].size() + memos_[1].size() > kMaxMemoisedSignatures) {
    memos_[0].clear();
    memos_[1].clear();
    ++memo_generation_;
  }
  // Best candidate: (delta, idle GPU left, node); device choice for fractions.
  struct Choice {
    int64_t delta = std::numeric_limits<int64_t>::max();
    int64_t idle_after = 0;
    NodeIndex node = 0;
    int device_free = -1;  // free milli of the chosen shared device (fractions)
    bool found = false;
    bool Better(int64_t d, int64_t idle, NodeIndex n) const {
      if (!found) return true;
      if (d != delta) return d < delta;
      if (idle != idle_after) return idle < idle_after;
      return n < node;
    }
  } best;

  // Signatures are ordered by (pool, idle GPU, ...): within a pool, start at
  // the first state with enough idle GPU, tightest first, so a candidate bound
  // keeps the tightest feasible states.
  int evaluated = 0;
  int64_t gpu_needed = demand.gpu_milli;
  for (size_t p = 0; p < demand.allowed_pools.size(); ++p) {
    if (!demand.allowed_pools[p]) continue;
    if (demand.gpu_milli >= 1000 &&
        !cluster_->PoolDevicesHoldWholeMember(static_cast<PoolIndex>(p), demand)) {
      continue;
    }
    Signature from = {static_cast<int64_t>(p), gpu_needed};
    for (auto it = groups_.lower_bound(from); it != groups_.end(); ++it) {
      const Signature& signature = it->first;
      Group& group = it->second;
      if (signature[0] != static_cast<int64_t>(p)) break;
      if (max_candidates_ > 0 && evaluated >= max_candidates_ && best.found) break;
      if (demand.host[kCpu] > signature[kCpuSlot] || demand.host[kMemory] > signature[kMemorySlot])
        continue;
      // A node of the group that also passes memory, labels and state.
      NodeIndex node = 0;
      bool host_ok = false;
      for (const auto& [candidate, unused] : group.nodes) {
        if (cluster_->HostFits(candidate, demand)) {
          node = candidate;
          host_ok = true;
          break;
        }
      }
      if (!host_ok) continue;
      Group::Cached& cached = OutcomesFor(signature, group, demand);
      if (cached.outcomes.empty()) continue;
      ++evaluated;
      if (group.memo_generation != memo_generation_) {
        group.memo = &MemoOf(signature);
        group.memo_generation = memo_generation_;
      }
      int64_t before = Weighted(*group.memo, signature);
      for (size_t o = 0; o < cached.outcomes.size(); ++o) {
        const Outcome& outcome = cached.outcomes[o];
        // Device memory is not part of the signature: find a node of the
        // group whose device with this free amount also has the memory.
        NodeIndex target = node;
        if (outcome.device_free >= 0 && SharedDeviceWith(node, outcome.device_free, demand) < 0) {
          bool found = false;
          for (auto candidate = group.nodes.upper_bound(node); candidate != group.nodes.end();
               ++candidate) {
            if (cluster_->HostFits(candidate->first, demand) &&
                SharedDeviceWith(candidate->first, outcome.device_free, demand) >= 0) {
              target = candidate->first;
              found = true;
              break;
            }
          }
          if (!found) continue;
        }
        int64_t delta = Weighted(*cached.memos[o], cached.afters[o]) - before;
        if (best.Better(delta, outcome.idle_after, target)) {
          best.delta = delta;
          best.idle_after = outcome.idle_after;
          best.node = target;
          best.device_free = outcome.device_free;
          best.found = true;
        }
      }
    }
  }
  if (!best.found) return false;
  if (demand.gpu_milli >= 1000) return cluster_->FindWholeDevices(best.node, demand, out);
  if (demand.gpu_milli == 0) return cluster_->FindDevices(best.node, demand, true, out);
  int device = SharedDeviceWith(best.node, best.device_free, demand);
  Assignment assignment;
  assignment.node = best.node;
  assignment.device = static_cast<int16_t>(device);
  assignment.gpu_milli = static_cast<int32_t>(demand.gpu_milli);
  assignment.gpu_memory_mib = cluster_->FractionMemory(best.node, demand);
  out->push_back(assignment);
  return true;
}

}  // namespace allot
