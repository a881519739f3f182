#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace allot {

// NVIDIA Multi-Instance GPU (MIG) geometry. A MIG-capable GPU has 8 memory
// slices and 7 compute slices. A GPU instance of profile P covers the memory
// slices [start, start + P.memory_slices) and must start at one of P's allowed
// start indices; instances may not overlap in memory slices, the compute slices
// of all instances add up to at most 7, and a profile's instance count is
// bounded by its max_count (the +me profiles, which take the GPU's only media
// engines, allow one instance). These are the tables of NVIDIA's MIG user guide
// (`nvidia-smi mig -lgipp`) for the A100 40GB/80GB and H100 80GB.
inline constexpr int kMigMemorySlices = 8;
inline constexpr int kMigComputeSlices = 7;

struct MigProfile {
  std::string_view name;   // e.g. "3g.20gb"
  int compute_slices;      // g in "<g>g.<m>gb"
  int memory_slices;       // out of kMigMemorySlices
  int64_t memory_mib;      // device memory of the instance
  int max_count;           // instances of this profile on one GPU
  uint8_t allowed_starts;  // bit i set: the instance may start at memory slice i
  bool media_extensions;   // "+me": owns the GPU's media engines
};

// The MIG profile table of one GPU model.
struct MigGpuTable {
  std::string_view model;  // canonical model name, e.g. "A100-40GB"
  std::span<const MigProfile> profiles;
};

// The table for a GPU model name, or nullptr when the model has no MIG support
// known to allot. Accepts canonical names and common aliases
// ("A100-SXM4-40GB", "NVIDIA H100 80GB HBM3", ...), case-insensitively.
const MigGpuTable* FindMigTable(std::string_view gpu_model);

// Index of `profile_name` in `table`, or -1.
int FindMigProfile(const MigGpuTable& table, std::string_view profile_name);

// Occupancy of one MIG-mode GPU: which memory slices and compute slices are
// taken, and how many instances of each profile exist. Value type.
struct MigOccupancy {
  uint8_t memory_mask = 0;   // bit i: memory slice i is taken
  uint8_t compute_used = 0;  // compute slices taken, <= kMigComputeSlices
  uint8_t counts[8] = {};    // instances per profile index (tables have <= 8 rows)

  // The lowest allowed start index at which `profile` (index into `table`)
  // fits next to what is already placed, or -1 when the hardware forbids it.
  // Lowest-first packs small instances from slot 0 up, which is what makes
  // NVIDIA's documented 1g, 1g, 2g, then 3g sequence fit (1g@0, 1g@1, 2g@2,
  // 3g@4); the cost is that a 1g placed first rules out a later 4g on that
  // GPU. No online rule wins for every order; see docs/placement.md.
  int FindStart(const MigGpuTable& table, int profile) const;
  // True when `profile` may be placed at `start`.
  bool CanPlace(const MigGpuTable& table, int profile, int start) const;
  void Place(const MigGpuTable& table, int profile, int start);
  void Remove(const MigGpuTable& table, int profile, int start);
  bool Empty() const { return memory_mask == 0; }
};

// milli-GPU accounted for one MIG instance: its share of compute slices,
// floor(1000 * g / 7), so a full 7g instance counts 1000 and no set of
// instances on one GPU can exceed 1000.
inline int64_t MigInstanceMilliGpu(const MigProfile& profile) {
  return profile.compute_slices >= kMigComputeSlices
             ? 1000
             : 1000 * profile.compute_slices / kMigComputeSlices;
}

}  // namespace allot
