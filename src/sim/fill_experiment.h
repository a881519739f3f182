#pragma once

#include <cstdint>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "sim/alibaba_trace.h"

namespace allot {

// The fragmentation ("fill") experiment of Weng et al. (USENIX ATC 2023) on the
// Alibaba GPU trace, protocol as in ../shared/traces/README.md and the
// authors' simulator: the pod list is shuffled with the seed, then pods drawn
// uniformly with replacement are appended until the requested GPU reaches
// `target_ratio` (1.3) of capacity; pods are submitted one by one through the
// engine and never leave; a pod that does not fit fails (its queued request is
// cancelled). The result samples allocated GPU against arrived GPU.
struct FillOptions {
  uint64_t seed = 42;
  double target_ratio = 1.3;
  PlacementOptions placement;
};

struct FillResult {
  int64_t capacity_milli = 0;
  int64_t pods_submitted = 0;
  int64_t pods_failed = 0;
  // After each pod: cumulative requested milli-GPU (failed pods included) and
  // allocated milli-GPU.
  std::vector<int64_t> arrived_milli;
  std::vector<int64_t> allocated_milli;

  // Mean share of capacity allocated (in %) over the pods at which the
  // arrived share, rounded to a whole percent, equals `percent` (the
  // authors' "GPU allocated at X% arrived"); -1 when no pod falls there.
  double AllocatedAtArrivedPercent(int percent) const;
  // The same for every percent 0..`top` in one pass over the pods.
  std::vector<double> AllocatedByArrivedPercent(int top) const;
};

Result<FillResult> RunFillExperiment(const Inventory& inventory,
                                     const std::vector<AlibabaPod>& pods,
                                     const FillOptions& options);
// The same protocol over any requests (a trace's jobs), on an engine with
// `engine_options` (whose placement `options.placement` replaces). A request
// the engine finds invalid fails the run, naming its index.
Result<FillResult> RunFillExperiment(const Inventory& inventory,
                                     const EngineOptions& engine_options,
                                     const std::vector<Request>& requests,
                                     const FillOptions& options);
// One run per seed, on up to `threads` threads (each seed on its own engine,
// so results do not depend on the thread count); results in `seeds` order.
Result<std::vector<FillResult>> RunFillSeeds(const Inventory& inventory,
                                             const EngineOptions& engine_options,
                                             const std::vector<Request>& requests,
                                             const FillOptions& options,
                                             const std::vector<uint64_t>& seeds, int threads);

// A uniform integer in [0, n) from a 64-bit generator, without modulo bias;
// mt19937_64 is fully specified by the standard, so runs repeat everywhere.
template <typename Generator>
uint64_t UniformIndex(Generator& generator, uint64_t n) {
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t value;
  do {
    value = generator();
  } while (value >= limit);
  return value % n;
}

}  // namespace allot
