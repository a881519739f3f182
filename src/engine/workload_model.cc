#include "engine/workload_model.h"

#include <algorithm>

namespace allot {

WorkloadShape WorkloadShapeOf(const MemberDemand& demand) {
  WorkloadShape shape;
  shape.cpu = demand.host[kCpu];
  shape.memory = demand.host[kMemory];
  shape.is_mig = demand.wants_mig();
  shape.gpu_milli = shape.is_mig ? 0 : demand.gpu_milli;
  // A constrained member (GPU model, pool) records its pools, so that the
  // fragmentation measure counts it only where it may run.
  const std::vector<uint8_t>& allowed = demand.allowed_pools;
  bool constrained = std::find(allowed.begin(), allowed.end(), 0) != allowed.end();
  if (constrained && allowed.size() <= 64) {
    for (size_t p = 0; p < allowed.size(); ++p) {
      if (allowed[p] != 0) shape.pools |= uint64_t{1} << p;
    }
  }
  return shape;
}

void WorkloadModel::Add(const WorkloadShape& shape, int64_t members, PlacementPolicy* policy) {
  if (shape.is_mig) return;
  Entry* entry = nullptr;
  for (Entry& known : entries_) {
    if (known.shape == shape) {
      entry = &known;
      break;
    }
  }
  if (entry == nullptr) {
    if (entries_.size() >= kMaxShapes) return;
    entries_.push_back({shape, 0});
    entry = &entries_.back();
  }
  entry->count += members;
  total_ += members;
  if (policy != nullptr) policy->OnWorkloadChanged(shape, members);
  if (total_ <= kDecayThreshold) return;
  total_ = 0;
  for (Entry& known : entries_) {
    int64_t lost = known.count - known.count / 2;
    known.count -= lost;
    total_ += known.count;
    if (policy != nullptr && lost > 0) policy->OnWorkloadChanged(known.shape, -lost);
  }
}

void WorkloadModel::set_entries(std::vector<Entry> entries) {
  entries_ = std::move(entries);
  total_ = 0;
  for (const Entry& entry : entries_) total_ += entry.count;
}

void WorkloadModel::Announce(PlacementPolicy* policy) const {
  for (const Entry& entry : entries_) {
    if (entry.count > 0) policy->OnWorkloadChanged(entry.shape, entry.count);
  }
}

}  // namespace allot
