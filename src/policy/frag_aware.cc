#include "policy/frag_aware.h"

#include <algorithm>
#include <limits>

namespace allot {
namespace {

constexpr int64_t kWholeOffset = 2000;
constexpr size_t kMaxShapes = 256;
constexpr size_t kMaxMemoisedSignatures = 1 << 16;
constexpr size_t kHeader = 3;  // pool, free cpu, free memory

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
  for (NodeIndex node = 0; node < cluster->node_count(); ++node) {
    OnNodeChanged(node);
  }
}

FragAwarePolicy::Signature FragAwarePolicy::SignatureOf(NodeIndex node) const {
  const Node& spec = cluster_->inventory().nodes[node];
  Signature signature;
  signature.reserve(kHeader + spec.devices.size());
  signature.push_back(spec.pool);
  signature.push_back(cluster_->free_host(node, kCpu));
  signature.push_back(cluster_->free_host(node, kMemory));
  for (size_t d = 0; d < spec.devices.size(); ++d) {
    DeviceMode mode = spec.devices[d].mode;
    if (mode == DeviceMode::kMig) continue;
    int64_t free_milli = 1000 - cluster_->device(node, static_cast<int>(d)).used_milli;
    signature.push_back(mode == DeviceMode::kWhole ? free_milli + kWholeOffset : free_milli);
  }
  std::sort(signature.begin() + kHeader, signature.end());
  return signature;
}

void FragAwarePolicy::OnNodeChanged(NodeIndex node) {
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
  for (Shape& known : shapes_) {
    if (known.shape == shape) {
      known.weight += delta;
      return;
    }
  }
  // New shapes append, so memoised fragment vectors only ever grow.
  if (shapes_.size() < kMaxShapes && delta > 0) shapes_.push_back({shape, delta});
}

int64_t FragAwarePolicy::FragmentOf(const Signature& signature, const WorkloadShape& shape) const {
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
  bool one_unit_fits_host = shape.cpu <= signature[1] && shape.memory <= signature[2];
  if (!one_unit_fits_host) return idle;
  int64_t wanted = shape.gpu_milli >= 1000 ? shape.gpu_milli / 1000 : 0;
  if (wanted > 0) gpu_units = untouched / wanted;
  if (measure_ == FragMeasure::kFgd) {
    if (wanted == 0) return usable > 0 ? idle - usable : idle;
    return gpu_units > 0 ? idle - 1000 * untouched : idle;
  }
  // Host-aware: the idle GPU a stream of units of the shape could take, the
  // units bounded by the devices and by the node's free cpu.
  int64_t cpu_units = shape.cpu > 0 ? signature[1] / shape.cpu : gpu_units;
  return idle - std::min(gpu_units, cpu_units) * shape.gpu_milli;
}

const std::vector<int64_t>& FragAwarePolicy::FragmentsOf(const Signature& signature) {
  if (fragments_.size() > kMaxMemoisedSignatures) fragments_.clear();
  std::vector<int64_t>& values = fragments_[signature];
  while (values.size() < shapes_.size()) {
    values.push_back(FragmentOf(signature, shapes_[values.size()].shape));
  }
  return values;
}

int64_t FragAwarePolicy::WeightedDelta(const Signature& before, const Signature& after) {
  // Copy: the second lookup may rehash the memo.
  std::vector<int64_t> fragments_before = FragmentsOf(before);
  const std::vector<int64_t>& fragments_after = FragmentsOf(after);
  int64_t delta = 0;
  for (size_t m = 0; m < shapes_.size(); ++m) {
    if (shapes_[m].weight <= 0) continue;
    delta += shapes_[m].weight * (fragments_after[m] - fragments_before[m]);
  }
  return delta;
}

int64_t FragAwarePolicy::NodeFragmentation(NodeIndex node) {
  Signature signature = SignatureOf(node);
  const std::vector<int64_t>& values = FragmentsOf(signature);
  int64_t total = 0;
  for (size_t m = 0; m < shapes_.size(); ++m) total += shapes_[m].weight * values[m];
  return total;
}

bool FragAwarePolicy::PlaceMember(const MemberDemand& demand, Placement* out) {
  if (demand.wants_mig()) return cluster_->PlaceMigFullestFirst(demand, out);
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

  int evaluated = 0;
  for (const auto& [signature, group] : groups_) {
    if (max_candidates_ > 0 && evaluated >= max_candidates_ && best.found) break;
    if (!demand.allowed_pools[static_cast<size_t>(signature[0])]) continue;
    if (demand.host[kCpu] > signature[1] || demand.host[kMemory] > signature[2]) continue;
    // The GPU choices this signature offers, as the device-free value consumed.
    int64_t idle = 0;
    int64_t untouched = 0;
    for (size_t i = kHeader; i < signature.size(); ++i) {
      int64_t free_milli =
          signature[i] >= kWholeOffset ? signature[i] - kWholeOffset : signature[i];
      idle += free_milli;
      if (free_milli == 1000) ++untouched;
    }
    std::vector<int64_t> options;  // signature positions to consume from
    if (demand.gpu_milli >= 1000) {
      if (untouched < demand.whole_devices()) continue;
      options.push_back(-1);
    } else if (demand.gpu_milli > 0) {
      for (size_t i = kHeader; i < signature.size(); ++i) {
        if (signature[i] >= kWholeOffset || signature[i] < demand.gpu_milli) continue;
        if (!options.empty() && signature[static_cast<size_t>(options.back())] == signature[i]) {
          continue;  // equal frees give equal outcomes
        }
        options.push_back(static_cast<int64_t>(i));
      }
      if (options.empty()) continue;
    } else {
      options.push_back(-1);
    }
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
    ++evaluated;
    for (int64_t option : options) {
      Signature after = signature;
      after[1] -= demand.host[kCpu];
      after[2] -= demand.host[kMemory];
      int64_t consumed = 0;
      if (option >= 0) {
        after[static_cast<size_t>(option)] -= demand.gpu_milli;
        consumed = demand.gpu_milli;
      } else if (demand.gpu_milli >= 1000) {
        int wanted = demand.whole_devices();
        // Take the fully free devices (shared or whole mode).
        for (size_t i = after.size(); i-- > kHeader && wanted > 0;) {
          if (after[i] == 1000 || after[i] == 1000 + kWholeOffset) {
            after[i] -= 1000;
            --wanted;
          }
        }
        consumed = demand.gpu_milli;
      }
      std::sort(after.begin() + kHeader, after.end());
      int64_t delta = WeightedDelta(signature, after);
      int64_t idle_after = idle - consumed;
      if (best.Better(delta, idle_after, node)) {
        best.delta = delta;
        best.idle_after = idle_after;
        best.node = node;
        best.device_free =
            option >= 0 ? static_cast<int>(signature[static_cast<size_t>(option)]) : -1;
        best.found = true;
      }
    }
  }
  if (!best.found) return false;
  if (demand.gpu_milli >= 1000) return cluster_->FindWholeDevices(best.node, demand, out);
  if (demand.gpu_milli == 0) return cluster_->FindDevices(best.node, demand, true, out);
  // The lowest-index shared device with the chosen free amount.
  const Node& spec = cluster_->inventory().nodes[best.node];
  for (size_t d = 0; d < spec.devices.size(); ++d) {
    if (spec.devices[d].mode != DeviceMode::kShared) continue;
    const DeviceUsage& usage = cluster_->device(best.node, static_cast<int>(d));
    if (1000 - usage.used_milli != best.device_free) continue;
    int64_t memory = cluster_->FractionMemory(best.node, demand);
    if (cluster_->device_memory_mib(best.node) - usage.used_memory_mib < memory) continue;
    Assignment assignment;
    assignment.node = best.node;
    assignment.device = static_cast<int16_t>(d);
    assignment.gpu_milli = static_cast<int32_t>(demand.gpu_milli);
    assignment.gpu_memory_mib = memory;
    out->push_back(assignment);
    return true;
  }
  // Device memory ruled the chosen device out: fall back to any fitting one.
  return cluster_->FindSharedDevice(best.node, demand, /*best_fit=*/true, out);
}

}  // namespace allot
