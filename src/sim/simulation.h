#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "sim/sim_policy.h"
#include "sim/workload.h"

namespace allot {

// What `allot sim` runs once its inputs are loaded (apps/allot/sim_command.cc).
struct SimulationOptions {
  enum class Mode : uint8_t { kReplay, kFill };
  Mode mode = Mode::kReplay;
  std::vector<SimPolicy> policies;  // empty: the config as it is
  uint64_t seed = 42;
  int seeds = 1;  // fill: seeds seed, seed + 1, ...
  double target_ratio = 1.3;
  int threads = 1;    // fill: seeds run in parallel
  Duration step = 0;  // replay: between samples (0: about 400 samples)
  // Called with the policy being run and the share of it done (0..1).
  std::function<void(std::string_view policy, double fraction)> progress;
  // Echoed into result.json's "inputs": config, trace, format, ...
  nlohmann::ordered_json inputs = nlohmann::ordered_json::object();
};

// Runs every policy on the same workload (replay) or the fragmentation
// experiment per policy over the seeds (fill), and returns result.json
// (docs/sim.md). Deterministic: the same inputs give the same document,
// whatever the thread count.
Result<nlohmann::ordered_json> RunSimulation(const Inventory& inventory,
                                             const EngineOptions& engine_options,
                                             const Workload& workload,
                                             const SimulationOptions& options);

}  // namespace allot
